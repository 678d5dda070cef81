"""Assembles the running bot: store, understanding, desk, channels, web app."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from aiohttp import web

from helpbot.channels.switchboard import Switchboard
from helpbot.channels.telegram.channel import TelegramChannel
from helpbot.channels.webchat import WebChat
from helpbot.config import Settings
from helpbot.desk.actions import Action
from helpbot.desk.complaints_clock import LONDON, is_working_day
from helpbot.desk.front_desk import CommunitySettings, Desk, DeskSettings
from helpbot.desk.group_rules import GroupRules
from helpbot.desk.wording import Wording
from helpbot.nlu.training import ensure_trained
from helpbot.nlu.understanding import Understanding
from helpbot.store.database import upgrade_async
from helpbot.store.records import Store
from helpbot.web.app import WEBHOOK_PATH, build_app

log = logging.getLogger(__name__)


def load_understanding(settings: Settings) -> Understanding:
    ensure_trained(settings.intents_dir, settings.pipeline_dir)
    return Understanding.load(settings.pipeline_dir, settings.intents_dir)


def build_desk(settings: Settings, store: Store, understanding: Understanding) -> Desk:
    return Desk(
        store,
        understanding,
        Wording.load(settings.intents_dir),
        DeskSettings(community=community_settings(settings)),
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


REMINDER_HOUR = 9  # local time in England
REMINDER_CHECK_SECONDS = 600
SWEEP_SECONDS = 60


async def complaint_reminders(desk: Desk) -> list[Action]:
    """Once each working morning, post due and overdue complaints to the staff group
    (Complaint Handling Code timescales). Checked every 10 minutes so a restart
    after 9am still sends that day's reminder; the desk never repeats one in a day."""
    now = datetime.now(LONDON)
    if now.hour < REMINDER_HOUR or not is_working_day(now.date()):
        return []
    return await desk.complaint_reminders(now.date())


async def community_sweep(desk: Desk) -> list[Action]:
    """Decline join requests left unanswered (3.6.2) and lift cool-downs whose time is up."""
    return await desk.community_sweep(datetime.now(UTC))


async def every(
    seconds: float,
    work: Callable[[Desk], Awaitable[list[Action]]],
    desk: Desk,
    switchboard: Switchboard,
) -> None:
    """Run a piece of the desk's timed work for ever; one failure never stops the loop."""
    while True:
        try:
            await switchboard.execute(await work(desk), origin="telegram")
        except Exception as error:  # the next round retries
            log.error("%s failed: %s", work.__name__, type(error).__name__)
        await asyncio.sleep(seconds)


async def serve(settings: Settings, *, polling: bool | None = None) -> None:
    await upgrade_async(settings.database_url)
    understanding = await asyncio.to_thread(load_understanding, settings)
    store = Store.from_url(settings.database_url)
    desk = build_desk(settings, store, understanding)
    switchboard = Switchboard()
    telegram: TelegramChannel | None = None
    if settings.telegram_token:
        telegram = TelegramChannel(
            desk,
            store,
            token=settings.telegram_token,
            base_url=settings.telegram_base_url,
            staff_group_id=settings.staff_group_id,
            community_group_ids=settings.community_group_ids,
            webhook_url=settings.webhook_url,
            webhook_secret=settings.webhook_secret,
            switchboard=switchboard,
            staff_user_ids=settings.staff_user_ids,
        )
    app = build_app(store, WebChat(desk, store, switchboard), telegram)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, settings.port)
    await site.start()
    port = runner.addresses[0][1] if runner.addresses else settings.port
    print(f"helpbot web chat: http://{settings.host}:{port}/chat", flush=True)
    if telegram is not None:
        await telegram.start(polling=polling)
        mode = "polling" if telegram._polling else f"webhook at {WEBHOOK_PATH}"
        print(f"helpbot telegram: @{telegram.bot.bot.username} ({mode})", flush=True)
    else:
        print("helpbot telegram: off (set HELPBOT_TELEGRAM_TOKEN to enable)", flush=True)

    loop = asyncio.get_running_loop()
    reminders = loop.create_task(
        every(REMINDER_CHECK_SECONDS, complaint_reminders, desk, switchboard)
    )
    sweeps = loop.create_task(every(SWEEP_SECONDS, community_sweep, desk, switchboard))
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        for task in (reminders, sweeps):
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if telegram is not None:
            await telegram.stop()
        await runner.cleanup()
        await store.close()
