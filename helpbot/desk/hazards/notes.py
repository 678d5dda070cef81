"""How a hazard reads: its clock for colleagues (staff topic, ``/hazard``), and the plan
for the tenant in plain words. The tenant is only ever promised what the timetable
holds: a date for a step on the clock, no date for an ordinary repair."""

from __future__ import annotations

from datetime import datetime

from helpbot.desk.hazards.clock import due_text
from helpbot.desk.hazards.kinds import label
from helpbot.desk.hazards.timetable import (
    EMERGENCY,
    INVESTIGATE,
    MAKE_SAFE,
    SIGNIFICANT,
    SUMMARY,
    TIMESCALES,
    WORKS,
    in_force,
    starts_on,
)
from helpbot.desk.office import Office
from helpbot.desk.records import Hazard, HazardStep
from helpbot.working_days import LONDON, local_day

REPAIR = "repair"  # the plan of a repair with no hazard clock


def step_name(step: str, clock: str | None) -> str:
    """A step as colleagues call it."""
    if step == MAKE_SAFE:
        return "make safe" if clock == EMERGENCY else "safety work"
    return {
        INVESTIGATE: "investigate",
        SUMMARY: "written summary to the tenant",
        WORKS: "further work begun",
    }.get(step, step)


def when(moment: datetime | None) -> str:
    return f"{moment.astimezone(LONDON):%H:%M %a %d %b %Y}" if moment is not None else "-"


def step_lines(office: Office, hazard: Hazard) -> str:
    say = office.say
    lines = []
    for step in hazard.steps:
        if step.done_at is not None:
            state = say("hazard_staff", "step_done", when=when(step.done_at))
        elif step.missed_at is not None:
            state = say("hazard_staff", "step_missed")
        else:
            state = ""
        lines.append(
            say(
                "hazard_staff",
                "step_line",
                step=step_name(step.step, hazard.clock),
                due=due_text(step),
                state=state,
            )
        )
    if hazard.clock == SIGNIFICANT and hazard.step(SUMMARY) is None:
        scales = TIMESCALES[SIGNIFICANT]
        lines.append(
            say(
                "hazard_staff",
                "then_significant",
                summary=scales[SUMMARY].working_days,
                safety=scales[MAKE_SAFE].working_days,
                works=scales[WORKS].working_days,
            )
        )
    return "\n".join(lines)


def clock_text(office: Office, hazard: Hazard) -> str:
    say = office.say
    if hazard.clock is None:
        category = hazard.confirmed or hazard.proposed
        starts = starts_on(hazard.kind)
        aware = local_day(hazard.aware_at)
        if (
            category in (EMERGENCY, SIGNIFICANT)
            and not in_force(hazard.kind, category, aware)
            and starts is not None
        ):
            return say(
                "hazard_staff", "clock_not_yet", kind=label(hazard.kind), day=f"{starts:%d %b %Y}"
            )
        return say("hazard_staff", "clock_none")
    if hazard.confirmed:
        return say("hazard_staff", "clock_decided", category=hazard.clock, name=hazard.confirmed_by)
    return say("hazard_staff", "clock_running", category=hazard.clock)


def proposed_note(office: Office, hazard: Hazard) -> str:
    return office.say(
        "hazard_staff",
        "proposed",
        kind=label(hazard.kind),
        category=hazard.proposed,
        reason=hazard.reason,
        clock=clock_text(office, hazard),
        steps=step_lines(office, hazard),
    ).strip()


def status_note(office: Office, hazard: Hazard) -> str:
    decided = (
        f"{hazard.confirmed} by {hazard.confirmed_by}: {hazard.confirmed_reason}"
        if hazard.confirmed
        else "not yet"
    )
    return office.say(
        "hazard_staff",
        "status",
        kind=label(hazard.kind),
        proposed=hazard.proposed,
        reason=hazard.reason,
        decided=decided,
        clock=clock_text(office, hazard),
        steps=step_lines(office, hazard),
    ).strip()


def plan_of(hazard: Hazard | None) -> str:
    """Which plan the tenant should know: the clock that runs, or an ordinary repair."""
    return hazard.clock if hazard is not None and hazard.clock else REPAIR


def plan_text(office: Office, hazard: Hazard | None) -> str:
    """What will happen and by when, in plain words; with no staff room nobody here is
    told, so the tenant gets the date the law sets once we know, and is asked to call
    (honest promises, issue 12)."""
    say = office.say
    plan = plan_of(hazard)
    if not office.settings.staff_room and hazard is not None and plan in (EMERGENCY, SIGNIFICANT):
        first = TIMESCALES[plan][MAKE_SAFE if plan == EMERGENCY else INVESTIGATE]
        within = f"{first.hours} hours" if first.hours else f"{first.working_days} working days"
        phone = office.settings.out_of_hours_phone
        return say("hazards", f"plan_{plan}_call", within=within, phone=phone)
    if hazard is not None and plan == EMERGENCY:
        step = hazard.step(MAKE_SAFE)
        return say("hazards", "plan_emergency", due=tenant_due(step))
    if hazard is not None and plan == SIGNIFICANT:
        step = hazard.step(INVESTIGATE)
        days = TIMESCALES[SIGNIFICANT][SUMMARY].working_days
        if step is not None and step.done_at is None:
            return say("hazards", "plan_significant", due=tenant_due(step), summary_days=days)
    return say("hazards", "plan_repair")


def until_we_come(office: Office, hazard: Hazard | None) -> str:
    """What to do meanwhile, for a repair the triage found to be an emergency (no heating
    for someone at risk in the cold months, mould already making someone ill): the
    tenant reported a repair and was given no safety advice then."""
    if hazard is None or plan_of(hazard) != EMERGENCY:
        return ""
    if hazard.kind in ("excess_cold", "damp_mould"):
        return office.say("hazards", f"until_{hazard.kind}")
    return ""


def tenant_due(step: HazardStep | None) -> str:
    """A due as a tenant reads it: "10:00 on Wednesday 10 December", or "Tuesday 13
    January"."""
    if step is None:
        return "-"
    if step.due_at is not None:
        local = step.due_at.astimezone(LONDON)
        return f"{local:%H:%M} on {local:%A} {local.day} {local:%B}"
    if step.due_on is not None:
        return f"{step.due_on:%A} {step.due_on.day} {step.due_on:%B}"
    return "-"
