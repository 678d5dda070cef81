"""A colleague's message to the tenant, sent from the bot and signed with their first name
only (3.3: no personal profiles). It is sent only when the colleague meant it: a reply to
the tenant's relayed message or ``/reply TEXT`` (``staff_room.py``). Sending also takes
the case if nobody has; on a complaint the first one sent is its acknowledgement
(Complaint Handling Code)."""

from __future__ import annotations

from helpbot.desk.actions import MAX_MESSAGE_LENGTH, Action, SendText, split_long_text
from helpbot.desk.cases.tenant_chat import tenant_chat
from helpbot.desk.cases.topics import day
from helpbot.desk.complaints.extension import extended_so_far
from helpbot.desk.complaints_clock import add_working_days, local_day, stage_deadlines
from helpbot.desk.office import Office
from helpbot.desk.records import Case
from helpbot.desk.visit import Visit, colleague_name, reply


async def relay_to_tenant(office: Office, visit: Visit, case: Case, text: str) -> list[Action]:
    inbound = visit.inbound
    name = colleague_name(inbound)
    say = office.say
    actions: list[Action] = []
    if case.assignee_id is None and await office.cases.claim(case.id, visit.person.id, name):
        await office.cases.log(
            case.id, "claimed", actor_kind="staff", actor_id=visit.person.id, actor_name=name
        )
        actions.append(reply(inbound, say("staff", "claimed", name=name)))
    await office.cases.log(
        case.id,
        "staff_reply",
        actor_kind="staff",
        actor_id=visit.person.id,
        actor_name=name,
        text=text,
    )
    tenant = await tenant_chat(office, case)
    if tenant is None:
        return [*actions, reply(inbound, say("staff", "relayed_later"))]
    if tenant.channel == "web" and await _chat_ended(office, case):
        # Nobody will read it there: said at once, never "Sent" (outside review: the
        # colleague saw "Sent" after, or before, "did not reach the tenant").
        return [*actions, reply(inbound, say("staff", "relayed_chat_ended"))]
    # Signed once, at the end of the last part: a reply at Telegram's length with the
    # signature added would otherwise send the signature alone, or cut in two.
    signature = say("cases", "staff_signature", name=name)
    parts = split_long_text(text, MAX_MESSAGE_LENGTH - len(signature) - 2)
    parts[-1] = f"{parts[-1]}\n\n{signature}"
    actions += [SendText(chat=tenant, text=part, case_id=case.id, author=name) for part in parts]
    actions.append(reply(inbound, say("staff", "relayed")))
    if case.kind == "complaint" and case.acknowledged_on is None and case.stage:
        actions += await acknowledge(office, visit, case)
    return actions


async def _chat_ended(office: Office, case: Case) -> bool:
    """The tenant pressed End chat on the web chat this case lives in (chat_ended.py)."""
    return any(e.kind == "chat_ended" for e in await office.cases.timeline(case.id))


async def acknowledge(office: Office, visit: Visit, case: Case) -> list[Action]:
    """A colleague's first reply sent on a complaint acknowledges it (within 5 working
    days); the response clock then runs from that day (its UK calendar date)."""
    today = local_day(visit.inbound.received_at)
    received = case.received_on or today
    # An extension already given (with its reason told) carries over to the new date.
    respond_by = add_working_days(
        stage_deadlines(case.stage or 1, received, acknowledged=today).respond_by,
        extended_so_far(case),
    )
    await office.cases.change(case.id, acknowledged_on=today, respond_by=respond_by)
    await office.cases.log(
        case.id,
        "acknowledged",
        actor_kind="staff",
        actor_id=visit.person.id,
        actor_name=colleague_name(visit.inbound),
        detail={"respond_by": respond_by.isoformat()},
    )
    say = office.say
    text = say("staff", "acknowledged", today=day(today), respond_by=day(respond_by))
    actions: list[Action] = [reply(visit.inbound, text)]
    tenant = await tenant_chat(office, case)
    if tenant is None:
        return actions
    told = say("cases", "acknowledged", ref=case.ref, respond_by=day(respond_by))
    actions.append(SendText(chat=tenant, text=told, case_id=case.id))
    return actions
