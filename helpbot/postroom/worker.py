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

from helpbot.desk.actions import Action
from helpbot.postroom.inbox import Event, Inbox
from helpbot.postroom.outbox import Outbox
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
        committed: Callable[[], None] = lambda: None,
    ) -> None:
        self.store = store
        self.inbox = inbox
        self.outbox = outbox
        self.handle = handle
        self.concurrency = concurrency
        self.committed = committed
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
                worked = await self.step()
                pause = 0.0
            except Exception as error:  # the store is unreachable: wait, then try again
                pause = min(STORE_DOWN_MAX_PAUSE, max(0.2, pause * 2))
                log.warning(
                    "inbox unavailable (%s); retrying in %.1fs", type(error).__name__, pause
                )
                await asyncio.sleep(pause)
                continue
            if not worked:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.inbox.arrived.wait(), IDLE_POLL)

    async def step(self) -> bool:
        """Handle one event if one is due; False if there was none."""
        event: Event | None = None
        try:
            async with self.store.unit() as session:
                event = await self.inbox.claim(session)
                if event is None:
                    return False
                self.busy += 1
                actions, outcome = await self.handle(event)
                await self.outbox.queue(session, actions, origin=event.channel, event_id=event.id)
                await self.inbox.finish(session, event.id, outcome)
        except Exception as error:
            if event is None:
                raise
            # The error's class only: its text may quote a tenant's words (Privacy).
            parked = await self.inbox.failed(event, error)
            log.warning(
                "event %s %s: %s",
                event.id,
                "parked" if parked else "will be retried",
                type(error).__name__,
            )
            return True
        finally:
            if event is not None:
                self.busy -= 1
        self.committed()
        return True
