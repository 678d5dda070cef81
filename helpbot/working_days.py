"""England's working days: weekends and England and Wales bank holidays skipped, from
the maintained ``holidays`` package rather than a hand-kept list, and the calendar day
in England for a moment in time. Plain facts, shared by the desk's complaints clock
(Housing Ombudsman timescales) and the staff console's deadline filters.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

LONDON = ZoneInfo("Europe/London")


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
