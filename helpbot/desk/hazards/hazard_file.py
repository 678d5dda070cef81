"""The case's hazard file: opening it, and writing down a new proposal, a colleague's
decision or a step done, with the clock worked out again each time (``clock.py``) and
a line on the case's timeline."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from helpbot.desk.hazards.clock import merged_steps
from helpbot.desk.hazards.timetable import NONE
from helpbot.desk.hazards.triage import clock_for
from helpbot.desk.office import Office
from helpbot.desk.records import Hazard
from helpbot.working_days import local_day


async def open_file(office: Office, case_id: int, kind: str, aware_at: datetime) -> Hazard:
    """The case's hazard, opened if it has none: becoming aware is ``aware_at``."""
    hazards = office.records.hazards
    await hazards.open_hazard(
        Hazard(case_id=case_id, kind=kind, aware_at=aware_at, proposed=NONE, reason="")
    )
    found = await hazards.hazard(case_id)
    assert found is not None
    return found


async def rewrite(office: Office, hazard: Hazard, now: datetime, **values: Any) -> Hazard:
    """Write changed facts (``values`` are Hazard fields), work the clock out again and
    keep the steps in line with it. Returns the hazard as now filed."""
    updated = replace(hazard, **values)
    clock = clock_for(
        updated.kind, updated.proposed, updated.confirmed, local_day(updated.aware_at)
    )
    updated = replace(updated, clock=clock)
    updated = replace(updated, steps=merged_steps(updated, now))
    changed = {
        name: getattr(updated, name)
        for name in (*values, "clock")
        if name != "steps" and getattr(updated, name) != getattr(hazard, name)
    }
    if "at_risk" in changed:
        changed["at_risk"] = list(updated.at_risk)
    hazards = office.records.hazards
    if changed:
        await hazards.change_hazard(hazard.case_id, **changed)
    if updated.steps != hazard.steps:
        await hazards.save_steps(hazard.case_id, updated.steps)
    return updated
