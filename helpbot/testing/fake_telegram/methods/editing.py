"""Changing what is already there: edits, deletes, and answers to button presses.

As on Telegram, an edit without an inline keyboard removes the existing one, an edit
that changes nothing is a 400 "message is not modified", and a callback query can be
answered once.
"""

from __future__ import annotations

import copy
from typing import Any

from helpbot.testing.fake_telegram.errors import ApiError
from helpbot.testing.fake_telegram.params import (
    Handler,
    caption,
    inline_keyboard,
    message_text,
    required,
    required_int,
)
from helpbot.testing.fake_telegram.world import World

__all__ = ["Editing"]

JSON = dict[str, Any]

_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a content and reply markup of the current message"
)
_CALLBACK_EXPIRED = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)


class Editing:
    def __init__(self, world: World) -> None:
        self.world = world

    def table(self) -> dict[str, Handler]:
        return {
            "editMessageText": self.edit_message_text,
            "editMessageCaption": self.edit_message_caption,
            "editMessageReplyMarkup": self.edit_message_reply_markup,
            "deleteMessage": self.delete_message,
            "deleteMessages": self.delete_messages,
            "answerCallbackQuery": self.answer_callback_query,
        }

    def edit_message_text(self, params: JSON) -> JSON | bool:
        text, entities = message_text(params)
        markup = inline_keyboard(params)
        message = self._editable(params)
        if message is None:
            return True
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        return self._apply_edit(message, {"text": text, "entities": entities}, markup)

    def edit_message_caption(self, params: JSON) -> JSON | bool:
        markup = inline_keyboard(params)
        message = self._editable(params)
        if message is None:
            return True
        if "text" in message:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        content = caption(params, {})
        changes = {
            "caption": content.get("caption"),
            "caption_entities": content.get("caption_entities"),
        }
        return self._apply_edit(message, changes, markup)

    def edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        markup = inline_keyboard(params)
        message = self._editable(params)
        if message is None:
            return True
        return self._apply_edit(message, {}, markup)

    def delete_message(self, params: JSON) -> bool:
        chat = self.world.find_chat(required(params, "chat_id"))
        if not self.world.delete_message((chat.id, required_int(params, "message_id"))):
            raise ApiError(400, "Bad Request: message to delete not found")
        return True

    def delete_messages(self, params: JSON) -> bool:
        chat = self.world.find_chat(required(params, "chat_id"))
        for message_id in params.get("message_ids") or []:
            self.world.delete_message((chat.id, int(message_id)))
        return True

    def answer_callback_query(self, params: JSON) -> bool:
        query_id = str(required(params, "callback_query_id"))
        world = self.world
        if query_id not in world.callback_queries or query_id in world.callback_answers:
            raise ApiError(400, _CALLBACK_EXPIRED)
        world.callback_answers[query_id] = dict(params)
        return True

    def _editable(self, params: JSON) -> JSON | None:
        """The stored bot message an edit targets (None for inline messages)."""
        if params.get("inline_message_id"):
            return None
        chat = self.world.find_chat(required(params, "chat_id"))
        message = self.world.messages.get((chat.id, required_int(params, "message_id")))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.world.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _apply_edit(self, message: JSON, changes: JSON, markup: JSON | None) -> JSON:
        updated = dict(message)
        for key, value in changes.items():
            if value:
                updated[key] = value
            else:
                updated.pop(key, None)
        if markup is None:
            updated.pop("reply_markup", None)
        else:
            updated["reply_markup"] = markup
        if all(updated.get(k) == message.get(k) for k in (*changes, "reply_markup")):
            raise ApiError(400, _NOT_MODIFIED)
        updated["edit_date"] = max(self.world.now(), message["date"])
        message.clear()
        message.update(updated)
        return copy.deepcopy(message)
