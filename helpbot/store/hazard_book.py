"""Hazard records (Awaab's Law): a repair's detail dialogue, its hazard and the steps of
its clock; and the figures for /metrics and the console's hazards page."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select, update

from helpbot.desk import records
from helpbot.store import models
from helpbot.store.database import rows_changed
from helpbot.store.records import Store
from helpbot.working_days import LONDON

MARKS = frozenset({"warned_at", "missed_at"})


def details_record(row: models.CaseDetail) -> records.CaseDetails:
    facts = dict(row.facts or {})
    return records.CaseDetails(
        case_id=row.case_id,
        answers={str(k): str(v) for k, v in (row.answers or {}).items()},
        at_risk=tuple(facts.get("at_risk") or ()),
        household_known=bool(facts.get("household_known")),
        room=facts.get("room"),
        size=facts.get("size"),
        since=facts.get("since"),
        photo=facts.get("photo"),
        pending=row.pending,
        asked_at=row.asked_at,
        asked=tuple(row.asked or ()),
        told=row.told,
    )


def step_record(row: models.HazardStep) -> records.HazardStep:
    return records.HazardStep(
        step=row.step,
        due_at=row.due_at,
        due_on=row.due_on,
        done_at=row.done_at,
        done_by=row.done_by or "",
        note=row.note or "",
        warned_at=row.warned_at,
        missed_at=row.missed_at,
    )


def hazard_record(row: models.Hazard, steps: Sequence[models.HazardStep]) -> records.Hazard:
    order = {name: i for i, name in enumerate(("investigate", "make_safe", "summary", "works"))}
    return records.Hazard(
        case_id=row.case_id,
        kind=row.kind,
        aware_at=row.aware_at,
        proposed=row.proposed,
        reason=row.reason or "",
        clock=row.clock,
        confirmed=row.confirmed,
        confirmed_by=row.confirmed_by or "",
        confirmed_at=row.confirmed_at,
        confirmed_reason=row.confirmed_reason or "",
        at_risk=tuple(row.at_risk or ()),
        findings=row.findings or "",
        summary=row.summary or "",
        works_later=row.works_later or "",
        alternative=row.alternative or "",
        steps=tuple(
            step_record(s) for s in sorted(steps, key=lambda s: order.get(s.step, len(order)))
        ),
    )


@dataclass
class HazardReport:
    """Counts only, nothing personal: for /metrics and the console."""

    by_kind_category: Counter[tuple[str, str]] = field(default_factory=Counter)
    steps_due: int = 0  # steps done, or undone past their due
    steps_met: int = 0  # of those, done on time
    open_at_risk: int = 0
    open_total: int = 0

    @property
    def met_percent(self) -> float | None:
        return 100.0 * self.steps_met / self.steps_due if self.steps_due else None


class HazardBook:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = store.sessions

    # -- the detail dialogue ------------------------------------------------------

    async def details(self, case_id: int) -> records.CaseDetails | None:
        async with self.sessions() as session:
            row = await session.get(models.CaseDetail, case_id, populate_existing=True)
            return details_record(row) if row is not None else None

    async def save_details(self, value: records.CaseDetails) -> None:
        facts = {
            "at_risk": list(value.at_risk),
            "household_known": value.household_known,
            "room": value.room,
            "size": value.size,
            "since": value.since,
            "photo": value.photo,
        }
        fields: dict[str, Any] = {
            "answers": dict(value.answers),
            "facts": facts,
            "pending": value.pending,
            "asked_at": value.asked_at,
            "asked": list(value.asked),
            "told": value.told,
            "updated_at": models.utcnow(),
        }
        async with self.sessions.begin() as session:
            await session.execute(
                self.store._insert(models.CaseDetail)
                .values(case_id=value.case_id, **fields)
                .on_conflict_do_nothing(index_elements=["case_id"])
            )
            await session.execute(
                update(models.CaseDetail)
                .where(models.CaseDetail.case_id == value.case_id)
                .values(**fields)
            )

    # -- the hazard and its clock ---------------------------------------------------

    async def hazard(self, case_id: int) -> records.Hazard | None:
        async with self.sessions() as session:
            row = await session.get(models.Hazard, case_id, populate_existing=True)
            if row is None:
                return None
            steps = await session.scalars(
                select(models.HazardStep)
                .where(models.HazardStep.case_id == case_id)
                .execution_options(populate_existing=True)
            )
            return hazard_record(row, list(steps))

    async def open_hazard(self, value: records.Hazard) -> bool:
        moment = models.utcnow()
        async with self.sessions.begin() as session:
            result = await session.execute(
                self.store._insert(models.Hazard)
                .values(
                    case_id=value.case_id,
                    kind=value.kind,
                    aware_at=value.aware_at,
                    proposed=value.proposed,
                    reason=value.reason,
                    clock=value.clock,
                    at_risk=list(value.at_risk),
                    created_at=moment,
                    updated_at=moment,
                )
                .on_conflict_do_nothing(index_elements=["case_id"])
            )
            return rows_changed(result) == 1

    async def change_hazard(self, case_id: int, **values: Any) -> None:
        if "at_risk" in values:
            values["at_risk"] = list(values["at_risk"])
        values.setdefault("updated_at", models.utcnow())
        async with self.sessions.begin() as session:
            await session.execute(
                update(models.Hazard).where(models.Hazard.case_id == case_id).values(**values)
            )

    async def save_steps(self, case_id: int, steps: Sequence[records.HazardStep]) -> None:
        step = models.HazardStep
        names = [s.step for s in steps]
        async with self.sessions.begin() as session:
            await session.execute(
                delete(step).where(
                    step.case_id == case_id, step.done_at.is_(None), step.step.not_in(names)
                )
            )
            for value in steps:
                await session.execute(
                    self.store._insert(step)
                    .values(case_id=case_id, step=value.step)
                    .on_conflict_do_nothing(index_elements=["case_id", "step"])
                )
                fields: dict[str, Any] = {
                    "due_at": value.due_at,
                    "due_on": value.due_on,
                    "warned_at": value.warned_at,
                    "missed_at": value.missed_at,
                }
                if value.done_at is not None:
                    fields |= {
                        "done_at": value.done_at,
                        "done_by": value.done_by,
                        "note": value.note,
                    }
                # A step a colleague recorded done meanwhile keeps its record.
                await session.execute(
                    update(step)
                    .where(step.case_id == case_id, step.step == value.step, step.done_at.is_(None))
                    .values(**fields)
                )

    async def mark_step(self, case_id: int, name: str, field: str, at: datetime) -> bool:
        if field not in MARKS:
            raise ValueError(f"not a mark: {field}")
        step = models.HazardStep
        column = getattr(step, field)
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(step)
                .where(
                    step.case_id == case_id,
                    step.step == name,
                    step.done_at.is_(None),
                    column.is_(None),
                )
                .values({field: at})
            )
            return rows_changed(result) == 1

    async def hazards_due(self, at: datetime, on: date) -> list[records.Hazard]:
        step = models.HazardStep
        async with self.sessions() as session:
            ids = list(
                await session.scalars(
                    select(step.case_id)
                    .join(models.Case, models.Case.id == step.case_id)
                    .where(
                        models.Case.status != "closed",
                        step.done_at.is_(None),
                        step.missed_at.is_(None),
                        or_(step.due_at <= at, step.due_on <= on),
                    )
                    .distinct()
                    .order_by(step.case_id)
                )
            )
        found = [await self.hazard(case_id) for case_id in ids]
        return [h for h in found if h is not None]

    # -- reports ----------------------------------------------------------------------

    async def report(self, now: datetime, today: date) -> HazardReport:
        """Hazards by kind and the category the clock runs (or the decided or proposed
        one when no clock runs), steps met on time, open hazards with someone at higher
        risk."""
        report = HazardReport()
        async with self.sessions() as session:
            rows = list(
                await session.execute(
                    select(models.Hazard, models.Case.status).join(
                        models.Case, models.Case.id == models.Hazard.case_id
                    )
                )
            )
            steps = list(await session.scalars(select(models.HazardStep)))
        for hazard, status in rows:
            category = hazard.clock or hazard.confirmed or hazard.proposed
            report.by_kind_category[(hazard.kind, category)] += 1
            if status != "closed":
                report.open_total += 1
                report.open_at_risk += bool(hazard.at_risk)
        for row in steps:
            if row.due_at is None and row.due_on is None:
                continue
            if row.done_at is not None:
                report.steps_due += 1
                on_time = (
                    row.done_at <= row.due_at
                    if row.due_at is not None
                    else row.done_at.astimezone(LONDON).date() <= (row.due_on or today)
                )
                report.steps_met += on_time
            elif (row.due_at is not None and row.due_at <= now) or (
                row.due_on is not None and row.due_on < today
            ):
                report.steps_due += 1
        return report

    async def open_hazards(
        self,
    ) -> list[tuple[models.Hazard, models.Case, list[models.HazardStep]]]:
        """Hazards of cases not closed: someone at higher risk first, then the earliest
        undone step."""
        async with self.sessions() as session:
            rows = list(
                await session.execute(
                    select(models.Hazard, models.Case)
                    .join(models.Case, models.Case.id == models.Hazard.case_id)
                    .where(models.Case.status != "closed")
                )
            )
            steps = list(
                await session.scalars(
                    select(models.HazardStep).where(
                        models.HazardStep.case_id.in_([h.case_id for h, _ in rows])
                    )
                )
            )
        by_case: dict[int, list[models.HazardStep]] = {}
        for row in steps:
            by_case.setdefault(row.case_id, []).append(row)
        found = [(h, c, by_case.get(h.case_id, [])) for h, c in rows]

        def next_due(item: tuple[models.Hazard, models.Case, list[models.HazardStep]]) -> str:
            undone = [
                (s.due_at.isoformat() if s.due_at else f"{s.due_on}T23:59")
                for s in item[2]
                if s.done_at is None and (s.due_at or s.due_on)
            ]
            return min(undone) if undone else "9999"

        found.sort(key=lambda item: (not item[0].at_risk, next_due(item), item[1].id))
        return found

    async def hazard_row(self, case_id: int) -> models.Hazard | None:
        async with self.sessions() as session:
            return await session.get(models.Hazard, case_id)
