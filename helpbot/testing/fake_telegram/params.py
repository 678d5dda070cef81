"""Reading request parameters the way the Bot API does, and the checks it applies to them.

Form fields arrive as strings: the API decodes JSON in them except for fields that
are always text ("123" stays a string in ``text``), and reads numeric chat ids.
Text is parsed (``parse_mode``), stripped and length-checked on the server; inline
keyboards are validated. A bot that passes these checks passes Telegram's.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

from helpbot.testing.fake_telegram.errors import ApiError
from helpbot.testing.fake_telegram.text import TextRejected, format_text, utf16_len

__all__ = [
    "JSON",
    "Handler",
    "caption",
    "coerce",
    "formatted",
    "inline_keyboard",
    "int_param",
    "message_text",
    "required",
    "required_int",
]

JSON = dict[str, Any]
#: A Bot API method: decoded parameters in, the documented ``result`` out (or ApiError).
Handler = Callable[[JSON], Any]

#: Parameters that are plain strings even when they look like JSON ("123", "true").
STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "name",
        "url",
        "secret_token",
        "callback_query_id",
        "parse_mode",
        "icon_custom_emoji_id",
        "action",
        "file_id",
        "title",
        "description",
        "short_description",
        "custom_title",
        "language_code",
        "ip_address",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "photo",
        "document",
        "voice",
        "sticker",
        "audio",
        "video",
        "animation",
        "emoji",
        "invite_link",
        "first_name",
        "last_name",
        "phone_number",
        "vcard",
        "address",
        "question",
        "payload",
        "start_parameter",
        "game_short_name",
        "currency",
        "tag",
    }
)
_CHAT_ID_PARAMS = frozenset({"chat_id", "from_chat_id", "sender_chat_id"})
_BUTTON_ACTIONS = (
    "url",
    "callback_data",
    "web_app",
    "login_url",
    "switch_inline_query",
    "switch_inline_query_current_chat",
    "switch_inline_query_chosen_chat",
    "copy_text",
    "callback_game",
    "pay",
)


def coerce(name: str, value: Any) -> Any:
    """Decode one request parameter the way the Bot API reads form fields."""
    if not isinstance(value, str):
        return value
    if name in _CHAT_ID_PARAMS:
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if name in STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def int_param(params: JSON, name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {name} specified") from None


def required(params: JSON, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise ApiError(400, f"Bad Request: {name} is empty")
    return value


def required_int(params: JSON, name: str) -> int:
    value = int_param(params, name)
    if value is None:
        raise ApiError(400, f"Bad Request: {name} is empty")
    return value


def formatted(
    params: JSON,
    field_name: str,
    entities_name: str,
    *,
    limit: int,
    too_long: str,
    empty: str | None,
) -> tuple[str, list[JSON]]:
    """Text after the server's parse_mode, stripping and length checks (UTF-16 units)."""
    raw = params.get(field_name)
    if raw is None or raw == "":
        if empty:
            raise ApiError(400, empty)
        return "", []
    try:
        text, entities = format_text(
            str(raw),
            parse_mode=params.get("parse_mode"),
            entities=params.get(entities_name) or None,
        )
    except TextRejected as error:
        raise ApiError(400, str(error)) from None
    if not text and empty:
        raise ApiError(400, empty)
    if utf16_len(text) > limit:
        raise ApiError(400, too_long)
    return text, entities


def message_text(params: JSON) -> tuple[str, list[JSON]]:
    """``text`` of sendMessage / editMessageText, with Telegram's limits."""
    return formatted(
        params,
        "text",
        "entities",
        limit=4096,
        too_long="Bad Request: message is too long",
        empty="Bad Request: message text is empty",
    )


def caption(params: JSON, content: JSON) -> JSON:
    """Add the request's caption (1024 UTF-16 units at most) to a media message's content."""
    text, entities = formatted(
        params,
        "caption",
        "caption_entities",
        limit=1024,
        too_long="Bad Request: message caption is too long",
        empty=None,
    )
    if text:
        content["caption"] = text
        if entities:
            content["caption_entities"] = entities
    return content


def inline_keyboard(params: JSON) -> JSON | None:
    """Validate an inline keyboard; only inline keyboards appear in the returned Message."""
    markup = params.get("reply_markup")
    if not isinstance(markup, dict) or "inline_keyboard" not in markup:
        return None
    rows = markup["inline_keyboard"]
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    for row in rows:
        for button in row:
            if not isinstance(button, dict) or not button.get("text"):
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: Text must be non-empty",
                )
            if not any(key in button for key in _BUTTON_ACTIONS):
                raise ApiError(
                    400,
                    "Bad Request: can't parse inline keyboard button: "
                    "Text buttons are unallowed in the inline keyboard",
                )
            data = button.get("callback_data")
            if data is not None and not 1 <= len(str(data).encode()) <= 64:
                raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    return markup
