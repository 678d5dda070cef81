"""Colleagues' hazard commands in a case's topic (and the console's buttons, which send
the same commands): decide the category, and record each step of the clock with its
time. The router has checked who may use them and found the case; each is audited
there (``routing.in_case_topic``)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from helpbot.desk.actions import Action
from helpbot.desk.cases.tenant_chat import tell_tenant, tenant_chat
from helpbot.desk.hazards.clock import due_text
from helpbot.desk.hazards.dialogue import tell_plan_again
from helpbot.desk.hazards.hazard_file import open_file, rewrite
from helpbot.desk.hazards.kinds import KINDS
from helpbot.desk.hazards.notes import status_note, step_lines, step_name, tenant_due, when
from helpbot.desk.hazards.timetable import (
    CATEGORIES,
    INVESTIGATE,
    MAKE_SAFE,
    SUMMARY,
    WORKS,
)
from helpbot.desk.office import Office
from helpbot.desk.records import Case, Hazard, HazardStep
from helpbot.desk.visit import Visit, colleague_name, reply


async def _log(
    office: Office, visit: Visit, case: Case, kind: str, text: str = "", **detail: object
) -> None:
    await office.cases.log(
        case.id,
        kind,
        actor_kind="staff",
        actor_id=visit.person.id,
        actor_name=colleague_name(visit.inbound),
        text=text,
        detail=dict(detail),
    )


def _usage(office: Office, visit: Visit) -> list[Action]:
    return [reply(visit.inbound, office.say("hazard_staff", "usage", kinds=", ".join(KINDS)))]


async def hazard(office: Office, visit: Visit, case: Case) -> list[Action]:
    """``/hazard`` shows the hazard and its clock; ``/hazard CATEGORY [KIND] REASON``
    decides it. From then on the colleague's category, not the desk's, sets the clock."""
    inbound = visit.inbound
    say = office.say
    current = await office.records.hazards.hazard(case.id)
    words = inbound.command_args.split(None, 1)
    if not words:
        if current is None:
            return [reply(inbound, say("hazard_staff", "no_hazard"))]
        return [reply(inbound, status_note(office, current))]
    category = words[0].lower()
    rest = words[1] if len(words) > 1 else ""
    kind = None
    more = rest.split(None, 1)
    if more and more[0].lower() in KINDS:
        kind = more[0].lower()
        rest = more[1] if len(more) > 1 else ""
    reason = rest.strip()
    if category not in CATEGORIES or not reason:
        return _usage(office, visit)
    now = inbound.received_at
    name = colleague_name(inbound)
    values: dict[str, object] = {
        "confirmed": category,
        "confirmed_by": name,
        "confirmed_at": now,
        "confirmed_reason": reason,
    }
    if current is None:
        # Becoming aware: the tenant's first message on the case.
        current = await open_file(office, case.id, kind or "other", case.created_at or now)
        values["reason"] = "opened by a colleague"
    if kind is not None:
        values["kind"] = kind
    updated = await rewrite(office, current, now, **values)
    await _log(
        office, visit, case, "hazard_decided", reason, category=category, clock=updated.clock
    )
    text = say("hazard_staff", "decided", name=name, category=category, reason=reason)
    actions: list[Action] = [reply(inbound, f"{text}\n\n{status_note(office, updated)}")]
    plan = await tell_plan_again(office, case, updated)
    if plan is not None:
        told = say("hazards", "plan_update", ref=case.ref, plan=plan)
        actions += await tell_tenant(office, case, told)
    return actions


def _done(hazard: Hazard, step: str, now: datetime, by: str, note: str) -> tuple[HazardStep, ...]:
    """The steps with ``step`` done now (added if the clock did not have it)."""
    found = hazard.step(step)
    if found is None:
        return (*hazard.steps, HazardStep(step, done_at=now, done_by=by, note=note))
    return tuple(
        replace(s, done_at=now, done_by=by, note=note) if s.step == step else s
        for s in hazard.steps
    )


async def _record(
    office: Office, visit: Visit, case: Case, step: str, *, needs_text: bool = False
) -> list[Action]:
    inbound = visit.inbound
    say = office.say
    current = await office.records.hazards.hazard(case.id)
    if current is None:
        return [reply(inbound, say("hazard_staff", "no_hazard"))]
    note = inbound.command_args.strip()
    if needs_text and not note:
        return [reply(inbound, say("staff", "needs_text", command=inbound.command or ""))]
    now = inbound.received_at
    name = colleague_name(inbound)
    values: dict[str, object] = {"steps": _done(current, step, now, name, note)}
    if step == INVESTIGATE:
        values["findings"] = note
    updated = await rewrite(office, current, now, **values)
    await _log(office, visit, case, f"hazard_{step}", note, at=now.isoformat())
    recorded = say(
        "hazard_staff", "recorded", step=step_name(step, updated.clock).capitalize(), when=when(now)
    )
    return [reply(inbound, f"{recorded}\n{step_lines(office, updated)}".strip())]


async def investigated(office: Office, visit: Visit, case: Case) -> list[Action]:
    """``/investigated WHAT WAS FOUND``: the investigation ended now; the summary, the
    safety work and the further work are counted from here."""
    return await _record(office, visit, case, INVESTIGATE, needs_text=True)


async def made_safe(office: Office, visit: Visit, case: Case) -> list[Action]:
    """``/made_safe [NOTE]``: made safe (emergency) or the safety work done."""
    return await _record(office, visit, case, MAKE_SAFE)


async def works_started(office: Office, visit: Visit, case: Case) -> list[Action]:
    """``/works_started [NOTE]``: the supplementary preventative work has begun."""
    return await _record(office, visit, case, WORKS)


async def works_later(office: Office, visit: Visit, case: Case) -> list[Action]:
    """``/works_later REASON``: further work cannot reasonably begin in time; it must
    begin within the long stop after the investigation."""
    inbound = visit.inbound
    say = office.say
    current = await office.records.hazards.hazard(case.id)
    if current is None:
        return [reply(inbound, say("hazard_staff", "no_hazard"))]
    reason = inbound.command_args.strip()
    if not reason:
        return [reply(inbound, say("staff", "needs_text", command="works_later"))]
    if current.step(INVESTIGATE) is None or current.step(WORKS) is None:
        return [reply(inbound, say("hazard_staff", "not_investigated"))]
    updated = await rewrite(office, current, inbound.received_at, works_later=reason)
    await _log(office, visit, case, "hazard_works_later", reason)
    step = updated.step(WORKS)
    due = due_text(step) if step is not None else "-"
    return [reply(inbound, say("hazard_staff", "works_later", reason=reason, due=due))]


async def alternative_offered(office: Office, visit: Visit, case: Case) -> list[Action]:
    """``/alternative_offered NOTE``: the household was offered somewhere else to stay
    because the home could not be made safe in time."""
    inbound = visit.inbound
    say = office.say
    current = await office.records.hazards.hazard(case.id)
    if current is None:
        return [reply(inbound, say("hazard_staff", "no_hazard"))]
    note = inbound.command_args.strip()
    if not note:
        return [reply(inbound, say("staff", "needs_text", command="alternative_offered"))]
    await rewrite(office, current, inbound.received_at, alternative=note)
    await _log(office, visit, case, "hazard_alternative", note)
    return [reply(inbound, say("hazard_staff", "alternative", note=note))]


async def summary_sent(office: Office, visit: Visit, case: Case) -> list[Action]:
    """``/summary_sent WHAT WE WILL DO``: the written summary of the investigation's
    findings goes to the tenant through their channel, with the dates the clock holds;
    the same text is kept for the console's PDF."""
    inbound = visit.inbound
    say = office.say
    current = await office.records.hazards.hazard(case.id)
    if current is None:
        return [reply(inbound, say("hazard_staff", "no_hazard"))]
    investigation = current.step(INVESTIGATE)
    if investigation is None or investigation.done_at is None:
        return [reply(inbound, say("hazard_staff", "not_investigated"))]
    plan = inbound.command_args.strip()
    if not plan:
        return [reply(inbound, say("staff", "needs_text", command="summary_sent"))]
    summary = written_summary(office, case, current, plan)
    now = inbound.received_at
    tenant = await tenant_chat(office, case)
    if tenant is None:
        await rewrite(office, current, now, summary=summary)
        return [reply(inbound, say("hazard_staff", "summary_unreachable"))]
    name = colleague_name(inbound)
    steps = _done(current, SUMMARY, now, name, "")
    await rewrite(office, current, now, summary=summary, steps=steps)
    await _log(office, visit, case, "hazard_summary", summary, at=now.isoformat())
    return [
        *await tell_tenant(office, case, summary),
        reply(inbound, say("hazard_staff", "summary_sent", when=when(now))),
    ]


def written_summary(office: Office, case: Case, hazard: Hazard, plan: str) -> str:
    """What was found, what will be done and by when: the findings and the plan in the
    colleague's words, the dates from the clock."""
    say = office.say
    dates = []
    for step, key in ((MAKE_SAFE, "summary_make_safe"), (WORKS, "summary_works")):
        found = hazard.step(step)
        if found is not None and found.done_at is None and (found.due_at or found.due_on):
            dates.append(say("hazards", key, due=tenant_due(found)))
    return say(
        "hazards",
        "summary",
        ref=case.ref,
        findings=hazard.findings,
        plan=plan,
        dates="\n".join(dates) + ("\n" if dates else ""),
    )
