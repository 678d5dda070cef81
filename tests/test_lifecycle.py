"""Deploys and restarts as an operator does them: SIGTERM stops taking webhooks first,
finishes what it claimed, exits cleanly, and the next start picks up the rest; long
polling outlives a failing Bot API."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from helpbot.store import models
from helpbot.store.records import Store
from helpbot.testing.bot_process import BotProcess, free_port
from helpbot.testing.fake_telegram import FakeTelegram
from helpbot.testing.harness import SECRET, TOKEN, running_bot, tenant
from tests.test_crash_recovery import bot_env, deliver_until_accepted, wait_until_idle


async def test_sigterm_refuses_new_webhooks_finishes_its_work_and_exits(
    tmp_path: Path, understanding: Any
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'deploy.db'}"
    async with FakeTelegram(token=TOKEN, bot_username="shal_helpbot") as tg:
        port = free_port()
        env = bot_env(tg, url, port) | {"HELPBOT_SHUTDOWN_GRACE_SECONDS": "8"}
        bot = BotProcess(env, log=tmp_path / "bot.log")
        await bot.start()
        try:
            people = [tenant(tg, 6100 + n, f"T{n}") for n in range(20)]
            tg.faults.hold(seconds=0.5, methods=("sendMessage",))  # Telegram is slow today
            updates = [tg.private_message(p, "what is your email address") for p in people]
            await asyncio.gather(*(deliver_until_accepted(tg, u) for u in updates))
            assert bot.process is not None
            bot.process.send_signal(15)
            await asyncio.sleep(0.2)
            late = tg.private_message(people[0], "what is your phone number")
            async with aiohttp.ClientSession() as session:
                try:
                    async with session.post(
                        f"http://127.0.0.1:{port}/telegram/webhook",
                        json=late,
                        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                    ) as refused:
                        assert refused.status == 503  # Telegram will try again
                except aiohttp.ClientConnectionError:
                    pass  # already gone: Telegram tries again just the same
            assert await bot.exited(timeout=30) == 0
            tg.clear_faults()
            await bot.start()
            await deliver_until_accepted(tg, late)
            store = Store.from_url(url)
            try:
                await wait_until_idle(store)
                async with store.sessions() as session:
                    statuses = list(await session.scalars(select(models.OutboxItem.status)))
                    handled = await session.scalar(
                        select(func.count(models.InboxEvent.id)).where(
                            models.InboxEvent.channel == "telegram"
                        )
                    )
            finally:
                await store.close()
            assert handled == 21
            assert statuses.count("sent") == 21 and len(statuses) == 21
            assert [len(tg.sent_messages(p.id)) for p in people] == [2] + [1] * 19
        finally:
            await bot.stop()


@pytest.mark.slow
async def test_long_polling_outlives_a_failing_bot_api(store: Store, understanding: Any) -> None:
    async with running_bot(store, understanding, polling=True) as bot:
        ann = tenant(bot.tg)
        bot.tg.faults.outage(status=502, seconds=4, methods=("getUpdates",))
        await asyncio.sleep(0.5)
        await bot.tg.deliver(bot.tg.private_message(ann, "what is your email address"))
        await bot.tg.wait_for_sent(ann.id, timeout=40)
        assert bot.tg.call_count("getUpdates", ok=False) >= 1
        assert "information@shal.org" in bot.replies_to(ann.id)[0]


async def test_an_update_nobody_can_parse_neither_stops_polling_nor_logs_tenants_words(
    store: Store, understanding: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """An update whose message is not an object reached the bot by long polling; the
    library's parser failed on the whole batch every time, so polling never moved on
    and it logged the batch, another tenant's words with it (outside review). It is now
    stored, recorded as malformed, and the tenant after it is answered."""
    async with running_bot(store, understanding, polling=True) as bot:
        ann, bea = tenant(bot.tg), tenant(bot.tg, 7702, "Bea")
        broken = bot.tg.raw_update({"message": "notanobject"}, assign_update_id=True)
        await bot.tg.deliver(broken)
        await bot.tg.deliver(bot.tg.private_message(bea, "my rent is behind, what is your email"))
        await bot.tg.deliver(bot.tg.private_message(ann, "what is your email address"))
        await bot.tg.wait_for_sent(ann.id, timeout=30)
        await bot.settle()
        async with store.sessions() as session:
            outcomes = list(await session.scalars(select(models.InboxEvent.outcome)))
    assert "information@shal.org" in bot.replies_to(ann.id)[0]
    assert "malformed" in outcomes
    assert "rent is behind" not in caplog.text and "notanobject" not in caplog.text
