"""The whole bot with the Facebook channel on, against the fake Graph API, and the fake
Telegram staff room (``running_bot``) for colleagues. Tests, benchmark and demo."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from helpbot.channels.facebook.channel import WEBHOOK_PATH
from helpbot.nlu.understanding import Understanding
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store
from helpbot.testing.fake_graph import FakeGraph, FbUser
from helpbot.testing.harness import BotUnderTest, running_bot


@dataclass
class FacebookBotUnderTest:
    fb: FakeGraph
    bot: BotUnderTest

    async def push(self, delivery: Awaitable[Any]) -> Any:
        """Deliver a webhook event (``fb.message(...)``, ``fb.comment(...)``) and wait until
        the bot has handled it and sent everything it decided."""
        answer = await delivery
        await self.settle()
        return answer

    async def settle(self) -> None:
        await self.bot.settle()

    def tenant(self, psid: str = "7001", first_name: str = "Ann") -> FbUser:
        return self.fb.user(psid, first_name, "Smith")

    async def staff_topic(self, case_id: int) -> int:
        case = await Casebook(self.bot.store).by_id(case_id)
        assert case is not None and case.staff_topic_id is not None
        return case.staff_topic_id

    def staff_says(self, thread: int) -> list[str]:
        return self.bot.replies_to(self.bot.staff_room.id, thread)


@asynccontextmanager
async def running_facebook_bot(
    store: Store, understanding: Understanding, **settings: Any
) -> AsyncIterator[FacebookBotUnderTest]:
    async with FakeGraph() as fb:
        values = {
            "facebook_page_id": fb.page_id,
            "facebook_page_token": fb.token,
            "facebook_app_secret": fb.app_secret,
            "facebook_verify_token": fb.verify_token,
            "facebook_graph_url": fb.base_url,
        }
        async with running_bot(store, understanding, **(values | settings)) as bot:
            fb.webhook_url = f"{bot.web_url}{WEBHOOK_PATH}"
            assert bot.parts.facebook is not None
            bot.parts.facebook.graph.rate_wait = 0.2  # Graph's estimate is in whole minutes
            yield FacebookBotUnderTest(fb, bot)
