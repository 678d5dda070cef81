"""Assembles the running bot: store, understanding, desk, channels, post room, web app.

Start-up order matters for "stored before acknowledged, handled once": the post room
starts (and takes up whatever a previous run left) before any channel accepts new
events. Shutdown runs the other way: stop accepting (webhooks get 503, so Telegram
retries later), finish what was claimed within the grace period, then exit; anything
unfinished stays pending for the next start.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import math
import os
import signal
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import NoReturn
from urllib.parse import urlsplit

from aiohttp import web

from helpbot.channels.facebook.channel import FacebookChannel
from helpbot.channels.facebook.translate import CHANNEL as FACEBOOK
from helpbot.channels.switchboard import Switchboard
from helpbot.channels.telegram.channel import TelegramChannel
from helpbot.channels.telegram.translate import CHANNEL as TELEGRAM
from helpbot.channels.webchat import CHANNEL as WEB
from helpbot.channels.webchat import WebChat
from helpbot.config import Settings, office_hours
from helpbot.desk.front_desk import CommunitySettings, Desk, DeskSettings
from helpbot.desk.group_rules import GroupRules
from helpbot.desk.wording import Wording
from helpbot.nlu.memory import give_back_freed
from helpbot.nlu.sentence_encoder import MiniLMEncoder
from helpbot.nlu.training import ensure_trained, is_current
from helpbot.nlu.understanding import Understanding
from helpbot.postroom.inbox import Inbox, RetryPolicy
from helpbot.postroom.reception import Reception
from helpbot.postroom.room import PostRoom
from helpbot.postroom.sender import SendPolicy
from helpbot.store.database import upgrade, upgrade_async
from helpbot.store.desk_records import desk_records
from helpbot.store.records import Store
from helpbot.store.staff_topics import StaffTopics
from helpbot.web.app import WEBHOOK_PATH, build_app
from helpbot.web.console import CHANNEL as CONSOLE
from helpbot.web.console import ConsoleSettings
from helpbot.web.console import translate as console_translate
from helpbot.web.console.staff_commands import ShownInConsole

log = logging.getLogger(__name__)

CLOCK_SECONDS = 60
NO_STAFF_ROOM = (
    "no staff room is set (HELPBOT_TELEGRAM_TOKEN and HELPBOT_STAFF_GROUP_ID): nobody is "
    "alerted to new cases and colleagues cannot reply in tenants' chats; the bot tells "
    "tenants so and gives them the phone number to call"
)


def load_understanding(
    settings: Settings, *, say_so: bool = False, threads: int = 1
) -> Understanding:
    """The trained pipeline, built first if intents/ changed. ``say_so``: one line on
    screen while that happens (the first `make run`), so a quiet wait is not a hang.
    ``threads``: cores the model may use (``cores_for_the_model``); 1 in a process that
    forks."""
    if say_so and not is_current(settings.intents_dir, settings.pipeline_dir):
        print(
            "helpbot: building the language model from intents/ (first run only; a few minutes)...",
            flush=True,
        )
    # Training reads on one thread and forks its folds (training.FoldFits); the model
    # that serves then gets its cores, in an encoder of its own.
    MiniLMEncoder.use_threads(1)
    ensure_trained(settings.intents_dir, settings.pipeline_dir)
    MiniLMEncoder.use_threads(threads)
    return Understanding.load(settings.pipeline_dir, settings.intents_dir)


def build_desk(
    settings: Settings,
    store: Store,
    understanding: Understanding,
    telegram: TelegramChannel | None = None,
) -> Desk:
    """The desk with its settings fixed once, here: who the bot is, which chat is the
    staff room and who is staff come from settings and the channel's getMe."""
    directory = telegram.directory if telegram is not None else None
    return Desk(
        desk_records(store),
        understanding,
        Wording.load(settings.intents_dir),
        DeskSettings(
            bot_username=directory.bot_username if directory else None,
            staff_chat=telegram.staff_chat if telegram is not None else None,
            staff_user_ids=tuple(str(i) for i in settings.staff_user_ids),
            staff_lead_ids=tuple(str(i) for i in settings.staff_lead_ids),
            community=community_settings(settings),
            extension_working_days=settings.complaint_extension_days,
            stage2_extension_working_days=settings.complaint_stage2_extension_days,
            office_hours=office_hours(settings.office_hours),
            out_of_hours_phone=settings.out_of_hours_phone,
            private_flood_messages=settings.private_flood_messages,
        ),
        GroupRules.load(settings.intents_dir),
    )


def community_settings(settings: Settings) -> CommunitySettings:
    """The community groups' HELPBOT_* settings, as the desk takes them."""
    return CommunitySettings(
        join_answer_minutes=settings.join_answer_minutes,
        new_member_days=settings.new_member_days,
        mass_mention_limit=settings.mass_mention_limit,
        flood_messages=settings.flood_messages,
        flood_seconds=settings.flood_seconds,
        flood_pause_minutes=settings.flood_pause_minutes,
        argument_window_minutes=settings.argument_window_minutes,
        argument_quiet_minutes=settings.argument_quiet_minutes,
        argument_cooldown_minutes=settings.argument_cooldown_minutes,
        argument_cooldown_group_ids=tuple(str(i) for i in settings.argument_cooldown_group_ids),
        private_hostile_limit=settings.private_hostile_limit,
        private_cooldown_minutes=settings.private_cooldown_minutes,
        warnings_before_removal=settings.warnings_before_removal,
    )


@dataclass
class Bot:
    """Everything one process runs, wired once."""

    store: Store
    desk: Desk
    postroom: PostRoom
    webchat: WebChat
    telegram: TelegramChannel | None
    app: web.Application
    settings: Settings
    clock: asyncio.Task[None] | None = field(default=None)
    facebook: FacebookChannel | None = field(default=None)

    async def stop(self) -> None:
        if self.telegram is not None:
            await self.telegram.stop_receiving()
        if self.facebook is not None:
            self.facebook.accepting = False
        self.webchat.accepting = False
        if self.clock is not None:
            self.clock.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.clock
        await self.postroom.stop(self.settings.shutdown_grace_seconds)
        if self.telegram is not None:
            await self.telegram.stop()
        if self.facebook is not None:
            await self.facebook.stop()


def facebook_channel(settings: Settings, inbox: Inbox) -> FacebookChannel | None:
    """The Page's Messenger and comments, when the HELPBOT_FACEBOOK_* settings are given."""
    if not settings.facebook_enabled:
        return None
    return FacebookChannel(
        inbox,
        page_id=settings.facebook_page_id or "",
        page_token=settings.facebook_page_token or "",
        app_secret=settings.facebook_app_secret or "",
        verify_token=settings.facebook_verify_token or "",
        graph_url=settings.facebook_graph_url,
        human_agent=settings.facebook_human_agent,
        send_timeout=settings.send_timeout_seconds,
    )


def public_origins(settings: Settings) -> tuple[str, ...]:
    """The Origin browsers send from the public address (behind an https proxy the
    request itself looks like plain http on loopback, so it cannot tell us)."""
    if not settings.public_url:
        return ()
    parts = urlsplit(settings.public_url.strip())
    if not parts.scheme or not parts.netloc:
        return ()
    return (f"{parts.scheme.lower()}://{parts.netloc.lower()}",)


async def assemble(settings: Settings, store: Store, understanding: Understanding) -> Bot:
    """Build every part of one process; nothing is started yet."""
    inbox = Inbox(store, RetryPolicy(attempts=settings.event_attempts))
    telegram: TelegramChannel | None = None
    switchboard = Switchboard()
    if settings.telegram_token:
        telegram = TelegramChannel(
            inbox,
            StaffTopics(store),
            token=settings.telegram_token,
            base_url=settings.telegram_base_url,
            staff_group_id=settings.staff_group_id,
            community_group_ids=settings.community_group_ids,
            webhook_url=settings.webhook_url,
            webhook_secret=settings.webhook_secret,
            send_timeout=settings.send_timeout_seconds,
        )
        await telegram.connect()
    desk = build_desk(settings, store, understanding, telegram)
    if not desk.settings.staff_room:
        # Once per process, at start-up: what tenants are told instead (cases/promises.py).
        log.warning(NO_STAFF_ROOM)
    webchat = WebChat(
        inbox,
        store,
        allowed_origins=public_origins(settings),
        trust_proxy=settings.trust_proxy or settings.console_trust_proxy,
    )
    reception = Reception(desk, {WEB: webchat.translate, CONSOLE: console_translate})
    switchboard.connect(WEB, webchat)
    switchboard.connect(CONSOLE, ShownInConsole())  # the desk's answers to the console
    if telegram is not None:
        telegram.open_message_label = desk.say("community_staff", "open_message")
        reception.register(TELEGRAM, telegram.translate)
        switchboard.connect(TELEGRAM, telegram, staff_room=telegram.staff_group_id is not None)
    facebook = facebook_channel(settings, inbox)
    if facebook is not None:
        reception.register(FACEBOOK, facebook.translate)
        switchboard.connect(FACEBOOK, facebook)
    postroom = PostRoom(
        store,
        reception,
        switchboard,
        inbox=inbox,
        staff_chat=telegram.staff_chat if telegram is not None else None,
        workers=settings.workers,
        send_policy=SendPolicy(lease=timedelta(seconds=settings.send_lease_seconds)),
        deliver_for=timedelta(hours=settings.deliver_hours),
    )
    app = build_app(
        store,
        webchat,
        telegram,
        postroom=postroom,
        max_wait=settings.health_max_wait_seconds,
        facebook=facebook,
        warnings=() if desk.settings.staff_room else (NO_STAFF_ROOM,),
    )
    return Bot(store, desk, postroom, webchat, telegram, app, settings, facebook=facebook)


async def tick(postroom: PostRoom) -> None:
    """The clock: one tick a minute into the inbox; one failure never stops it."""
    while True:
        try:
            await postroom.clock(datetime.now(UTC))
        except Exception as error:  # the next tick retries
            log.warning("clock tick failed: %s", type(error).__name__)
        await asyncio.sleep(CLOCK_SECONDS)


def keep_loaded() -> None:
    """What is loaded by now (modules, the language model) stays for the process's life:
    the collector need not look at it again, and a process forked from here shares
    its pages instead of copying them as the collector touches each object. The heap
    that loading freed goes back to the system (glibc keeps it otherwise: 11 MB of
    resident memory per process, measured)."""
    gc.collect()
    gc.freeze()
    give_back_freed()


async def serve(
    settings: Settings, *, polling: bool | None = None, understanding: Understanding | None = None
) -> None:
    """The serving process; ``understanding`` if it was loaded before a fork."""
    await upgrade_async(settings.database_url)
    if understanding is None:
        threads = settings.cores_for_the_model(forks=False)
        understanding = await asyncio.to_thread(
            lambda: load_understanding(settings, say_so=True, threads=threads)
        )
        keep_loaded()
    store = Store.from_url(settings.database_url)
    bot = await assemble(settings, store, understanding)
    await bot.postroom.start()  # takes up what a previous run left, before anything new
    runner = web.AppRunner(bot.app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    port = runner.addresses[0][1] if runner.addresses else settings.port
    print(f"helpbot web chat: http://{settings.host}:{port}/chat", flush=True)
    console = ConsoleSettings().console_url(f"http://{settings.host}:{port}")
    print(f"helpbot staff console: {console}/", flush=True)
    print(
        "  first account: helpbot staff add EMAIL --role admin (prints a set-password link)",
        flush=True,
    )
    if bot.telegram is not None:
        await bot.telegram.start(polling=polling)
        mode = "polling" if bot.telegram.polling else f"webhook at {WEBHOOK_PATH}"
        username = bot.telegram.directory.bot_username if bot.telegram.directory else "?"
        print(f"helpbot telegram: @{username} ({mode})", flush=True)
        for note in settings.unset_lists():
            log.warning("setting left empty: %s", note.split(" ", 1)[0])
            print(f"helpbot telegram: {note}", flush=True)
    else:
        print("helpbot telegram: off (set HELPBOT_TELEGRAM_TOKEN to enable)", flush=True)
    if bot.facebook is not None:
        print(f"helpbot facebook: Page {bot.facebook.page_id} (webhook at /facebook/webhook)")
    bot.clock = asyncio.get_running_loop().create_task(tick(bot.postroom))
    await _until_stopped()
    log.info("shutting down")
    try:
        await bot.stop()
    finally:
        await runner.cleanup()
        await store.close()


async def work(settings: Settings, *, understanding: Understanding | None = None) -> int:
    """A worker process (``helpbot serve --workers N`` forks N-1 of these; ``helpbot
    work`` starts one by hand): it handles events and sends from the shared PostgreSQL
    inbox and outbox, and receives nothing. Refused on SQLite: its claims have no row
    locks, and a starting sender takes every send still marked "sending" as cut off,
    including the serving process's own."""
    if not settings.database_url.startswith("postgresql"):
        print(
            "helpbot: work needs PostgreSQL (HELPBOT_DATABASE_URL); SQLite serves one process.",
            file=sys.stderr,
        )
        return 2
    if understanding is None:
        threads = settings.cores_for_the_model(forks=False)
        understanding = await asyncio.to_thread(
            lambda: load_understanding(settings, threads=threads)
        )
        keep_loaded()
    store = Store.from_url(settings.database_url)
    bot = await assemble(settings, store, understanding)
    await bot.postroom.start()
    await _until_stopped()
    try:
        await bot.stop()
    finally:
        await store.close()
    return 0


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


def serve_processes(settings: Settings, processes: int, *, polling: bool | None) -> int:
    """``serve --workers N``: this process serves and works; N-1 more only work.

    The workers are forked from this process once the language model and every module
    are loaded, so they share those pages with it (copy on write) instead of each
    loading its own: two processes take about the memory of one and a half."""
    if processes > 1 and not settings.database_url.startswith("postgresql"):
        print(
            "helpbot: --workers above 1 needs PostgreSQL (HELPBOT_DATABASE_URL); "
            "SQLite serves one process.",
            file=sys.stderr,
        )
        return 2
    if processes == 1:
        asyncio.run(serve(settings, polling=polling))
        return 0
    upgrade(settings.database_url)
    understanding = load_understanding(settings, say_so=True)
    keep_loaded()
    sys.stdout.flush()
    sys.stderr.flush()
    children = []
    for _ in range(processes - 1):
        child = os.fork()
        if child == 0:
            _worker_child(settings, understanding)
        children.append(child)
    try:
        asyncio.run(serve(settings, polling=polling, understanding=understanding))
    finally:
        _stop_children(children, settings.shutdown_grace_seconds + CHILD_STOP_MARGIN)
    return 0


CHILD_STOP_MARGIN = 10.0  # seconds beyond the grace period before a worker is killed


def _worker_child(settings: Settings, understanding: Understanding) -> NoReturn:
    """A forked worker: its own event loop, connections and signal handlers; it never
    returns into the parent's code (``os._exit``)."""
    code = 1
    try:
        code = asyncio.run(work(settings, understanding=understanding))
    except KeyboardInterrupt:
        code = 130
    except BaseException as error:  # the class only: its text may quote a tenant
        log.error("worker process stopped: %s", type(error).__name__)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def _stop_children(children: list[int], within: float) -> None:
    """SIGTERM each worker (they finish what they claimed), then wait; one still running
    after ``within`` seconds is killed (what it claimed stays pending)."""
    for child in children:
        with contextlib.suppress(ProcessLookupError):
            os.kill(child, signal.SIGTERM)
    deadline = time.monotonic() + within
    waiting = set(children)
    while waiting:
        for child in list(waiting):
            with contextlib.suppress(ChildProcessError):
                done, _status = os.waitpid(child, os.WNOHANG)
                if not done:
                    continue
            waiting.discard(child)
        if waiting and time.monotonic() > deadline:
            for child in waiting:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
            deadline = math.inf
        if waiting:
            time.sleep(0.05)
