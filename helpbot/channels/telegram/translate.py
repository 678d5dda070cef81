"""Telegram Update -> Inbound. Pure translation: what happened, never what to do about it."""

from __future__ import annotations

from dataclasses import dataclass

from telegram import Chat, Message, MessageEntity, Update, User

from helpbot.desk.events import ChatKind, ChatRef, Content, Inbound, Person

CHANNEL = "telegram"


@dataclass(frozen=True, slots=True)
class ChatDirectory:
    """Which Telegram chats are which, from settings."""

    bot_id: int
    bot_username: str
    staff_group_id: int | None = None
    community_group_ids: tuple[int, ...] = ()

    def kind(self, chat: Chat) -> ChatKind:
        if chat.type == Chat.PRIVATE:
            return ChatKind.PRIVATE
        if self.staff_group_id is not None and chat.id == self.staff_group_id:
            return ChatKind.STAFF
        if chat.type in (Chat.GROUP, Chat.SUPERGROUP):
            # Only the listed groups: with no list, a group that adds the bot is not
            # served (safe default; start-up says what to set).
            if chat.id in self.community_group_ids:
                return ChatKind.COMMUNITY
        return ChatKind.OTHER


def person(user: User) -> Person:
    return Person(
        channel=CHANNEL,
        external_id=str(user.id),
        first_name=user.first_name or "",
        username=user.username,
        is_bot=user.is_bot,
    )


def chat_ref(chat: Chat, directory: ChatDirectory, thread_id: int | None = None) -> ChatRef:
    return ChatRef(
        channel=CHANNEL,
        external_id=str(chat.id),
        kind=directory.kind(chat),
        title=chat.title,
        thread_id=thread_id,
    )


def _content(message: Message) -> Content:
    if message.text is not None:
        first = message.entities[0] if message.entities else None
        if first is not None and first.type == MessageEntity.BOT_COMMAND and first.offset == 0:
            return Content.COMMAND
        return Content.TEXT
    if message.sticker:
        return Content.STICKER
    if message.photo:
        return Content.PHOTO
    if message.voice or message.audio or message.video_note:
        return Content.VOICE
    if message.document:
        return Content.DOCUMENT
    if message.video or message.animation:
        return Content.VIDEO
    if message.location or message.venue:
        return Content.LOCATION
    if message.contact:
        return Content.CONTACT
    return Content.OTHER


def _command(message: Message, bot_username: str) -> tuple[str, str] | None:
    """Command name and arguments; None when it is addressed to another bot."""
    text = message.text or ""
    entity = message.entities[0]
    word = text[1 : entity.length]
    name, _, target = word.partition("@")
    if target and target.lower() != bot_username.lower():
        return None
    return name.lower(), text[entity.length :].strip()


def _mentions(message: Message) -> tuple[str, ...]:
    found: list[str] = []
    for entity, value in message.parse_entities([MessageEntity.MENTION]).items():
        del entity
        found.append(value.lstrip("@").lower())
    for entity in message.entities or ():
        if entity.type == MessageEntity.TEXT_MENTION and entity.user:
            found.append(str(entity.user.id))
    return tuple(found)


def _has_link(message: Message) -> bool:
    entities = (*(message.entities or ()), *(message.caption_entities or ()))
    return any(e.type in (MessageEntity.URL, MessageEntity.TEXT_LINK) for e in entities)


def _thread_id(message: Message) -> int | None:
    return message.message_thread_id if message.is_topic_message else None


def inbound(update: Update, directory: ChatDirectory) -> Inbound | None:
    """The Inbound event for an update, or None for updates the desk has no use for."""
    key = str(update.update_id)
    message = update.message or update.edited_message
    if message is not None and message.from_user is not None:
        content = _content(message)
        command: tuple[str, str] | None = None
        if content is Content.COMMAND:
            command = _command(message, directory.bot_username)
            if command is None:
                return None
        mentions = _mentions(message) if content in (Content.TEXT, Content.COMMAND) else ()
        reply = message.reply_to_message
        replied_to_bot = bool(reply and reply.from_user and reply.from_user.id == directory.bot_id)
        return Inbound(
            chat=chat_ref(message.chat, directory, _thread_id(message)),
            sender=person(message.from_user),
            content=content,
            text=message.text if message.text is not None else (message.caption or ""),
            message_id=str(message.message_id),
            reply_to_message_id=str(reply.message_id) if reply else None,
            reply_to_sender_id=str(reply.from_user.id) if reply and reply.from_user else None,
            mentions=mentions,
            has_link=_has_link(message),
            addressed_to_bot=replied_to_bot or directory.bot_username.lower() in mentions,
            command=command[0] if command else None,
            command_args=command[1] if command else "",
            edited=update.edited_message is not None,
            received_at=message.edit_date or message.date,
            update_key=key,
        )
    if update.callback_query is not None:
        query = update.callback_query
        origin = query.message
        if origin is not None and isinstance(origin, Message):
            where = chat_ref(origin.chat, directory, _thread_id(origin))
            message_id: str | None = str(origin.message_id)
        else:
            where = ChatRef(CHANNEL, str(query.from_user.id), ChatKind.PRIVATE)
            message_id = None
        return Inbound(
            chat=where,
            sender=person(query.from_user),
            content=Content.BUTTON,
            callback_data=query.data,
            callback_id=query.id,
            reply_to_message_id=message_id,
            update_key=key,
        )
    if update.chat_join_request is not None:
        request = update.chat_join_request
        return Inbound(
            chat=chat_ref(request.chat, directory),
            sender=person(request.from_user),
            content=Content.JOIN_REQUEST,
            text=request.bio or "",
            received_at=request.date,
            update_key=key,
        )
    if update.chat_member is not None:
        change = update.chat_member
        joined = change.new_chat_member.status in ("member", "administrator", "restricted")
        left = change.new_chat_member.status in ("left", "kicked")
        if not (joined or left):
            return None
        return Inbound(
            chat=chat_ref(change.chat, directory),
            sender=person(change.new_chat_member.user),
            content=Content.MEMBER_JOINED if joined else Content.MEMBER_LEFT,
            received_at=change.date,
            update_key=key,
        )
    return None
