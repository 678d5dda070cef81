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

from helpbot.desk.actions import Action
from helpbot.postroom.inbox import Event
from helpbot.postroom.worker import Worker
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.testing.fake_telegram_objects import FakeUser
from helpbot.testing.harness import BotUnderTest, tenant

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

    on_first, go_on = asyncio.Event(), asyncio.Event()

    async def slow_first(event: Event) -> tuple[Sequence[Action], str]:
        """The batch's first message takes a while (the model, a slow round trip)."""
        if not on_first.is_set():
            on_first.set()
            await go_on.wait()
        return await reception(event)

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
