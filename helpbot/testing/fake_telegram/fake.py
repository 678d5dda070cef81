"""``FakeTelegram``: the parts of the fake put together behind one object a test holds.

Each part does one job and knows only the parts it needs:

    world      users, chats, messages, topics, members (World)
    media      files and the objects describing them (Media)
    builders   what users do, as Updates (UpdateBuilders)
    methods    the Bot API by area: messages, editing, forum, members, bot, webhook
    faults     errors, delays and held answers, by count or time window (FaultPlan)
    call_log   every call, sent messages, counters and waits (CallLog)
    queue      getUpdates (UpdateQueue); delivery: webhook POSTs (Delivery)
    server     HTTP (ApiServer); control: /_fake/ endpoints (ControlApi)

Tests call ``tg.private_message(...)``, ``tg.deliver(...)``, ``tg.sent_messages(...)``:
the surface is forwarded to the part that does the work (``_Forward``), not inherited.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Concatenate, Generic, ParamSpec, Self, TypeVar, overload

import aiohttp

from helpbot.testing.fake_telegram.builders import UpdateBuilders
from helpbot.testing.fake_telegram.calls import ApiCall, CallLog
from helpbot.testing.fake_telegram.control import ControlApi
from helpbot.testing.fake_telegram.delivery import Delivery, Webhook
from helpbot.testing.fake_telegram.errors import THREAD_NOT_FOUND
from helpbot.testing.fake_telegram.faults import FaultPlan
from helpbot.testing.fake_telegram.media import Media
from helpbot.testing.fake_telegram.methods import MethodTable
from helpbot.testing.fake_telegram.methods.bot import BotSettings
from helpbot.testing.fake_telegram.objects import FakeChat, FakeFile, FakeUser, MemberState
from helpbot.testing.fake_telegram.polling import UpdateQueue
from helpbot.testing.fake_telegram.server import ApiServer
from helpbot.testing.fake_telegram.world import World

__all__ = ["FakeTelegram"]

JSON = dict[str, Any]
P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


class _Forward(Generic[P, R]):
    """``tg.name(...)`` calls ``tg.<part>.name(...)``, with the part's signature and doc."""

    def __init__(self, part: str, function: Callable[Concatenate[Any, P], R]) -> None:
        self.part = part
        self.name = function.__name__
        self.__doc__ = function.__doc__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> Self: ...
    @overload
    def __get__(self, obj: object, owner: type | None = None) -> Callable[P, R]: ...
    def __get__(self, obj: object | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        return getattr(getattr(obj, self.part), self.name)


class _Shared(Generic[T]):
    """``tg.name`` reads and assigns ``tg.<part>.<attribute>`` (same name unless given)."""

    def __init__(self, part: str, attribute: str | None = None) -> None:
        self.part = part
        self.attribute = attribute

    def __set_name__(self, owner: type, name: str) -> None:
        self.attribute = self.attribute or name

    def __get__(self, obj: object | None, owner: type | None = None) -> T:
        if obj is None:
            return self  # type: ignore[return-value]
        return getattr(getattr(obj, self.part), self.attribute or "")  # type: ignore[no-any-return]

    def __set__(self, obj: object, value: T) -> None:
        setattr(getattr(obj, self.part), self.attribute or "", value)


class FakeTelegram:
    """The fake Bot API server::

    async with FakeTelegram(bot_username="shal_helpbot") as tg:
        bot = Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)
        ann = tg.user(42, "Ann")
        await tg.deliver(tg.private_message(ann, "my boiler is broken"))
        [reply] = await tg.wait_for_sent(ann.id)
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "shal_helpbot",
        *,
        bot_first_name: str = "SHAL Help",
        host: str = "127.0.0.1",
        port: int = 0,
        require_start: bool = True,
        closed_topic_error: str | None = THREAD_NOT_FOUND,
        clock: Callable[[], float] = time.time,
        webhook_timeout: float = 10.0,
    ) -> None:
        bot_id_text = token.split(":", 1)[0]
        bot_user: JSON = {
            "id": int(bot_id_text) if bot_id_text.isdigit() else 123456,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        self.token = token
        self.host = host
        self.port = port
        self.world = World(
            bot_user=bot_user,
            clock=clock,
            closed_topic_error=closed_topic_error,
            require_start=require_start,
        )
        self.media = Media(self.world)
        self.builders = UpdateBuilders(self.world, self.media)
        self.queue = UpdateQueue(describe_calls=lambda: self.call_log.describe_calls())
        self.delivery = Delivery(
            self.world,
            self.queue,
            lambda method, params: self.server.run_method(method, params),
            timeout=webhook_timeout,
        )
        self.methods = MethodTable(self.world, self.media, self.delivery)
        self.faults = FaultPlan(self.methods.canonical)
        self.call_log = CallLog(self.world, self.methods.canonical)
        self.server = ApiServer(
            token=token,
            world=self.world,
            media=self.media,
            methods=self.methods,
            faults=self.faults,
            calls=self.call_log,
        )
        self.control = ControlApi(self)

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on host:port (port 0: a free one, readable as ``tg.port`` afterwards)."""
        if self.server.running:
            raise RuntimeError("FakeTelegram is already running")
        # Fresh events: an instance may be started again under another event loop.
        self.queue.open()
        self.faults.open()
        self.call_log.reset_event()
        self.port = await self.server.start(self.host, self.port, self.control.add_routes)
        self.delivery.session = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Stop serving; pending long polls, delayed and held answers return at once."""
        self.queue.close()
        self.faults.close()
        if self.delivery.session is not None:
            session, self.delivery.session = self.delivery.session, None
            await session.close()
        await self.server.stop()

    @property
    def url(self) -> str:
        """Root URL of the server (control API lives under ``/_fake/``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Pass as ``Bot(token, base_url=...)`` / ``ApplicationBuilder().base_url(...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass as ``base_file_url`` so ``File.download_*`` fetches from the fake."""
        return f"{self.url}/file/bot"

    # --- delivering updates -----------------------------------------------------------------

    async def deliver(
        self,
        update: JSON | str | bytes,
        *,
        secret_override: str | None = None,
        omit_secret: bool = False,
    ) -> int | None:
        """Hand an update to the bot, as Telegram would (one attempt).

        Webhook set: POST it there (secret header from setWebhook, or ``secret_override``;
        ``omit_secret`` sends none) and return the HTTP status; a webhook that cannot be
        reached raises WebhookDeliveryError. No webhook: queue it for getUpdates and return
        None. Updates whose type allowed_updates excludes are dropped (None).
        """
        return await self.delivery.deliver(
            update, secret_override=secret_override, omit_secret=omit_secret
        )

    async def deliver_again(
        self,
        update: JSON | str | bytes,
        *,
        secret_override: str | None = None,
        omit_secret: bool = False,
    ) -> int | None:
        """Deliver the same update (same update_id) once more, to test de-duplication.

        With getUpdates it is returned once even though the bot already confirmed it.
        """
        return await self.delivery.deliver(
            update, forced=True, secret_override=secret_override, omit_secret=omit_secret
        )

    deliver_until_accepted = _Forward("delivery", Delivery.deliver_until_accepted)
    wait_until_confirmed = _Forward("queue", UpdateQueue.wait_until_confirmed)

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued for getUpdates and not yet confirmed by the bot."""
        return self.queue.pending

    webhook: _Shared[Webhook | None] = _Shared("delivery")
    webhook_timeout: _Shared[float] = _Shared("delivery", "timeout")

    # --- faults -----------------------------------------------------------------------------

    fail_next = _Forward("faults", FaultPlan.fail_next)
    delay_next = _Forward("faults", FaultPlan.delay_next)
    storm = _Forward("faults", FaultPlan.storm)
    outage = _Forward("faults", FaultPlan.outage)
    hold = _Forward("faults", FaultPlan.hold)
    latency = _Forward("faults", FaultPlan.latency)

    def clear_faults(self) -> None:
        """End every fault, whatever its count or window."""
        self.faults.clear()

    # --- what the bot did -------------------------------------------------------------------

    calls: _Shared[list[ApiCall]] = _Shared("call_log")
    on_call: _Shared[Callable[[ApiCall], None] | None] = _Shared("call_log")
    calls_to = _Forward("call_log", CallLog.calls_to)
    call_count = _Forward("call_log", CallLog.call_count)
    sent_messages = _Forward("call_log", CallLog.sent_messages)
    sent_count = _Forward("call_log", CallLog.sent_count)
    counts = _Forward("call_log", CallLog.counts)
    clear_calls = _Forward("call_log", CallLog.clear_calls)
    wait_for = _Forward("call_log", CallLog.wait_for)
    wait_for_sent = _Forward("call_log", CallLog.wait_for_sent)
    describe_calls = _Forward("call_log", CallLog.describe_calls)

    # --- the world --------------------------------------------------------------------------

    user = _Forward("world", World.user)
    private_chat = _Forward("world", World.private_chat)
    start_user = _Forward("world", World.start_user)
    group = _Forward("world", World.group)
    set_member = _Forward("world", World.set_member)
    member_status = _Forward("world", World.member_status)
    join_request_status = _Forward("world", World.join_request_status)
    topic = _Forward("world", World.topic)
    delete_topic_by_hand = _Forward("world", World.delete_topic_by_hand)
    close_topic_by_hand = _Forward("world", World.close_topic_by_hand)
    message = _Forward("world", World.message)
    is_deleted = _Forward("world", World.is_deleted)
    now = _Forward("world", World.now)

    bot_user: _Shared[JSON] = _Shared("world")
    clock: _Shared[Callable[[], float]] = _Shared("world")
    closed_topic_error: _Shared[str | None] = _Shared("world")
    require_start: _Shared[bool] = _Shared("world")
    users: _Shared[dict[int, FakeUser]] = _Shared("world")
    chats: _Shared[dict[int, FakeChat]] = _Shared("world")
    messages: _Shared[dict[tuple[int, int], JSON]] = _Shared("world")
    deleted_messages: _Shared[set[tuple[int, int]]] = _Shared("world")
    topics: _Shared[dict[int, dict[int, JSON]]] = _Shared("world")
    deleted_topics: _Shared[dict[int, set[int]]] = _Shared("world")
    members: _Shared[dict[int, dict[int, MemberState]]] = _Shared("world")
    join_requests: _Shared[dict[tuple[int, int], str]] = _Shared("world")
    started_users: _Shared[set[int]] = _Shared("world")
    blocked_users: _Shared[set[int]] = _Shared("world")
    files: _Shared[dict[str, FakeFile]] = _Shared("world")
    callback_queries: _Shared[dict[str, JSON]] = _Shared("world")
    callback_answers: _Shared[dict[str, JSON]] = _Shared("world")
    commands: _Shared[dict[tuple[str, str], list[JSON]]] = _Shared("bot_settings")
    bot_profile: _Shared[dict[str, str]] = _Shared("bot_settings")

    @property
    def bot_settings(self) -> BotSettings:
        return self.methods.settings

    # --- what users do (update builders) ----------------------------------------------------

    private_message = _Forward("builders", UpdateBuilders.private_message)
    group_message = _Forward("builders", UpdateBuilders.group_message)
    topic_message = _Forward("builders", UpdateBuilders.topic_message)
    command = _Forward("builders", UpdateBuilders.command)
    sticker = _Forward("builders", UpdateBuilders.sticker)
    photo = _Forward("builders", UpdateBuilders.photo)
    voice = _Forward("builders", UpdateBuilders.voice)
    document = _Forward("builders", UpdateBuilders.document)
    edited_message = _Forward("builders", UpdateBuilders.edited_message)
    join_request = _Forward("builders", UpdateBuilders.join_request)
    callback = _Forward("builders", UpdateBuilders.callback)
    chat_member_update = _Forward("builders", UpdateBuilders.chat_member_update)
    my_chat_member_update = _Forward("builders", UpdateBuilders.my_chat_member_update)
    raw_update = _Forward("builders", UpdateBuilders.raw_update)
    photo_sizes = _Forward("media", Media.photo_sizes)
    sticker_object = _Forward("media", Media.sticker_object)
    voice_object = _Forward("media", Media.voice_object)
    document_object = _Forward("media", Media.document_object)
