"""Finding cases for the staff console: the filtered, searchable inbox, the complaints'
deadlines, one tenant across their cases, and the figures for reports.

Search is PostgreSQL full-text (GIN indexes from migration 0005) on messages and case
summaries, with the reference and tenant name matched by ILIKE; SQLite falls back to
LIKE everywhere, which is fine at the size one SQLite process serves.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, func, literal_column, not_, or_, select, union
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased
from sqlalchemy.sql.expression import ColumnClause

from helpbot.store import models
from helpbot.store.casebook import deadline_on_or_before
from helpbot.store.records import Store
from helpbot.working_days import LONDON, add_working_days, local_day, working_days_between

PAGE_SIZE = 50
KINDS = ("complaint", "repair", "asb", "personal", "safeguarding", "emergency", "human")
STATUSES = ("open", "resolved", "closed")
DUE = ("overdue", "today", "next")
_ENGLISH: ColumnClause[Any] = literal_column("'english'::regconfig")
_SIMPLE: ColumnClause[Any] = literal_column("'simple'::regconfig")
_REFERENCE = re.compile(r"^(?:SHAL-?)?(\d{1,9})$", re.IGNORECASE)


def _name_vector() -> Any:
    """A person's name and handle as words; the same expression as the index in 0005."""
    person = models.Person
    empty: ColumnClause[Any] = literal_column("''")
    space: ColumnClause[Any] = literal_column("' '")
    both = (
        func.coalesce(person.first_name, empty)
        .op("||")(space)
        .op("||")(func.coalesce(person.username, empty))
    )
    return func.to_tsvector(_SIMPLE, both)


@dataclass(frozen=True, slots=True)
class CaseFilter:
    kind: str | None = None
    status: str | None = "open"
    assignee: str | None = None  # "mine", "unassigned"
    channel: str | None = None
    due: str | None = None
    query: str = ""
    page: int = 1

    @classmethod
    def from_query(cls, params: Any) -> CaseFilter:
        """From a page's query string; anything unknown is ignored, never an error."""

        def pick(name: str, allowed: tuple[str, ...]) -> str | None:
            value = params.get(name) or None
            return value if value in allowed else None

        try:
            page = max(1, min(10_000, int(params.get("page", "1"))))
        except ValueError:
            page = 1
        status = params.get("status", "open")
        return cls(
            kind=pick("kind", KINDS),
            status=status if status in STATUSES else None,
            assignee=pick("assignee", ("mine", "unassigned")),
            channel=(params.get("channel") or None) and str(params.get("channel"))[:32],
            due=pick("due", DUE),
            query=str(params.get("q", "")).strip()[:200],
            page=page,
        )


@dataclass(frozen=True, slots=True)
class CaseRow:
    case: models.Case
    tenant_name: str
    channel: str | None


@dataclass(frozen=True, slots=True)
class CasePage:
    rows: list[CaseRow]
    total: int
    page: int
    pages: int


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    kind: str
    actor_kind: str
    actor_name: str
    text: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class TenantRecord:
    person: models.Person
    others: list[models.Person]
    cases: list[models.Case]
    join_requests: list[models.JoinRequest]
    moderation: list[models.ModerationAction]
    tenancy: models.Tenancy | None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def due_condition(due: str, today: date) -> ColumnElement[bool]:
    """Overdue: an unmet deadline before today; due today; due on the next working day."""
    yesterday = today - timedelta(days=1)
    open_complaint = and_(models.Case.kind == "complaint", models.Case.status == "open")
    if due == "overdue":
        return and_(open_complaint, deadline_on_or_before(yesterday))
    if due == "today":
        return and_(
            open_complaint, deadline_on_or_before(today), not_(deadline_on_or_before(yesterday))
        )
    following = add_working_days(today, 1)
    return and_(
        open_complaint, deadline_on_or_before(following), not_(deadline_on_or_before(today))
    )


class CaseSearch:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = store.sessions

    async def inbox(
        self, wanted: CaseFilter, *, me: int | None, today: date | None = None
    ) -> CasePage:
        """Cases as the inbox lists them: urgent first, then newest activity. Filters
        and search narrow the cases table alone (counted there, in the same statement);
        names and channels are joined only for the one page shown."""
        case = models.Case
        today = today or local_day(datetime.now(UTC))
        conditions: list[ColumnElement[bool]] = []
        if wanted.status:
            conditions.append(case.status == wanted.status)
        if wanted.kind:
            conditions.append(case.kind == wanted.kind)
        if wanted.assignee == "unassigned":
            conditions.append(case.assignee_id.is_(None))
        elif wanted.assignee == "mine":
            conditions.append(case.assignee_id == me if me is not None else case.id.is_(None))
        if wanted.channel:
            conditions.append(
                case.chat_id.in_(
                    select(models.Chat.id).where(models.Chat.channel == wanted.channel)
                )
            )
        if wanted.due:
            conditions.append(due_condition(wanted.due, today))
        if wanted.query:
            conditions.append(case.id.in_(self._matching(wanted.query)))
        order = (case.urgent.desc(), case.updated_at.desc(), case.id.desc())
        counted = select(func.count()).select_from(case).where(*conditions)
        async with self.sessions() as session:
            if wanted.query:
                # A search finds its matches once: the page's ids with the count of every
                # match beside them (a window over the same rows). Counting separately
                # ran the search twice, half of a word search's time at 100,000 cases.
                # (Without a search the count is an index-only scan and the page stops
                # after 50 rows in index order, which a window would prevent.)
                page = wanted.page
                found, total = await self._page(session, conditions, order, page, windowed=True)
                if found or page == 1:
                    return CasePage(found, total, page, max(1, -(-total // PAGE_SIZE)))
            # Count first, so a page past the end (a stale link) shows the last page.
            total = int(await session.scalar(counted) or 0)
            pages = max(1, -(-total // PAGE_SIZE))
            page = min(wanted.page, pages)
            found, _ = await self._page(session, conditions, order, page, windowed=False)
        return CasePage(found, total, page, pages)

    @staticmethod
    async def _page(
        session: AsyncSession,
        conditions: list[ColumnElement[bool]],
        order: tuple[Any, ...],
        page: int,
        *,
        windowed: bool,
    ) -> tuple[list[CaseRow], int]:
        """One page: its ids from the cases table alone (its index gives the order),
        then the 50 rows with their tenant's name and channel; with ``windowed`` the
        count of every match comes back beside them."""
        case, tenant, chat = models.Case, aliased(models.Person), aliased(models.Chat)
        total: Any = func.count().over() if windowed else literal_column("0")
        shown = (
            select(case.id, total.label("total"))
            .where(*conditions)
            .order_by(*order)
            .limit(PAGE_SIZE)
            .offset((page - 1) * PAGE_SIZE)
            .subquery()
        )
        rows = list(
            await session.execute(
                select(case, tenant.first_name, chat.channel, shown.c.total)
                .join(shown, shown.c.id == case.id)
                .join(tenant, tenant.id == case.tenant_id)
                .outerjoin(chat, chat.id == case.chat_id)
                .order_by(*order)
            )
        )
        count = int(rows[0][3]) if rows else 0
        return [CaseRow(row[0], row[1] or "", row[2]) for row in rows], count

    def _matching(self, text: str) -> Any:
        """Ids of cases whose reference, tenant's name or handle, summary or messages
        match: each part on its own index (PostgreSQL), put together with UNION."""
        case, person, message = models.Case, models.Person, models.Message
        parts: list[Any] = []
        reference = _REFERENCE.match(text.strip())
        if reference:
            parts.append(select(case.id).where(case.ref == f"SHAL-{int(reference.group(1)):05d}"))
        if self.store.postgres:
            words = func.plainto_tsquery(_ENGLISH, text)
            names = func.plainto_tsquery(_SIMPLE, text)
            named = select(person.id).where(_name_vector().bool_op("@@")(names))
            parts += [
                select(case.id).where(case.tenant_id.in_(named)),
                select(case.id).where(
                    func.to_tsvector(_ENGLISH, case.summary).bool_op("@@")(words)
                ),
                select(message.case_id).where(
                    func.to_tsvector(_ENGLISH, message.text).bool_op("@@")(words),
                    message.case_id.is_not(None),
                ),
            ]
        else:
            like = _like(text)
            named = select(person.id).where(
                or_(
                    person.first_name.ilike(like, escape="\\"),
                    person.username.ilike(like, escape="\\"),
                )
            )
            parts += [
                select(case.id).where(
                    or_(case.ref.ilike(like, escape="\\"), case.summary.ilike(like, escape="\\"))
                ),
                select(case.id).where(case.tenant_id.in_(named)),
                select(message.case_id).where(
                    message.text.ilike(like, escape="\\"), message.case_id.is_not(None)
                ),
            ]
        return union(*parts)

    @staticmethod
    def deadlines_kept(
        case: models.Case, timeline: list[TimelineEntry], today: date
    ) -> list[TimelineEntry]:
        """A complaint's deadlines at its current stage, met or missed, as lines for its
        timeline (Complaint Handling Code). Worked out from the case's dates each time,
        so they can never disagree with them: met or missed when the step was taken, and
        missed as soon as a day passes with the step not taken."""
        if case.kind != "complaint":
            return []
        steps = (
            ("Acknowledgement", case.acknowledge_by, case.acknowledged_on, "acknowledged"),
            ("Response", case.respond_by, case.responded_on, "resolved"),
        )
        found: list[TimelineEntry] = []
        for what, due, done, event in steps:
            if due is None or (done is None and today <= due):
                continue
            if done is None and case.status != "open":
                continue  # closed without this step: the closing is on the timeline
            when = [e.at for e in timeline if e.kind == event and local_day(e.at) == done]
            at = when[-1] if when else _end_of(done or due)
            late = working_days_between(due, done or today)
            if done is not None and late <= 0:
                text = f"{what} due {due:%a %d %b %Y}: met on {done:%a %d %b}"
                kind = "deadline_met"
            elif done is not None:
                text = f"{what} due {due:%a %d %b %Y}: missed, done {late} working day(s) late"
                kind = "deadline_missed"
            else:
                text = f"{what} due {due:%a %d %b %Y}: missed, {late} working day(s) overdue"
                kind = "deadline_missed"
            found.append(TimelineEntry(at, kind, "system", "complaints clock", text))
        return found

    async def channels(self) -> list[str]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(models.Chat.channel).where(models.Chat.kind == "private").distinct()
            )
            return sorted(rows)

    async def case(self, ref: str) -> models.Case | None:
        async with self.sessions() as session:
            return await session.scalar(select(models.Case).where(models.Case.ref == ref))

    async def timeline(self, case_id: int) -> list[TimelineEntry]:
        """Everything on a case in order: its history, plus what the tenant sent that is
        not plain text (photos, files, voice), which the history only mentions."""
        async with self.sessions() as session:
            events = list(
                await session.scalars(
                    select(models.CaseEvent)
                    .where(models.CaseEvent.case_id == case_id)
                    .order_by(models.CaseEvent.id)
                )
            )
            attachments = list(
                await session.scalars(
                    select(models.Message)
                    .where(
                        models.Message.case_id == case_id,
                        models.Message.direction == "in",
                        models.Message.content.notin_(("text", "command", "button")),
                    )
                    .order_by(models.Message.id)
                )
            )
        entries = [
            TimelineEntry(e.at, e.kind, e.actor_kind, e.actor_name, e.text, dict(e.detail or {}))
            for e in events
        ]
        entries += [
            TimelineEntry(
                m.created_at,
                "attachment",
                "tenant",
                "",
                m.text,
                {"content": m.content, "message_id": m.id},
            )
            for m in attachments
        ]
        entries.sort(key=lambda entry: entry.at)
        return entries

    async def tenant(self, person_id: int) -> TenantRecord | None:
        async with self.sessions() as session:
            person = await session.get(models.Person, person_id)
            if person is None:
                return None
            others: list[models.Person] = []
            if person.tenancy_ref:
                others = list(
                    await session.scalars(
                        select(models.Person).where(
                            models.Person.tenancy_ref == person.tenancy_ref,
                            models.Person.id != person.id,
                        )
                    )
                )
            ids = [person.id, *(p.id for p in others)]
            cases = list(
                await session.scalars(
                    select(models.Case)
                    .where(models.Case.tenant_id.in_(ids))
                    .order_by(models.Case.id.desc())
                )
            )
            requests = list(
                await session.scalars(
                    select(models.JoinRequest)
                    .where(models.JoinRequest.person_id.in_(ids))
                    .order_by(models.JoinRequest.id.desc())
                )
            )
            moderation = list(
                await session.scalars(
                    select(models.ModerationAction)
                    .where(models.ModerationAction.person_id.in_(ids))
                    .order_by(models.ModerationAction.id.desc())
                )
            )
            tenancy = None
            if person.tenancy_ref:
                tenancy = await session.scalar(
                    select(models.Tenancy).where(models.Tenancy.reference == person.tenancy_ref)
                )
        return TenantRecord(person, others, cases, requests, moderation, tenancy)

    async def deadlines(self) -> list[models.Case]:
        """Open complaints, the soonest (so the most overdue) deadline first."""
        case = models.Case
        async with self.sessions() as session:
            rows = await session.scalars(
                select(case).where(case.kind == "complaint", case.status == "open")
            )
            found = list(rows)
        found.sort(key=lambda c: (next_deadline(c) or date.max, c.id))
        return found

    async def reports(self, weeks: int = 12, today: date | None = None) -> Report:
        today = today or local_day(datetime.now(UTC))
        start = today - timedelta(days=today.weekday()) - timedelta(weeks=weeks - 1)
        since = datetime(start.year, start.month, start.day, tzinfo=UTC)
        case, event, chat = models.Case, models.CaseEvent, models.Chat
        async with self.sessions() as session:
            opened = await session.execute(
                select(case.created_at, case.kind).where(case.created_at >= since)
            )
            closed = await session.execute(
                select(case.closed_at, case.kind).where(case.closed_at >= since)
            )
            complaints = list(
                await session.scalars(
                    select(case).where(case.kind == "complaint", case.respond_by.is_not(None))
                )
            )
            first_reply = await session.execute(
                select(case.created_at, func.min(event.at))
                .join(event, event.case_id == case.id)
                .where(event.kind == "staff_reply", case.created_at >= since)
                .group_by(case.id, case.created_at)
            )
            mix = await session.execute(
                select(chat.channel, func.count(case.id))
                .outerjoin(chat, chat.id == case.chat_id)
                .where(case.created_at >= since)
                .group_by(chat.channel)
            )
            opened_rows = list(opened)
            closed_rows = list(closed)
            reply_rows = list(first_reply)
            mix_rows = list(mix)
        week_starts = [start + timedelta(weeks=n) for n in range(weeks)]
        by_week: dict[date, Counter[str]] = defaultdict(Counter)
        closed_by_week: dict[date, Counter[str]] = defaultdict(Counter)
        for at, kind in opened_rows:
            by_week[_week(at)][kind] += 1
        for closed_at, kind in closed_rows:
            if closed_at is not None:
                closed_by_week[_week(closed_at)][kind] += 1
        due = [c for c in complaints if c.respond_by is not None and c.respond_by < today]
        met = [
            c
            for c in due
            if c.responded_on is not None
            and c.respond_by is not None
            and c.responded_on <= c.respond_by
        ]
        waits = [
            (replied - created).total_seconds() / 3600
            for created, replied in reply_rows
            if replied is not None
        ]
        return Report(
            weeks=week_starts,
            opened={w: dict(by_week.get(w, {})) for w in week_starts},
            closed={w: dict(closed_by_week.get(w, {})) for w in week_starts},
            deadlines_due=len(due),
            deadlines_met=len(met),
            median_first_reply_hours=statistics.median(waits) if waits else None,
            channel_mix={(name or "none"): int(n) for name, n in mix_rows},
        )


def _week(at: datetime | None) -> date:
    day = local_day(at or datetime.now(UTC))
    return day - timedelta(days=day.weekday())


def next_deadline(case: models.Case) -> date | None:
    """The deadline that matters now: acknowledgement until acknowledged, then response."""
    if case.acknowledged_on is None and case.acknowledge_by is not None:
        return case.acknowledge_by
    if case.responded_on is None:
        return case.respond_by
    return None


@dataclass(frozen=True, slots=True)
class Report:
    weeks: list[date]
    opened: dict[date, dict[str, int]]
    closed: dict[date, dict[str, int]]
    deadlines_due: int
    deadlines_met: int
    median_first_reply_hours: float | None
    channel_mix: dict[str, int]

    @property
    def met_percent(self) -> float | None:
        if not self.deadlines_due:
            return None
        return 100.0 * self.deadlines_met / self.deadlines_due


def _end_of(day: date) -> datetime:
    """The last moment of a UK calendar day, for a line about that day."""
    return datetime.combine(day, datetime.max.time(), tzinfo=LONDON).astimezone(UTC)
