"""PostgreSQL stops for ten seconds under a live bot (a cluster of the test's own, never
the shared one). Meanwhile /healthz tells the truth and Telegram's deliveries are
refused with 503 (so Telegram keeps them); afterwards the bot recovers by itself and
every message is answered once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import Any

import aiohttp
import pytest

from helpbot.store.database import upgrade
from helpbot.store.records import Store
from helpbot.testing.fake_telegram import FakeTelegram, WebhookDeliveryError
from helpbot.testing.harness import running_bot, tenant
from helpbot.testing.own_postgres import OwnPostgres


@pytest.fixture
def own_postgres() -> Iterator[OwnPostgres]:
    cluster = OwnPostgres()
    cluster.start()
    upgrade(cluster.url)
    try:
        yield cluster
    finally:
        cluster.remove()


async def health(url: str) -> int:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{url}/healthz", timeout=aiohttp.ClientTimeout(total=10)) as r:
            await r.read()
            return r.status


async def deliver_until_accepted(tg: FakeTelegram, update: dict[str, Any]) -> int:
    """As Telegram does: POST again until the webhook says 2xx. Returns the tries."""
    tries = 0
    async with asyncio.timeout(90):
        while True:
            tries += 1
            with contextlib.suppress(WebhookDeliveryError):
                if await tg.deliver(update) == 200:
                    return tries
            await asyncio.sleep(0.5)


@pytest.mark.slow
async def test_the_bot_rides_out_a_database_outage_and_says_so_meanwhile(
    own_postgres: OwnPostgres, understanding: Any
) -> None:
    store = Store.from_url(own_postgres.url)
    try:
        async with running_bot(store, understanding) as bot:
            ann, bob = tenant(bot.tg), tenant(bot.tg, 5002, "Bob")
            await bot.send(bot.tg.private_message(ann, "what is your email address"))
            assert len(bot.replies_to(ann.id)) == 1
            assert await health(bot.web_url) == 200

            own_postgres.stop()
            assert await health(bot.web_url) == 503
            during = [
                bot.tg.private_message(bob, "what is your phone number"),
                bot.tg.private_message(ann, "where is your office"),
            ]
            deliveries = [
                asyncio.get_running_loop().create_task(deliver_until_accepted(bot.tg, u))
                for u in during
            ]
            await asyncio.sleep(10)
            assert await health(bot.web_url) == 503
            assert not any(task.done() for task in deliveries)  # refused, kept by Telegram
            own_postgres.start()

            tries = await asyncio.gather(*deliveries)
            assert all(n > 1 for n in tries)
            await bot.settle(timeout=60)
            assert [len(bot.replies_to(p.id)) for p in (ann, bob)] == [2, 1]
            assert "Crypton House" in bot.replies_to(ann.id)[1]
            assert await health(bot.web_url) == 200
    finally:
        await store.close()
