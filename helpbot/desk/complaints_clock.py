"""The Housing Ombudsman's Complaint Handling Code (2024) timescales, in working days.

Stage 1: acknowledge within 5 working days of receipt; respond within 10 working
days of the acknowledgement. Stage 2: acknowledge within 5; respond within 20.
Working days skip weekends and England and Wales bank holidays, from the
maintained ``holidays`` package rather than a hand-kept list.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")

ACKNOWLEDGE_DAYS = {1: 5, 2: 5}
RESPOND_DAYS = {1: 10, 2: 20}


@lru_cache(maxsize=32)
def _bank_holidays(year: int) -> frozenset[date]:
    # England and Wales share one set of bank holidays; "ENG" gives it, with
    # substitute days when a holiday falls at a weekend.
    return frozenset(holidays.country_holidays("GB", subdiv="ENG", years=year))


def is_working_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _bank_holidays(day.year)


def add_working_days(start: date, days: int) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself not counted)."""
    if days < 0:
        raise ValueError("days must not be negative")
    current = start
    remaining = days
    while remaining:
        current += timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: date, end: date) -> int:
    """Working days after ``start`` up to and including ``end`` (negative if end is before)."""
    if end < start:
        return -working_days_between(end, start)
    count = 0
    current = start
    while current < end:
        current += timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count


def local_day(moment: datetime) -> date:
    """The calendar day in England for a timestamp: a complaint at 23:30 GMT is that day's."""
    return moment.astimezone(LONDON).date()


@dataclass(frozen=True, slots=True)
class StageDeadlines:
    stage: int
    received: date
    acknowledge_by: date
    respond_by: date


def stage_deadlines(stage: int, received: date, acknowledged: date | None = None) -> StageDeadlines:
    """Deadlines for a stage. Until it is acknowledged, the response date is projected from
    the latest permitted acknowledgement, so staff see the worst case."""
    acknowledge_by = add_working_days(received, ACKNOWLEDGE_DAYS[stage])
    respond_from = acknowledged if acknowledged is not None else acknowledge_by
    return StageDeadlines(
        stage=stage,
        received=received,
        acknowledge_by=acknowledge_by,
        respond_by=add_working_days(respond_from, RESPOND_DAYS[stage]),
    )
