"""A batch's read-ahead of cases and join requests (one statement each for the batch's
private senders) against what other workers commit meanwhile. On PostgreSQL several
worker tasks (and processes) share the inbox and each statement sees what others have
committed (READ COMMITTED): a message must never act on a case as it was before another
worker changed it. The look-ahead locks what it reads there, so such a change waits.
Through the fake Bot API, asserting what the tenant is told and the rows stored."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import select

from helpbot.desk.actions import Action
from helpbot.postroom.inbox import Event
from helpbot.postroom.worker import Worker
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.testing.fake_telegram_objects import FakeUser
from helpbot.testing.harness import BotUnderTest, tenant
from tests.batches import held_on_first

REPAIR = "the window in my bedroom won't close"
AGAIN = "the bedroom window won't close again"


async def cases(bot: BotUnderTest) -> list[models.Case]:
    return await Casebook(bot.store).all_cases()


async def filed_on(bot: BotUnderTest, case: models.Case) -> list[str]:
    return [e.text for e in await Casebook(bot.store).timeline(case.id) if e.text]


async def ann_has_a_repair_open(bot: BotUnderTest) -> tuple[FakeUser, FakeUser, FakeUser, int]:
    """Ann's repair, open with its staff topic; Bob, another tenant; Priya, a colleague."""
    ann, bob = tenant(bot.tg), tenant(bot.tg, 5002, "Bob")
    priya = bot.tg.user(9001, "Priya")
    await bot.send(bot.tg.private_message(ann, REPAIR))
    (repair,) = await cases(bot)
    thread = (await Casebook(bot.store).by_id(repair.id)).staff_topic_id  # type: ignore[union-attr]
    assert thread is not None
    return ann, bob, priya, thread


# Only PostgreSQL has other workers committing while a batch runs (SQLite: one worker on
# one connection), so only it runs this one.
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_a_colleagues_close_waits_for_the_batch_that_read_the_case(
    bot: BotUnderTest,
) -> None:
    """Ann's repair is open. Bob's and Ann's messages are claimed as one batch by one
    worker, which reads both tenants' cases ahead; while it is still on Bob's, another
    worker takes Priya's /close in Ann's topic. The /close waits for the batch (the rows
    read ahead are locked until it commits) instead of committing unseen under it: Ann's
    words, sent before the /close, are filed on her case while it is open, and then the
    case is closed. Never filed on a case already closed, never a new case for them."""
    assert bot.store.postgres
    ann, bob, priya, thread = await ann_has_a_repair_open(bot)

    # The post room's own workers step aside; two workers are driven by hand instead.
    room = bot.postroom
    await room.worker.stop(5)
    reception = room.worker.handle
    await bot.tg.deliver(bot.tg.private_message(bob, "what's your phone number?"))
    await bot.tg.deliver(bot.tg.private_message(ann, AGAIN))
    await bot.tg.deliver(bot.tg.topic_message(bot.staff_room, thread, priya, "/close"))

    slow_first, on_first, go_on = held_on_first(reception)

    first = Worker(
        bot.store, room.inbox, room.outbox, slow_first, batch=2, prepare=reception.prepare
    )
    second = Worker(bot.store, room.inbox, room.outbox, reception, batch=1)
    batch = asyncio.create_task(first.step())
    await asyncio.wait_for(on_first.wait(), 10)
    close = asyncio.create_task(second.step())  # Priya's /close
    await asyncio.sleep(1.0)
    assert not close.done(), "the /close went through under a batch that had read the case"
    (repair,) = await cases(bot)
    assert repair.status == "open"
    go_on.set()
    assert await asyncio.wait_for(batch, 10)
    assert await asyncio.wait_for(close, 10)
    await bot.settle()

    (repair,) = await cases(bot)
    assert repair.status == "closed"
    assert any("won't close again" in t for t in await filed_on(bot, repair))
    assert repair.ref in bot.replies_to(ann.id)[-1]


async def test_a_case_closed_earlier_in_the_same_batch_is_not_joined(bot: BotUnderTest) -> None:
    """Priya's /close in Ann's topic, then Bob's and Ann's messages, all handled by one
    worker in one transaction (the read-ahead is taken before Priya's /close is handled):
    Ann's message must see her case closed and start a new one."""
    ann, bob, priya, thread = await ann_has_a_repair_open(bot)

    room = bot.postroom
    await room.worker.stop(5)
    reception = room.worker.handle
    await bot.tg.deliver(bot.tg.topic_message(bot.staff_room, thread, priya, "/close"))
    await bot.tg.deliver(bot.tg.private_message(bob, "what's your phone number?"))
    await bot.tg.deliver(bot.tg.private_message(ann, AGAIN))
    handled: list[str] = []

    async def noted(event: Event) -> tuple[Sequence[Action], str]:
        handled.append(event.conversation)
        return await reception(event)

    one = Worker(bot.store, room.inbox, room.outbox, noted, batch=32, prepare=reception.prepare)
    assert await one.step()
    assert len(handled) == 3  # one batch, Priya's /close first
    await bot.settle()

    old, again = await cases(bot)
    assert (old.status, again.status, again.kind) == ("closed", "open", "repair")
    assert not any("won't close again" in t for t in await filed_on(bot, old))
    assert again.ref in bot.replies_to(ann.id)[-1]


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
async def test_batches_on_two_workers_wait_for_each_others_cases_and_all_is_done_once(
    bot: BotUnderTest,
) -> None:
    """Ann's and Bob's repairs are open. One worker claims Ann's and Carl's messages and
    Priya's /close in Bob's topic; another claims Bob's and Dan's messages while the
    first still holds its batch, and reads Bob's case ahead (locked). The first batch's
    /close of Bob's case waits for the second batch, then closes it; Priya's next /close,
    in Ann's topic, follows in the staff room's order. Everything is done once: both
    cases closed, each tenant's words stored once and answered once, nothing left."""
    assert bot.store.postgres
    ann, bob, priya, ann_thread = await ann_has_a_repair_open(bot)
    await bot.send(bot.tg.private_message(bob, "my front door lock is broken and won't turn"))
    _ann_case, bob_case = await cases(bot)
    bob_thread = (await Casebook(bot.store).by_id(bob_case.id)).staff_topic_id  # type: ignore[union-attr]
    assert bob_thread is not None
    carl, dan = tenant(bot.tg, 5003, "Carl"), tenant(bot.tg, 5004, "Dan")
    words = {ann.id: AGAIN, bob.id: "the lock is still broken", carl.id: "hello", dan.id: "hi"}
    answered = {who: len(bot.replies_to(who)) for who in words}

    room = bot.postroom
    await room.worker.stop(5)
    reception = room.worker.handle
    both_read_ahead = asyncio.Barrier(2)

    async def after_both_read_ahead(event: Event) -> tuple[Sequence[Action], str]:
        """Each batch's first message waits until the other batch has read ahead too."""
        if event.conversation.endswith((str(ann.id), str(bob.id))):
            await asyncio.wait_for(both_read_ahead.wait(), 10)
        return await reception(event)

    async def a_batch(*updates: dict[str, object]) -> asyncio.Task[bool]:
        for update in updates:
            await bot.tg.deliver(update)
        worker = Worker(
            bot.store,
            room.inbox,
            room.outbox,
            after_both_read_ahead,
            batch=3,
            prepare=reception.prepare,
        )
        task = asyncio.create_task(worker.step())
        await asyncio.sleep(0.5)  # claimed before the next batch's events come in
        return task

    one = await a_batch(
        bot.tg.private_message(ann, words[ann.id]),
        bot.tg.private_message(carl, words[carl.id]),
        bot.tg.topic_message(bot.staff_room, bob_thread, priya, "/close"),
    )
    two = await a_batch(
        bot.tg.private_message(bob, words[bob.id]),
        bot.tg.private_message(dan, words[dan.id]),
    )
    await bot.tg.deliver(bot.tg.topic_message(bot.staff_room, ann_thread, priya, "/close"))
    assert await asyncio.wait_for(one, 30)
    assert await asyncio.wait_for(two, 30)
    # A worker like the post room's own takes the rest, in order.
    room.worker = Worker(bot.store, room.inbox, room.outbox, reception, prepare=reception.prepare)
    room.worker.start()
    await bot.settle()

    assert [c.status for c in await cases(bot)] == ["closed", "closed"]
    async with bot.store.sessions() as session:
        stored = list(
            await session.scalars(
                select(models.Message.text).where(models.Message.direction == "in")
            )
        )
    for who, text in words.items():
        assert stored.count(text) == 1, text
        new = bot.replies_to(who)[answered[who] :]
        # One answer each; Ann and Bob are also told their case is closed, once.
        closing = [r for r in new if "is now closed" in r]
        assert len(closing) == (1 if who in (ann.id, bob.id) else 0), (who, new)
        assert len(new) - len(closing) == 1, (who, new)
    counts = await room.inbox.counts()
    assert counts["pending"][0] == counts["parked"][0] == 0, counts
