"""The Housing Ombudsman's Complaint Handling Code (2024) timescales, in working days.

Stage 1: acknowledge within 5 working days of receipt; respond within 10 working
days of the acknowledgement. Stage 2: acknowledge within 5; respond within 20.
Working days skip weekends and England and Wales bank holidays (helpbot.working_days).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from helpbot.working_days import (
    LONDON,
    add_working_days,
    is_working_day,
    local_day,
    working_days_between,
)

__all__ = [
    "LONDON",
    "StageDeadlines",
    "add_working_days",
    "is_working_day",
    "local_day",
    "stage_deadlines",
    "working_days_between",
]

ACKNOWLEDGE_DAYS = {1: 5, 2: 5}
RESPOND_DAYS = {1: 10, 2: 20}


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
