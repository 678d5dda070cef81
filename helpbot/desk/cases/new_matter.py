"""The tenant says it is something new (matters.py, rule 4): "/new", plain words such
as "new issue" or "that's a different problem", or the button under "I've added this
to your case". The open matters here are set aside (they stay open for colleagues),
and colleagues are told in each one's topic (3.12, 3.13)."""

from __future__ import annotations

from dataclasses import replace

from helpbot.desk.actions import Action, AnswerButton
from helpbot.desk.buttons import NewMatter
from helpbot.desk.cases.matters import set_aside
from helpbot.desk.cases.tenant_thread import file_message, open_case, opening_reply, to_staff
from helpbot.desk.cases.topics import to_topic
from helpbot.desk.events import Content
from helpbot.desk.office import Office
from helpbot.desk.records import Case
from helpbot.desk.visit import Visit, reply
from helpbot.nlu.intents import CASE_INTENTS


async def new_matter(office: Office, visit: Visit) -> list[Action]:
    """/new, or the words alone: the next message starts a new case."""
    say = office.say
    aside = await set_aside(office, visit.person.id, visit.chat, visit.inbound.received_at)
    text = say("matters", "new_ready")
    if aside:
        refs = ", ".join(case.ref for case in aside)
        text = f"{text} {say('matters', 'still_open', refs=refs)}"
    return [reply(visit.inbound, text), *_tell_colleagues(office, aside)]


async def new_matter_follows(office: Office, visit: Visit) -> list[Action]:
    """ "New issue: ..." with the matter after the words: the open matters are set
    aside, and the message then goes on as any other (so it starts a new case)."""
    aside = await set_aside(office, visit.person.id, visit.chat, visit.inbound.received_at)
    return _tell_colleagues(office, aside)


def _tell_colleagues(office: Office, aside: list[Case]) -> list[Action]:
    actions: list[Action] = []
    for case in aside:
        actions += to_topic(office, case, office.say("staff", "set_aside"))
    return actions


async def split_off(office: Office, visit: Visit, button: NewMatter) -> list[Action]:
    """The button: the message just added to a case is a new problem. It moves to a new
    case of its own, and the case it left is set aside."""
    inbound = visit.inbound
    say = office.say
    done: list[Action] = [AnswerButton(inbound.callback_id)] if inbound.callback_id else []
    case = await office.cases.by_id(button.case_id)
    message = await office.people.message(button.message_id)
    if (
        case is None
        or message is None
        or case.tenant_id != visit.person.id
        or message.person_id != visit.person.id
    ):
        return [*done, reply(inbound, say("cases", "not_yours"))]
    if message.case_id != case.id:
        # Pressed twice, or the message moved already: say where it is.
        where = await office.cases.by_id(message.case_id) if message.case_id else None
        text = (
            say("matters", "already_moved", ref=where.ref) if where else say("cases", "not_yours")
        )
        return [*done, reply(inbound, text)]
    intent = message.intent if message.intent in CASE_INTENTS else "human"
    # The message, as if it had just been sent: it opens the new case and is filed there.
    moved = replace(
        visit,
        inbound=replace(inbound, content=Content.TEXT, text=message.text, message_id=None),
        message=message,
    )
    await office.cases.log(case.id, "message_moved", actor_kind="tenant", actor_id=visit.person.id)
    # After the move is recorded (which counts as activity), before the new case opens.
    await set_aside(office, visit.person.id, visit.chat, inbound.received_at)
    fresh = await open_case(office, moved, intent, in_group=False)
    await file_message(office, fresh.id, moved, intent=intent, moved_from=case.ref)
    text = f"{say('matters', 'moved')}\n\n{await opening_reply(office, moved, fresh, intent)}"
    actions: list[Action] = [*done, reply(inbound, text, intent=intent, case_id=fresh.id)]
    actions += to_topic(office, case, say("staff", "moved_out", ref=fresh.ref))
    return actions + to_staff(office, fresh, moved, new=True)
