"""The hazard clock: the due moment of each step, from the timetable, the moment we
became aware and the moment the investigation ended. Pure; the numbers are all in
``timetable.py`` and the calendar in ``helpbot.working_days``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta

from helpbot.desk.hazards.timetable import (
    INVESTIGATE,
    STEPS,
    SUMMARY,
    TIMESCALES,
    WORKS,
    WORKS_LONG_STOP,
)
from helpbot.desk.records import Hazard, HazardStep
from helpbot.working_days import LONDON, add_working_days, local_day


def schedule(hazard: Hazard) -> dict[str, tuple[datetime | None, date | None]]:
    """Each step's due (a moment, or a day in England) for the clock that runs. Steps
    counted from the investigation appear once it has ended. A written summary, once
    owed (an investigation ended under a clock), stays owed whatever the category
    becomes after it."""
    investigated = hazard.step(INVESTIGATE)
    ended = investigated.done_at if investigated else None
    due: dict[str, tuple[datetime | None, date | None]] = {}
    for step, scale in TIMESCALES.get(hazard.clock or "", {}).items():
        start = hazard.aware_at if scale.after == "aware" else ended
        if start is None:
            continue
        if scale.hours is not None:
            due[step] = (start + timedelta(hours=scale.hours), None)
        elif scale.working_days is not None:
            due[step] = (None, add_working_days(local_day(start), scale.working_days))
    if WORKS in due and hazard.works_later and ended is not None:
        due[WORKS] = (None, local_day(ended) + WORKS_LONG_STOP)
    owed = hazard.step(SUMMARY)
    if SUMMARY not in due and owed is not None and owed.done_at is None:
        due[SUMMARY] = (owed.due_at, owed.due_on)
    return due


def merged_steps(hazard: Hazard, now: datetime) -> tuple[HazardStep, ...]:
    """The steps the hazard should have now: done steps are kept as they were; a step
    whose due moved is warned afresh; a step due within a day from the start (an
    emergency) counts as warned by the notice that opened it."""
    due = schedule(hazard)
    kept: list[HazardStep] = []
    for name in STEPS:
        old = hazard.step(name)
        if old is not None and old.done_at is not None:
            kept.append(old)
            continue
        if name not in due:
            continue
        due_at, due_on = due[name]
        if old is not None and (old.due_at, old.due_on) == (due_at, due_on):
            kept.append(old)
            continue
        soon = due_at is not None and due_at - now <= timedelta(days=1)
        kept.append(
            replace(
                old or HazardStep(name),
                due_at=due_at,
                due_on=due_on,
                warned_at=now if soon else None,
                missed_at=None,
            )
        )
    return tuple(kept)


def due_text(step: HazardStep) -> str:
    """ "10:00 Wed 10 Dec 2025" for a moment, "Tue 13 Jan 2026" for a day."""
    if step.due_at is not None:
        return f"{step.due_at.astimezone(LONDON):%H:%M %a %d %b %Y}"
    if step.due_on is not None:
        return f"{step.due_on:%a %d %b %Y}"
    return "-"


def is_missed(step: HazardStep, now: datetime) -> bool:
    if step.done_at is not None:
        return False
    if step.due_at is not None:
        return step.due_at <= now
    return step.due_on is not None and step.due_on < local_day(now)


def is_due_soon(step: HazardStep, now: datetime) -> bool:
    """Due within one working day (or, for a step counted in hours, within 24 hours)."""
    if step.done_at is not None:
        return False
    if step.due_at is not None:
        return step.due_at - now <= timedelta(days=1)
    return step.due_on is not None and step.due_on <= add_working_days(local_day(now), 1)


def met(step: HazardStep) -> bool | None:
    """On time (True), late (False), or not yet known (None, still open)."""
    if step.done_at is None:
        return None
    if step.due_at is not None:
        return step.done_at <= step.due_at
    if step.due_on is not None:
        return local_day(step.done_at) <= step.due_on
    return True
