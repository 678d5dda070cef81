"""Sending: sendMessage, the media sends, copy/forward, chat actions, getFile.

Telegram's 403s for chats the bot cannot reach are enforced here (a user who never
started the bot or blocked it, a group the bot left or was kicked from).
"""

from __future__ import annotations

import copy
from typing import Any

from helpbot.testing.fake_telegram.errors import ApiError
from helpbot.testing.fake_telegram.media import Media, document_json
from helpbot.testing.fake_telegram.objects import FakeChat
from helpbot.testing.fake_telegram.params import (
    Handler,
    caption,
    inline_keyboard,
    int_param,
    message_text,
    required,
    required_int,
)
from helpbot.testing.fake_telegram.world import World

__all__ = ["CONTENT_KEYS", "Sending", "send_target"]

JSON = dict[str, Any]

#: Message keys that are content (copied by copyMessage / forwardMessage).
CONTENT_KEYS = (
    "text",
    "entities",
    "caption",
    "caption_entities",
    "photo",
    "document",
    "sticker",
    "voice",
    "audio",
    "video",
    "animation",
    "video_note",
    "contact",
    "location",
    "venue",
    "poll",
    "dice",
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


def send_target(world: World, params: JSON) -> FakeChat:
    """The chat to send to, with Telegram's 403s for users and groups the bot can't reach."""
    chat = world.find_chat(required(params, "chat_id"))
    if chat.is_private:
        if chat.id in world.blocked_users:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        if world.require_start and chat.id not in world.started_users:
            raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
    else:
        kind = "supergroup chat" if chat.type == "supergroup" else "group chat"
        status = world.member_status(chat.id, world.bot_user["id"])
        if status == "kicked":
            raise ApiError(403, f"Forbidden: bot was kicked from the {kind}")
        if status == "left":
            raise ApiError(403, f"Forbidden: bot is not a member of the {kind}")
    return chat


class Sending:
    """Methods that create bot messages; each sent message is also snapshotted in world.sent."""

    def __init__(self, world: World, media: Media) -> None:
        self.world = world
        self.media = media

    def table(self) -> dict[str, Handler]:
        return {
            "sendMessage": self.send_message,
            "forwardMessage": self.forward_message,
            "copyMessage": self.copy_message,
            "sendPhoto": self.send_photo,
            "sendDocument": self.send_document,
            "sendVoice": self.send_voice,
            "sendSticker": self.send_sticker,
            "sendChatAction": self.send_chat_action,
            "getFile": self.get_file,
        }

    def send_message(self, params: JSON) -> JSON:
        chat = send_target(self.world, params)
        text, entities = message_text(params)
        content: JSON = {"text": text}
        if entities:
            content["entities"] = entities
        return self._bot_message(chat, params, content)

    def copy_message(self, params: JSON) -> JSON:
        source = self._source_message(params, "copy")
        content = {key: copy.deepcopy(source[key]) for key in CONTENT_KEYS if key in source}
        if not content:
            raise ApiError(400, "Bad Request: message can't be copied")
        if "caption" in params and any(k in content for k in ("photo", "document", "voice")):
            content.pop("caption", None)
            content.pop("caption_entities", None)
            caption(params, content)
        chat = send_target(self.world, params)
        message = self._bot_message(chat, params, content)
        return {"message_id": message["message_id"]}

    def forward_message(self, params: JSON) -> JSON:
        source = self._source_message(params, "forward")
        content = {key: copy.deepcopy(source[key]) for key in CONTENT_KEYS if key in source}
        if not content:
            raise ApiError(400, "Bad Request: message can't be forwarded")
        origin = source.get("forward_origin") or {
            "type": "user",
            "date": source["date"],
            "sender_user": source["from"],
        }
        chat = send_target(self.world, params)
        return self._bot_message(chat, params, {"forward_origin": origin, **content})

    def send_photo(self, params: JSON) -> JSON:
        chat = send_target(self.world, params)
        fake = self.media.file_for(required(params, "photo"), "photos", "jpg")
        sizes = [*self.media.photo_sizes(fake.content)[:2], fake.photo_size(1280, 960)]
        return self._bot_message(chat, params, caption(params, {"photo": sizes}))

    def send_document(self, params: JSON) -> JSON:
        chat = send_target(self.world, params)
        fake = self.media.file_for(required(params, "document"), "documents", "bin")
        return self._bot_message(chat, params, caption(params, {"document": document_json(fake)}))

    def send_voice(self, params: JSON) -> JSON:
        chat = send_target(self.world, params)
        fake = self.media.file_for(required(params, "voice"), "voice", "oga")
        voice = {
            "file_id": fake.file_id,
            "file_unique_id": fake.file_unique_id,
            "duration": int_param(params, "duration", 1),
            "mime_type": fake.mime_type or "audio/ogg",
            "file_size": fake.size,
        }
        return self._bot_message(chat, params, caption(params, {"voice": voice}))

    def send_sticker(self, params: JSON) -> JSON:
        chat = send_target(self.world, params)
        fake = self.media.file_for(required(params, "sticker"), "stickers", "webp")
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

    def send_chat_action(self, params: JSON) -> bool:
        send_target(self.world, params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise ApiError(400, "Bad Request: wrong parameter action in request")
        return True  # Telegram does not check message_thread_id here, even for deleted topics

    def get_file(self, params: JSON) -> JSON:
        fake = self.world.files.get(str(required(params, "file_id")))
        if fake is None:
            raise ApiError(400, "Bad Request: invalid file_id")
        return fake.file_json()

    # --- shared ---------------------------------------------------------------------------

    def _source_message(self, params: JSON, what: str) -> JSON:
        source_chat = self.world.find_chat(required(params, "from_chat_id"))
        message_id = required_int(params, "message_id")
        source = self.world.messages.get((source_chat.id, message_id))
        if source is None:
            raise ApiError(400, f"Bad Request: message to {what} not found")
        return source

    def _reply_target(self, chat: FakeChat, params: JSON) -> JSON | None:
        reply = params.get("reply_parameters")
        if not isinstance(reply, dict):
            if params.get("reply_to_message_id") is None:
                return None
            reply = {
                "message_id": params["reply_to_message_id"],
                "allow_sending_without_reply": params.get("allow_sending_without_reply"),
            }
        message_id = required_int(reply, "message_id")
        target_chat = chat
        if reply.get("chat_id") not in (None, chat.id):
            target_chat = self.world.find_chat(reply["chat_id"])
        target = self.world.messages.get((target_chat.id, message_id))
        if target is None:
            if reply.get("allow_sending_without_reply"):
                return None
            raise ApiError(400, "Bad Request: message to be replied not found")
        return target if target_chat.id == chat.id else None

    def _bot_message(self, chat: FakeChat, params: JSON, content: JSON) -> JSON:
        """Create and store a message the bot sends; returns the Message the API answers."""
        markup = inline_keyboard(params)
        reply_to = self._reply_target(chat, params)
        thread_id = None if chat.is_private else int_param(params, "message_thread_id")
        if params.get("protect_content"):
            content["has_protected_content"] = True
        message = self.world.new_message(
            chat,
            self.world.bot_user,
            content,
            thread_id=thread_id,
            reply_to=reply_to,
            reply_markup=markup,
        )
        self.world.sent.append(copy.deepcopy(message))
        return copy.deepcopy(message)
