"""Kill the bot mid-burst, as an operator's bad day would, and check what tenants got.

The bot runs as its own process against the fake Bot API (in this process, which
re-POSTs every update until the webhook answers 2xx, as Telegram does). It is killed
with SIGKILL while a burst is arriving and started again. Afterwards: every update is
handled once (no duplicate history rows), every tenant gets each answer once and in
order, and a send cut off by the kill is never repeated: it is marked unconfirmed."""

from __future__ import annotations

import asyncio
import contextlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from helpbot.store import models
from helpbot.store.records import Store
from helpbot.testing.bot_process import BotProcess, free_port
from helpbot.testing.fake_telegram import FakeTelegram, WebhookDeliveryError
from helpbot.testing.harness import SECRET, TOKEN
from tests.nlu_fixtures import INTENTS_DIR, PIPELINE_DIR

# Questions with distinct answers, so each reply shows which message it answers.
QUESTIONS = (
    ("what is your email address", "Our email address"),
    ("what is your phone number", "You can call us"),
    ("what is your website", "Our website is"),
    ("where is your office", "Crypton House"),
    ("how do I make a complaint", "any way that suits you"),
)
CHATS = 30
PER_CHAT = 10


def answered(text: str) -> int:
    """Which question a reply answers (its index in QUESTIONS)."""
    return next(i for i, (_, mark) in enumerate(QUESTIONS) if mark in text)


async def deliver_until_accepted(tg: FakeTelegram, update: dict[str, Any]) -> None:
    """Telegram's side of a webhook: POST, and POST again until the answer is 2xx."""
    pause = 0.05
    async with asyncio.timeout(120):
        while True:
            with contextlib.suppress(WebhookDeliveryError):
                if await tg.deliver(update) == 200:
                    return
            await asyncio.sleep(pause)
            pause = min(1.0, pause * 2)


def bot_env(tg: FakeTelegram, database_url: str, port: int) -> dict[str, str]:
    return {
        "HELPBOT_DATABASE_URL": database_url,
        "HELPBOT_TELEGRAM_TOKEN": TOKEN,
        "HELPBOT_TELEGRAM_BASE_URL": tg.base_url,
        "HELPBOT_WEBHOOK_URL": f"http://127.0.0.1:{port}/telegram/webhook",
        "HELPBOT_WEBHOOK_SECRET": SECRET,
        "HELPBOT_PORT": str(port),
        "HELPBOT_INTENTS_DIR": str(INTENTS_DIR),
        "HELPBOT_PIPELINE_DIR": str(PIPELINE_DIR),
        "HELPBOT_SEND_LEASE_SECONDS": "5",
    }


async def wait_until_idle(store: Store, timeout: float = 90) -> None:  # noqa: ASYNC109
    async with asyncio.timeout(timeout):
        while True:
            async with store.sessions() as session:
                waiting = await session.scalar(
                    select(func.count(models.InboxEvent.id)).where(
                        models.InboxEvent.status == "pending"
                    )
                )
                sending = await session.scalar(
                    select(func.count(models.OutboxItem.id)).where(
                        models.OutboxItem.status.in_(("pending", "sending"))
                    )
                )
            if not waiting and not sending:
                return
            await asyncio.sleep(0.2)


async def burst_with_kills(
    tg: FakeTelegram,
    bots: list[BotProcess],
    kill_after: tuple[int, ...],
    restart: list[BotProcess],
) -> list[dict[str, Any]]:
    """Deliver the burst (16 at a time), killing ``bots`` after the given numbers of
    acknowledged updates and starting ``restart`` again straight away."""
    tenants = [tg.user(7000 + n, f"Tenant{n}") for n in range(CHATS)]
    updates = [
        tg.private_message(tenants[c], QUESTIONS[(c + m) % len(QUESTIONS)][0])
        for m in range(PER_CHAT)
        for c in range(CHATS)
    ]
    acknowledged = 0
    kills = list(kill_after)
    gate = asyncio.Semaphore(16)
    killing = asyncio.Lock()

    async def one(update: dict[str, Any]) -> None:
        nonlocal acknowledged
        async with gate:
            await deliver_until_accepted(tg, update)
        acknowledged += 1
        if kills and acknowledged >= kills[0]:
            async with killing:
                if kills and acknowledged >= kills[0]:
                    kills.pop(0)
                    for bot in bots:
                        bot.kill()
                    for bot in bots:
                        await bot.wait_dead()
                    for bot in restart:
                        await bot.start()

    # One chat's updates go out in order, as Telegram sends them; chats go side by side.
    by_chat: dict[int, list[dict[str, Any]]] = {}
    for update in updates:
        by_chat.setdefault(update["message"]["chat"]["id"], []).append(update)

    async def chat(queue: list[dict[str, Any]]) -> None:
        for update in queue:
            await one(update)

    await asyncio.gather(*(chat(queue) for queue in by_chat.values()))
    return updates


async def check_outcome(tg: FakeTelegram, store: Store, updates: list[dict[str, Any]]) -> None:
    async with store.sessions() as session:
        handled = await session.scalar(
            select(func.count(models.InboxEvent.id)).where(
                models.InboxEvent.status == "done", models.InboxEvent.channel == "telegram"
            )
        )
        history_in = await session.scalar(
            select(func.count(models.Message.id)).where(models.Message.direction == "in")
        )
        rows = (
            await session.execute(select(models.OutboxItem.lane, models.OutboxItem.status))
        ).all()
    assert handled == len(updates)
    assert history_in == len(updates)  # no duplicate history rows
    by_chat: dict[int, list[dict[str, Any]]] = {}
    for update in updates:
        by_chat.setdefault(update["message"]["chat"]["id"], []).append(update)
    for chat_id, sent_updates in by_chat.items():
        expected = [answered(dict(QUESTIONS)[u["message"]["text"]]) for u in sent_updates]
        got = [answered(m.get("text", "")) for m in tg.sent_messages(chat_id)]
        statuses = [status for lane, status in rows if lane == f"telegram:{chat_id}"]
        assert len(statuses) == PER_CHAT, (chat_id, statuses)
        assert set(statuses) <= {"sent", "unconfirmed"}
        # Never doubled, never out of order: what arrived is the expected sequence with
        # at most the unconfirmed ones missing.
        assert len(got) <= PER_CHAT
        assert len(got) >= statuses.count("sent")
        position = 0
        for answer in got:
            while position < len(expected) and expected[position] != answer:
                position += 1
            assert position < len(expected), (chat_id, expected, got)
            position += 1


@pytest.mark.slow
async def test_kill_nine_twice_mid_burst_loses_nothing_and_doubles_nothing(
    store: Store, tmp_path: Path, understanding: Any
) -> None:
    url = store.engine.url.render_as_string(hide_password=False)
    async with FakeTelegram(token=TOKEN, bot_username="shal_helpbot") as tg:
        port = free_port()
        bot = BotProcess(bot_env(tg, url, port), log=tmp_path / "bot.log")
        await bot.start()
        try:
            updates = await burst_with_kills(tg, [bot], (100, 200), [bot])
            store = Store.from_url(url)
            try:
                await wait_until_idle(store)
                assert await bot.stop() == 0
                await check_outcome(tg, store, updates)
            finally:
                await store.close()
        finally:
            bot.kill()
    assert bot.starts == 3


@pytest.mark.slow
@pytest.mark.postgres
async def test_two_worker_processes_share_the_work_and_one_dies(
    tmp_path: Path, postgres_database: str, understanding: Any
) -> None:
    clean = Store.from_url(postgres_database)
    tables = ", ".join(f'"{t.name}"' for t in reversed(models.Base.metadata.sorted_tables))
    async with clean.engine.begin() as connection:
        await connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    await clean.close()
    async with FakeTelegram(token=TOKEN, bot_username="shal_helpbot") as tg:
        port = free_port()
        env = bot_env(tg, postgres_database, port)
        front = BotProcess(env, log=tmp_path / "front.log")
        worker = BotProcess(env, log=tmp_path / "worker.log", command="work")
        await front.start()
        await worker.start(ready=None)
        await asyncio.sleep(3)  # let the worker load its pipeline and join in
        try:
            updates = await burst_with_kills(tg, [worker], (150,), [])
            store = Store.from_url(postgres_database)
            try:
                await wait_until_idle(store)
                assert await front.stop() == 0
                await check_outcome(tg, store, updates)
            finally:
                await store.close()
        finally:
            front.kill()
            worker.kill()
