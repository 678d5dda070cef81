"""Who works a case (3.12): a colleague hands a case to another (`/assign @colleague` in
its topic, or Reassign in the console), and a team lead takes over a case someone else
has claimed (`/takeover`, or Take over in the console). One action with one set of rules
wherever it comes from:

- a case nobody has, or one you have, may go to any colleague;
- a case another colleague has claimed moves only by a team lead's hand (the staff
  group's HELPBOT_STAFF_LEAD_IDS; the console's lead and admin roles); anyone else is
  refused, and the attempt is in the audit log;
- of two moves at once the first wins and the second is told who has the case now;
- every move is on the case's timeline and in the audit log, and the colleague who lost
  the case (and the one given it, when someone else chose them) is told in the staff room.
"""

from __future__ import annotations

from helpbot.desk.actions import Action
from helpbot.desk.cases.topics import to_topic
from helpbot.desk.events import ChatKind, Inbound
from helpbot.desk.office import Office
from helpbot.desk.records import Case, Person
from helpbot.desk.visit import Visit, colleague_name, reply, staff_actor


def is_lead(office: Office, inbound: Inbound) -> bool:
    """A team lead: as the console vouches (role lead or admin), or on the staff group's
    list of leads."""
    if inbound.console is not None:
        return inbound.console.lead
    staff = office.settings.staff_chat
    return (
        staff is not None
        and inbound.chat.kind is ChatKind.STAFF
        and inbound.sender.channel == staff.channel
        and inbound.sender.external_id in office.settings.staff_lead_ids
    )


async def assign(office: Office, visit: Visit, case: Case) -> list[Action]:
    """`/assign @colleague` (or their Telegram id), or the console's Reassign."""
    inbound = visit.inbound
    named = inbound.command_args.split()[0] if inbound.command_args.strip() else ""
    if inbound.console is None and not named:
        return [reply(inbound, office.say("staff", "assign_usage"))]
    colleague = await _colleague(office, inbound, named)
    if colleague is None:
        return [reply(inbound, office.say("staff", "assign_unknown", who=named or "them"))]
    return await hand_over(office, visit, case, colleague)


async def take_over(office: Office, visit: Visit, case: Case) -> list[Action]:
    """`/takeover`: a lead takes a case for themselves, whoever has it."""
    return await hand_over(office, visit, case, visit.person)


async def hand_over(office: Office, visit: Visit, case: Case, to: Person) -> list[Action]:
    inbound = visit.inbound
    say = office.say
    by = colleague_name(inbound)
    to_name = _first_name(to)
    holder_id, holder_name = case.assignee_id, case.assignee_name or "Someone"
    if holder_id == to.id:
        return [reply(inbound, say("staff", "already_assigned", name=to_name))]
    taking = holder_id is not None and holder_id != visit.person.id
    if taking and not is_lead(office, inbound):
        await office.audit(
            actor=staff_actor(inbound),
            action="case_takeover_refused",
            subject=case.ref,
            detail={"holder": holder_id, "to": to.id},
        )
        return [reply(inbound, say("staff", "assign_refused", name=holder_name))]
    if not await office.cases.hand_over(case.id, holder_id, to.id, to_name):
        now = await office.cases.by_id(case.id)
        if now is not None and now.assignee_name:
            return [reply(inbound, say("staff", "claim_lost", name=now.assignee_name))]
        return [reply(inbound, say("staff", "assign_changed"))]
    moved_from = holder_name if holder_id is not None else None
    await office.cases.log(
        case.id,
        "taken_over" if taking and to.id == visit.person.id else "assigned",
        actor_kind="staff",
        actor_id=visit.person.id,
        actor_name=by,
        text=f"from {moved_from} to {to_name}" if moved_from else f"to {to_name}",
        detail={"from": moved_from, "to": to_name},
    )
    if taking:
        await office.audit(
            actor=staff_actor(inbound),
            action="case_taken_over",
            subject=case.ref,
            detail={"from": holder_id, "to": to.id},
        )
    actions: list[Action] = [reply(inbound, say("staff", "assigned", name=to_name))]
    if taking and holder_id is not None:
        holder = await office.people.person_by_id(holder_id)
        who = _mention(holder) if holder is not None else holder_name
        key = "taken_from_you" if to.id == visit.person.id else "handed_on_from_you"
        actions += to_topic(office, case, say("staff", key, who=who, by=by, ref=case.ref))
    if to.id != visit.person.id:
        told = say("staff", "given_to_you", who=_mention(to), by=by, ref=case.ref)
        actions += to_topic(office, case, told)
    return actions


async def _colleague(office: Office, inbound: Inbound, named: str) -> Person | None:
    """The colleague named: by the console (it lists colleagues' accounts), or by
    @username or Telegram id among those the desk knows as colleagues."""
    if inbound.console is not None:
        chosen = inbound.console.colleague
        return await office.people.person(chosen) if chosen is not None else None
    staff = office.settings.staff_chat
    channel = staff.channel if staff is not None else inbound.sender.channel
    found = await office.people.find_person(channel, named)
    if found is None or not office.is_colleague(found):
        return None
    return found


def _first_name(person: Person) -> str:
    return (person.first_name or "A colleague").split()[0]


def _mention(person: Person) -> str:
    """How the staff room calls a colleague's attention: @username when they have one."""
    return f"@{person.username}" if person.username else _first_name(person)
