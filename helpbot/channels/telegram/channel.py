"""The Telegram channel: an adapter that only translates (DESIGN.md).

In: an update (webhook or long polling) is stored in the inbox, keyed by its
update_id, before Telegram is told it arrived. Out: one action at a time from the
sender, as Bot API calls, with each failure told apart (rate limit, refusal, server
error, no answer) so the sender knows whether trying again could double a message.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import warnings
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

from aiohttp import web
from telegram import (
    Bot,
    BotCommand,
    ChatPermissions,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    ReplyParameters,
    Update,
)
from telegram.error import (
    BadRequest,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.warnings import PTBUserWarning

from helpbot.channels.attachments import MAX_FILE_BYTES, FileRef, FileTooLarge
from helpbot.channels.plain_text import clean_inbound
from helpbot.channels.telegram import files
from helpbot.channels.telegram.http import AiohttpRequest, RequestNotSent
from helpbot.channels.telegram.translate import CHANNEL, ChatDirectory, inbound
from helpbot.desk.actions import (
    Action,
    AnswerButton,
    ApproveJoin,
    BlockMember,
    Button,
    DeclineJoin,
    DeleteMessage,
    EditMessage,
    LiftRestriction,
    MemberAction,
    PostToStaff,
    React,
    RemoveMember,
    RemoveStaffTopic,
    RestrictMember,
    SendText,
    SetTopicOpen,
    StaffNotice,
)
from helpbot.desk.events import ChatKind, ChatRef, Inbound
from helpbot.postroom.inbox import Inbox
from helpbot.postroom.outcomes import (
    Delivered,
    OutcomeUnknown,
    RetryLater,
    Undeliverable,
    record_until_stored,
)
from helpbot.postroom.sender import SEND_LANES
from helpbot.store.staff_topics import StaffTopics

log = logging.getLogger(__name__)

ALLOWED_UPDATES = [
    "message",
    "edited_message",
    "callback_query",
    "chat_member",
    "my_chat_member",
    "chat_join_request",
]
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's update_id is a signed 32-bit number; anything else is not an update.
MAX_UPDATE_ID = 2**31 - 1


# The raw getUpdates call below is deliberate (see TelegramChannel._poll); the library
# suggests its own parsing method for it, which is what failed.
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)


STAFF_TOPICS_OFF = (
    "the staff group (HELPBOT_STAFF_GROUP_ID) has Topics turned off: each case's posts go "
    "to its main chat, headed with the case; turn Topics on in the group's settings so "
    "each case gets its own topic and colleagues can reply to tenants from it"
)


STAFF_GROUP_UNREACHABLE = (
    "Telegram refuses the staff group (HELPBOT_STAFF_GROUP_ID): wrong id, or the bot is "
    "not a member: no colleague is alerted to new cases; check the id and add the bot "
    "to the group as an admin"
)
UNREACHABLE_GROUP = ("chat not found", "kicked", "not a member")


def is_update(payload: Any) -> bool:
    """Shaped like an update: an object with an update_id in range and no more nesting
    or size than an update has. Telegram's webhook and getUpdates are checked alike."""
    update_id = payload.get("update_id") if isinstance(payload, dict) else None
    return (
        isinstance(payload, dict)
        and type(update_id) is int
        and 0 <= update_id <= MAX_UPDATE_ID
        and within_bounds(payload)
    )


MAX_SECRET = 256

PUBLIC_COMMANDS = [
    BotCommand("start", "Welcome and what I can do"),
    BotCommand("help", "How to use this chat"),
    BotCommand("mycases", "Your open cases"),
    BotCommand("privacy", "What we keep about you and why"),
    BotCommand("rules", "The community groups' guidelines and rules"),
]

# Bot API permission flags for each of the desk's permission words (actions.MEMBER_PERMISSIONS).
PERMISSION_FLAGS = {
    "messages": ("can_send_messages",),
    "media": (
        "can_send_audios",
        "can_send_documents",
        "can_send_photos",
        "can_send_videos",
        "can_send_video_notes",
        "can_send_voice_notes",
        "can_send_other_messages",
    ),
    "polls": ("can_send_polls",),
    "links": ("can_add_web_page_previews",),
    "reactions": ("can_react_to_messages",),
}


def _seconds(value: int | float | timedelta) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def file_url_for(base_url: str) -> str:
    """Where the Bot API serves downloads: .../bot -> .../file/bot, as Telegram does."""
    root, slash, last = base_url.rstrip("/").rpartition("/")
    return f"{root}/file/{last}" if slash and last == "bot" else base_url.rstrip("/") + "/file/bot"


def conversation_of(payload: dict[str, Any]) -> str:
    """The conversation an update belongs to, so the inbox keeps one chat in order: the
    chat for messages and member changes, the chat of the pressed message for buttons,
    the person for a button on a message we no longer see."""
    for field in ("message", "edited_message", "chat_join_request", "chat_member"):
        part = payload.get(field)
        chat = part.get("chat") if isinstance(part, dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return f"{CHANNEL}:{chat['id']}"
    query = payload.get("callback_query")
    if isinstance(query, dict):
        message = query.get("message")
        chat = message.get("chat") if isinstance(message, dict) else None
        if isinstance(chat, dict) and isinstance(chat.get("id"), int):
            return f"{CHANNEL}:{chat['id']}"
        sender = query.get("from")
        if isinstance(sender, dict) and isinstance(sender.get("id"), int):
            return f"{CHANNEL}:{sender['id']}"
    return f"{CHANNEL}:update:{payload.get('update_id')}"


def _permissions(allow: frozenset[str]) -> ChatPermissions:
    flags = {flag: False for flags in PERMISSION_FLAGS.values() for flag in flags}
    for word in allow:
        for flag in PERMISSION_FLAGS.get(word, ()):
            flags[flag] = True
    return ChatPermissions(**flags)


def message_link(chat: ChatRef, message_id: str) -> str | None:
    """t.me link to a message in a supergroup (-100<internal id>); members can open it."""
    if not chat.external_id.startswith("-100"):
        return None
    return f"https://t.me/c/{chat.external_id[4:]}/{message_id}"


def _keyboard(rows: tuple[tuple[Button, ...], ...]) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=b.data)
                for b in row
            ]
            for row in rows
        ]
    )


class TelegramChannel:
    def __init__(
        self,
        inbox: Inbox,
        topics: StaffTopics,
        *,
        token: str,
        base_url: str,
        staff_group_id: int | None = None,
        community_group_ids: tuple[int, ...] = (),
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        open_message_label: str = "Open the message",
        send_timeout: float = 30.0,
    ) -> None:
        self.inbox = inbox
        self.topics = topics
        self.bot = Bot(
            token,
            base_url=base_url,
            base_file_url=file_url_for(base_url),
            # As many connections as the sender has lanes (SendPolicy.concurrency): a send
            # taken from the outbox then waits for no connection. Under kill -9 with a
            # 150 ms Bot API, 32 of 300 replies taken but still queued for one of 64
            # connections were written off as unconfirmed, though never sent.
            request=AiohttpRequest(read_timeout=send_timeout, connection_pool_size=SEND_LANES),
            get_updates_request=AiohttpRequest(connection_pool_size=1, read_timeout=35.0),
        )
        self.staff_group_id = staff_group_id
        self.community_group_ids = community_group_ids
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.open_message_label = open_message_label
        self.accepting = False  # the webhook answers 503 until the inbox can take updates
        self._topic_locks: dict[str, asyncio.Lock] = {}  # one maker per staff topic
        # Set when Telegram says the staff group is not a forum (Topics turned off): staff
        # posts then go to the group's main chat, each headed with its case or topic.
        self.staff_topics_off = False
        # Set while Telegram refuses the staff group itself (see _staff_group_unreachable).
        self.staff_group_refused = False
        self.directory: ChatDirectory | None = None
        self._polling: asyncio.Task[None] | None = None

    # -- a tenant's file, for the console -------------------------------------

    def file_in(self, payload: dict[str, Any], message_id: str) -> FileRef | None:
        return files.file_in(payload, message_id)

    async def download(self, ref: FileRef, limit: int = MAX_FILE_BYTES) -> bytes:
        """getFile, then the download (Telegram gives bots files up to 20 MB)."""
        if ref.size is not None and ref.size > limit:
            raise FileTooLarge()
        held = await self.bot.get_file(ref.key)
        if held.file_size is not None and held.file_size > limit:
            raise FileTooLarge()
        data = bytes(await held.download_as_bytearray())
        if len(data) > limit:
            raise FileTooLarge()
        return data

    @property
    def staff_chat(self) -> ChatRef | None:
        if self.staff_group_id is None:
            return None
        return ChatRef(CHANNEL, str(self.staff_group_id), ChatKind.STAFF)

    @property
    def staff_room_warnings(self) -> list[str]:
        """What /healthz says about the staff group as Telegram has answered lately."""
        return [
            warning
            for warning, holds in (
                (STAFF_TOPICS_OFF, self.staff_topics_off),
                (STAFF_GROUP_UNREACHABLE, self.staff_group_refused),
            )
            if holds
        ]

    @property
    def polling(self) -> bool:
        return self._polling is not None

    # -- life cycle ---------------------------------------------------------

    async def connect(self) -> ChatDirectory:
        """getMe: proves the token and tells us who we are, before any traffic."""
        await self.bot.initialize()
        me = self.bot.bot
        self.directory = ChatDirectory(
            bot_id=me.id,
            bot_username=me.username or "",
            staff_group_id=self.staff_group_id,
            community_group_ids=self.community_group_ids,
        )
        return self.directory

    async def start(self, *, polling: bool | None = None) -> None:
        """Register how updates reach us and start taking them."""
        if self.directory is None:
            await self.connect()
        with contextlib.suppress(TelegramError):
            await self.bot.set_my_commands(PUBLIC_COMMANDS)
        use_polling = polling if polling is not None else not self.webhook_url
        if use_polling:
            await self.bot.delete_webhook(drop_pending_updates=False)
            self._polling = asyncio.get_running_loop().create_task(self._poll())
        else:
            await self.bot.set_webhook(
                url=self.webhook_url or "",
                secret_token=self.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        self.accepting = True
        log.info("telegram started mode=%s", "polling" if use_polling else "webhook")

    async def stop_receiving(self) -> None:
        """First step of a shutdown: refuse new webhooks (Telegram retries them) and stop
        polling, so what we have is all we must finish."""
        self.accepting = False
        if self._polling is not None:
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling

    async def stop(self) -> None:
        await self.stop_receiving()
        await self.bot.shutdown()

    # -- receiving ----------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /telegram/webhook: secret checked in constant time, stored, acknowledged."""
        if not self.accepting:
            return web.json_response(
                {"ok": False, "description": "Starting or stopping"},
                status=503,
                headers={"Retry-After": "5"},
            )
        given = request.headers.get(SECRET_HEADER, "")
        expected = self.webhook_secret or ""
        try:
            given_bytes = given.encode("utf-8", "strict")
        except UnicodeEncodeError:
            given_bytes = b""
        if (
            not expected
            or len(given_bytes) > MAX_SECRET
            or not hmac.compare_digest(given_bytes, expected.encode())
        ):
            log.warning("webhook refused: wrong secret")
            return web.json_response({"ok": False, "description": "Forbidden"}, status=403)
        payload = await read_json(request)
        if not is_update(payload):
            return web.json_response({"ok": False, "description": "Not an update"}, status=400)
        try:
            await self.accept(payload)
        except Exception as error:  # the store is down: Telegram keeps it and tries again
            log.warning("webhook update not stored: %s", type(error).__name__)
            return web.json_response(
                {"ok": False, "description": "Try again later"},
                status=503,
                headers={"Retry-After": "5"},
            )
        return web.json_response({"ok": True})

    async def accept(self, payload: dict[str, Any]) -> bool:
        """Store an update in the inbox; False (and nothing done) for a repeat."""
        key = str(payload["update_id"])
        stored = await self.inbox.accept(
            CHANNEL, key, conversation_of(payload), payload, position=int(payload["update_id"])
        )
        if not stored:
            log.info("duplicate update %s ignored", key)
        return stored

    async def _poll(self) -> None:
        """Long polling, supervised: a failing Bot API or store is waited out, never fatal.
        The offset moves past an update only once it is stored.

        Updates are taken as Telegram sent them and checked as the webhook checks them,
        not parsed on the way in: one that python-telegram-bot could not parse ("message":
        "notanobject") made ``get_updates`` fail every time, polling stopped for good, and
        the library logged the whole batch, other tenants' words with it (outside review).
        Stored, it is read like any event and recorded as malformed."""
        offset: int | None = None
        pause = 0.0
        while True:
            try:
                updates = await self.bot.do_api_request(
                    "getUpdates",
                    api_kwargs={
                        "offset": offset,
                        "timeout": 25,
                        "allowed_updates": list(ALLOWED_UPDATES),
                    },
                    read_timeout=35.0,
                )
                for payload in updates if isinstance(updates, list) else []:
                    if not is_update(payload):
                        log.warning("polling: skipped something that is not an update")
                        continue
                    await self.accept(payload)
                    offset = max(offset or 0, payload["update_id"] + 1)
                pause = 0.0
            except asyncio.CancelledError:
                raise
            except RetryAfter as error:
                await asyncio.sleep(_seconds(error.retry_after))
            except Exception as error:
                pause = min(30.0, max(1.0, pause * 2))
                log.warning("polling paused %.0fs: %s", pause, type(error).__name__)
                await asyncio.sleep(pause)

    def translate(self, payload: dict[str, Any]) -> Inbound | None:
        """The desk's event for an update (None: nothing for the desk). Raises ValueError
        for an update that cannot be read."""
        assert self.directory is not None
        try:
            update = Update.de_json(payload, self.bot)
        except Exception as error:
            raise ValueError(type(error).__name__) from None
        if update is None:
            raise ValueError("empty update")
        try:  # a field of the wrong type ("text": 12345) is as unreadable as bad JSON
            event = inbound(update, self.directory)
            return clean_inbound(event) if event is not None else None
        except (TypeError, AttributeError) as error:
            raise ValueError(type(error).__name__) from None

    # -- acting -------------------------------------------------------------

    async def perform(self, action: Action) -> Delivered:
        if isinstance(action, SendText):
            return await self._send_text(action)
        if isinstance(action, AnswerButton):
            await call(lambda: self.bot.answer_callback_query(action.callback_id, text=action.text))
        elif isinstance(action, EditMessage):
            await self._edit(action)
        elif isinstance(action, React):
            # A reaction is a courtesy: if the group does not allow it, nothing is lost.
            with contextlib.suppress(Undeliverable):
                await call(
                    lambda: self.bot.set_message_reaction(
                        int(action.chat.external_id), int(action.message_id), action.emoji
                    ),
                    gone_is_done=True,
                    repeatable=True,
                )
        elif isinstance(action, DeleteMessage):
            await call(
                lambda: self.bot.delete_message(
                    int(action.chat.external_id), int(action.message_id)
                ),
                gone_is_done=True,
            )
        elif isinstance(action, PostToStaff):
            return await self._post_to_staff(action)
        elif isinstance(action, SetTopicOpen):
            await self._set_topic_open(action)
        elif isinstance(action, RemoveStaffTopic):
            if self.staff_group_id is not None:
                group, thread = self.staff_group_id, action.thread_id
                await call(
                    lambda: self.bot.delete_forum_topic(group, thread),
                    gone_is_done=True,
                    repeatable=True,
                )
        elif isinstance(action, StaffNotice):
            return await self._staff_notice(action)
        else:
            await self._member_action(action)
        return Delivered()

    async def _member_action(self, action: Action) -> None:
        """Join decisions and moderation in a group, as the Bot API spells them."""
        if not isinstance(action, MemberAction):
            return
        chat, user = int(action.chat.external_id), int(action.member)
        bot = self.bot
        if isinstance(action, ApproveJoin):
            await call(lambda: bot.approve_chat_join_request(chat, user), gone_is_done=True)
        elif isinstance(action, DeclineJoin):
            await call(lambda: bot.decline_chat_join_request(chat, user), gone_is_done=True)
        elif isinstance(action, RestrictMember):
            # Telegram treats a restriction under 30 seconds as "forever": never send one.
            await call(
                lambda: bot.restrict_chat_member(
                    chat,
                    user,
                    _permissions(action.allow),
                    until_date=action.until,
                    use_independent_chat_permissions=True,
                ),
                repeatable=True,
            )
        elif isinstance(action, LiftRestriction):
            # Back to the group's own defaults, which is what "not restricted" means.
            info = await call(lambda: bot.get_chat(chat), repeatable=True)
            usual = info.permissions if info is not None and info.permissions else None
            await call(
                lambda: bot.restrict_chat_member(
                    chat,
                    user,
                    usual or _permissions(frozenset(PERMISSION_FLAGS)),
                    use_independent_chat_permissions=True,
                ),
                repeatable=True,
            )
        elif isinstance(action, RemoveMember):
            # A ban then an unban: out of the group, but free to ask to join again.
            await call(lambda: bot.ban_chat_member(chat, user), repeatable=True)
            await call(
                lambda: bot.unban_chat_member(chat, user, only_if_banned=True), repeatable=True
            )
        elif isinstance(action, BlockMember):
            await call(lambda: bot.ban_chat_member(chat, user), repeatable=True)
        else:
            await call(
                lambda: bot.unban_chat_member(chat, user, only_if_banned=True), repeatable=True
            )

    async def _edit(self, action: EditMessage) -> None:
        """Rewrite the bot's message; already so (a repeat) or gone is done."""
        try:
            await call(
                lambda: self.bot.edit_message_text(
                    action.text,
                    int(action.chat.external_id),
                    int(action.message_id),
                    reply_markup=_keyboard(action.buttons),
                ),
                raise_bad_request=True,
                repeatable=True,
            )
        except BadRequest as error:
            reason = error.message.lower()
            if "not modified" in reason or "not found" in reason:
                return
            raise Undeliverable(f"BadRequest: {error.message}"[:64]) from None

    async def _send_text(self, action: SendText) -> Delivered:
        reply = (
            ReplyParameters(int(action.reply_to_message_id), allow_sending_without_reply=True)
            if action.reply_to_message_id
            else None
        )

        def send() -> Any:
            return self.bot.send_message(
                int(action.chat.external_id),
                action.text,
                reply_markup=_keyboard(action.buttons),
                reply_parameters=reply,
                message_thread_id=action.thread_id,
            )

        in_staff_topic = (
            action.thread_id is not None
            and self.staff_group_id is not None
            and action.chat.external_id == str(self.staff_group_id)
        )
        try:
            sent = await call(send, raise_bad_request=in_staff_topic)
        except BadRequest as error:
            # The answer to a colleague's command in a closed case's topic (/publish
            # after "yes, satisfied"): reopen the topic and answer there.
            assert action.thread_id is not None
            if not (_closed_or_gone(error) and await self._reopened(action.thread_id)):
                raise Undeliverable(f"BadRequest: {error.message}"[:64]) from None
            sent = await call(send)
        return Delivered(external_id=str(sent.message_id))

    async def _reopened(self, thread: int) -> bool:
        """Whether a staff topic that refused a post was only closed (now reopened), not
        deleted: without Manage topics Telegram calls a closed topic "not found"."""
        if self.staff_group_id is None:
            return False
        group = self.staff_group_id
        try:
            await call(lambda: self.bot.reopen_forum_topic(group, thread), raise_bad_request=True)
        except BadRequest:
            return False
        return True

    # -- the staff room -----------------------------------------------------------

    async def _post_to_staff(self, action: PostToStaff) -> Delivered:
        """Post in the case's topic; make the topic if there is none, remake it if a
        colleague deleted it by hand, so nothing the tenant sends is silently lost."""
        if self.staff_group_id is None:
            return Delivered()
        group = self.staff_group_id

        async def made() -> int | None:
            return await self.topics.of_case(action.case_id)

        async def make() -> int:
            topic = await call(lambda: self.bot.create_forum_topic(group, action.topic_name[:128]))
            thread = int(topic.message_thread_id)
            await _remember(lambda: self.topics.case_topic_opened(action.case_id, thread))
            return thread

        def post(thread: int | None) -> Any:
            if action.copy_from is not None and action.copy_message_id is not None:
                return self.bot.copy_message(
                    chat_id=group,
                    from_chat_id=int(action.copy_from.external_id),
                    message_id=int(action.copy_message_id),
                    message_thread_id=thread,
                )
            text = _in_topic_or_headed(action.topic_name, action.text, thread)
            return self.bot.send_message(group, text, message_thread_id=thread)

        return await self._in_topic(f"case:{action.case_id}", made, make, post, forget=None)

    async def _staff_notice(self, action: StaffNotice) -> Delivered:
        """Post in a fixed, named staff topic; made once, remade if deleted by hand."""
        if self.staff_group_id is None:
            return Delivered()
        group = self.staff_group_id
        rows = action.buttons
        if action.link_chat is not None and action.link_message_id is not None:
            url = message_link(action.link_chat, action.link_message_id)
            if url:
                rows = (*rows, (Button(self.open_message_label, url=url),))

        async def made() -> int | None:
            return await self.topics.named(action.topic)

        async def make() -> int:
            topic = await call(lambda: self.bot.create_forum_topic(group, action.topic[:128]))
            thread = int(topic.message_thread_id)
            await _remember(lambda: self.topics.named_opened(action.topic, thread))
            return thread

        def post(thread: int | None) -> Any:
            text = _in_topic_or_headed(action.topic, action.text, thread)
            return self.bot.send_message(
                group, text, message_thread_id=thread, reply_markup=_keyboard(rows)
            )

        async def forget() -> None:
            await self.topics.named_gone(action.topic)

        return await self._in_topic(f"topic:{action.topic}", made, make, post, forget=forget)

    async def _in_topic(
        self,
        key: str,
        made: Any,
        make: Any,
        post: Any,
        *,
        forget: Any,
    ) -> Delivered:
        """The one way to post in a staff topic: find it or make it (one maker at a time
        per topic), post, and if a colleague deleted or closed it, remake or reopen it
        once and post again."""
        assert self.staff_group_id is not None
        group = self.staff_group_id
        lock = self._topic_locks.setdefault(key, asyncio.Lock())
        remade = False
        if self.staff_topics_off:
            return await self._in_main_chat(post)
        for _attempt in (1, 2):
            async with lock:
                thread = await made()
                if thread is None or remade:
                    try:
                        thread = await make()
                    except Undeliverable as error:
                        reason = str(error).lower()
                        if any(sign in reason for sign in UNREACHABLE_GROUP):
                            self._staff_group_unreachable(reason)
                        if "not a forum" not in reason:
                            raise
                        self._topics_are_off()
                        return await self._in_main_chat(post)
            try:
                sent = await call(lambda t=thread: post(t), raise_bad_request=True)
            except BadRequest as error:
                reason = error.message.lower()
                if "thread not found" in reason and not remade and await self._reopened(thread):
                    continue  # it was only closed (a closed case): post there, no new topic
                if "thread not found" in reason or "topic_deleted" in reason:
                    log.warning("staff topic %s is gone; recreating it", thread)
                    if forget is not None:
                        await forget()
                    remade = True
                    continue
                if "topic_closed" in reason:
                    await call(lambda t=thread: self.bot.reopen_forum_topic(group, t))
                    continue
                raise Undeliverable(f"BadRequest: {error.message}"[:64]) from None
            self.staff_group_refused = False
            return Delivered(external_id=str(sent.message_id), thread_id=thread)
        raise RetryLater("staff topic kept failing")

    def _topics_are_off(self) -> None:
        """Telegram said the staff group is not a forum. Alerts that had nowhere to go
        were marked undelivered while tenants were told colleagues knew (outside
        review); they go to the group's main chat instead, and /healthz says why."""
        if not self.staff_topics_off:
            log.warning(STAFF_TOPICS_OFF)
        self.staff_topics_off = True

    def _staff_group_unreachable(self, reason: str) -> None:
        """Telegram says the staff group does not exist for the bot (a wrong
        HELPBOT_STAFF_GROUP_ID, or the bot was removed): every alert is undelivered,
        so /healthz says so until a post gets through."""
        if not self.staff_group_refused:
            log.warning("%s (%s)", STAFF_GROUP_UNREACHABLE, reason[:64])
        self.staff_group_refused = True

    async def _in_main_chat(self, post: Any) -> Delivered:
        sent = await call(lambda: post(None))
        return Delivered(external_id=str(sent.message_id))

    async def _set_topic_open(self, action: SetTopicOpen) -> None:
        if self.staff_group_id is None:
            return
        group = self.staff_group_id
        if action.open:
            await call(
                lambda: self.bot.reopen_forum_topic(group, action.thread_id), gone_is_done=True
            )
        else:
            await call(
                lambda: self.bot.close_forum_topic(group, action.thread_id), gone_is_done=True
            )


def _in_topic_or_headed(topic: str, text: str, thread: int | None) -> str:
    """A staff post in its topic as it is; in the main chat of a group without Topics,
    headed with the topic's name so colleagues can tell the cases apart."""
    return (text if thread is not None else f"[{topic}]\n{text}")[:4096]


def _closed_or_gone(error: BadRequest) -> bool:
    reason = error.message.lower()
    return "thread not found" in reason or "topic_closed" in reason


async def _remember(write: Callable[[], Awaitable[None]]) -> None:
    """Record a topic Telegram has just made: a topic made but forgotten would be made
    again on the next try, splitting the case."""
    await record_until_stored(write, "a staff topic")


async def call(
    request: Any,
    *,
    raise_bad_request: bool = False,
    gone_is_done: bool = False,
    repeatable: bool = False,
) -> Any:
    """One Bot API call, its failure told apart for the sender (postroom.sender):
    rate limit and server or network error before sending -> RetryLater; refusal ->
    Undeliverable; no answer after sending -> OutcomeUnknown, unless the call is
    ``repeatable`` (setting a member's state, reading a chat: doing it twice is doing
    it once), which is simply tried again. Only Telegram's own wording and class names
    are kept, never message text."""
    try:
        return await request()
    except RetryAfter as error:
        raise RetryLater("RetryAfter", after=_seconds(error.retry_after)) from None
    except Forbidden as error:
        raise Undeliverable(error.message[:64]) from None
    except BadRequest as error:
        if raise_bad_request:
            raise
        if gone_is_done and "not found" in error.message.lower():
            return None  # already gone, or never there: nothing left to do
        raise Undeliverable(f"BadRequest: {error.message}"[:64]) from None
    except RequestNotSent as error:
        raise RetryLater(type(error).__name__) from None
    except TimedOut:
        if repeatable:
            raise RetryLater("TimedOut") from None
        raise OutcomeUnknown("TimedOut") from None
    except NetworkError as error:
        # PTB reports a 5xx as NetworkError; so is a dropped connection.
        raise RetryLater(f"NetworkError: {error.message}"[:64]) from None
    except TelegramError as error:
        raise RetryLater(type(error).__name__) from None


# Telegram's numbers fit in 64 bits and its updates are shallow and small.
INT64 = 2**63
MAX_DEPTH = 32
MAX_NODES = 20_000


def within_bounds(payload: Any) -> bool:
    """Every number in range and the structure of a plausible size, before any of it
    reaches the database (asyncpg's errors quote out-of-range values)."""
    stack: list[tuple[Any, int]] = [(payload, 0)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > MAX_NODES or depth > MAX_DEPTH:
            return False
        if isinstance(value, bool) or value is None or isinstance(value, str):
            continue
        if isinstance(value, int):
            if not -INT64 <= value < INT64:
                return False
        elif isinstance(value, float):
            if value != value or value in (float("inf"), float("-inf")):
                return False
        elif isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)
    return True


async def read_json(request: web.Request) -> Any:
    """The body as JSON, or None if it is not JSON we can read (deeply nested, bad bytes)."""
    try:
        body = await request.read()
        return json.loads(body)
    except (ValueError, RecursionError, UnicodeDecodeError):
        return None
    except web.HTTPException:
        raise
