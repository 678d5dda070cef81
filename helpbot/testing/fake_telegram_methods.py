"""The Bot API methods of the fake Telegram server: what each call does and answers.

Each handler takes the decoded request parameters and returns the ``result`` the Bot
API documents (a Message, True, a ForumTopic, a ChatMember...) or raises ApiError with
the status and description Telegram gives in the same situation. The HTTP side
(routing, recording, faults, polling and webhooks) is in ``fake_telegram``.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

from helpbot.testing.fake_telegram_objects import (
    FORUM_ICON_COLORS,
    RESTRICTED_PERMISSIONS,
    FakeChat,
    FakeFile,
    MemberState,
    chat_member_json,
)
from helpbot.testing.fake_telegram_text import TextRejected, format_text, utf16_len
from helpbot.testing.fake_telegram_updates import (
    CONTENT_KEYS,
    ApiError,
    TelegramState,
    document_json,
)

__all__ = ["THREAD_NOT_FOUND", "BotApiMethods", "int_param"]

JSON = dict[str, Any]
Handler = Callable[[JSON], Any]

THREAD_NOT_FOUND = "Bad Request: message thread not found"
_NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a content and reply markup of the current message"
)
_CHAT_NOT_FOUND = "Bad Request: chat not found"
_CALLBACK_EXPIRED = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)

_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
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
_DEFAULT_CHAT_PERMISSIONS: dict[str, bool] = {
    "can_send_messages": True,
    "can_send_audios": True,
    "can_send_documents": True,
    "can_send_photos": True,
    "can_send_videos": True,
    "can_send_video_notes": True,
    "can_send_voice_notes": True,
    "can_send_polls": True,
    "can_send_other_messages": True,
    "can_add_web_page_previews": True,
    "can_react_to_messages": True,
    "can_edit_tag": False,
    "can_change_info": False,
    "can_invite_users": True,
    "can_pin_messages": False,
    "can_manage_topics": False,
}


def int_param(params: JSON, name: str, default: int | None = None) -> int | None:
    value = params.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {name} specified") from None


def _required(params: JSON, name: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise ApiError(400, f"Bad Request: {name} is empty")
    return value


def _required_int(params: JSON, name: str) -> int:
    value = int_param(params, name)
    if value is None:
        raise ApiError(400, f"Bad Request: {name} is empty")
    return value


class BotApiMethods(TelegramState):
    """Handlers for the Bot API methods, over the shared TelegramState."""

    def __init__(
        self,
        *,
        bot_user: JSON,
        clock: Callable[[], float],
        closed_topic_error: str | None,
        require_start: bool,
    ) -> None:
        super().__init__(
            bot_user=bot_user,
            clock=clock,
            closed_topic_error=closed_topic_error,
            require_start=require_start,
        )
        self.commands: dict[tuple[str, str], list[JSON]] = {}
        self.bot_profile: dict[str, str] = {"name": self.bot_user["first_name"]}
        self._sent: list[JSON] = []

    def _method_table(self) -> dict[str, Handler]:
        """Bot API method name (as documented) -> handler."""
        ack = self._ack
        return {
            "getMe": self._get_me,
            "logOut": ack,
            "close": ack,
            "sendMessage": self._send_message,
            "forwardMessage": self._forward_message,
            "copyMessage": self._copy_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendVoice": self._send_voice,
            "sendSticker": self._send_sticker,
            "sendChatAction": self._send_chat_action,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "deleteMessages": self._delete_messages,
            "answerCallbackQuery": self._answer_callback_query,
            "getFile": self._get_file,
            "createForumTopic": self._create_forum_topic,
            "editForumTopic": self._edit_forum_topic,
            "closeForumTopic": self._close_forum_topic,
            "reopenForumTopic": self._reopen_forum_topic,
            "deleteForumTopic": self._delete_forum_topic,
            "unpinAllForumTopicMessages": ack,
            "approveChatJoinRequest": self._approve_join_request,
            "declineChatJoinRequest": self._decline_join_request,
            "banChatMember": self._ban_chat_member,
            "unbanChatMember": self._unban_chat_member,
            "restrictChatMember": self._restrict_chat_member,
            "getChatMember": self._get_chat_member,
            "getChat": self._get_chat,
            "getChatAdministrators": self._get_chat_administrators,
            "getChatMemberCount": self._get_chat_member_count,
            "createChatInviteLink": self._create_chat_invite_link,
            "exportChatInviteLink": self._export_chat_invite_link,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "setMyName": self._profile_setter("name"),
            "getMyName": self._profile_getter("name"),
            "setMyDescription": self._profile_setter("description"),
            "getMyDescription": self._profile_getter("description"),
            "setMyShortDescription": self._profile_setter("short_description"),
            "getMyShortDescription": self._profile_getter("short_description"),
            "setChatMenuButton": ack,
            "getChatMenuButton": lambda p: {"type": "commands"},
            "setMyDefaultAdministratorRights": ack,
            "pinChatMessage": ack,
            "unpinChatMessage": ack,
            "unpinAllChatMessages": ack,
            "setMessageReaction": ack,
            "leaveChat": ack,
        }

    @staticmethod
    def _ack(params: JSON) -> bool:
        return True

    def _profile_setter(self, key: str) -> Handler:
        def handler(params: JSON) -> bool:
            self.bot_profile[key] = str(params.get(key) or "")
            return True

        return handler

    def _profile_getter(self, key: str) -> Handler:
        return lambda params: {key: self.bot_profile.get(key, "")}

    def _get_me(self, params: JSON) -> JSON:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    # chats and sending

    def _find_chat(self, chat_id: Any) -> FakeChat:
        if isinstance(chat_id, str):
            if chat_id.startswith("@"):
                for chat in self.chats.values():
                    if chat.username and chat.username.lower() == chat_id[1:].lower():
                        return chat
            raise ApiError(400, _CHAT_NOT_FOUND)
        if not isinstance(chat_id, int):
            raise ApiError(400, _CHAT_NOT_FOUND)
        chat = self.chats.get(chat_id)
        if chat is not None:
            return chat
        if chat_id > 0:
            user = self.users.get(chat_id)
            if user is None and not self.require_start:
                user = self.user(chat_id, f"User {chat_id}")
                self.started_users.add(chat_id)
            if user is not None:
                return self.private_chat(user)
        raise ApiError(400, _CHAT_NOT_FOUND)

    def _send_target(self, params: JSON) -> FakeChat:
        """The chat to send to, with Telegram's 403s for users and groups the bot can't reach."""
        chat = self._find_chat(_required(params, "chat_id"))
        if chat.is_private:
            if chat.id in self.blocked_users:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if self.require_start and chat.id not in self.started_users:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        else:
            kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
            status = self.member_status(chat.id, self.bot_user["id"])
            if status == "kicked":
                raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
            if status == "left":
                raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")
        return chat

    @staticmethod
    def _formatted(
        params: JSON,
        field_name: str,
        entities_name: str,
        *,
        limit: int,
        too_long: str,
        empty: str | None,
    ) -> tuple[str, list[JSON]]:
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

    def _caption(self, params: JSON, content: JSON) -> JSON:
        text, entities = self._formatted(
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

    @staticmethod
    def _reply_markup(params: JSON) -> JSON | None:
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

    def _reply_target(self, chat: FakeChat, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict):
            if params.get("reply_to_message_id") is None:
                return None
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply"),
            }
        message_id = _required_int(reply, "message_id")
        target_chat = chat
        if reply.get("chat_id") not in (None, chat.id):
            target_chat = self._find_chat(reply["chat_id"])
        target = self.messages.get((target_chat.id, message_id))
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return target if target_chat.id == chat.id else None

    def _bot_message(self, chat: FakeChat, params: JSON, content: JSON) -> JSON:
        """Create and store a message the bot sends; returns the Message the API answers."""
        markup = self._reply_markup(params)
        reply_to = self._reply_target(chat, params)
        thread_id = None if chat.is_private else int_param(params, "message_thread_id")
        if params.get("protect_content"):
            content["has_protected_content"] = True
        message = self._new_message(
            chat,
            self.bot_user,
            content,
            thread_id=thread_id,
            reply_to=reply_to,
            reply_markup=markup,
        )
        self._sent.append(copy.deepcopy(message))
        return copy.deepcopy(message)

    def _send_message(self, params: JSON) -> JSON:
        chat = self._send_target(params)
        text, entities = self._formatted(
            params,
            "text",
            "entities",
            limit=4096,
            too_long="Bad Request: message is too long",
            empty="Bad Request: message text is empty",
        )
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._bot_message(chat, params, content)

    def _source_message(self, params: JSON, what: str) -> JSON:
        source_chat = self._find_chat(_required(params, "from_chat_id"))
        message_id = _required_int(params, "message_id")
        source = self.messages.get((source_chat.id, message_id))
        if source is None:
            raise ApiError(400, f"Bad Request: message to {what} not found")
        return source

    def _copy_message(self, params: JSON) -> JSON:
        source = self._source_message(params, "copy")
        content = {key: copy.deepcopy(source[key]) for key in CONTENT_KEYS if key in source}
        if not content:
            raise ApiError(400, "Bad Request: message can't be copied")
        if "caption" in params and any(k in content for k in ("photo", "document", "voice")):
            content.pop("caption", None)
            content.pop("caption_entities", None)
            self._caption(params, content)
        chat = self._send_target(params)
        message = self._bot_message(chat, params, content)
        return {"message_id": message["message_id"]}

    def _forward_message(self, params: JSON) -> JSON:
        source = self._source_message(params, "forward")
        content = {key: copy.deepcopy(source[key]) for key in CONTENT_KEYS if key in source}
        if not content:
            raise ApiError(400, "Bad Request: message can't be forwarded")
        origin = source.get("forward_origin") or {
            "type": "user",
            "date": source["date"],
            "sender_user": source["from"],
        }
        chat = self._send_target(params)
        return self._bot_message(chat, params, {"forward_origin": origin, **content})

    def _file_for(self, reference: Any, kind: str, extension: str) -> FakeFile:
        """A file_id the fake issued, a fresh upload, or an HTTP URL Telegram would fetch."""
        if isinstance(reference, dict) and "file_id" in reference:
            return self.files[reference["file_id"]]
        if isinstance(reference, str):
            if reference in self.files:
                return self.files[reference]
            if re.match(r"https?://", reference):
                name = reference.rsplit("/", 1)[-1] or "file"
                return self._register_file(
                    kind, b"downloaded " + reference.encode(), extension, file_name=name
                )
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def _send_photo(self, params: JSON) -> JSON:
        chat = self._send_target(params)
        fake = self._file_for(_required(params, "photo"), "photos", "jpg")
        sizes = [*self.photo_sizes(fake.content)[:2], fake.photo_size(1280, 960)]
        content = self._caption(params, {"photo": sizes})
        return self._bot_message(chat, params, content)

    def _send_document(self, params: JSON) -> JSON:
        chat = self._send_target(params)
        fake = self._file_for(_required(params, "document"), "documents", "bin")
        content = self._caption(params, {"document": document_json(fake)})
        return self._bot_message(chat, params, content)

    def _send_voice(self, params: JSON) -> JSON:
        chat = self._send_target(params)
        fake = self._file_for(_required(params, "voice"), "voice", "oga")
        voice = {
            "file_id": fake.file_id,
            "file_unique_id": fake.file_unique_id,
            "duration": int_param(params, "duration", 1),
            "mime_type": fake.mime_type or "audio/ogg",
            "file_size": fake.size,
        }
        content = self._caption(params, {"voice": voice})
        return self._bot_message(chat, params, content)

    def _send_sticker(self, params: JSON) -> JSON:
        chat = self._send_target(params)
        fake = self._file_for(_required(params, "sticker"), "stickers", "webp")
        sticker = {
            "file_id": fake.file_id,
            "file_unique_id": fake.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": params.get("emoji") or "👍",
            "file_size": fake.size,
        }
        return self._bot_message(chat, params, {"sticker": sticker})

    def _send_chat_action(self, params: JSON) -> bool:
        self._send_target(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True  # Telegram does not check message_thread_id here, even for deleted topics

    # editing and deleting

    def _editable(self, params: JSON) -> JSON | None:
        """The stored bot message an edit targets (None for inline messages)."""
        if params.get("inline_message_id"):
            return None
        chat = self._find_chat(_required(params, "chat_id"))
        message = self.messages.get((chat.id, _required_int(params, "message_id")))
        if message is None:
            raise ApiError(400, "Bad Request: message to edit not found")
        if message.get("from", {}).get("id") != self.bot_user["id"]:
            raise ApiError(400, "Bad Request: message can't be edited")
        return message

    def _apply_edit(self, message: JSON, changes: JSON, markup: JSON | None) -> JSON:
        """Apply an edit in place. As on Telegram, an edit without an inline keyboard
        removes the existing one, and an edit that changes nothing is a 400."""
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
        updated["edit_date"] = max(self.now(), message["date"])
        message.clear()
        message.update(updated)
        return copy.deepcopy(message)

    def _edit_message_text(self, params: JSON) -> JSON | bool:
        text, entities = self._formatted(
            params,
            "text",
            "entities",
            limit=4096,
            too_long="Bad Request: message is too long",
            empty="Bad Request: message text is empty",
        )
        markup = self._reply_markup(params)
        message = self._editable(params)
        if message is None:
            return True
        if "text" not in message:
            raise ApiError(400, "Bad Request: there is no text in the message to edit")
        return self._apply_edit(message, {"text": text, "entities": entities}, markup)

    def _edit_message_caption(self, params: JSON) -> JSON | bool:
        markup = self._reply_markup(params)
        message = self._editable(params)
        if message is None:
            return True
        if "text" in message:
            raise ApiError(400, "Bad Request: there is no caption in the message to edit")
        content = self._caption(params, {})
        return self._apply_edit(
            message,
            {
                "caption": content.get("caption"),
                "caption_entities": content.get("caption_entities"),
            },
            markup,
        )

    def _edit_message_reply_markup(self, params: JSON) -> JSON | bool:
        markup = self._reply_markup(params)
        message = self._editable(params)
        if message is None:
            return True
        return self._apply_edit(message, {}, markup)

    def _delete_message(self, params: JSON) -> bool:
        chat = self._find_chat(_required(params, "chat_id"))
        key = (chat.id, _required_int(params, "message_id"))
        if key not in self.messages:
            raise ApiError(400, "Bad Request: message to delete not found")
        del self.messages[key]
        self.deleted_messages.add(key)
        return True

    def _delete_messages(self, params: JSON) -> bool:
        chat = self._find_chat(_required(params, "chat_id"))
        for message_id in params.get("message_ids") or []:
            key = (chat.id, int(message_id))
            if self.messages.pop(key, None) is not None:
                self.deleted_messages.add(key)
        return True

    def _answer_callback_query(self, params: JSON) -> bool:
        query_id = str(_required(params, "callback_query_id"))
        if query_id not in self.callback_queries or query_id in self.callback_answers:
            raise ApiError(400, _CALLBACK_EXPIRED)
        self.callback_answers[query_id] = dict(params)
        return True

    def _get_file(self, params: JSON) -> JSON:
        fake = self.files.get(str(_required(params, "file_id")))
        if fake is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return fake.file_json()

    # forum topics

    def _forum(self, params: JSON) -> FakeChat:
        chat = self._find_chat(_required(params, "chat_id"))
        if not chat.is_forum:
            raise ApiError(400, "Bad Request: the chat is not a forum")
        state = self.members.get(chat.id, {}).get(self.bot_user["id"])
        if (
            state is None
            or state.status not in ("administrator", "creator")
            or (state.status == "administrator" and state.rights.get("can_manage_topics") is False)
        ):
            raise ApiError(400, "Bad Request: not enough rights to manage topics")
        return chat

    def _existing_topic(self, params: JSON) -> tuple[FakeChat, JSON]:
        chat = self._forum(params)
        thread_id = _required_int(params, "message_thread_id")
        topic = self.topics.get(chat.id, {}).get(thread_id)
        if topic is None:
            raise ApiError(400, THREAD_NOT_FOUND)
        return chat, topic

    def _topic_service_message(self, chat: FakeChat, thread_id: int, payload: JSON) -> None:
        self._new_message(chat, self.bot_user, payload, thread_id=thread_id)

    def _create_forum_topic(self, params: JSON) -> JSON:
        chat = self._forum(params)
        name = str(_required(params, "name"))
        if len(name) > 128:
            raise ApiError(400, "Bad Request: TOPIC_TITLE_INVALID")
        color = int_param(params, "icon_color", FORUM_ICON_COLORS[0])
        if color not in FORUM_ICON_COLORS:
            raise ApiError(400, "Bad Request: TOPIC_ICON_COLOR_INVALID")
        emoji = params.get("icon_custom_emoji_id") or None
        return self._create_topic(chat, name, color or FORUM_ICON_COLORS[0], emoji, self.bot_user)

    def _edit_forum_topic(self, params: JSON) -> bool:
        chat, topic = self._existing_topic(params)
        edited: JSON = {}
        if params.get("name") and params["name"] != topic["name"]:
            edited["name"] = str(params["name"])
        emoji = params.get("icon_custom_emoji_id")
        if emoji is not None and emoji != topic.get("icon_custom_emoji_id", ""):
            edited["icon_custom_emoji_id"] = str(emoji)
        if not edited:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic.update(edited)
        if not topic.get("icon_custom_emoji_id"):
            topic.pop("icon_custom_emoji_id", None)
        self._topic_service_message(
            chat, topic["message_thread_id"], {"forum_topic_edited": edited}
        )
        return True

    def _close_forum_topic(self, params: JSON) -> bool:
        chat, topic = self._existing_topic(params)
        if topic["closed"]:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        self._topic_service_message(chat, topic["message_thread_id"], {"forum_topic_closed": {}})
        topic["closed"] = True
        return True

    def _reopen_forum_topic(self, params: JSON) -> bool:
        chat, topic = self._existing_topic(params)
        if not topic["closed"]:
            raise ApiError(400, "Bad Request: TOPIC_NOT_MODIFIED")
        topic["closed"] = False
        self._topic_service_message(chat, topic["message_thread_id"], {"forum_topic_reopened": {}})
        return True

    def _delete_forum_topic(self, params: JSON) -> bool:
        chat, topic = self._existing_topic(params)
        self.delete_topic_by_hand(chat.id, topic["message_thread_id"])
        return True

    # members and join requests

    def _user_json(self, user_id: int) -> JSON:
        if user_id == self.bot_user["id"]:
            return dict(self.bot_user)
        user = self.users.get(user_id)
        if user is None:
            raise ApiError(400, "Bad Request: user not found")
        return user.to_dict()

    def _group_and_user(self, params: JSON) -> tuple[FakeChat, int, MemberState]:
        chat = self._find_chat(_required(params, "chat_id"))
        user_id = _required_int(params, "user_id")
        self._user_json(user_id)
        if chat.is_private:
            raise ApiError(
                400, "Bad Request: method is available for supergroup and channel chats only"
            )
        state = self.members.get(chat.id, {}).get(user_id) or MemberState("left")
        return chat, user_id, state

    def _set_state(self, chat: FakeChat, user_id: int, state: MemberState) -> None:
        self.members.setdefault(chat.id, {})[user_id] = state

    def _approve_join_request(self, params: JSON) -> bool:
        chat, user_id, state = self._group_and_user(params)
        if self.join_requests.get((chat.id, user_id)) != "pending":
            raise ApiError(400, "Bad Request: HIDE_REQUESTER_MISSING")
        self.join_requests[(chat.id, user_id)] = "approved"
        if state.status in ("member", "administrator", "creator"):
            raise ApiError(400, "Bad Request: USER_ALREADY_PARTICIPANT")
        self._set_state(chat, user_id, MemberState("member"))
        return True

    def _decline_join_request(self, params: JSON) -> bool:
        chat, user_id, _ = self._group_and_user(params)
        if self.join_requests.get((chat.id, user_id)) != "pending":
            raise ApiError(400, "Bad Request: HIDE_REQUESTER_MISSING")
        self.join_requests[(chat.id, user_id)] = "declined"
        return True

    @staticmethod
    def _protect_admins(state: MemberState) -> None:
        if state.status == "creator":
            raise ApiError(400, "Bad Request: can't remove chat owner")
        if state.status == "administrator":
            raise ApiError(400, "Bad Request: user is an administrator of the chat")

    def _ban_chat_member(self, params: JSON) -> bool:
        chat, user_id, state = self._group_and_user(params)
        self._protect_admins(state)
        until = int_param(params, "until_date", 0) or 0
        self._set_state(chat, user_id, MemberState("kicked", until_date=until, is_member=False))
        if params.get("revoke_messages"):
            for key, message in list(self.messages.items()):
                if key[0] == chat.id and message.get("from", {}).get("id") == user_id:
                    del self.messages[key]
                    self.deleted_messages.add(key)
        return True

    def _unban_chat_member(self, params: JSON) -> bool:
        chat, user_id, state = self._group_and_user(params)
        if params.get("only_if_banned") and state.status != "kicked":
            return True
        self._protect_admins(state)
        # Without only_if_banned, Telegram also removes a current member from the chat.
        self._set_state(chat, user_id, MemberState("left", is_member=False))
        return True

    def _restrict_chat_member(self, params: JSON) -> bool:
        chat, user_id, state = self._group_and_user(params)
        if chat.type != "supergroup":
            raise ApiError(400, "Bad Request: method is available only for supergroups")
        self._protect_admins(state)
        permissions = params.get("permissions")
        if not isinstance(permissions, dict):
            raise ApiError(400, "Bad Request: permissions is empty")
        flags = {flag: bool(permissions.get(flag, False)) for flag in RESTRICTED_PERMISSIONS}
        is_member = state.status == "member" or (state.status == "restricted" and state.is_member)
        if all(flags[k] for k, default in _DEFAULT_CHAT_PERMISSIONS.items() if default):
            # As permissive as the chat's defaults: the restriction is lifted.
            if state.status == "restricted":
                self._set_state(chat, user_id, MemberState("member" if is_member else "left"))
            return True
        until = int_param(params, "until_date", 0) or 0
        self._set_state(
            chat,
            user_id,
            MemberState("restricted", until_date=until, permissions=flags, is_member=is_member),
        )
        return True

    def _get_chat_member(self, params: JSON) -> JSON:
        chat = self._find_chat(_required(params, "chat_id"))
        user_id = _required_int(params, "user_id")
        user = self._user_json(user_id)
        if chat.is_private:
            if user_id not in (chat.id, self.bot_user["id"]):
                raise ApiError(400, "Bad Request: user not found")
            return chat_member_json(user, MemberState("member"))
        state = self.members.get(chat.id, {}).get(user_id) or MemberState("left")
        return chat_member_json(user, state)

    def _get_chat(self, params: JSON) -> JSON:
        chat = self._find_chat(_required(params, "chat_id"))
        info = chat.to_dict()
        info["accent_color_id"] = 0
        info["max_reaction_count"] = 11
        info["accepted_gift_types"] = {
            "unlimited_gifts": chat.is_private,
            "limited_gifts": chat.is_private,
            "unique_gifts": chat.is_private,
            "premium_subscription": chat.is_private,
            "gifts_from_channels": chat.is_private,
        }
        if not chat.is_private:
            info["permissions"] = dict(_DEFAULT_CHAT_PERMISSIONS)
        return info

    def _get_chat_administrators(self, params: JSON) -> list[JSON]:
        chat = self._find_chat(_required(params, "chat_id"))
        if chat.is_private:
            raise ApiError(400, "Bad Request: there are no administrators in the private chat")
        admins = [
            (user_id, state)
            for user_id, state in self.members.get(chat.id, {}).items()
            if state.status in ("creator", "administrator")
        ]
        admins.sort(key=lambda item: item[1].status != "creator")
        return [chat_member_json(self._user_json(uid), state) for uid, state in admins]

    def _get_chat_member_count(self, params: JSON) -> int:
        chat = self._find_chat(_required(params, "chat_id"))
        if chat.is_private:
            return 2
        return sum(
            1
            for state in self.members.get(chat.id, {}).values()
            if state.status in ("creator", "administrator", "member")
            or (state.status == "restricted" and state.is_member)
        )

    def _create_chat_invite_link(self, params: JSON) -> JSON:
        chat = self._find_chat(_required(params, "chat_id"))
        number = len(self.calls) + 1
        link: JSON = {
            "invite_link": f"https://t.me/+FAKE{abs(chat.id) % 10**6:06d}{number:04d}",
            "creator": dict(self.bot_user),
            "creates_join_request": bool(params.get("creates_join_request")),
            "is_primary": False,
            "is_revoked": False,
        }
        for key in ("name", "expire_date", "member_limit"):
            if params.get(key) is not None:
                link[key] = params[key]
        return link

    def _export_chat_invite_link(self, params: JSON) -> str:
        chat = self._find_chat(_required(params, "chat_id"))
        return f"https://t.me/+FAKEPRIMARY{abs(chat.id) % 10**6:06d}"

    # commands

    @staticmethod
    def _command_scope_key(params: JSON) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: JSON) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: commands is empty")
        cleaned = []
        for command in commands:
            name = str(command.get("command", "")) if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", name):
                raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
            description = str(command.get("description", ""))
            if not 1 <= len(description) <= 256:
                raise ApiError(400, "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
            cleaned.append({"command": name, "description": description})
        self.commands[self._command_scope_key(params)] = cleaned
        return True

    def _get_my_commands(self, params: JSON) -> list[JSON]:
        return copy.deepcopy(self.commands.get(self._command_scope_key(params), []))

    def _delete_my_commands(self, params: JSON) -> bool:
        self.commands.pop(self._command_scope_key(params), None)
        return True
