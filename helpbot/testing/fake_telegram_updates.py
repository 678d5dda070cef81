"""What the fake Telegram server knows, and the builders tests use to play users.

``TelegramState`` holds the world both sides see: users, chats, every message (the
ones users "type" through the builders and the ones the bot sends through the API),
forum topics, group membership, join requests, files and callback queries. The
builders return real ``Update`` JSON with increasing ``update_id``; delivering it is
``FakeTelegram.deliver``'s job.

Where Telegram has a surprising rule that bots get wrong, the fake follows it:

* a forum topic's ``message_thread_id`` is the id of its ``forum_topic_created``
  service message, and a topic message that replies to nothing carries that service
  message as ``reply_to_message``;
* in a supergroup a reply outside any topic carries ``message_thread_id`` (the reply
  thread's root) *without* ``is_topic_message``; sending to that id in a forum fails
  with "message thread not found";
* ``reply_to_message`` never nests a further ``reply_to_message``.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import time
from collections.abc import Callable
from typing import Any

from helpbot.testing.fake_telegram_objects import (
    FORUM_ICON_COLORS,
    FakeChat,
    FakeFile,
    FakeUser,
    MemberState,
    chat_member_json,
    normalise_status,
)
from helpbot.testing.fake_telegram_text import format_text

__all__ = ["CONTENT_KEYS", "ApiError", "TelegramState", "document_json", "forum_topic_json"]

JSON = dict[str, Any]
ChatLike = FakeChat | FakeUser | int
#: A Message dict, an Update dict carrying one, or any object with ``to_dict()`` giving one
#: (a python-telegram-bot Message), so tests can pass what the bot API returned.
MessageLike = Any

_THREAD_NOT_FOUND = "Bad Request: message thread not found"
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
_MESSAGE_UPDATE_KEYS = ("message", "edited_message", "channel_post", "edited_channel_post")
_FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"fake photo bytes" * 8 + b"\xff\xd9"


class ApiError(Exception):
    """A Bot API error answer: ``{"ok": false, "error_code": status, "description": ...}``."""

    def __init__(self, status: int, description: str, parameters: JSON | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def payload(self) -> JSON:
        body: JSON = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def _stable_number(*parts: object, digits: int = 18) -> int:
    digest = hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()
    return int(digest, 16) % 10**digits


class TelegramState:
    """The fake's world: registries, message store and the Update builders."""

    def __init__(
        self,
        *,
        bot_user: JSON,
        clock: Callable[[], float] = time.time,
        closed_topic_error: str | None = _THREAD_NOT_FOUND,
        require_start: bool = True,
    ) -> None:
        self.bot_user: JSON = bot_user
        self.clock = clock
        #: Description of the 400 for bot sends into a closed topic; None lets them through
        #: (real Telegram lets an admin bot post in a closed topic; non-admins get TOPIC_CLOSED).
        self.closed_topic_error = closed_topic_error
        #: True: the bot may only message users who have written to it (Telegram's rule).
        self.require_start = require_start

        self.users: dict[int, FakeUser] = {}
        self.chats: dict[int, FakeChat] = {}
        #: Current state (after edits) of every live message, by (chat_id, message_id).
        self.messages: dict[tuple[int, int], JSON] = {}
        self.deleted_messages: set[tuple[int, int]] = set()
        #: chat_id -> {message_thread_id: {"message_thread_id", "name", "icon_color",
        #: "icon_custom_emoji_id"?, "closed": bool, "creator_id": int}}
        self.topics: dict[int, dict[int, JSON]] = {}
        self.deleted_topics: dict[int, set[int]] = {}
        self.members: dict[int, dict[int, MemberState]] = {}
        #: (chat_id, user_id) -> "pending" | "approved" | "declined"
        self.join_requests: dict[tuple[int, int], str] = {}
        self.started_users: set[int] = set()
        #: Users who blocked the bot: sends to them get 403 "bot was blocked by the user".
        self.blocked_users: set[int] = set()
        self.files: dict[str, FakeFile] = {}
        self.callback_queries: dict[str, JSON] = {}
        #: callback_query_id -> the answerCallbackQuery parameters.
        self.callback_answers: dict[str, JSON] = {}

        self._last_message_id: dict[int, int] = {}
        self._update_ids = itertools.count(700_000_001)
        self._callback_ids = itertools.count(1)

    # --- time and ids ---------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock())

    def _next_update_id(self) -> int:
        return next(self._update_ids)

    def _next_message_id(self, chat_id: int) -> int:
        value = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = value
        return value

    def _update(self, kind: str, payload: JSON) -> JSON:
        return {"update_id": self._next_update_id(), kind: payload}

    # --- people and places ----------------------------------------------------------------

    def user(
        self,
        id: int,
        first_name: str,
        username: str | None = None,
        last_name: str | None = None,
        *,
        language_code: str | None = "en",
        is_bot: bool = False,
    ) -> FakeUser:
        """Register (or update) a user the test will play."""
        if id <= 0:
            raise ValueError("Telegram user ids are positive")
        user = FakeUser(id, first_name, username, last_name, language_code, is_bot)
        self.users[id] = user
        return user

    def private_chat(self, user: FakeUser) -> FakeChat:
        """The user's private chat with the bot (registering it does not 'start' the bot)."""
        self.users.setdefault(user.id, user)
        chat = self.chats.get(user.id) or FakeChat.private(user)
        self.chats[user.id] = chat
        return chat

    def start_user(self, user: FakeUser) -> None:
        """Mark the user as having started the bot, without sending an update."""
        self.private_chat(user)
        self.started_users.add(user.id)

    def group(
        self,
        id: int,
        title: str,
        forum: bool = False,
        *,
        username: str | None = None,
        owner: FakeUser | None = None,
        supergroup: bool = True,
    ) -> FakeChat:
        """A supergroup (``forum=True`` for the staff group with topics); the bot is an admin."""
        if id >= 0:
            raise ValueError("group chat ids are negative (supergroups look like -100...)")
        if forum and not supergroup:
            raise ValueError("only supergroups can be forums")
        chat = FakeChat(
            id=id,
            type="supergroup" if supergroup else "group",
            title=title,
            username=username,
            is_forum=forum,
        )
        self.chats[id] = chat
        # Id 1 is the General topic's root in a forum; real topics and messages come later.
        self._last_message_id.setdefault(id, 1)
        members = self.members.setdefault(id, {})
        members.setdefault(self.bot_user["id"], MemberState("administrator"))
        if owner is not None:
            self.users.setdefault(owner.id, owner)
            members[owner.id] = MemberState("creator")
        self.topics.setdefault(id, {})
        return chat

    def set_member(
        self,
        group: ChatLike,
        user: FakeUser | int,
        status: str,
        *,
        until_date: int = 0,
        custom_title: str | None = None,
        permissions: dict[str, bool] | None = None,
        rights: dict[str, bool] | None = None,
    ) -> None:
        """Set a user's (or the bot's, by id) membership by hand, e.g. to make staff admins."""
        chat = self._chat(group)
        user_id = user if isinstance(user, int) else user.id
        if isinstance(user, FakeUser):
            self.users.setdefault(user.id, user)
        self.members.setdefault(chat.id, {})[user_id] = MemberState(
            normalise_status(status),
            until_date=until_date,
            custom_title=custom_title,
            permissions=dict(permissions or {}),
            rights=dict(rights or {}),
        )

    def member_status(self, chat_id: int, user_id: int) -> str:
        """The tracked status string ("left" when the fake knows nothing)."""
        state = self.members.get(chat_id, {}).get(user_id)
        return state.status if state else "left"

    def join_request_status(self, chat_id: int, user_id: int) -> str | None:
        return self.join_requests.get((chat_id, user_id))

    def topic(
        self,
        group: ChatLike,
        name: str,
        *,
        icon_color: int = FORUM_ICON_COLORS[0],
        icon_custom_emoji_id: str | None = None,
        creator: FakeUser | None = None,
    ) -> JSON:
        """Create a forum topic by hand (as staff would); returns the ForumTopic object."""
        chat = self._chat(group)
        if not chat.is_forum:
            raise ValueError(f"chat {chat.id} is not a forum; use tg.group(..., forum=True)")
        creator_json = creator.to_dict() if creator else self.bot_user
        return self._create_topic(chat, name, icon_color, icon_custom_emoji_id, creator_json)

    def _create_topic(
        self,
        chat: FakeChat,
        name: str,
        icon_color: int,
        icon_custom_emoji_id: str | None,
        creator: JSON,
        thread_id: int | None = None,
    ) -> JSON:
        if thread_id is None:
            # Telegram: the thread id is the id of the forum_topic_created service message.
            thread_id = self._next_message_id(chat.id)
        else:
            last = self._last_message_id.get(chat.id, 0)
            self._last_message_id[chat.id] = max(last, thread_id)
        created: JSON = {"name": name, "icon_color": icon_color}
        if icon_custom_emoji_id:
            created["icon_custom_emoji_id"] = icon_custom_emoji_id
        root = {
            "message_id": thread_id,
            "message_thread_id": thread_id,
            "from": creator,
            "chat": chat.to_dict(),
            "date": self.now(),
            "forum_topic_created": created,
            "is_topic_message": True,
        }
        self.messages.setdefault((chat.id, thread_id), root)
        record: JSON = {
            "message_thread_id": thread_id,
            **created,
            "closed": False,
            "creator_id": creator["id"],
        }
        self.topics.setdefault(chat.id, {})[thread_id] = record
        return forum_topic_json(record)

    def delete_topic_by_hand(self, chat_id: int, thread_id: int) -> None:
        """A human deletes the topic: it and all its messages vanish, with no update sent."""
        topic = self.topics.get(chat_id, {}).pop(thread_id, None)
        if topic is None:
            raise KeyError(f"no live topic {thread_id} in chat {chat_id}")
        self.deleted_topics.setdefault(chat_id, set()).add(thread_id)
        for key, message in list(self.messages.items()):
            if key[0] == chat_id and message.get("message_thread_id") == thread_id:
                if message.get("is_topic_message"):
                    del self.messages[key]
                    self.deleted_messages.add(key)

    def close_topic_by_hand(self, chat_id: int, thread_id: int, *, closed: bool = True) -> None:
        """A human closes (or reopens) the topic."""
        self.topics[chat_id][thread_id]["closed"] = closed

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """Current state of a live message (after edits), or None if unknown/deleted."""
        found = self.messages.get((chat_id, message_id))
        return copy.deepcopy(found) if found else None

    def is_deleted(self, chat_id: int, message_id: int) -> bool:
        return (chat_id, message_id) in self.deleted_messages

    # --- lookups --------------------------------------------------------------------------

    def _chat(self, value: ChatLike) -> FakeChat:
        if isinstance(value, FakeChat):
            self.chats.setdefault(value.id, value)
            return self.chats[value.id]
        if isinstance(value, FakeUser):
            return self.private_chat(value)
        if value in self.chats:
            return self.chats[value]
        raise KeyError(
            f"unknown chat {value}; create it with tg.group(...) or tg.private_chat(...)"
        )

    @staticmethod
    def _as_message(value: MessageLike) -> JSON:
        if not isinstance(value, dict) and callable(getattr(value, "to_dict", None)):
            value = value.to_dict()
        for key in (*_MESSAGE_UPDATE_KEYS, "callback_query"):
            if key in value and "update_id" in value:
                inner = value[key]
                return inner["message"] if key == "callback_query" else inner
        return value

    def _current(self, value: MessageLike) -> JSON:
        message = self._as_message(value)
        key = (message["chat"]["id"], message["message_id"])
        return self.messages.get(key, message)

    # --- building messages (shared by builders and API methods) ---------------------------

    def _place(
        self,
        chat: FakeChat,
        thread_id: int | None,
        reply_to: JSON | None,
        *,
        sender_is_bot: bool,
    ) -> JSON:
        """message_thread_id / is_topic_message / reply_to_message, as Telegram sets them."""
        fields: JSON = {}
        if chat.type != "supergroup":
            if reply_to is not None:
                fields["reply_to_message"] = _reply_copy(reply_to)
            return fields
        if thread_id:
            if chat.is_forum:
                topic = self.topics.get(chat.id, {}).get(thread_id)
                if topic is None:
                    raise ApiError(400, _THREAD_NOT_FOUND)
                if topic["closed"] and sender_is_bot and self.closed_topic_error:
                    raise ApiError(400, self.closed_topic_error)
                fields["message_thread_id"] = thread_id
                fields["is_topic_message"] = True
                target = reply_to or self.messages.get((chat.id, thread_id))
                if target is not None:
                    fields["reply_to_message"] = _reply_copy(target)
                return fields
            if (chat.id, thread_id) not in self.messages:
                raise ApiError(400, _THREAD_NOT_FOUND)
            fields["message_thread_id"] = thread_id
        if reply_to is not None:
            fields["reply_to_message"] = _reply_copy(reply_to)
            if reply_to.get("is_topic_message"):
                fields["message_thread_id"] = reply_to["message_thread_id"]
                fields["is_topic_message"] = True
            elif "message_thread_id" not in fields:
                fields["message_thread_id"] = reply_to.get(
                    "message_thread_id", reply_to["message_id"]
                )
        return fields

    def _new_message(
        self,
        chat: FakeChat,
        sender: JSON,
        content: JSON,
        *,
        thread_id: int | None = None,
        reply_to: JSON | None = None,
        reply_markup: JSON | None = None,
        extra: JSON | None = None,
    ) -> JSON:
        """Allocate an id, place the message in its thread and store it."""
        placement = self._place(
            chat, thread_id, reply_to, sender_is_bot=sender["id"] == self.bot_user["id"]
        )
        message_id = self._next_message_id(chat.id)
        message: JSON = {"message_id": message_id}
        if "message_thread_id" in placement:
            message["message_thread_id"] = placement["message_thread_id"]
        message["from"] = sender
        message["chat"] = chat.to_dict()
        message["date"] = self.now()
        if placement.get("is_topic_message"):
            message["is_topic_message"] = True
        if "reply_to_message" in placement:
            message["reply_to_message"] = placement["reply_to_message"]
        message.update(content)
        if reply_markup is not None:
            message["reply_markup"] = reply_markup
        if extra:
            message.update(extra)
        self.messages[(chat.id, message_id)] = message
        return message

    # --- update builders: what users do ---------------------------------------------------

    def _user_message(
        self,
        chat_like: ChatLike,
        user: FakeUser,
        content: JSON,
        *,
        thread_id: int | None = None,
        reply_to: MessageLike | None = None,
        extra: JSON | None = None,
    ) -> JSON:
        self.users.setdefault(user.id, user)
        chat = self._chat(chat_like)
        if chat.is_private:
            if chat.id != user.id:
                raise ValueError("in a private chat only its own user can write")
            self.started_users.add(user.id)
        else:
            self._touch_member(chat, user)
            if thread_id and chat.is_forum:
                self._ensure_topic(chat, thread_id)
        target = self._current(reply_to) if reply_to is not None else None
        message = self._new_message(
            chat, user.to_dict(), content, thread_id=thread_id, reply_to=target, extra=extra
        )
        return self._update("message", copy.deepcopy(message))

    def _touch_member(self, chat: FakeChat, user: FakeUser) -> None:
        members = self.members.setdefault(chat.id, {})
        state = members.get(user.id)
        if state is not None and state.status == "kicked":
            raise ValueError(f"user {user.id} is banned from chat {chat.id} and cannot post")
        if state is None or state.status == "left":
            members[user.id] = MemberState("member")

    def _ensure_topic(self, chat: FakeChat, thread_id: int) -> None:
        if thread_id in self.topics.get(chat.id, {}):
            return
        if thread_id in self.deleted_topics.get(chat.id, set()):
            raise ValueError(f"topic {thread_id} in chat {chat.id} was deleted")
        # A topic the test never created: register it under the id the test used.
        self._create_topic(
            chat, f"Topic {thread_id}", FORUM_ICON_COLORS[0], None, self.bot_user, thread_id
        )

    @staticmethod
    def _text_content(text: str, extra: JSON) -> JSON:
        if "entities" in extra:
            content: JSON = {"text": text}
            if extra["entities"]:
                content["entities"] = extra["entities"]
            return content
        plain, entities = format_text(text) if text.strip() else (text, [])
        content = {"text": plain}
        if entities:
            content["entities"] = entities
        return content

    @staticmethod
    def _split_extra(extra: JSON) -> JSON:
        return {k: v for k, v in extra.items() if k != "entities"}

    def private_message(self, user: FakeUser, text: str, **extra: Any) -> JSON:
        """The user writes to the bot privately (this also counts as starting the bot)."""
        return self._user_message(
            user, user, self._text_content(text, extra), extra=self._split_extra(extra)
        )

    def group_message(
        self,
        group: ChatLike,
        user: FakeUser,
        text: str,
        reply_to: MessageLike | None = None,
        **extra: Any,
    ) -> JSON:
        """A user writes in a group (the General topic, if the group is a forum)."""
        return self._user_message(
            group,
            user,
            self._text_content(text, extra),
            reply_to=reply_to,
            extra=self._split_extra(extra),
        )

    def topic_message(
        self,
        group: ChatLike,
        thread_id: int,
        user: FakeUser,
        text: str,
        reply_to: MessageLike | None = None,
        **extra: Any,
    ) -> JSON:
        """A user writes in a forum topic (is_topic_message, message_thread_id set)."""
        return self._user_message(
            group,
            user,
            self._text_content(text, extra),
            thread_id=thread_id,
            reply_to=reply_to,
            extra=self._split_extra(extra),
        )

    def command(
        self,
        chat: ChatLike,
        user: FakeUser,
        command: str,
        args: str = "",
        *,
        mention_bot: bool = False,
        thread_id: int | None = None,
    ) -> JSON:
        """``/command[@bot] args`` in any chat; carries the bot_command entity."""
        text = "/" + command.lstrip("/")
        if mention_bot:
            text += "@" + self.bot_user["username"]
        if args:
            text += " " + args
        return self._user_message(chat, user, self._text_content(text, {}), thread_id=thread_id)

    def _register_file(
        self,
        kind: str,
        content: bytes,
        extension: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> FakeFile:
        fake = FakeFile(kind, content, extension, file_name=file_name, mime_type=mime_type)
        self.files[fake.file_id] = fake
        return fake

    def photo_sizes(self, content: bytes | None = None) -> list[JSON]:
        """A PhotoSize array (small to large), each size a distinct file, as Telegram sends."""
        data = content or _FAKE_JPEG
        sizes = []
        for width, height in ((90, 68), (320, 240), (1280, 960)):
            fake = self._register_file("photos", data, "jpg")
            sizes.append(fake.photo_size(width, height))
        return sizes

    def sticker_object(self, emoji: str = "👍") -> JSON:
        fake = self._register_file("stickers", b"RIFF fake webp sticker", "webp")
        thumb = self._register_file("thumbnails", _FAKE_JPEG, "jpg")
        return {
            "file_id": fake.file_id,
            "file_unique_id": fake.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "thumbnail": thumb.photo_size(128, 128),
            "emoji": emoji,
            "set_name": "ShalHelpStickers",
            "file_size": fake.size,
        }

    def voice_object(self, duration: int = 4, content: bytes | None = None) -> JSON:
        fake = self._register_file(
            "voice", content or b"OggS fake voice", "oga", mime_type="audio/ogg"
        )
        return {
            "file_id": fake.file_id,
            "file_unique_id": fake.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": fake.size,
        }

    def document_object(self, file_name: str, mime_type: str, content: bytes | None = None) -> JSON:
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        fake = self._register_file(
            "documents",
            content or b"%PDF-1.4 fake document",
            extension,
            file_name=file_name,
            mime_type=mime_type,
        )
        return document_json(fake)

    def _with_caption(self, content: JSON, caption: str | None) -> JSON:
        if caption:
            text, entities = format_text(caption)
            content["caption"] = text
            if entities:
                content["caption_entities"] = entities
        return content

    def sticker(
        self,
        chat: ChatLike,
        user: FakeUser,
        *,
        emoji: str = "👍",
        thread_id: int | None = None,
        reply_to: MessageLike | None = None,
        **extra: Any,
    ) -> JSON:
        return self._user_message(
            chat,
            user,
            {"sticker": self.sticker_object(emoji)},
            thread_id=thread_id,
            reply_to=reply_to,
            extra=extra,
        )

    def photo(
        self,
        chat: ChatLike,
        user: FakeUser,
        caption: str | None = None,
        *,
        content: bytes | None = None,
        thread_id: int | None = None,
        reply_to: MessageLike | None = None,
        **extra: Any,
    ) -> JSON:
        body = self._with_caption({"photo": self.photo_sizes(content)}, caption)
        return self._user_message(
            chat, user, body, thread_id=thread_id, reply_to=reply_to, extra=extra
        )

    def voice(
        self,
        chat: ChatLike,
        user: FakeUser,
        *,
        duration: int = 4,
        content: bytes | None = None,
        thread_id: int | None = None,
        reply_to: MessageLike | None = None,
        **extra: Any,
    ) -> JSON:
        return self._user_message(
            chat,
            user,
            {"voice": self.voice_object(duration, content)},
            thread_id=thread_id,
            reply_to=reply_to,
            extra=extra,
        )

    def document(
        self,
        chat: ChatLike,
        user: FakeUser,
        *,
        file_name: str = "tenancy-letter.pdf",
        mime_type: str = "application/pdf",
        caption: str | None = None,
        content: bytes | None = None,
        thread_id: int | None = None,
        reply_to: MessageLike | None = None,
        **extra: Any,
    ) -> JSON:
        body = self._with_caption(
            {"document": self.document_object(file_name, mime_type, content)}, caption
        )
        return self._user_message(
            chat, user, body, thread_id=thread_id, reply_to=reply_to, extra=extra
        )

    def edited_message(self, original_message: MessageLike, new_text: str, **extra: Any) -> JSON:
        """The user edits an earlier message (text, or caption for media)."""
        current = self._current(original_message)
        edited = copy.deepcopy(current)
        field, entities_field = (
            ("text", "entities")
            if "text" in edited
            else (
                "caption",
                "caption_entities",
            )
        )
        text, entities = format_text(new_text)
        edited[field] = text
        edited.pop(entities_field, None)
        if entities:
            edited[entities_field] = entities
        edited["edit_date"] = max(self.now(), current["date"] + 1)
        edited.update(extra)
        self.messages[(edited["chat"]["id"], edited["message_id"])] = edited
        return self._update("edited_message", copy.deepcopy(edited))

    def join_request(
        self,
        group: ChatLike,
        user: FakeUser,
        bio: str | None = None,
        *,
        invite_link: JSON | None = None,
    ) -> JSON:
        """The user asks to join a group (pending until approve/declineChatJoinRequest)."""
        self.users.setdefault(user.id, user)
        chat = self._chat(group)
        request: JSON = {
            "chat": chat.to_dict(),
            "from": user.to_dict(),
            "user_chat_id": user.id,
            "date": self.now(),
        }
        if bio:
            request["bio"] = bio
        if invite_link:
            request["invite_link"] = invite_link
        self.join_requests[(chat.id, user.id)] = "pending"
        # A join request opens a 5-minute window in which the bot may message the user.
        self.private_chat(user)
        self.started_users.add(user.id)
        return self._update("chat_join_request", request)

    def callback(self, user: FakeUser, message: MessageLike, data: str, **extra: Any) -> JSON:
        """The user presses an inline button on ``message`` (often one the bot sent)."""
        self.users.setdefault(user.id, user)
        current = copy.deepcopy(self._current(message))
        chat_id = current["chat"]["id"]
        query_id = str(_stable_number(user.id, next(self._callback_ids), digits=19))
        query: JSON = {
            "id": query_id,
            "from": user.to_dict(),
            "message": current,
            "chat_instance": str(-_stable_number("chat_instance", chat_id, digits=19)),
            "data": data,
        }
        query.update(extra)
        self.callback_queries[query_id] = query
        return self._update("callback_query", query)

    def _member_json(
        self, user: JSON, status: str, until_date: int = 0, custom_title: str | None = None
    ) -> JSON:
        state = MemberState(normalise_status(status), until_date=until_date)
        state.custom_title = custom_title
        if state.status == "restricted":
            state.permissions = {"can_send_messages": False}
        return chat_member_json(user, state)

    def chat_member_update(
        self,
        group: ChatLike,
        user: FakeUser,
        old_status: str,
        new_status: str,
        *,
        actor: FakeUser | None = None,
        until_date: int = 0,
        via_join_request: bool | None = None,
        invite_link: JSON | None = None,
    ) -> JSON:
        """A ``chat_member`` update (someone joined, left, was banned...); tracks the status."""
        self.users.setdefault(user.id, user)
        chat = self._chat(group)
        update = self._member_update(
            chat, user.to_dict(), (actor or user).to_dict(), old_status, new_status, until_date
        )
        if via_join_request is not None:
            update["via_join_request"] = via_join_request
        if invite_link:
            update["invite_link"] = invite_link
        self.members.setdefault(chat.id, {})[user.id] = MemberState(
            normalise_status(new_status), until_date=until_date
        )
        return self._update("chat_member", update)

    def my_chat_member_update(
        self, chat: ChatLike, actor: FakeUser, old_status: str, new_status: str
    ) -> JSON:
        """The bot's own membership changed (added to a group, kicked, user blocked it)."""
        target = self._chat(chat)
        update = self._member_update(
            target, self.bot_user, actor.to_dict(), old_status, new_status, 0
        )
        status = normalise_status(new_status)
        if target.is_private:
            if status == "kicked":
                self.blocked_users.add(target.id)
            else:
                self.blocked_users.discard(target.id)
        else:
            self.members.setdefault(target.id, {})[self.bot_user["id"]] = MemberState(status)
        return self._update("my_chat_member", update)

    def _member_update(
        self,
        chat: FakeChat,
        user: JSON,
        actor: JSON,
        old_status: str,
        new_status: str,
        until_date: int,
    ) -> JSON:
        return {
            "chat": chat.to_dict(),
            "from": actor,
            "date": self.now(),
            "old_chat_member": self._member_json(user, old_status),
            "new_chat_member": self._member_json(user, new_status, until_date),
        }

    def raw_update(
        self, data: JSON | str | bytes, *, assign_update_id: bool = False
    ) -> JSON | str | bytes:
        """Anything at all, to test how the bot copes; delivered untouched by ``deliver``."""
        if assign_update_id and isinstance(data, dict) and "update_id" not in data:
            data = {"update_id": self._next_update_id(), **data}
        return data


def _reply_copy(message: JSON) -> JSON:
    """reply_to_message never contains a further reply_to_message."""
    nested = copy.deepcopy(message)
    nested.pop("reply_to_message", None)
    return nested


def forum_topic_json(record: JSON) -> JSON:
    """The Bot API ``ForumTopic`` object for a tracked topic."""
    topic: JSON = {
        "message_thread_id": record["message_thread_id"],
        "name": record["name"],
        "icon_color": record["icon_color"],
    }
    if record.get("icon_custom_emoji_id"):
        topic["icon_custom_emoji_id"] = record["icon_custom_emoji_id"]
    return topic


def document_json(fake: FakeFile) -> JSON:
    document: JSON = {"file_id": fake.file_id, "file_unique_id": fake.file_unique_id}
    if fake.file_name:
        document["file_name"] = fake.file_name
    if fake.mime_type:
        document["mime_type"] = fake.mime_type
    document["file_size"] = fake.size
    return document
