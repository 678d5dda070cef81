"""Driving the post room's batches by hand in scenario tests: one batch taken by a worker
of the test's own, statements counted while it runs, a batch held on its first message."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy import event

from helpbot.desk.actions import Action
from helpbot.postroom.inbox import Event
from helpbot.postroom.worker import Worker
from helpbot.testing.harness import BotUnderTest

Handler = Callable[[Event], Awaitable[tuple[Sequence[Action], str]]]


async def one_batch_counting(bot: BotUnderTest, counts: Callable[[str], bool]) -> list[str]:
    """One worker takes what is due as one batch, as the post room's would; the
    statements ``counts`` picks while it runs are returned."""
    seen: list[str] = []

    def counted(_conn, _cursor, statement: str, *_args: object) -> None:  # type: ignore[no-untyped-def]
        if counts(statement):
            seen.append(statement)

    room = bot.postroom
    event.listen(bot.store.engine.sync_engine, "before_cursor_execute", counted)
    try:
        one = Worker(
            bot.store, room.inbox, room.outbox, room.worker.handle, prepare=room.worker.prepare
        )
        assert await one.step()
    finally:
        event.remove(bot.store.engine.sync_engine, "before_cursor_execute", counted)
    return seen


def held_on_first(reception: Handler) -> tuple[Handler, asyncio.Event, asyncio.Event]:
    """A handler whose batch's first message waits (the model, a slow round trip) until
    the test sets ``go_on``; ``on_first`` says it has got there, the batch read ahead."""
    on_first, go_on = asyncio.Event(), asyncio.Event()

    async def slow_first(event: Event) -> tuple[Sequence[Action], str]:
        if not on_first.is_set():
            on_first.set()
            await go_on.wait()
        return await reception(event)

    return slow_first, on_first, go_on
