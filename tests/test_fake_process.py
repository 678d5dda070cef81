"""The fake Bot API in a process of its own, and delivery that outlasts a bot restart.

Benchmarks and crash tests run the fake apart from the bot and drive it over
``/_fake/``: faults are switched on there, updates are re-POSTed until the bot's
webhook accepts them (as Telegram does while a bot is down), and counters are read
back without fetching every call.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import aiohttp
import pytest
import sniffio  # noqa: F401  - PTB's httpx stack must find it (DESIGN.md: CPU cost without it)
from aiohttp import web
from telegram import Bot
from telegram.error import RetryAfter, TimedOut
from telegram.request import HTTPXRequest

from helpbot.testing.fake_telegram import FakeTelegram, FakeTelegramProcess

TOKEN = "123456:TEST-TOKEN"
JSON = dict[str, Any]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotWebhook:
    """A stand-in for the bot's webhook route: answers each POST with the next status."""

    def __init__(self, port: int, statuses: list[int]) -> None:
        self.port = port
        self.statuses = statuses
        self.received: list[JSON] = []
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/telegram"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/telegram", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _handle(self, request: web.Request) -> web.Response:
        self.received.append(await request.json())
        status = self.statuses.pop(0) if self.statuses else 200
        return web.Response(status=status)


@pytest.fixture
async def webhook_factory() -> AsyncIterator[Callable[[list[int]], Awaitable[BotWebhook]]]:
    started: list[BotWebhook] = []

    async def make(statuses: list[int], *, start: bool = True) -> BotWebhook:
        hook = BotWebhook(free_port(), statuses)
        if start:
            await hook.start()
        started.append(hook)
        return hook

    yield make
    for hook in started:
        await hook.stop()


async def test_deliver_re_posts_until_the_webhook_answers_2xx(
    webhook_factory: Callable[[list[int]], Awaitable[BotWebhook]],
) -> None:
    hook = await webhook_factory([503, 500])
    async with FakeTelegram(token=TOKEN) as tg, aiohttp.ClientSession() as session:
        async with Bot(TOKEN, base_url=tg.base_url) as bot:
            await bot.set_webhook(hook.url)
        shorthand = {"from": {"id": 42, "first_name": "Ann"}, "text": "my boiler is broken"}
        async with session.post(f"{tg.url}/_fake/deliver", json=shorthand) as response:
            assert response.status == 200
            result = (await response.json())["result"]
    assert result["accepted"] and result["attempts"] == 3 and result["status"] == 200
    assert 0 < result["posted_at"] <= result["answered_at"]
    assert [u["update_id"] for u in hook.received] == [result["update_id"]] * 3
    assert hook.received[0]["message"]["text"] == "my boiler is broken"


async def test_deliver_waits_for_a_webhook_that_comes_back() -> None:
    hook = BotWebhook(free_port(), [])  # the bot is down: connection refused
    async with FakeTelegram(token=TOKEN) as tg:
        async with Bot(TOKEN, base_url=tg.base_url) as bot:
            await bot.set_webhook(hook.url)
        ann = tg.user(42, "Ann")
        delivery = asyncio.create_task(tg.deliver_until_accepted(tg.private_message(ann, "hi")))
        await asyncio.sleep(0.3)
        assert not delivery.done()
        await hook.start()  # the bot restarted
        try:
            report = await asyncio.wait_for(delivery, 5)
        finally:
            await hook.stop()
    assert report.accepted and report.attempts > 1 and report.status == 200
    assert len(hook.received) == 1


async def test_deliver_gives_up_at_its_deadline(
    webhook_factory: Callable[[list[int]], Awaitable[BotWebhook]],
) -> None:
    hook = await webhook_factory([500] * 100)
    async with FakeTelegram(token=TOKEN) as tg, aiohttp.ClientSession() as session:
        async with Bot(TOKEN, base_url=tg.base_url) as bot:
            await bot.set_webhook(hook.url)
        body = {"update": {"from": {"id": 42}, "text": "hi"}, "deadline": 0.3}
        async with session.post(f"{tg.url}/_fake/deliver", json=body) as response:
            assert response.status == 504
            answer = await response.json()
        report = await tg.deliver_until_accepted(tg.private_message(tg.users[42], "x"), deadline=0)
    assert not answer["ok"] and answer["result"]["accepted"] is False
    assert answer["result"]["status"] == 500 and answer["result"]["attempts"] >= 2
    assert not report.accepted and report.attempts == 1


async def test_without_a_webhook_deliver_queues_for_get_updates() -> None:
    async with FakeTelegram(token=TOKEN) as tg:
        report = await tg.deliver_until_accepted(tg.private_message(tg.user(42, "Ann"), "hi"))
        assert report.accepted and report.status is None and report.attempts == 1
        assert len(tg.pending_updates) == 1


async def test_the_fake_in_its_own_process(
    webhook_factory: Callable[[list[int]], Awaitable[BotWebhook]],
) -> None:
    hook = await webhook_factory([])
    async with FakeTelegramProcess(TOKEN, latency_ms=20) as fake:
        assert fake.port > 0 and fake.base_url == f"http://127.0.0.1:{fake.port}/bot"
        # Generous timeouts: a busy machine must not turn a slow answer into a failure.
        patient = HTTPXRequest(read_timeout=30, connect_timeout=30, pool_timeout=30)
        async with Bot(TOKEN, base_url=fake.base_url, request=patient) as bot:
            [get_me] = await fake.calls("getMe")
            assert get_me["delayed"] == 0.02  # --latency-ms

            # Updates go out by webhook and are re-POSTed until accepted.
            assert await bot.set_webhook(hook.url)
            shorthand = {"from": {"id": 42, "first_name": "Ann"}, "chat_id": 42, "text": "hi"}
            delivered = await fake.deliver(shorthand)
            assert delivered["ok"] and delivered["result"]["attempts"] == 1
            assert hook.received[0]["message"]["from"]["id"] == 42

            # A storm switched on from outside.
            await fake.add_fault({"kind": "storm", "retry_after": 3, "seconds": 60})
            with pytest.raises(RetryAfter):
                await bot.send_message(42, "during the storm")
            [storm] = await fake.faults()
            assert storm["hits"] == 1 and storm["active"]
            await fake.clear_faults()
            await bot.send_message(42, "after the storm")

            # A held answer: the client times out, the message is there once.
            await fake.add_fault({"kind": "hold", "seconds": 0.5, "count": 1})
            async with Bot(
                TOKEN, base_url=fake.base_url, request=HTTPXRequest(read_timeout=0.1)
            ) as impatient:
                with pytest.raises(TimedOut):
                    await impatient.send_message(42, "held")
            await asyncio.sleep(0.5)
            counts = await fake.counts()
            assert counts["sent"] == {"42": 2}
            assert counts["calls"]["sendMessage"] == {"ok": 2, "failed": 1}
            assert [m["text"] for m in await fake.sent(42)] == ["after the storm", "held"]
            calls = await fake.calls()
            assert [c["method"] for c in await fake.calls(since=len(calls) - 1)] == ["sendMessage"]
            await fake.clear_calls()
            assert (await fake.counts())["calls_total"] == 0
        pid = fake.pid
    assert fake.process is not None and fake.process.returncode is not None and pid
