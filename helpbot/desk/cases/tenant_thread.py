"""A tenant's private case thread: complaints, repairs, reports and personal matters open
a case (or add to the open one), and everything the tenant sends goes to its topic in the
staff group (3.12, 3.13)."""

from __future__ import annotations

from datetime import timedelta

from helpbot.desk.actions import Action, PostToStaff
from helpbot.desk.cases.topics import case_summary, new_case_header, staff_note, topic_name
from helpbot.desk.complaints_clock import local_day, stage_deadlines
from helpbot.desk.events import Content, Inbound
from helpbot.desk.hazards.dialogue import on_case_message
from helpbot.desk.office import Office
from helpbot.desk.records import Case, NewCase
from helpbot.desk.visit import URGENT_INTENTS, Visit, reply

RELAYED = frozenset({Content.PHOTO, Content.DOCUMENT, Content.VOICE, Content.VIDEO})


async def case_message(office: Office, visit: Visit, intent: str) -> list[Action]:
    """A complaint, repair, report or personal matter opens a case, or adds to the
    tenant's open case of that kind; the tenant is told the reference."""
    inbound = visit.inbound
    say = office.say
    case = await office.cases.open_case_of_kind(visit.person.id, intent)
    new = case is None
    if case is None and await too_many_from_origin(office, inbound):
        # Anonymous web visitors from one address cannot flood the staff room; an
        # urgent message still gets its safety advice.
        text = say("cases", "too_many_new")
        if intent in URGENT_INTENTS:
            text = f"{say('intents', intent)}\n\n{text}"
        return [reply(inbound, text, intent=intent)]
    if case is None:
        case = await open_case(office, visit, intent, in_group=False)
    elif case.chat_id is None:
        await office.cases.change(case.id, chat_id=visit.chat.id)
    await file_message(office, case.id, visit, intent=intent)
    # A repair or emergency: the details asked for, the hazard triaged (Awaab's Law).
    talk = await on_case_message(office, visit, case, intent)
    actions: list[Action] = []
    # Once a colleague has taken the case the bot stays quiet on it, except for
    # safety advice, which is never held back.
    if case.assignee_id is None or intent in URGENT_INTENTS:
        key = "opened" if new else "added"
        text = f"{say('intents', intent)}\n\n{say('cases', key, ref=case.ref)}"
        if talk.tenant:
            text += f"\n\n{talk.tenant}"
        actions.append(reply(inbound, text, intent=intent, case_id=case.id))
    actions += to_staff(office, case, visit, new=new)
    return actions + list(talk.staff)


async def too_many_from_origin(office: Office, inbound: Inbound) -> bool:
    if inbound.origin is None:
        return False
    limit = office.settings.web_new_cases_per_hour
    since = inbound.received_at - timedelta(hours=1)
    return await office.cases.opened_from(inbound.origin, since) >= limit


async def open_case(office: Office, visit: Visit, intent: str, *, in_group: bool) -> Case:
    """Open a case for what the tenant said; a complaint starts the complaints clock.
    A case from a group is linked to the group message and gets a private-chat link."""
    inbound = visit.inbound
    dates = None
    if intent == "complaint":
        deadlines = stage_deadlines(1, local_day(inbound.received_at))
        dates = (deadlines.acknowledge_by, deadlines.respond_by)
    return await office.cases.open_case(
        NewCase(
            kind=intent,
            tenant_id=visit.person.id,
            chat_id=None if in_group else visit.chat.id,
            summary=case_summary(inbound.text, office.understanding),
            urgent=intent in URGENT_INTENTS,
            origin_chat_id=visit.chat.id if in_group else None,
            origin_message_id=inbound.message_id if in_group else None,
            with_link=in_group,
            complaint_dates=dates,
            actor_name=visit.person.first_name,
            now=inbound.received_at,
            origin=inbound.origin,
        )
    )


async def file_message(
    office: Office, case_id: int, visit: Visit, *, kind: str = "tenant_message", **detail: object
) -> None:
    """Put the tenant's message on the case: linked in the history and on the timeline."""
    await office.people.link_message(visit.message.id, case_id)
    await office.cases.log(
        case_id,
        kind,
        actor_kind="tenant",
        actor_id=visit.person.id,
        actor_name=visit.person.first_name,
        text=visit.inbound.text,
        detail=detail,
    )


async def attachment(office: Office, visit: Visit) -> list[Action]:
    """Photos, files and voice notes go to the tenant's open case for staff to see."""
    inbound = visit.inbound
    kind = inbound.content.value
    current = await office.cases.current_case(visit.person.id)
    if current is None or inbound.content not in RELAYED:
        key = kind if office.say.has("content", kind) else "other"
        return [reply(inbound, office.say("content", key))]
    await file_message(
        office, current.id, visit, kind="tenant_file", content=kind, message_id=inbound.message_id
    )
    actions = to_staff(office, current, visit, new=False)
    if current.assignee_id is None:
        text = office.say("cases", "added_file", ref=current.ref)
        actions.insert(0, reply(inbound, text, case_id=current.id))
    return actions


def to_staff(office: Office, case: Case, visit: Visit, *, new: bool) -> list[Action]:
    """What the tenant said (or sent) in the case's topic; a new case gets its header."""
    if not office.settings.staff_room:
        return []
    inbound = visit.inbound
    name = visit.person.first_name or "Tenant"
    if inbound.content is Content.TEXT:
        text = office.say("staff", "tenant_says", name=name, text=inbound.text)
    else:
        text = office.say("staff", "tenant_sent_file", name=name, content=inbound.content.value)
    if new:
        text = f"{new_case_header(office, case, f'private chat ({inbound.channel})')}\n\n{text}"
    topic = topic_name(case)
    actions: list[Action] = [
        PostToStaff(case.id, topic, case.staff_topic_id, text=staff_note(text), relay=True)
    ]
    if inbound.content is not Content.TEXT and inbound.message_id:
        actions.append(
            PostToStaff(
                case.id,
                topic,
                case.staff_topic_id,
                copy_from=inbound.chat,
                copy_message_id=inbound.message_id,
                relay=True,
            )
        )
    return actions
