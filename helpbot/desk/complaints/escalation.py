"""Stage 2 of a complaint (Complaint Handling Code): a new clock, acknowledge within 5
working days and respond within 20, asked for by the tenant or a colleague."""

from __future__ import annotations

from helpbot.desk.actions import Action
from helpbot.desk.cases.tenant_answers import already_answered, show_choice
from helpbot.desk.cases.tenant_chat import tell_tenant
from helpbot.desk.cases.topics import day, to_topic
from helpbot.desk.complaints_clock import local_day, stage_deadlines
from helpbot.desk.office import Office
from helpbot.desk.records import Case
from helpbot.desk.visit import Visit, reply


async def by_colleague(office: Office, visit: Visit, case: Case) -> list[Action]:
    return await escalate(office, visit, case, by_tenant=False)


async def by_tenant(office: Office, visit: Visit, case: Case) -> list[Action]:
    return await escalate(office, visit, case, by_tenant=True)


async def escalate(office: Office, visit: Visit, case: Case, *, by_tenant: bool) -> list[Action]:
    say = office.say
    if case.kind != "complaint" or case.stage == 2:
        if by_tenant:  # the button pressed again: answered once already
            return await already_answered(office, visit)
        return [reply(visit.inbound, say("staff", "not_a_complaint"))]
    shown = await show_choice(office, visit, say("cases", "escalate_button")) if by_tenant else []
    today = local_day(visit.inbound.received_at)
    deadlines = stage_deadlines(2, today)
    await office.cases.change(
        case.id,
        stage=2,
        status="open",
        received_on=today,
        acknowledged_on=None,
        responded_on=None,
        acknowledge_by=deadlines.acknowledge_by,
        respond_by=deadlines.respond_by,
        satisfied=None,
        last_reminded_on=None,
    )
    await office.cases.log(
        case.id,
        "escalated",
        actor_kind="tenant" if by_tenant else "staff",
        actor_id=visit.person.id,
        actor_name=visit.person.first_name,
        detail={
            "acknowledge_by": deadlines.acknowledge_by.isoformat(),
            "respond_by": deadlines.respond_by.isoformat(),
        },
    )
    dates = {
        "acknowledge_by": day(deadlines.acknowledge_by),
        "respond_by": day(deadlines.respond_by),
    }
    staff_text = say("staff", "escalated", **dates)
    tenant_text = say("cases", "escalated", ref=case.ref, **dates)
    if by_tenant:
        return [
            *shown,
            reply(visit.inbound, tenant_text, case_id=case.id),
            *to_topic(office, case, staff_text),
        ]
    return [reply(visit.inbound, staff_text), *await tell_tenant(office, case, tenant_text)]
