"""The inbox: every inbound event stored before it is acknowledged, then claimed once.

Claiming takes the oldest due event whose conversation has nothing older still
pending, so one conversation is handled strictly in arrival order while different
conversations run side by side. On PostgreSQL the claim is ``FOR UPDATE SKIP
LOCKED`` inside the same transaction as the desk's work, so several processes share
one inbox and a crash simply releases the row; SQLite serves one process.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    FromClause,
    Integer,
    Select,
    and_,
    bindparam,
    exists,
    func,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.selectable import NamedFromClause

from helpbot.store import models
from helpbot.store.records import Store

PENDING, DONE, PARKED = "pending", "done", "parked"
# Bound what the outside world can make us store: a key or conversation id longer than
# this is not one a platform sends.
MAX_KEY = 128
MAX_CONVERSATION = 160


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    channel: str
    key: str
    conversation: str
    payload: dict[str, Any]
    attempts: int
    received_at: datetime
    # Something later of the same conversation was waiting when this was claimed: once
    # this is done, that one is due at once.
    more: bool = False


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Back-off for an event whose handling raised; parked after ``attempts`` tries."""

    attempts: int = 5
    first_delay: float = 1.0
    max_delay: float = 300.0

    def delay(self, attempt: int) -> float:
        base = min(self.max_delay, self.first_delay * 2 ** max(0, attempt - 1))
        return base * random.uniform(0.5, 1.0)


async def status_counts(
    store: Store, table: Any, when: str, statuses: tuple[str, ...]
) -> dict[str, tuple[int, datetime | None]]:
    """How many rows of the inbox or the outbox are in each state, and the oldest
    (``when``, as an aware UTC time); every state in ``statuses`` is present."""
    async with store.sessions() as session:
        rows = await session.execute(
            select(table.status, func.count(table.id), func.min(getattr(table, when))).group_by(
                table.status
            )
        )
        as_utc = models.UTCDateTime().process_result_value
        found = {status: (int(n), as_utc(oldest, None)) for status, n, oldest in rows}
    for status in statuses:
        found.setdefault(status, (0, None))
    return found


_EVENTS = models.InboxEvent.__table__
# Rows per INSERT when many deliveries are stored together (well under SQLite's limit
# of bound values in one statement).
STORE_CHUNK = 200

_FINISH = (
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"))
    .values(
        status=DONE,
        outcome=bindparam("b_outcome"),
        finished_at=bindparam("now", type_=models.UTCDateTime()),
        error_class=None,
    )
)
_CLAIMS: dict[tuple[bool, bool], Any] = {}


def first_of_each(
    query: Select[Any],
    table: FromClause,
    earlier: NamedFromClause,
    *,
    waiting: ColumnElement[bool],
    group: ColumnElement[Any],
    order: tuple[ColumnElement[Any], ...],
    name: str,
) -> Select[Any]:
    """PostgreSQL: ``query`` over ``table`` narrowed to the first ``waiting`` row of each
    ``group`` (a conversation in the inbox, a lane in the outbox), still pending.

    The heads are found in one pass over what waits (DISTINCT ON, computed once), then
    those rows by primary key. "Nothing older of this group still waiting" written as
    NOT EXISTS was planned, on a table whose statistics are behind (a fresh database, a
    backlog after a restart), as a nested loop rescanning every waiting row for every
    waiting row: 450 ms a claim with 2,000 waiting (make benchmark: PG busy, the bot
    idle). Here the only loop is over the heads, one index probe each (2 ms with 3,000
    waiting and no statistics). The status test is written so no index can serve it
    (coalesce of a NOT NULL column), or the planner, thinking one row pending, scans
    them all for each head; it is still rechecked on the locked row, so a row another
    worker finished meanwhile is never taken."""
    heads = (
        select(earlier.c.id)
        .where(waiting)
        .ext(distinct_on(group))
        .order_by(group, *order)
        .cte(name)
        .prefix_with("MATERIALIZED")
    )
    return query.select_from(heads.join(table, table.c.id == heads.c.id)).where(
        func.coalesce(table.c.status, "") == PENDING
    )


def _claim_query(postgres: bool, only: bool) -> Any:
    """The claim, built once per shape: the oldest due event of each conversation that
    has nothing older still pending (by the platform's own order where it has one)."""
    key = (postgres, only)
    if key not in _CLAIMS:
        event = _EVENTS
        earlier = _EVENTS.alias("earlier")
        later = _EVENTS.alias("later")
        more = exists().where(
            later.c.conversation == event.c.conversation,
            later.c.status == PENDING,
            later.c.id != event.c.id,
        )
        query = (
            select(event, more.label("more"))
            .where(event.c.next_attempt_at <= bindparam("now", type_=models.UTCDateTime()))
            .order_by(event.c.id)
            .limit(bindparam("limit", type_=Integer()))
        )
        if postgres:
            query = first_of_each(
                query,
                event,
                earlier,
                waiting=earlier.c.status == PENDING,
                group=earlier.c.conversation,
                order=(func.coalesce(earlier.c.position, earlier.c.id), earlier.c.id),
                name="heads",
            )
        else:
            # SQLite runs the correlated NOT EXISTS per row through the index.
            query = query.where(
                event.c.status == PENDING,
                ~exists().where(
                    and_(
                        earlier.c.conversation == event.c.conversation,
                        earlier.c.status == PENDING,
                        func.coalesce(earlier.c.position, earlier.c.id)
                        < func.coalesce(event.c.position, event.c.id),
                    )
                ),
            )
        if only:
            query = query.where(event.c.id == bindparam("only", type_=BigInteger()))
        if postgres:
            query = query.with_for_update(skip_locked=True, of=event)
        _CLAIMS[key] = query
    return _CLAIMS[key]


def _event(row: Any) -> Event:
    return Event(
        row.id,
        row.channel,
        row.event_key,
        row.conversation,
        row.payload,
        row.attempts,
        row.received_at,
        bool(row.more),
    )


class Inbox:
    def __init__(self, store: Store, policy: RetryPolicy | None = None) -> None:
        self.store = store
        self.policy = policy or RetryPolicy()
        self.arrived = asyncio.Event()  # set whenever something is accepted here
        self._to_store: list[tuple[dict[str, Any], asyncio.Future[bool]]] = []
        self._storer: asyncio.Task[None] | None = None
        self._storing: Any = None

    async def accept(
        self,
        channel: str,
        key: str,
        conversation: str,
        payload: dict[str, Any],
        *,
        position: int | None = None,
    ) -> bool:
        """Store an event; False (and nothing stored) if that key was seen before.
        ``position`` is the platform's order within the conversation, if it has one.

        Events arriving together are stored in one transaction (group commit): each
        caller still returns only once its event is committed."""
        now = models.utcnow()
        row = {
            "channel": channel,
            "event_key": key[:MAX_KEY],
            "conversation": conversation[:MAX_CONVERSATION],
            "position": position,
            "payload": payload,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "received_at": now,
        }
        stored: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._to_store.append((row, stored))
        if self._storer is None or self._storer.done():
            self._storer = asyncio.get_running_loop().create_task(self._store_waiting())
        if await stored:
            self.arrived.set()
            return True
        return False

    async def _store_waiting(self) -> None:
        await asyncio.sleep(0)  # let the requests arriving in this turn join in
        while self._to_store:
            batch, self._to_store = self._to_store, []
            try:
                results = await self._insert([row for row, _ in batch])
            except Exception as error:
                for _, stored in batch:
                    if not stored.done():
                        stored.set_exception(error)
                continue
            for (_, stored), result in zip(batch, results, strict=True):
                if not stored.done():
                    stored.set_result(result)

    async def _insert(self, rows: list[dict[str, Any]]) -> list[bool]:
        """Store rows in one transaction, a statement per ``STORE_CHUNK`` of them; for each,
        whether it was new (a key already stored, or twice in ``rows``, is not)."""
        first: dict[tuple[str, str], int] = {}
        for index, row in enumerate(rows):
            first.setdefault((row["channel"], row["event_key"]), index)
        fresh = [rows[index] for index in sorted(first.values())]
        inserted: set[tuple[str, str]] = set()
        # Each row stands alone (a repeat is skipped, not an error): a chunk is its own
        # transaction, so one statement and one round trip.
        statement = self._store_statement()
        async with self.store.connection(autocommit=True) as connection:
            for start in range(0, len(fresh), STORE_CHUNK):
                result = await connection.execute(statement, fresh[start : start + STORE_CHUNK])
                inserted.update((r.channel, r.event_key) for r in result)
        return [
            first[(row["channel"], row["event_key"])] == index
            and (row["channel"], row["event_key"]) in inserted
            for index, row in enumerate(rows)
        ]

    def _store_statement(self) -> Any:
        """One statement for any number of rows (SQLAlchemy writes them as one multi-row
        INSERT): compiled once, where ``.values(rows)`` was compiled afresh each time."""
        if self._storing is None:
            self._storing = (
                self.store._insert(_EVENTS)
                .on_conflict_do_nothing(index_elements=["channel", "event_key"])
                .returning(_EVENTS.c.channel, _EVENTS.c.event_key)
            )
        return self._storing

    async def claim(
        self, session: AsyncSession, limit: int = 1, *, only: int | None = None
    ) -> list[Event]:
        """Up to ``limit`` events to handle now, each the oldest waiting in its
        conversation (so no two share one), locked to this transaction: call inside a
        unit. ``only`` takes that one event, if it is still due."""
        query = _claim_query(self.store.postgres, only is not None)
        values: dict[str, Any] = {"now": models.utcnow(), "limit": limit, "only": only}
        async with self.store.connection() as connection:
            return [_event(row) for row in await connection.execute(query, values)]

    async def finish(self, session: AsyncSession, event_id: int, outcome: str) -> None:
        await self.finish_many(session, [(event_id, outcome)])

    async def finish_many(self, session: AsyncSession, done: Sequence[tuple[int, str]]) -> None:
        """Mark events done (with each one's outcome) inside the unit that handled them."""
        if not done:
            return
        now = models.utcnow()
        marks = [{"event_id": id_, "b_outcome": outcome, "now": now} for id_, outcome in done]
        async with self.store.connection() as connection:
            await connection.execute(_FINISH, marks)

    async def failed(self, event: Event, error: BaseException) -> bool:
        """Handling raised: try again later, or park it after the last try. True if parked."""
        attempts = event.attempts + 1
        parked = attempts >= self.policy.attempts
        values: dict[str, Any] = {
            "attempts": attempts,
            "error_class": type(error).__name__[:64],
        }
        if parked:
            values |= {"status": PARKED, "finished_at": models.utcnow(), "outcome": "parked"}
        else:
            delay = timedelta(seconds=self.policy.delay(attempts))
            values["next_attempt_at"] = models.utcnow() + delay
        async with self.store.sessions.begin() as session:
            await session.execute(
                update(models.InboxEvent)
                .execution_options(synchronize_session=False)
                .where(models.InboxEvent.id == event.id)
                .values(**values)
            )
        return parked

    async def retry(self, event_id: int) -> bool:
        """Put a parked (or waiting) event back in line now; False if there is no such event
        or it is done."""
        async with self.store.sessions.begin() as session:
            result = await session.execute(
                update(models.InboxEvent)
                .execution_options(synchronize_session=False)
                .where(models.InboxEvent.id == event_id, models.InboxEvent.status != DONE)
                .values(
                    status=PENDING,
                    attempts=0,
                    next_attempt_at=models.utcnow(),
                    finished_at=None,
                    outcome=None,
                )
            )
        if result.rowcount:
            self.arrived.set()
        return bool(result.rowcount)

    async def counts(self) -> dict[str, tuple[int, datetime | None]]:
        """Per status: how many, and when the oldest still there arrived."""
        return await status_counts(
            self.store, models.InboxEvent, "received_at", (PENDING, PARKED, DONE)
        )

    async def listing(self, status: str | None = None, limit: int = 50) -> list[models.InboxEvent]:
        event = models.InboxEvent
        query = select(event).order_by(event.id).limit(limit)
        query = query.where(event.status == status) if status else query.where(event.status != DONE)
        async with self.store.sessions() as session:
            return list(await session.scalars(query))

    async def has_pending(self) -> bool:
        async with self.store.sessions() as session:
            found = await session.scalar(
                select(models.InboxEvent.id).where(models.InboxEvent.status == PENDING).limit(1)
            )
        return found is not None
