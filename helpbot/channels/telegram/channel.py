"""The Telegram channel: receives updates (webhook or polling), hands them to the desk in
per-chat order, and carries out the desk's actions through the Bot API."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
from dataclasses import replace
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

from helpbot.channels.lanes import ChatLanes
from helpbot.channels.switchboard import Switchboard
from helpbot.channels.telegram.http import AiohttpRequest
from helpbot.channels.telegram.translate import CHANNEL, ChatDirectory, inbound
from helpbot.desk.actions import (
    Action,
    AnswerButton,
    ApproveJoin,
    BlockMember,
    Button,
    DeclineJoin,
    DeleteMessage,
    LiftRestriction,
    MemberAction,
    PostToStaff,
    RemoveMember,
    RestrictMember,
    SendText,
    SetTopicOpen,
    StaffNotice,
)
from helpbot.desk.events import ChatKind, ChatRef
from helpbot.desk.front_desk import Desk
from helpbot.store.records import Store

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
SEND_ATTEMPTS = 4

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
        desk: Desk,
        store: Store,
        *,
        token: str,
        base_url: str,
        staff_group_id: int | None = None,
        community_group_ids: tuple[int, ...] = (),
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        retry_pause_cap: float = 30.0,
        switchboard: Switchboard | None = None,
        staff_user_ids: tuple[int, ...] = (),
    ) -> None:
        self.desk = desk
        self.store = store
        self.bot = Bot(
            token,
            base_url=base_url,
            request=AiohttpRequest(),
            get_updates_request=AiohttpRequest(connection_pool_size=1, read_timeout=35.0),
        )
        self.staff_group_id = staff_group_id
        self.staff_user_ids = staff_user_ids
        self.community_group_ids = community_group_ids
        self.webhook_url = webhook_url
        self.webhook_secret = webhook_secret
        self.retry_pause_cap = retry_pause_cap
        self.lanes = ChatLanes()
        self.switchboard = switchboard or Switchboard()
        self.switchboard.connect(CHANNEL, self, staff_room=staff_group_id is not None)
        self._topics: dict[int, int] = {}  # case id -> forum topic, as made by this process
        self._named_topics: dict[str, asyncio.Lock] = {}  # one maker per fixed staff topic
        self.directory: ChatDirectory | None = None
        self._polling: asyncio.Task[None] | None = None

    # -- life cycle ---------------------------------------------------------

    async def start(self, *, polling: bool | None = None) -> None:
        await self.bot.initialize()  # getMe: proves the token before we accept traffic
        me = self.bot.bot
        self.directory = ChatDirectory(
            bot_id=me.id,
            bot_username=me.username or "",
            staff_group_id=self.staff_group_id,
            community_group_ids=self.community_group_ids,
        )
        staff_chat = None
        if self.staff_group_id is not None:
            staff_chat = ChatRef(CHANNEL, str(self.staff_group_id), ChatKind.STAFF)
        self.desk.settings = replace(
            self.desk.settings,
            bot_username=me.username,
            staff_chat=staff_chat,
            staff_user_ids=tuple(str(i) for i in self.staff_user_ids),
        )
        with contextlib.suppress(TelegramError):
            await self.bot.set_my_commands(PUBLIC_COMMANDS)
        use_polling = polling if polling is not None else not self.webhook_url
        if use_polling:
            await self.bot.delete_webhook(drop_pending_updates=False)
        else:
            await self.bot.set_webhook(
                url=self.webhook_url or "",
                secret_token=self.webhook_secret,
                allowed_updates=ALLOWED_UPDATES,
            )
        for stored in await self.store.unfinished_updates(CHANNEL):
            self._schedule(stored.update_key, stored.payload)
        if use_polling:
            self._polling = asyncio.get_running_loop().create_task(self._poll())
        log.info(
            "telegram started mode=%s bot=@%s", "polling" if use_polling else "webhook", me.username
        )

    async def stop(self) -> None:
        if self._polling is not None:
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
        await self.lanes.drain()
        await self.bot.shutdown()

    # -- receiving ----------------------------------------------------------

    async def webhook(self, request: web.Request) -> web.Response:
        """POST /telegram/webhook: secret checked in constant time, stored, then acknowledged."""
        given = request.headers.get(SECRET_HEADER, "")
        expected = self.webhook_secret or ""
        if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
            log.warning("webhook refused: wrong secret from %s", request.remote)
            return web.json_response({"ok": False, "description": "Forbidden"}, status=403)
        try:
            payload = await request.json(loads=json.loads)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"ok": False, "description": "Bad JSON"}, status=400)
        if not isinstance(payload, dict) or not isinstance(payload.get("update_id"), int):
            return web.json_response({"ok": False, "description": "Not an update"}, status=400)
        await self.accept(payload)
        return web.json_response({"ok": True})

    async def accept(self, payload: dict[str, Any]) -> bool:
        """Store a delivery and queue it; False (and nothing done) for a repeat."""
        key = str(payload["update_id"])
        if not await self.store.record_update(CHANNEL, key, payload):
            log.info("duplicate update %s ignored", key)
            return False
        self._schedule(key, payload)
        return True

    async def _poll(self) -> None:
        offset: int | None = None
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=25, allowed_updates=ALLOWED_UPDATES
                )
            except asyncio.CancelledError:
                raise
            except RetryAfter as error:
                await asyncio.sleep(min(_seconds(error.retry_after), self.retry_pause_cap))
                continue
            except TelegramError as error:
                log.warning("getUpdates failed: %s", type(error).__name__)
                await asyncio.sleep(1.0)
                continue
            for update in updates:
                # Stored before the next getUpdates confirms it to Telegram.
                await self.accept(update.to_dict())
                offset = update.update_id + 1

    def _schedule(self, key: str, payload: dict[str, Any]) -> None:
        self.lanes.submit(self._lane(payload), lambda: self._process(key, payload))

    @staticmethod
    def _lane(payload: dict[str, Any]) -> str:
        for field in ("message", "edited_message", "chat_join_request", "chat_member"):
            chat = (
                (payload.get(field) or {}).get("chat")
                if isinstance(payload.get(field), dict)
                else None
            )
            if isinstance(chat, dict) and "id" in chat:
                return f"chat:{chat['id']}"
        query = payload.get("callback_query")
        if isinstance(query, dict):
            chat = ((query.get("message") or {}).get("chat") or {}).get("id")
            if chat is not None:
                return f"chat:{chat}"
            return f"user:{(query.get('from') or {}).get('id')}"
        return f"update:{payload.get('update_id')}"

    async def _process(self, key: str, payload: dict[str, Any]) -> None:
        assert self.directory is not None
        try:
            update = Update.de_json(payload, self.bot)
            event = inbound(update, self.directory)
        except Exception as error:  # malformed update: keep it, answer nothing
            log.warning("update %s could not be read: %s", key, type(error).__name__)
            await self.store.finish_update(CHANNEL, key, "malformed")
            return
        if event is None:
            await self.store.finish_update(CHANNEL, key, "ignored")
            return
        try:
            actions = await self.desk.handle(event)
            await self.switchboard.execute(actions, origin=CHANNEL)
        except Exception as error:
            log.exception("update %s failed: %s", key, type(error).__name__)
            await self.store.finish_update(CHANNEL, key, "error")
            return
        await self.store.finish_update(CHANNEL, key, "done")

    # -- acting -------------------------------------------------------------

    async def perform(self, action: Action) -> None:
        if isinstance(action, SendText):
            await self._send_text(action)
        elif isinstance(action, AnswerButton):
            await self._call(
                "answerCallbackQuery",
                lambda: self.bot.answer_callback_query(action.callback_id, text=action.text),
            )
        elif isinstance(action, DeleteMessage):
            await self._call(
                "deleteMessage",
                lambda: self.bot.delete_message(
                    int(action.chat.external_id), int(action.message_id)
                ),
            )
        elif isinstance(action, PostToStaff):
            await self._post_to_staff(action)
        elif isinstance(action, SetTopicOpen):
            await self._set_topic_open(action)
        elif isinstance(action, StaffNotice):
            await self._staff_notice(action)
        else:
            await self._member_action(action)

    async def _member_action(self, action: Action) -> None:
        """Join decisions and moderation in a group, as the Bot API spells them."""
        if not isinstance(action, MemberAction):
            return
        chat, user = int(action.chat.external_id), int(action.member)
        bot = self.bot
        if isinstance(action, ApproveJoin):
            await self._call(
                "approveChatJoinRequest", lambda: bot.approve_chat_join_request(chat, user)
            )
        elif isinstance(action, DeclineJoin):
            await self._call(
                "declineChatJoinRequest", lambda: bot.decline_chat_join_request(chat, user)
            )
        elif isinstance(action, RestrictMember):
            # Telegram treats a restriction under 30 seconds as "forever": never send one.
            await self._call(
                "restrictChatMember",
                lambda: bot.restrict_chat_member(
                    chat,
                    user,
                    _permissions(action.allow),
                    until_date=action.until,
                    use_independent_chat_permissions=True,
                ),
            )
        elif isinstance(action, LiftRestriction):
            # Back to the group's own defaults, which is what "not restricted" means.
            info = await self._call("getChat", lambda: bot.get_chat(chat))
            usual = info.permissions if info is not None and info.permissions else None
            await self._call(
                "restrictChatMember",
                lambda: bot.restrict_chat_member(
                    chat,
                    user,
                    usual or _permissions(frozenset(PERMISSION_FLAGS)),
                    use_independent_chat_permissions=True,
                ),
            )
        elif isinstance(action, RemoveMember):
            # A ban then an unban: out of the group, but free to ask to join again.
            if await self._call("banChatMember", lambda: bot.ban_chat_member(chat, user)):
                await self._call(
                    "unbanChatMember",
                    lambda: bot.unban_chat_member(chat, user, only_if_banned=True),
                )
        elif isinstance(action, BlockMember):
            await self._call("banChatMember", lambda: bot.ban_chat_member(chat, user))
        else:
            await self._call(
                "unbanChatMember", lambda: bot.unban_chat_member(chat, user, only_if_banned=True)
            )

    async def _send_text(self, action: SendText) -> None:
        reply = (
            ReplyParameters(int(action.reply_to_message_id), allow_sending_without_reply=True)
            if action.reply_to_message_id
            else None
        )
        sent = await self._call(
            "sendMessage",
            lambda: self.bot.send_message(
                int(action.chat.external_id),
                action.text,
                reply_markup=_keyboard(action.buttons),
                reply_parameters=reply,
                message_thread_id=action.thread_id,
            ),
        )
        await self.desk.delivered(
            action,
            str(sent.message_id) if sent is not None else None,
            "sent" if sent is not None else "failed",
        )

    async def _call(self, method: str, call: Any, *, raise_bad_request: bool = False) -> Any:
        """One Bot API call with the retries Telegram asks for: wait out 429s, back off on
        timeouts and 5xx, give up (logged, never raised) on a refusal like a blocked bot."""
        pause = 0.5
        for attempt in range(1, SEND_ATTEMPTS + 1):
            try:
                return await call()
            except RetryAfter as error:
                wait = min(_seconds(error.retry_after), self.retry_pause_cap)
                log.warning("%s: rate limited, retrying in %.1fs", method, wait)
                await asyncio.sleep(wait)
            except Forbidden as error:
                log.warning("%s refused: %s", method, type(error).__name__)
                return None
            except BadRequest as error:
                if raise_bad_request:
                    raise
                # Telegram's own wording ("message to delete not found"); never user text.
                log.error("%s rejected: %s", method, error.message)
                return None
            except (TimedOut, NetworkError) as error:
                if attempt == SEND_ATTEMPTS:
                    log.error(
                        "%s failed after %d attempts: %s", method, attempt, type(error).__name__
                    )
                    return None
                await asyncio.sleep(pause)
                pause *= 2
            except TelegramError as error:
                log.error("%s failed: %s", method, type(error).__name__)
                return None
        return None

    # -- the staff room -----------------------------------------------------------

    async def _post_to_staff(self, action: PostToStaff) -> None:
        """Post in the case's topic; make the topic if there is none, remake it if a
        colleague deleted it by hand, so nothing the tenant sends is silently lost."""
        if self.staff_group_id is None:
            return
        thread = self._topics.get(action.case_id, action.thread_id)
        for attempt in (1, 2):
            if thread is None:
                thread = await self._open_topic(action)
                if thread is None:
                    return
            try:
                sent = await self._call(
                    "copyMessage" if action.copy_from else "sendMessage",
                    lambda t=thread: self._staff_message(action, t),
                    raise_bad_request=True,
                )
            except BadRequest as error:
                reason = error.message.lower()
                if attempt == 1 and ("thread not found" in reason or "topic_deleted" in reason):
                    log.warning("case %s topic %s is gone; recreating it", action.case_id, thread)
                    thread = None
                    continue
                if attempt == 1 and "topic_closed" in reason:
                    await self._call(
                        "reopenForumTopic",
                        lambda t=thread: self.bot.reopen_forum_topic(self.staff_group_id, t),
                    )
                    continue
                log.error("staff post for case %s rejected: %s", action.case_id, error.message)
                return
            if action.text and not action.copy_from:
                await self.store.record_outbound(
                    ChatRef(CHANNEL, str(self.staff_group_id), ChatKind.STAFF),
                    action.text,
                    intent=None,
                    channel_message_id=str(sent.message_id) if sent is not None else None,
                    status="sent" if sent is not None else "failed",
                    thread_id=thread,
                    case_id=action.case_id,
                )
            return

    def _staff_message(self, action: PostToStaff, thread: int) -> Any:
        assert self.staff_group_id is not None
        if action.copy_from is not None and action.copy_message_id is not None:
            return self.bot.copy_message(
                chat_id=self.staff_group_id,
                from_chat_id=int(action.copy_from.external_id),
                message_id=int(action.copy_message_id),
                message_thread_id=thread,
            )
        return self.bot.send_message(self.staff_group_id, action.text, message_thread_id=thread)

    async def _open_topic(self, action: PostToStaff) -> int | None:
        assert self.staff_group_id is not None
        group = self.staff_group_id
        topic = await self._call(
            "createForumTopic",
            lambda: self.bot.create_forum_topic(group, action.topic_name[:128]),
        )
        if topic is None:
            return None
        thread = int(topic.message_thread_id)
        self._topics[action.case_id] = thread
        await self.desk.topic_opened(action.case_id, thread)
        return thread

    async def _staff_notice(self, action: StaffNotice) -> None:
        """Post in a fixed, named staff topic; make it once (remembered in the store) and
        make it again if a colleague deleted it by hand."""
        if self.staff_group_id is None:
            return
        group = self.staff_group_id
        rows = action.buttons
        if action.link_chat is not None and action.link_message_id is not None:
            url = message_link(action.link_chat, action.link_message_id)
            if url:
                label = self.desk.say("community_staff", "open_message")
                rows = (*rows, (Button(label, url=url),))
        lock = self._named_topics.setdefault(action.topic, asyncio.Lock())
        for attempt in (1, 2):
            async with lock:
                thread = await self.desk.staff_topic(action.topic)
                if thread is None:
                    topic = await self._call(
                        "createForumTopic",
                        lambda: self.bot.create_forum_topic(group, action.topic[:128]),
                    )
                    if topic is None:
                        return
                    thread = int(topic.message_thread_id)
                    await self.desk.staff_topic_opened(action.topic, thread)
            try:
                sent = await self._call(
                    "sendMessage",
                    lambda t=thread: self.bot.send_message(
                        group, action.text, message_thread_id=t, reply_markup=_keyboard(rows)
                    ),
                    raise_bad_request=True,
                )
            except BadRequest as error:
                reason = error.message.lower()
                if attempt == 1 and ("thread not found" in reason or "topic_deleted" in reason):
                    log.warning("staff topic %s is gone; recreating it", thread)
                    await self.desk.staff_topic_gone(action.topic)
                    continue
                if attempt == 1 and "topic_closed" in reason:
                    await self._call(
                        "reopenForumTopic",
                        lambda t=thread: self.bot.reopen_forum_topic(group, t),
                    )
                    continue
                log.error("staff notice rejected: %s", error.message)
                return
            await self.store.record_outbound(
                ChatRef(CHANNEL, str(group), ChatKind.STAFF),
                action.text,
                intent=None,
                channel_message_id=str(sent.message_id) if sent is not None else None,
                status="sent" if sent is not None else "failed",
                thread_id=thread,
            )
            return

    async def _set_topic_open(self, action: SetTopicOpen) -> None:
        if self.staff_group_id is None:
            return
        group = self.staff_group_id
        if action.open:
            await self._call(
                "reopenForumTopic", lambda: self.bot.reopen_forum_topic(group, action.thread_id)
            )
        else:
            await self._call(
                "closeForumTopic", lambda: self.bot.close_forum_topic(group, action.thread_id)
            )
