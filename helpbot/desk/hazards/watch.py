"""The hazard clock's watch, run on the post room's clock tick (every minute): the staff
room is told when a step is due within one working day (or, counted in hours, within
24 hours) and when one is missed; a missed step also offers the tenant the complaints
route. Each notice is given once (the step remembers it). Steps due by a day are
brought from ``OFFICE_HOUR`` on working days; emergency steps at any hour.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from helpbot.desk.actions import Action, SendText
from helpbot.desk.cases.topics import to_topic
from helpbot.desk.hazards.clock import due_text, is_due_soon, is_missed
from helpbot.desk.hazards.complaint_route import offer
from helpbot.desk.hazards.notes import step_name
from helpbot.desk.hazards.timetable import MAKE_SAFE, OFFICE_HOUR
from helpbot.desk.office import Office
from helpbot.desk.records import HazardStep
from helpbot.working_days import LONDON, add_working_days, is_working_day, local_day


async def hazard_watch(office: Office, now: datetime) -> list[Action]:
    hazards = office.records.hazards
    say = office.say
    today = local_day(now)
    office_open = is_working_day(today) and now.astimezone(LONDON).hour >= OFFICE_HOUR
    found = await hazards.hazards_due(now + timedelta(days=1), add_working_days(today, 1))
    lines: list[str] = []
    actions: list[Action] = []
    for hazard in found:
        case = await office.cases.by_id(hazard.case_id)
        if case is None or case.status == "closed":
            continue
        notes: list[str] = []
        missed: list[HazardStep] = []
        for step in hazard.steps:
            if step.done_at is not None or step.missed_at is not None:
                continue
            if step.due_at is None and not office_open:
                continue
            fields = {
                "ref": case.ref,
                "step": step_name(step.step, hazard.clock),
                "due": due_text(step),
            }
            if is_missed(step, now):
                if not await hazards.mark_step(case.id, step.step, "missed_at", now):
                    continue
                missed.append(step)
                lines.append(say("hazard_staff", "watch_missed", **fields))
                notes.append(say("hazard_staff", "topic_missed", **fields))
                if step.step == MAKE_SAFE:
                    notes.append(say("hazard_staff", "alternative_hint"))
                await office.cases.log(
                    case.id, "hazard_missed", actor_kind="system", text=fields["step"]
                )
            elif step.warned_at is None and is_due_soon(step, now):
                if not await hazards.mark_step(case.id, step.step, "warned_at", now):
                    continue
                lines.append(say("hazard_staff", "watch_soon", **fields))
                notes.append(say("hazard_staff", "topic_soon", **fields))
        told = await offer(office, case, missed) if missed else []
        if told:
            notes.append(say("hazard_staff", "offered_complaint"))
        if notes:
            actions += to_topic(office, case, "\n".join(notes))
        actions += told
    staff_chat = office.settings.staff_chat
    if lines and staff_chat is not None:
        header = say("hazard_staff", "watch_header")
        actions.insert(0, SendText(chat=staff_chat, text="\n".join([header, *lines])))
    return actions
