"""Case records: opening, finding, claiming and the timeline of every case (3.12, 3.13)."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Row,
    and_,
    bindparam,
    func,
    or_,
    select,
    update,
)

from helpbot.store import models
from helpbot.store.database import rows_changed
from helpbot.store.records import MISSING, Store
from helpbot.working_days import local_day

OPEN_STATUSES = ("open",)


def deadline_on_or_before(day: date) -> ColumnElement[bool]:
    """An unmet complaint deadline (acknowledgement or response) falls on or before ``day``.
    One definition for the staff reminders and the overdue figure in /metrics."""
    case = models.Case
    return or_(
        and_(case.acknowledged_on.is_(None), case.acknowledge_by <= day),
        and_(case.responded_on.is_(None), case.respond_by <= day),
    )


_CASES = models.Case.__table__
_CURRENT_CASE = (
    select(_CASES)
    .where(
        _CASES.c.tenant_id == bindparam("tenant", type_=BigInteger()),
        _CASES.c.status.in_(OPEN_STATUSES),
    )
    .order_by(_CASES.c.updated_at.desc(), _CASES.c.id.desc())
    .limit(1)
)
TENANT_CASES_KEPT = 20
_TENANT_CASES = (
    select(_CASES)
    .where(_CASES.c.tenant_id == bindparam("tenant", type_=BigInteger()))
    .order_by(_CASES.c.id.desc())
    .limit(TENANT_CASES_KEPT)
)
# The same for a batch's tenants at once: each one's latest, by a window over tenants.
_LATEST = (
    select(
        _CASES,
        func.row_number()
        .over(partition_by=_CASES.c.tenant_id, order_by=_CASES.c.id.desc())
        .label("latest"),
    )
    .where(_CASES.c.tenant_id.in_(bindparam("tenants", expanding=True)))
    .subquery()
)
_BATCH_TENANT_CASES = (
    select(*(_LATEST.c[column.name] for column in _CASES.c))
    .where(_LATEST.c.latest <= TENANT_CASES_KEPT)
    .order_by(_LATEST.c.tenant_id, _LATEST.c.id.desc())
)
# PostgreSQL: the same rows, locked until the unit commits (a window cannot be locked, so
# the rows it picks are selected again by id). Another worker's change to one of these
# cases (a colleague's /close) then waits for the batch instead of going unseen by it.
# FOR NO KEY UPDATE: a change to the case waits, a row that only points at it (a history
# entry, a message) does not.
_BATCH_TENANT_CASES_LOCKED = (
    select(_CASES)
    .where(_CASES.c.id.in_(select(_LATEST.c.id).where(_LATEST.c.latest <= TENANT_CASES_KEPT)))
    .order_by(_CASES.c.tenant_id, _CASES.c.id.desc())
    .with_for_update(key_share=True)
)


class Casebook:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = store.sessions

    async def open_case(
        self,
        *,
        kind: str,
        tenant_id: int,
        chat_id: int | None,
        summary: str,
        urgent: bool,
        origin_chat_id: int | None = None,
        origin_message_id: str | None = None,
        with_link: bool = False,
        complaint_dates: tuple[date, date] | None = None,
        actor_name: str = "",
        now: datetime | None = None,
        origin: str | None = None,
    ) -> models.Case:
        moment = now or models.utcnow()
        case = models.Case(
            ref="pending-" + secrets.token_hex(6),
            kind=kind,
            status="open",
            urgent=urgent,
            summary=summary[:200],
            tenant_id=tenant_id,
            chat_id=chat_id,
            origin_chat_id=origin_chat_id,
            origin_message_id=origin_message_id,
            link_token=secrets.token_urlsafe(16) if with_link else None,
            origin=origin,
            created_at=moment,
            updated_at=moment,
        )
        if complaint_dates is not None:
            case.stage = 1
            # The UK calendar date: a complaint at 00:30 BST is that day's, not the
            # previous day's (UTC), and its working days count from there.
            case.received_on = local_day(moment)
            case.acknowledge_by, case.respond_by = complaint_dates
        async with self.sessions.begin() as session:
            session.add(case)
            await session.flush()
            case.ref = f"SHAL-{case.id:05d}"
            session.add(
                models.CaseEvent(
                    case_id=case.id,
                    at=moment,
                    actor_kind="tenant",
                    actor_id=tenant_id,
                    actor_name=actor_name,
                    kind="opened",
                    detail={"kind": kind, "urgent": urgent},
                )
            )
        return case

    async def opened_from(self, origin: str, since: datetime) -> int:
        """Cases opened from one web address since a moment (rate limit, not identity)."""
        async with self.sessions() as session:
            count = await session.scalar(
                select(func.count(models.Case.id)).where(
                    models.Case.origin == origin, models.Case.created_at >= since
                )
            )
        return int(count or 0)

    async def get(self, ref: str) -> models.Case | None:
        async with self.sessions() as session:
            return await session.scalar(select(models.Case).where(models.Case.ref == ref))

    async def by_id(self, case_id: int) -> models.Case | None:
        async with self.sessions() as session:
            return await session.get(models.Case, case_id)

    async def by_topic(self, thread_id: int) -> models.Case | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(models.Case)
                .where(models.Case.staff_topic_id == thread_id)
                .order_by(models.Case.id.desc())
                .limit(1)
            )

    async def by_link(self, token: str) -> models.Case | None:
        async with self.sessions() as session:
            return await session.scalar(select(models.Case).where(models.Case.link_token == token))

    async def open_case_of_kind(self, tenant_id: int, kind: str) -> models.Case | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(models.Case)
                .where(
                    models.Case.tenant_id == tenant_id,
                    models.Case.kind == kind,
                    models.Case.status.in_(OPEN_STATUSES),
                )
                .order_by(models.Case.id.desc())
                .limit(1)
            )

    async def current_case(self, tenant_id: int) -> Row[Any] | None:
        """The tenant's most recently active open case: follow-ups belong to it. Asked on
        every private message, so a Core row (the case's columns by name), not a model."""
        async with self.store.connection() as connection:
            result = await connection.execute(_CURRENT_CASE, {"tenant": tenant_id})
            return result.first()

    async def tenant_cases(self, tenant_id: int) -> list[Row[Any]]:
        """The tenant's latest cases, newest first: looked up on every private message
        (the matter in hand), so Core on the unit's connection, not the ORM; read ahead
        for a batch of messages where the worker has one."""
        found = await self.store.looked_ahead("cases", tenant_id)
        if found is not MISSING:
            return list(found)
        async with self.store.connection() as connection:
            return list(await connection.execute(_TENANT_CASES, {"tenant": tenant_id}))

    async def look_ahead(self, tenant_ids: Sequence[int]) -> None:
        """``tenant_cases`` for a batch's tenants in one statement, kept for the unit."""
        if not tenant_ids or not self.store.reads_ahead:  # see Store.reads_ahead
            return
        found: dict[int, list[Row[Any]]] = {tenant: [] for tenant in tenant_ids}
        query = _BATCH_TENANT_CASES_LOCKED if self.store.postgres else _BATCH_TENANT_CASES
        async with self.store.connection() as connection:
            for row in await connection.execute(query, {"tenants": list(found)}):
                found[row.tenant_id].append(row)
        self.store.look_ahead("cases", found)

    async def all_cases(self, status: str | None = None) -> list[models.Case]:
        async with self.sessions() as session:
            query = select(models.Case).order_by(models.Case.id)
            if status:
                query = query.where(models.Case.status == status)
            return list(await session.scalars(query))

    async def complaints_due(self, by: date) -> list[models.Case]:
        """Open complaints with a deadline on or before ``by`` (acknowledgement or response)."""
        async with self.sessions() as session:
            rows = await session.scalars(
                select(models.Case)
                .where(
                    models.Case.kind == "complaint",
                    models.Case.status == "open",
                    deadline_on_or_before(by),
                )
                .order_by(models.Case.respond_by, models.Case.id)
            )
            return list(rows)

    async def change(self, case_id: int, **values: Any) -> None:
        values.setdefault("updated_at", models.utcnow())
        async with self.sessions.begin() as session:
            await session.execute(
                update(models.Case).where(models.Case.id == case_id).values(**values)
            )

    async def claim(self, case_id: int, staff_id: int, staff_name: str) -> bool:
        """Assign a case to one colleague. A single conditional UPDATE, so when two
        colleagues claim at once exactly one wins, on SQLite and PostgreSQL alike."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(models.Case)
                .where(models.Case.id == case_id, models.Case.assignee_id.is_(None))
                .values(assignee_id=staff_id, assignee_name=staff_name, updated_at=models.utcnow())
            )
            return rows_changed(result) == 1

    async def hand_over(
        self, case_id: int, holder_id: int | None, staff_id: int, staff_name: str
    ) -> bool:
        """Move a case from ``holder_id`` (None: nobody) to another colleague, only if it
        is still theirs: of two moves at once exactly one wins, as with a claim."""
        held = (
            models.Case.assignee_id.is_(None)
            if holder_id is None
            else models.Case.assignee_id == holder_id
        )
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(models.Case)
                .where(models.Case.id == case_id, held)
                .values(assignee_id=staff_id, assignee_name=staff_name, updated_at=models.utcnow())
            )
            return rows_changed(result) == 1

    async def release(self, case_id: int, staff_id: int) -> bool:
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(models.Case)
                .where(models.Case.id == case_id, models.Case.assignee_id == staff_id)
                .values(assignee_id=None, assignee_name=None, updated_at=models.utcnow())
            )
            return rows_changed(result) == 1

    async def log(
        self,
        case_id: int,
        kind: str,
        *,
        actor_kind: str,
        actor_id: int | None = None,
        actor_name: str = "",
        text: str = "",
        detail: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        async with self.sessions.begin() as session:
            session.add(
                models.CaseEvent(
                    case_id=case_id,
                    at=at or models.utcnow(),
                    actor_kind=actor_kind,
                    actor_id=actor_id,
                    actor_name=actor_name,
                    kind=kind,
                    text=text,
                    detail=detail or {},
                )
            )
            await session.execute(
                update(models.Case)
                .where(models.Case.id == case_id)
                .values(updated_at=at or models.utcnow())
            )

    async def timeline(self, case_id: int) -> Sequence[models.CaseEvent]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(models.CaseEvent)
                .where(models.CaseEvent.case_id == case_id)
                .order_by(models.CaseEvent.id)
            )
            return list(rows)

    async def chat_of(self, case: models.Case) -> models.Chat | None:
        if case.chat_id is None:
            return None
        async with self.sessions() as session:
            return await session.get(models.Chat, case.chat_id)

    async def origin_of(self, case: models.Case) -> models.Chat | None:
        if case.origin_chat_id is None:
            return None
        async with self.sessions() as session:
            return await session.get(models.Chat, case.origin_chat_id)

    async def person(self, person_id: int) -> models.Person | None:
        async with self.sessions() as session:
            return await session.get(models.Person, person_id)
