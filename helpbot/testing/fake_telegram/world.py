"""What the fake Telegram server knows: the world both the bot and the test users see.

Users, chats, every message (the ones users "type" through the builders and the ones
the bot sends through the API), forum topics, group membership, join requests, files
and callback queries. The Bot API methods and the update builders both work on one
``World``; neither owns it.

Where Telegram has a surprising rule that bots get wrong, the world follows it:

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
import itertools
import time
from collections.abc import Callable
from typing import Any

from helpbot.testing.fake_telegram.errors import CHAT_NOT_FOUND, THREAD_NOT_FOUND, ApiError
from helpbot.testing.fake_telegram.objects import (
    FORUM_ICON_COLORS,
    FakeChat,
    FakeFile,
    FakeUser,
    MemberState,
    normalise_status,
)

__all__ = ["ChatLike", "MessageLike", "World", "forum_topic_json"]

JSON = dict[str, Any]
ChatLike = FakeChat | FakeUser | int
#: A Message dict, an Update dict carrying one, or any object with ``to_dict()`` giving one
#: (a python-telegram-bot Message), so tests can pass what the bot API returned.
MessageLike = Any

_MESSAGE_UPDATE_KEYS = ("message", "edited_message", "channel_post", "edited_channel_post")


class World:
    """Registries, the message store, and Telegram's rules for placing a message."""

    def __init__(
        self,
        *,
        bot_user: JSON,
        clock: Callable[[], float] = time.time,
        closed_topic_error: str | None = THREAD_NOT_FOUND,
        require_start: bool = True,
    ) -> None:
        self.bot_user: JSON = bot_user
        #: Wall clock for message dates; tests may replace it (``tg.clock = ...``).
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
        #: Snapshots, at send time, of every message the bot sent, in order.
        self.sent: list[JSON] = []
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

    # --- time and ids ---------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock())

    def next_update_id(self) -> int:
        return next(self._update_ids)

    def next_message_id(self, chat_id: int) -> int:
        value = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = value
        return value

    def update(self, kind: str, payload: JSON) -> JSON:
        """An Update carrying ``payload`` under ``kind``, with the next update_id."""
        return {"update_id": self.next_update_id(), kind: payload}

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
        chat = self.chat(group)
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

    # --- forum topics ---------------------------------------------------------------------

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
        chat = self.chat(group)
        if not chat.is_forum:
            raise ValueError(f"chat {chat.id} is not a forum; use tg.group(..., forum=True)")
        creator_json = creator.to_dict() if creator else self.bot_user
        return self.create_topic(chat, name, icon_color, icon_custom_emoji_id, creator_json)

    def create_topic(
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
            thread_id = self.next_message_id(chat.id)
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

    # --- messages -------------------------------------------------------------------------

    def message(self, chat_id: int, message_id: int) -> JSON | None:
        """Current state of a live message (after edits), or None if unknown/deleted."""
        found = self.messages.get((chat_id, message_id))
        return copy.deepcopy(found) if found else None

    def is_deleted(self, chat_id: int, message_id: int) -> bool:
        return (chat_id, message_id) in self.deleted_messages

    def delete_message(self, key: tuple[int, int]) -> bool:
        if self.messages.pop(key, None) is None:
            return False
        self.deleted_messages.add(key)
        return True

    def current(self, value: MessageLike) -> JSON:
        """The stored state of a message given as dict, Update or PTB object."""
        message = _as_message(value)
        key = (message["chat"]["id"], message["message_id"])
        return self.messages.get(key, message)

    def new_message(
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
        message_id = self.next_message_id(chat.id)
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
                    raise ApiError(400, THREAD_NOT_FOUND)
                if topic["closed"] and sender_is_bot and self.closed_topic_error:
                    raise ApiError(400, self.closed_topic_error)
                fields["message_thread_id"] = thread_id
                fields["is_topic_message"] = True
                target = reply_to or self.messages.get((chat.id, thread_id))
                if target is not None:
                    fields["reply_to_message"] = _reply_copy(target)
                return fields
            if (chat.id, thread_id) not in self.messages:
                raise ApiError(400, THREAD_NOT_FOUND)
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

    # --- lookups --------------------------------------------------------------------------

    def chat(self, value: ChatLike) -> FakeChat:
        """A chat a test names (builders): unknown ids are a mistake in the test."""
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

    def find_chat(self, chat_id: Any) -> FakeChat:
        """A chat the bot names (API calls): unknown ids are Telegram's "chat not found"."""
        if isinstance(chat_id, str):
            if chat_id.startswith("@"):
                for chat in self.chats.values():
                    if chat.username and chat.username.lower() == chat_id[1:].lower():
                        return chat
            raise ApiError(400, CHAT_NOT_FOUND)
        if not isinstance(chat_id, int):
            raise ApiError(400, CHAT_NOT_FOUND)
        known = self.chats.get(chat_id)
        if known is not None:
            return known
        if chat_id > 0:
            user = self.users.get(chat_id)
            if user is None and not self.require_start:
                user = self.user(chat_id, f"User {chat_id}")
                self.started_users.add(chat_id)
            if user is not None:
                return self.private_chat(user)
        raise ApiError(400, CHAT_NOT_FOUND)


def _as_message(value: MessageLike) -> JSON:
    if not isinstance(value, dict) and callable(getattr(value, "to_dict", None)):
        value = value.to_dict()
    message: JSON = value
    for key in (*_MESSAGE_UPDATE_KEYS, "callback_query"):
        if key in value and "update_id" in value:
            message = value[key]["message"] if key == "callback_query" else value[key]
            break
    return message


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
