"""Workers: claim an event, let the desk decide, commit the decision with the event.

The desk's effects, the messages it wants sent and the event's "done" mark are one
transaction: a crash before the commit leaves the event pending with no trace of
the half-done work, a crash after it leaves nothing to redo. Nothing is sent from
inside the transaction; the sender picks the messages up once they are committed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from helpbot.desk.actions import Action
from helpbot.postroom.inbox import Event, Inbox
from helpbot.postroom.outbox import Outbox, Queued
from helpbot.store.records import Store

log = logging.getLogger(__name__)

# What the desk does with one event: the actions to take and a word for the record.
Handler = Callable[[Event], Awaitable[tuple[Sequence[Action], str]]]

IDLE_POLL = 0.5  # seconds; events from other processes and retries falling due
STORE_DOWN_MAX_PAUSE = 10.0


class Worker:
    def __init__(
        self,
        store: Store,
        inbox: Inbox,
        outbox: Outbox,
        handle: Handler,
        *,
        concurrency: int = 1,
        batch: int = 32,
        committed: Callable[[], None] = lambda: None,
        single_process: bool = False,
        prepare: Callable[[Sequence[Event]], Awaitable[None]] | None = None,
    ) -> None:
        self.store = store
        self.prepare = prepare  # before a batch is handled (reading it in one pass)
        self.inbox = inbox
        self.outbox = outbox
        self.handle = handle
        self.concurrency = concurrency
        self.batch = batch
        self.committed = committed
        # SQLite: every event arrives through this process's inbox, so its ``arrived`` is
        # the whole news. With other processes on the inbox, a turn that worked is
        # followed at once by another (their events set no ``arrived`` here).
        self.single_process = single_process
        self.busy = 0  # events being handled in this process now
        self._stopping = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._tasks = [loop.create_task(self._loop()) for _ in range(self.concurrency)]

    async def stop(self, grace: float) -> None:
        """Finish what is claimed within ``grace`` seconds; what is cut off rolls back and
        stays pending for the next start."""
        self._stopping.set()
        self.inbox.arrived.set()
        if not self._tasks:
            return
        _done, late = await asyncio.wait(self._tasks, timeout=grace)
        for task in late:
            task.cancel()
        for task in late:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _loop(self) -> None:
        pause = 0.0
        while not self._stopping.is_set():
            self.inbox.arrived.clear()
            try:
                worked, again = await self._turn()
                pause = 0.0
            except Exception as error:  # the store is unreachable: wait, then try again
                pause = min(STORE_DOWN_MAX_PAUSE, max(0.2, pause * 2))
                log.warning(
                    "inbox unavailable (%s); retrying in %.1fs", type(error).__name__, pause
                )
                await asyncio.sleep(pause)
                continue
            if worked and again:
                # On SQLite the statements run inline and never give the loop a turn:
                # let the webhook store what came in and the sender send what is
                # committed before the next batch.
                await asyncio.sleep(0)
            else:
                # Set by anything accepted here since this turn began; other processes'
                # events and retries falling due are found by the next poll.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.inbox.arrived.wait(), IDLE_POLL)

    async def step(self) -> bool:
        """Handle the due events, up to ``batch`` of them (each the head of a different
        conversation), in one transaction: one commit for many events is most of the
        speed on SQLite. If any of them raises, the batch rolls back and each is handled
        on its own, so one bad event never costs the others their work. False if nothing
        was due."""
        worked, _again = await self._turn()
        return worked

    async def _turn(self) -> tuple[bool, bool]:
        """``step``, and whether work it left is due at once (a full batch, a conversation
        with more waiting, a failure); if not, the next turn waits for news instead of
        asking the inbox again for nothing."""
        events: list[Event] = []
        again = True
        try:
            async with self.store.unit() as session:
                events = await self.inbox.claim(session, self.batch)
                if not events:
                    return False, False
                again = (
                    not self.single_process
                    or len(events) >= self.batch
                    or any(e.more for e in events)
                )
                self.busy += len(events)
                rows: list[Queued] = []
                done: list[tuple[int, str]] = []
                if self.prepare is not None and len(events) > 1:
                    await self.prepare(events)
                for event in events:
                    actions, outcome = await self.handle(event)
                    rows += await self.outbox.rows(actions, origin=event.channel, event_id=event.id)
                    done.append((event.id, outcome))
                # The batch's sends and done marks, a statement each, in the same commit.
                await self.outbox.add(session, rows)
                await self.inbox.finish_many(session, done)
        except Exception as error:
            again = True
            if not events:
                raise
            if len(events) == 1:
                await self._failed(events[0], error)
            else:
                for event in events:
                    await self._alone(event)
        finally:
            self.busy -= len(events)
        self.committed()
        return True, again

    async def _handle(self, session: AsyncSession, event: Event) -> None:
        actions, outcome = await self.handle(event)
        await self.outbox.queue(session, actions, origin=event.channel, event_id=event.id)
        await self.inbox.finish(session, event.id, outcome)

    async def _alone(self, event: Event) -> None:
        """One event of a failed batch, in a transaction of its own."""
        try:
            async with self.store.unit() as session:
                if not await self.inbox.claim(session, only=event.id):
                    return  # another worker has it, or it is no longer due
                await self._handle(session, event)
        except Exception as error:
            await self._failed(event, error)

    async def _failed(self, event: Event, error: BaseException) -> None:
        # The error's class only: its text may quote a tenant's words (Privacy).
        parked = await self.inbox.failed(event, error)
        log.warning(
            "event %s %s: %s",
            event.id,
            "parked" if parked else "will be retried",
            type(error).__name__,
        )
