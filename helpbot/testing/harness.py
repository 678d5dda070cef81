"""The whole bot, wired as in production, against the fake Telegram Bot API (tests, benchmark).

The store is a real database (SQLite file or PostgreSQL), the understanding is the
trained spaCy pipeline, the web app serves the real webhook route, and the bot talks
to the fake through python-telegram-bot's real HTTP stack.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web

from helpbot.channels.switchboard import Switchboard
from helpbot.channels.telegram.channel import TelegramChannel
from helpbot.channels.webchat import WebChat
from helpbot.config import REPO_ROOT
from helpbot.desk.front_desk import CommunitySettings, Desk, DeskSettings
from helpbot.desk.wording import Wording
from helpbot.nlu.understanding import Understanding
from helpbot.store.records import Store
from helpbot.testing.fake_telegram import FakeTelegram
from helpbot.testing.fake_telegram_objects import FakeChat, FakeUser
from helpbot.web.app import WEBHOOK_PATH, build_app

TOKEN = "123456:TEST-TOKEN"
SECRET = "correct-horse-battery-staple"
STAFF_GROUP_ID = -1001000000001
COMMUNITY_GROUP_ID = -1001000000002


@dataclass
class BotUnderTest:
    tg: FakeTelegram
    channel: TelegramChannel
    desk: Desk
    store: Store
    web_url: str
    staff_room: FakeChat
    community: FakeChat

    async def send(self, update: dict[str, Any], **kwargs: Any) -> int | None:
        """Deliver an update as Telegram would and wait until the bot has finished with it."""
        status = await self.tg.deliver(update, **kwargs)
        await self.settle()
        return status

    async def settle(self) -> None:
        await asyncio.sleep(0)
        await self.channel.lanes.drain()

    async def sweep(self, now: datetime) -> None:
        """Run the community groups' periodic sweep (serve.py runs it every minute) as if
        the clock said ``now``, and carry out what it decides."""
        actions = await self.desk.community_sweep(now)
        await self.channel.switchboard.execute(actions, origin="telegram")

    def replies_to(self, chat_id: int, thread_id: int | None = None) -> list[str]:
        return [m.get("text", "") for m in self.tg.sent_messages(chat_id, thread_id=thread_id)]


@asynccontextmanager
async def running_bot(
    store: Store,
    understanding: Understanding,
    *,
    polling: bool = False,
    staff_user_ids: tuple[int, ...] = (),
    before_start: Callable[[FakeTelegram], None] | None = None,
    community_settings: CommunitySettings | None = None,
) -> AsyncIterator[BotUnderTest]:
    async with FakeTelegram(
        token=TOKEN, bot_username="shal_helpbot", closed_topic_error=None
    ) as tg:
        staff_room = tg.group(STAFF_GROUP_ID, "SHAL staff", forum=True)
        community = tg.group(COMMUNITY_GROUP_ID, "SHAL tenants' community")
        desk = Desk(
            store,
            understanding,
            Wording.load(REPO_ROOT / "intents"),
            DeskSettings(community=community_settings or CommunitySettings()),
        )
        switchboard = Switchboard()
        channel = TelegramChannel(
            desk,
            store,
            token=TOKEN,
            base_url=tg.base_url,
            staff_group_id=STAFF_GROUP_ID,
            community_group_ids=(COMMUNITY_GROUP_ID,),
            webhook_secret=SECRET,
            retry_pause_cap=2.0,
            switchboard=switchboard,
            staff_user_ids=staff_user_ids,
        )
        app = build_app(store, WebChat(desk, store, switchboard), channel)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = runner.addresses[0][1]
        web_url = f"http://127.0.0.1:{port}"
        channel.webhook_url = None if polling else f"{web_url}{WEBHOOK_PATH}"
        if before_start is not None:
            before_start(tg)
        await channel.start(polling=polling)
        try:
            yield BotUnderTest(tg, channel, desk, store, web_url, staff_room, community)
        finally:
            await channel.stop()
            await runner.cleanup()


def tenant(tg: FakeTelegram, user_id: int = 5001, name: str = "Ann") -> FakeUser:
    return tg.user(user_id, name, username=name.lower() + "_tenant")
