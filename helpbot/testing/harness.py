"""The whole bot, wired as in production, against the fake Telegram Bot API (tests, benchmark).

The store is a real database (SQLite file or PostgreSQL), the understanding is the
trained spaCy pipeline, the web app serves the real webhook route, and the bot talks
to the fake through python-telegram-bot's real HTTP stack.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from aiohttp import web

from helpbot.channels.telegram.channel import TelegramChannel
from helpbot.config import REPO_ROOT, Settings
from helpbot.desk.front_desk import CommunitySettings, Desk
from helpbot.nlu.understanding import Understanding
from helpbot.postroom.room import PostRoom
from helpbot.postroom.sender import SendPolicy
from helpbot.serve import Bot, assemble
from helpbot.store.records import Store
from helpbot.testing.fake_telegram import FakeTelegram
from helpbot.testing.fake_telegram_objects import FakeChat, FakeUser
from helpbot.web.app import WEBHOOK_PATH

TOKEN = "123456:TEST-TOKEN"
SECRET = "correct-horse-battery-staple"
STAFF_GROUP_ID = -1001000000001
COMMUNITY_GROUP_ID = -1001000000002
# The colleagues on the staff list of a test bot (HELPBOT_STAFF_USER_IDS): with no list,
# nobody is staff. Tests write as Priya (9001) and Tom (9002).
STAFF_USER_IDS = (9001, 9002)


@dataclass
class BotUnderTest:
    tg: FakeTelegram
    channel: TelegramChannel
    desk: Desk
    store: Store
    web_url: str
    staff_room: FakeChat
    community: FakeChat
    postroom: PostRoom
    parts: Bot

    async def send(self, update: dict[str, Any], **kwargs: Any) -> int | None:
        """Deliver an update as Telegram would and wait until the bot has finished with it."""
        status = await self.tg.deliver(update, **kwargs)
        await self.settle()
        return status

    async def settle(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until every stored event is handled and every reply sent (or given up)."""
        await self.postroom.idle(timeout)

    async def sweep(self, now: datetime) -> None:
        """Run the community groups' periodic sweep (the clock does it every minute) as if
        the clock said ``now``, and carry out what it decides."""
        await self.postroom.inbox.accept(
            "system",
            f"sweep:test:{uuid.uuid4().hex}",
            "system:clock",
            {"kind": "sweep", "at": now.isoformat()},
        )
        await self.settle()

    async def remind(self, day: date) -> None:
        """Run the complaints clock's morning reminders for ``day`` through the inbox."""
        await self.postroom.inbox.accept(
            "system",
            f"reminders:test:{uuid.uuid4().hex}",
            "system:clock",
            {"kind": "reminders", "day": day.isoformat()},
        )
        await self.settle()

    def replies_to(self, chat_id: int, thread_id: int | None = None) -> list[str]:
        return [m.get("text", "") for m in self.tg.sent_messages(chat_id, thread_id=thread_id)]

    def tenant_said(self, thread_id: int) -> dict[str, Any]:
        """The latest of the tenant's messages the bot posted in a case's topic (their
        words, or a copy of their photo or file): a colleague replies to it to answer."""
        for message in reversed(self.tg.sent_messages(self.staff_room.id, thread_id=thread_id)):
            if "💬" in message.get("text", "") or "text" not in message:
                return message
        raise AssertionError(f"nothing from the tenant in topic {thread_id}")


def settings_for(tg: FakeTelegram, store: Store, **overrides: Any) -> Settings:
    """The settings a test bot runs with: the fake's address, our staff and community
    groups, and quick retries so fault tests finish in seconds."""
    values: dict[str, Any] = {
        "telegram_token": TOKEN,
        "telegram_base_url": tg.base_url,
        "staff_group_id": STAFF_GROUP_ID,
        "community_group_ids": (COMMUNITY_GROUP_ID,),
        "webhook_secret": SECRET,
        "intents_dir": REPO_ROOT / "intents",
        "database_url": str(store.engine.url.render_as_string(hide_password=False)),
    }
    return Settings(**(values | overrides))


@asynccontextmanager
async def running_bot(
    store: Store,
    understanding: Understanding,
    *,
    polling: bool = False,
    staff_user_ids: tuple[int, ...] = STAFF_USER_IDS,
    before_start: Callable[[FakeTelegram], None] | None = None,
    community_settings: CommunitySettings | None = None,
    send_policy: SendPolicy | None = None,
    **settings: Any,
) -> AsyncIterator[BotUnderTest]:
    async with FakeTelegram(
        token=TOKEN, bot_username="shal_helpbot", closed_topic_error=None
    ) as tg:
        staff_room = tg.group(STAFF_GROUP_ID, "SHAL staff", forum=True)
        community = tg.group(COMMUNITY_GROUP_ID, "SHAL tenants' community")
        config = settings_for(tg, store, staff_user_ids=staff_user_ids, **settings)
        parts = await assemble(config, store, understanding)
        if community_settings is not None:
            parts.desk.settings = replace(parts.desk.settings, community=community_settings)
        if send_policy is not None:
            parts.postroom.sender.policy = send_policy
        assert parts.telegram is not None
        channel = parts.telegram
        runner = web.AppRunner(parts.app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        web_url = f"http://127.0.0.1:{port}"
        channel.webhook_url = None if polling else f"{web_url}{WEBHOOK_PATH}"
        if before_start is not None:
            before_start(tg)
        await parts.postroom.start()
        await channel.start(polling=polling)
        try:
            yield BotUnderTest(
                tg,
                channel,
                parts.desk,
                store,
                web_url,
                staff_room,
                community,
                parts.postroom,
                parts,
            )
        finally:
            await parts.stop()
            await runner.cleanup()


@asynccontextmanager
async def running_web_chat(
    store: Store, understanding: Understanding, **settings: Any
) -> AsyncIterator[tuple[str, Bot]]:
    """The bot as `make run` starts it with no Telegram token: the web chat alone."""
    values: dict[str, Any] = {
        "telegram_token": None,
        "intents_dir": REPO_ROOT / "intents",
        "database_url": str(store.engine.url.render_as_string(hide_password=False)),
    }
    parts = await assemble(Settings(**(values | settings)), store, understanding)
    runner = web.AppRunner(parts.app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    await parts.postroom.start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}", parts
    finally:
        await parts.stop()
        await runner.cleanup()


def tenant(tg: FakeTelegram, user_id: int = 5001, name: str = "Ann") -> FakeUser:
    return tg.user(user_id, name, username=name.lower() + "_tenant")
