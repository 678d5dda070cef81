"""Attack on the PostgreSQL read-ahead's row locks (a batch locks its private senders'
join requests and cases until it commits). What else writes to those rows while a
batch holds them: the retention sweep (daily, and an admin's button in the console),
colleagues' commands in other batches, a worker killed mid-batch. Through the fake
Bot API and the real stores, asserting what tenants, colleagues and the admin see."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text

from helpbot.postroom.worker import Worker
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.privacy import Privacy
from helpbot.testing.fake_telegram_objects import FakeUser
from helpbot.testing.harness import BotUnderTest, tenant
from tests.batches import held_on_first

REPAIRS = {
    "Eve": "the kitchen tap is dripping all the time",
    "Bob": "my front door lock is broken and won't turn",
    "Ann": "the window in my bedroom won't close",
}


async def cases(bot: BotUnderTest) -> list[models.Case]:
    return await Casebook(bot.store).all_cases()


async def waiting_on_a_lock(bot: BotUnderTest) -> int:
    """How many of this database's sessions are waiting for a row lock now."""
    async with bot.store.engine.connect() as connection:
        found = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'"
            )
        )
    return int(found or 0)


async def until_waiting(bot: BotUnderTest, work: asyncio.Task[object], within: float = 5.0) -> None:
    """Until a session waits for a row lock, or ``work`` is done without waiting."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while not work.done() and await waiting_on_a_lock(bot) < 1:
        assert loop.time() < deadline, "neither waiting nor done"
        await asyncio.sleep(0.02)


async def repairs_opened_and_closed(bot: BotUnderTest) -> dict[str, tuple[FakeUser, int]]:
    """Eve's, Bob's and Ann's repairs, each opened and closed by Priya in its topic (in
    that order): tenants whose closed cases the retention sweep will anonymise."""
    people = {
        "Eve": tenant(bot.tg, 5005, "Eve"),
        "Bob": tenant(bot.tg, 5002, "Bob"),
        "Ann": tenant(bot.tg, 5001, "Ann"),
    }
    # Ann, Bob, Eve: the people are created in this order (Ann's id the lowest) ...
    for name in ("Ann", "Bob", "Eve"):
        await bot.send(bot.tg.private_message(people[name], "hello"))
    # ... and their repairs opened and closed in the other (Eve's case first).
    priya = bot.tg.user(9001, "Priya")
    found: dict[str, tuple[FakeUser, int]] = {}
    for name in ("Eve", "Bob", "Ann"):
        await bot.send(bot.tg.private_message(people[name], REPAIRS[name]))
        case = (await cases(bot))[-1]
        thread = case.staff_topic_id
        assert thread is not None
        await bot.send(bot.tg.topic_message(bot.staff_room, thread, priya, "/close"))
        found[name] = (people[name], thread)
    assert [c.status for c in await cases(bot)] == ["closed"] * 3
    return found


# ATTACK (fault): the read-ahead locks every one of a tenant's latest cases, closed ones
# too, which a batch never writes to; the retention sweep updates exactly those (closed
# long enough ago) in one statement. A batch holding Ann's and Bob's closed cases, with a
# colleague's /reopen of Eve's case to do, and the sweep holding Eve's and waiting for
# Bob's, wait on each other: PostgreSQL fails one of them. When that is the sweep, the
# admin who pressed "Run the retention sweep" gets an error (the daily run logs a warning
# and tries tomorrow). Before the locks, a batch never held closed cases it only read.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_the_retention_sweep_is_not_failed_by_a_batch_that_only_read_closed_cases(
    bot: BotUnderTest,
) -> None:
    assert bot.store.postgres
    people = await repairs_opened_and_closed(bot)
    ann, bob = people["Ann"][0], people["Bob"][0]
    priya = bot.tg.user(9001, "Priya")
    answered = {who.id: len(bot.replies_to(who.id)) for who in (ann, bob)}

    room = bot.postroom
    await room.worker.stop(5)
    reception = room.worker.handle
    await bot.tg.deliver(bot.tg.private_message(ann, "hello again"))
    await bot.tg.deliver(bot.tg.private_message(bob, "what's your phone number?"))
    await bot.tg.deliver(bot.tg.topic_message(bot.staff_room, people["Eve"][1], priya, "/reopen"))
    slow_first, on_first, go_on = held_on_first(reception)

    worker = Worker(
        bot.store, room.inbox, room.outbox, slow_first, batch=3, prepare=reception.prepare
    )
    batch = asyncio.create_task(worker.step())
    await asyncio.wait_for(on_first.wait(), 10)  # Ann's and Bob's cases read ahead
    sweep = asyncio.create_task(
        Privacy(bot.store).sweep(datetime.now(UTC), closed_case_days=0, raw_days=3650)
    )
    await until_waiting(bot, sweep)  # the sweep, at Bob's closed case
    go_on.set()
    outcome = await asyncio.wait_for(asyncio.gather(sweep, return_exceptions=True), 30)
    assert await asyncio.wait_for(batch, 30)
    room.worker = Worker(bot.store, room.inbox, room.outbox, reception, prepare=reception.prepare)
    room.worker.start()
    await bot.settle()

    assert not isinstance(outcome[0], BaseException), f"the sweep failed: {outcome[0]!r}"
    # Ann's and Bob's closed cases anonymised; Eve's too if the sweep came before the
    # /reopen (it comes after it when PostgreSQL fails the sweep and it is run again).
    anonymised = outcome[0].cases_anonymised
    still_closed = [c for c in await cases(bot) if c.status == "closed"]
    assert anonymised in (2, 3) and len(still_closed) == 2
    assert all(c.summary == "" for c in still_closed)
    # The tenants and the colleague are answered once each all the same.
    for who in (ann, bob):
        assert len(bot.replies_to(who.id)) - answered[who.id] >= 1
    async with bot.store.sessions() as session:
        stored = list(
            await session.scalars(
                select(models.Message.text).where(models.Message.direction == "in")
            )
        )
    assert stored.count("what's your phone number?") == 1
