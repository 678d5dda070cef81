"""The sender: carries out what the outbox holds, in order per lane, until it is done or
no longer worth doing, and says so when it could not be done.

- A rate limit is waited out for as long as the platform asks, however long.
- Server and network errors are retried with capped exponential back-off and jitter
  until the item's delivery window closes (24 hours by default).
- An answer that never came back (a read time-out after the request went out) is not
  repeated: the platform may well have sent it, and a tenant told twice about a gas
  leak is better than not at all only when we know it was not sent. It is marked
  "unconfirmed", counted in /metrics, and shown in the history.
- A send cut off by a crash (its lease ran out; at once on the single SQLite
  process) is the same unknown: marked "unconfirmed" and reported, never repeated.
  A send is taken only with a connection free for it (the channels keep SEND_LANES
  open), so one cut off had almost always reached the platform: with 128 lanes and
  64 connections, kill -9 against a 150 ms Bot API wrote off 32 of 300 replies that
  were still waiting for a connection and had never gone out.
- What could not be delivered is marked so, and reported back through the inbox so
  the case history shows it and the colleague who wrote it is told.
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from helpbot.desk.actions import Action, SendText
from helpbot.postroom.codec import decode_action, encode
from helpbot.postroom.inbox import Inbox
from helpbot.postroom.outbox import UNCONFIRMED, UNDELIVERED, Item, Outbox, Report
from helpbot.postroom.outcomes import (
    Delivered,
    OutcomeUnknown,
    RetryLater,
    Undeliverable,
    record_until_stored,
)
from helpbot.store import models

log = logging.getLogger(__name__)

Perform = Callable[[Action, str], Awaitable[Delivered]]
CUT_OFF_CHECK = 5.0  # seconds between looks for sends whose process died mid-send


# Sends in hand at once; channels keep as many connections open (a send taken waits
# for no connection, see SendPolicy.concurrency).
SEND_LANES = 128


@dataclass(frozen=True, slots=True)
class SendPolicy:
    # Lanes in hand at once. A lane stays busy until its send is recorded (so its next
    # message waits), and on SQLite the record waits for the one connection while the
    # worker holds it for a batch: 32 lanes left the HTTP pool (64) idle meanwhile.
    # make benchmark, SQLite: 463 -> 616 updates/s at 0 ms, 325 -> 502 at 50 ms.
    concurrency: int = SEND_LANES
    first_delay: float = 1.0
    max_delay: float = 300.0
    lease: timedelta = timedelta(seconds=120)  # longer than any one send can take

    def delay(self, attempt: int) -> float:
        base = min(self.max_delay, self.first_delay * 2 ** max(0, attempt - 1))
        return base * random.uniform(0.5, 1.0)


class Sender:
    def __init__(
        self,
        outbox: Outbox,
        inbox: Inbox,
        perform: Perform,
        policy: SendPolicy | None = None,
        *,
        single_process: bool = False,
    ) -> None:
        self.single_process = single_process  # SQLite: nothing else can be sending
        self.outbox = outbox
        self.inbox = inbox
        self.perform = perform
        self.policy = policy or SendPolicy()
        self.wake = asyncio.Event()
        self.in_flight: set[asyncio.Task[None]] = set()
        self._sending: dict[asyncio.Task[None], tuple[Item, int]] = {}
        self._queued = 0  # how many times this process's workers committed sends
        self._full = False  # the last take filled every free place: more may be due
        self._retries: list[float] = []  # loop times at which items put back fall due
        self.busy_lanes: set[str] = set()
        self._to_record: list[tuple[Item, Delivered, asyncio.Future[None]]] = []
        self._recorder: asyncio.Task[None] | None = None
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._loop())

    async def stop(self, grace: float) -> None:
        """Stop taking new items; let sends in flight finish within ``grace`` seconds."""
        self._stopping.set()
        self.wake.set()
        if self._task is not None:
            # The loop may be waiting on a store that is down: give it the grace period,
            # then stop it; what it had not settled waits for the next start.
            _finished, late = await asyncio.wait({self._task}, timeout=grace)
            for task in late:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self.in_flight:
            _done, late = await asyncio.wait(set(self.in_flight), timeout=grace)
            for task in late:
                task.cancel()

    async def _loop(self) -> None:
        pause = 0.0
        await self._settle_cut_off(everything=self.single_process)
        last_check = asyncio.get_running_loop().time()
        while not self._stopping.is_set():
            if asyncio.get_running_loop().time() - last_check > CUT_OFF_CHECK:
                last_check = asyncio.get_running_loop().time()
                await self._settle_cut_off(everything=False)
            self.wake.clear()
            free = self.policy.concurrency - len(self.in_flight)
            try:
                items = await self.outbox.take(free, self.policy.lease)
                pause = 0.0
            except Exception as error:
                pause = min(10.0, max(0.2, pause * 2))
                log.warning(
                    "outbox unavailable (%s); retrying in %.1fs", type(error).__name__, pause
                )
                await asyncio.sleep(pause)
                continue
            self._full = len(items) >= free
            for item in items:
                self.busy_lanes.add(item.lane)
                task = asyncio.get_running_loop().create_task(self._take(item))
                self.in_flight.add(task)
                self._sending[task] = (item, self._queued)
                task.add_done_callback(self._finished)
            # A take that did not fill every free place took everything due: the next
            # look waits for news (a commit, a finished send with more behind it).
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), self._idle_wait())

    def _idle_wait(self) -> float:
        """Until the next wake (this process's worker committed sends; a send finished
        with more of its lane behind it) or until an item this process put back falls
        due, and at most a second: what other processes put back is found by then."""
        now = asyncio.get_running_loop().time()
        if self._retries and self._retries[0] <= now:
            while self._retries and self._retries[0] <= now:
                heapq.heappop(self._retries)
            return 0.0
        return min(1.0, self._retries[0] - now) if self._retries else 1.0

    def _retry_in(self, seconds: float) -> None:
        heapq.heappush(self._retries, asyncio.get_running_loop().time() + seconds)

    async def _settle_cut_off(self, *, everything: bool) -> None:
        try:
            items = await self.outbox.cut_off(everything)
        except Exception as error:
            log.warning("outbox unavailable (%s)", type(error).__name__)
            return
        for item in items:
            if item.lane in self.busy_lanes:
                continue  # still being sent here: slow, not cut off; its outcome will come
            await self._give_up(item, _readable(item), UNCONFIRMED, "stopped mid-send")

    def queued(self) -> None:
        """A worker of this process committed sends: look at once."""
        self._queued += 1
        self.wake.set()

    def _finished(self, task: asyncio.Task[None]) -> None:
        """A send is settled: look again if its lane may have more waiting (it had when
        taken, or a worker has committed sends since, which may be behind it), or if the
        last look left due items for want of a free place. With other processes on the
        outbox, always: their workers' commits are not seen here."""
        self.in_flight.discard(task)
        taken = self._sending.pop(task, None)
        if (
            taken is None
            or not self.single_process
            or self._full
            or taken[0].more
            or taken[1] != self._queued
        ):
            self.wake.set()

    async def _take(self, item: Item) -> None:
        try:
            await self._send(item)
        except Exception as error:  # its lease runs out and it is settled as cut off
            log.warning("outbox %s not settled: %s", item.id, type(error).__name__)
        finally:
            self.busy_lanes.discard(item.lane)

    async def _send(self, item: Item) -> None:
        action = _readable(item)
        if action is None:  # written by another version of us: it can never be sent
            await self._give_up(item, None, UNDELIVERED, "unreadable")
            return
        try:
            delivered = await self.perform(action, item.channel)
        except RetryLater as outcome:
            wait = outcome.after if outcome.after is not None else self.policy.delay(item.attempts)
            if models.utcnow() + timedelta(seconds=wait) > item.deliver_until:
                await self._give_up(item, action, UNDELIVERED, outcome.reason)
            else:
                reason = outcome.reason
                log.info("outbox %s: %s; again in %.1fs", item.id, reason, wait)
                await self._record(lambda: self.outbox.later(item, wait, reason))
                self._retry_in(wait)
        except Undeliverable as outcome:
            await self._give_up(item, action, UNDELIVERED, outcome.reason)
        except OutcomeUnknown as outcome:
            await self._give_up(item, action, UNCONFIRMED, outcome.reason)
        except Exception as error:  # a fault of ours: keep the item, log its class only
            fault = type(error).__name__
            log.error("outbox %s failed: %s", item.id, fault)
            wait = self.policy.delay(item.attempts)
            if models.utcnow() + timedelta(seconds=wait) > item.deliver_until:
                # A fault that outlives the delivery window is reported like any other,
                # and no longer holds up the rest of its lane.
                await self._give_up(item, action, UNDELIVERED, fault)
            else:
                await self._record(lambda: self.outbox.later(item, wait, fault))
                self._retry_in(wait)
        else:
            await self._sent(item, delivered)

    async def _sent(self, item: Item, delivered: Delivered) -> None:
        """Sends finishing together are recorded together, in one transaction; the lane
        stays busy until its send is recorded, so order is kept."""
        done = asyncio.get_running_loop().create_future()
        self._to_record.append((item, delivered, done))
        if self._recorder is None or self._recorder.done():
            self._recorder = asyncio.get_running_loop().create_task(self._record_sent())
        await done

    async def _record_sent(self) -> None:
        await asyncio.sleep(0)  # let the sends finishing in this turn join in
        while self._to_record:
            batch, self._to_record = self._to_record, []
            finished = [(item, delivered) for item, delivered, _ in batch]
            await self._record(lambda finished=finished: self.outbox.sent(finished))
            for _, _, done in batch:
                if not done.done():
                    done.set_result(None)

    async def _give_up(self, item: Item, action: Action | None, status: str, reason: str) -> None:
        log.warning("outbox %s %s: %s", item.id, status, reason)
        report = self._report(item, action, status, reason)
        await self._record(lambda: self.outbox.gave_up(item, status, reason, report))
        if report is not None:
            self.inbox.arrived.set()

    @staticmethod
    def _report(item: Item, action: Action | None, status: str, reason: str) -> Report | None:
        """What the desk is told about a message a person did not get: through the inbox,
        like everything else that happens, in the case's own order."""
        if not isinstance(action, SendText):
            return None
        lane = f"case:{action.case_id}" if action.case_id is not None else item.lane
        payload = {
            "kind": "delivery_failed",
            "status": status,
            "reason": reason,
            "outbox_id": item.id,
            "case_id": action.case_id,
            "author": action.author,
            "chat": encode(action.chat),
        }
        return Report(f"{status}:{item.id}", f"system:{lane}", payload)

    async def _record(self, write: Callable[[], Awaitable[Any]]) -> None:
        await record_until_stored(write, "a send")


def _readable(item: Item) -> Action | None:
    """The item's action, or None if this version cannot read it (a rolling deploy, a
    rollback): one such row must not stop the sender for everyone."""
    try:
        return decode_action(item.action)
    except (KeyError, TypeError, ValueError) as error:
        log.error("outbox %s unreadable: %s", item.id, type(error).__name__)
        return None
