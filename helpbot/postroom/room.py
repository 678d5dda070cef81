"""The post room assembled: inbox, workers, outbox and sender, started and stopped as one."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta

from helpbot.channels.switchboard import Switchboard
from helpbot.desk.complaints_clock import LONDON, is_working_day
from helpbot.desk.events import ChatRef
from helpbot.postroom.inbox import Inbox, RetryPolicy
from helpbot.postroom.outbox import Outbox
from helpbot.postroom.reception import SYSTEM, Reception
from helpbot.postroom.sender import Sender, SendPolicy
from helpbot.postroom.worker import Worker
from helpbot.store.records import Store

REMINDER_HOUR = 9  # local time in England
POSTGRES_BATCH = 16
SQLITE_BATCH = 32


class PostRoom:
    def __init__(
        self,
        store: Store,
        reception: Reception,
        switchboard: Switchboard,
        *,
        inbox: Inbox | None = None,
        staff_chat: ChatRef | None = None,
        workers: int | None = None,
        send_policy: SendPolicy | None = None,
        retry_policy: RetryPolicy | None = None,
        deliver_for: timedelta = timedelta(hours=24),
    ) -> None:
        self.store = store
        self.inbox = inbox or Inbox(store, retry_policy)
        self.outbox = Outbox(store, staff_chat=staff_chat, deliver_for=deliver_for)
        self.sender = Sender(
            self.outbox,
            self.inbox,
            switchboard.perform,
            send_policy,
            single_process=not store.postgres,
        )
        # SQLite has one connection, so one worker; PostgreSQL takes several side by side.
        count = workers if workers is not None else (4 if store.postgres else 1)
        # On PostgreSQL several worker tasks (and processes) share the inbox: batches of 16
        # spread the waiting conversations among them, where one batch of 32 could take
        # them all and leave the others idle, and cost 10% less CPU per update than
        # batches of 8 (make benchmark --only postgresql, runs alternated: 2.30-2.47 ms
        # against 2.62-2.83). SQLite's one worker takes as many as it can for one commit.
        batch = POSTGRES_BATCH if store.postgres else SQLITE_BATCH
        self.worker = Worker(
            store,
            self.inbox,
            self.outbox,
            reception,
            concurrency=count,
            batch=batch,
            committed=self.sender.queued,
            single_process=not store.postgres,
            prepare=reception.prepare,
        )

    async def start(self) -> None:
        self.worker.start()
        self.sender.start()

    async def stop(self, grace: float = 10.0) -> None:
        """Finish what was claimed within ``grace`` seconds; the rest stays for next time."""
        await self.worker.stop(grace)
        await self.sender.stop(grace)

    async def idle(self, timeout: float = 30.0) -> None:  # noqa: ASYNC109
        """Wait until nothing is pending, being handled or waiting to be sent (tests and
        the benchmark); raises TimeoutError after ``timeout`` seconds."""
        deadline = time.monotonic() + timeout
        while True:
            quiet = (
                self.worker.busy == 0
                and not self.sender.in_flight
                and not await self.inbox.has_pending()
                and not await self.outbox.has_unfinished()
            )
            if quiet:
                return
            if time.monotonic() > deadline:
                raise TimeoutError("the post room did not settle")
            await asyncio.sleep(0.01)

    async def clock(self, now: datetime) -> None:
        """The desk's timed work, as inbox events keyed by the minute (and the day for the
        reminders), so several processes ticking at once still do it once."""
        local = now.astimezone(LONDON)
        minute = now.strftime("%Y-%m-%dT%H:%M")
        await self.inbox.accept(
            SYSTEM, f"sweep:{minute}", "system:clock", {"kind": "sweep", "at": now.isoformat()}
        )
        if local.hour >= REMINDER_HOUR and is_working_day(local.date()):
            # Checked every tick so a start after 9am still sends that day's reminder;
            # the desk never repeats one in a day.
            slot = local.strftime("%Y-%m-%dT%H:") + str(local.minute // 10)
            await self.inbox.accept(
                SYSTEM,
                f"reminders:{slot}",
                "system:clock",
                {"kind": "reminders", "day": local.date().isoformat()},
            )
