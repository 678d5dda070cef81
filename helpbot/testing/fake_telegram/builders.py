"""Update builders: what the test's users do, as the Update JSON Telegram would send.

Each builder records its effect in the world (the message exists, the user started
the bot, a join request is pending) and returns a real ``Update`` with the next
``update_id``. Handing it to the bot is ``FakeTelegram.deliver``'s job.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
from typing import Any

from helpbot.testing.fake_telegram.media import Media
from helpbot.testing.fake_telegram.objects import (
    FORUM_ICON_COLORS,
    FakeChat,
    FakeUser,
    MemberState,
    chat_member_json,
    normalise_status,
)
from helpbot.testing.fake_telegram.text import format_text
from helpbot.testing.fake_telegram.world import ChatLike, MessageLike, World

__all__ = ["UpdateBuilders"]

JSON = dict[str, Any]


def _stable_number(*parts: object, digits: int = 18) -> int:
    digest = hashlib.sha1(":".join(map(str, parts)).encode()).hexdigest()
    return int(int(digest, 16) % 10**digits)


class UpdateBuilders:
    """One method per thing a user can do; each returns an Update dict."""

    def __init__(self, world: World, media: Media) -> None:
        self.world = world
        self.media = media
        self._callback_ids = itertools.count(1)

    # --- messages -------------------------------------------------------------------------

    def private_message(self, /, user: FakeUser, text: str, **extra: Any) -> JSON:
        """The user writes to the bot privately (this also counts as starting the bot)."""
        return self._user_message(user, user, _text_content(text, extra), extra=_rest(extra))

    def group_message(
        self,
        /,
        group: ChatLike,
        user: FakeUser,
        text: str,
        reply_to: MessageLike | None = None,
        **extra: Any,
    ) -> JSON:
        """A user writes in a group (the General topic, if the group is a forum)."""
        return self._user_message(
            group, user, _text_content(text, extra), reply_to=reply_to, extra=_rest(extra)
        )

    def topic_message(
        self,
        /,
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
            _text_content(text, extra),
            thread_id=thread_id,
            reply_to=reply_to,
            extra=_rest(extra),
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
            text += "@" + self.world.bot_user["username"]
        if args:
            text += " " + args
        return self._user_message(chat, user, _text_content(text, {}), thread_id=thread_id)

    def sticker(
        self,
        /,
        chat: ChatLike,
        user: FakeUser,
        *,
        emoji: str = "👍",
        thread_id: int | None = None,
        reply_to: MessageLike | None = None,
        **extra: Any,
    ) -> JSON:
        body = {"sticker": self.media.sticker_object(emoji)}
        return self._user_message(
            chat, user, body, thread_id=thread_id, reply_to=reply_to, extra=extra
        )

    def photo(
        self,
        /,
        chat: ChatLike,
        user: FakeUser,
        caption: str | None = None,
        *,
        content: bytes | None = None,
        thread_id: int | None = None,
        reply_to: MessageLike | None = None,
        **extra: Any,
    ) -> JSON:
        body = _with_caption({"photo": self.media.photo_sizes(content)}, caption)
        return self._user_message(
            chat, user, body, thread_id=thread_id, reply_to=reply_to, extra=extra
        )

    def voice(
        self,
        /,
        chat: ChatLike,
        user: FakeUser,
        *,
        duration: int = 4,
        content: bytes | None = None,
        thread_id: int | None = None,
        reply_to: MessageLike | None = None,
        **extra: Any,
    ) -> JSON:
        body = {"voice": self.media.voice_object(duration, content)}
        return self._user_message(
            chat, user, body, thread_id=thread_id, reply_to=reply_to, extra=extra
        )

    def document(
        self,
        /,
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
        body = _with_caption(
            {"document": self.media.document_object(file_name, mime_type, content)}, caption
        )
        return self._user_message(
            chat, user, body, thread_id=thread_id, reply_to=reply_to, extra=extra
        )

    def edited_message(self, /, original_message: MessageLike, new_text: str, **extra: Any) -> JSON:
        """The user edits an earlier message (text, or caption for media)."""
        current = self.world.current(original_message)
        edited = copy.deepcopy(current)
        field, entities_field = (
            ("text", "entities") if "text" in edited else ("caption", "caption_entities")
        )
        text, entities = format_text(new_text)
        edited[field] = text
        edited.pop(entities_field, None)
        if entities:
            edited[entities_field] = entities
        edited["edit_date"] = max(self.world.now(), current["date"] + 1)
        edited.update(extra)
        self.world.messages[(edited["chat"]["id"], edited["message_id"])] = edited
        return self.world.update("edited_message", copy.deepcopy(edited))

    # --- requests, buttons, membership ----------------------------------------------------

    def join_request(
        self,
        group: ChatLike,
        user: FakeUser,
        bio: str | None = None,
        *,
        invite_link: JSON | None = None,
    ) -> JSON:
        """The user asks to join a group (pending until approve/declineChatJoinRequest)."""
        world = self.world
        world.users.setdefault(user.id, user)
        chat = world.chat(group)
        request: JSON = {
            "chat": chat.to_dict(),
            "from": user.to_dict(),
            "user_chat_id": user.id,
            "date": world.now(),
        }
        if bio:
            request["bio"] = bio
        if invite_link:
            request["invite_link"] = invite_link
        world.join_requests[(chat.id, user.id)] = "pending"
        # A join request opens a 5-minute window in which the bot may message the user.
        world.start_user(user)
        return world.update("chat_join_request", request)

    def callback(self, /, user: FakeUser, message: MessageLike, data: str, **extra: Any) -> JSON:
        """The user presses an inline button on ``message`` (often one the bot sent)."""
        self.world.users.setdefault(user.id, user)
        current = copy.deepcopy(self.world.current(message))
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
        self.world.callback_queries[query_id] = query
        return self.world.update("callback_query", query)

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
        self.world.users.setdefault(user.id, user)
        chat = self.world.chat(group)
        update = self._member_update(
            chat, user.to_dict(), (actor or user).to_dict(), old_status, new_status, until_date
        )
        if via_join_request is not None:
            update["via_join_request"] = via_join_request
        if invite_link:
            update["invite_link"] = invite_link
        self.world.members.setdefault(chat.id, {})[user.id] = MemberState(
            normalise_status(new_status), until_date=until_date
        )
        return self.world.update("chat_member", update)

    def my_chat_member_update(
        self, chat: ChatLike, actor: FakeUser, old_status: str, new_status: str
    ) -> JSON:
        """The bot's own membership changed (added to a group, kicked, user blocked it)."""
        world = self.world
        target = world.chat(chat)
        update = self._member_update(
            target, world.bot_user, actor.to_dict(), old_status, new_status, 0
        )
        status = normalise_status(new_status)
        if target.is_private:
            if status == "kicked":
                world.blocked_users.add(target.id)
            else:
                world.blocked_users.discard(target.id)
        else:
            world.members.setdefault(target.id, {})[world.bot_user["id"]] = MemberState(status)
        return world.update("my_chat_member", update)

    def raw_update(
        self, data: JSON | str | bytes, *, assign_update_id: bool = False
    ) -> JSON | str | bytes:
        """Anything at all, to test how the bot copes; delivered untouched by ``deliver``."""
        if assign_update_id and isinstance(data, dict) and "update_id" not in data:
            data = {"update_id": self.world.next_update_id(), **data}
        return data

    # --- shared ---------------------------------------------------------------------------

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
        world = self.world
        world.users.setdefault(user.id, user)
        chat = world.chat(chat_like)
        if chat.is_private:
            if chat.id != user.id:
                raise ValueError("in a private chat only its own user can write")
            world.started_users.add(user.id)
        else:
            self._touch_member(chat, user)
            if thread_id and chat.is_forum:
                self._ensure_topic(chat, thread_id)
        target = world.current(reply_to) if reply_to is not None else None
        message = world.new_message(
            chat, user.to_dict(), content, thread_id=thread_id, reply_to=target, extra=extra
        )
        return world.update("message", copy.deepcopy(message))

    def _touch_member(self, chat: FakeChat, user: FakeUser) -> None:
        members = self.world.members.setdefault(chat.id, {})
        state = members.get(user.id)
        if state is not None and state.status == "kicked":
            raise ValueError(f"user {user.id} is banned from chat {chat.id} and cannot post")
        if state is None or state.status == "left":
            members[user.id] = MemberState("member")

    def _ensure_topic(self, chat: FakeChat, thread_id: int) -> None:
        world = self.world
        if thread_id in world.topics.get(chat.id, {}):
            return
        if thread_id in world.deleted_topics.get(chat.id, set()):
            raise ValueError(f"topic {thread_id} in chat {chat.id} was deleted")
        # A topic the test never created: register it under the id the test used.
        world.create_topic(
            chat, f"Topic {thread_id}", FORUM_ICON_COLORS[0], None, world.bot_user, thread_id
        )

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
            "date": self.world.now(),
            "old_chat_member": _member_json(user, old_status),
            "new_chat_member": _member_json(user, new_status, until_date),
        }


def _member_json(user: JSON, status: str, until_date: int = 0) -> JSON:
    state = MemberState(normalise_status(status), until_date=until_date)
    if state.status == "restricted":
        state.permissions = {"can_send_messages": False}
    return chat_member_json(user, state)


def _text_content(text: str, extra: JSON) -> JSON:
    """Text as a user's client sends it: entities given, or detected by the server."""
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


def _rest(extra: JSON) -> JSON:
    return {k: v for k, v in extra.items() if k != "entities"}


def _with_caption(content: JSON, caption: str | None) -> JSON:
    if caption:
        text, entities = format_text(caption)
        content["caption"] = text
        if entities:
            content["caption_entities"] = entities
    return content
