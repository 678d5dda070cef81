"""The staff group as the case desk: who counts as a colleague there, and a colleague's
message in a case's topic.

Sending to the tenant is one deliberate act (3.3, 3.12): a reply to the tenant's own
message that the bot posted in the topic, or ``/reply TEXT``. Anything else typed in a
topic ("Tom, can you take this?") is an internal note: filed on the case, never sent,
and never the complaint's acknowledgement. The colleague sees which it was: a ✍
reaction on every note, and the first time they write a note on a case a short line
saying it was not sent and how to send.
"""

from __future__ import annotations

from helpbot.desk.actions import TENANT_RELAY, Action, React
from helpbot.desk.cases.relay import relay_to_tenant
from helpbot.desk.events import Content, Inbound
from helpbot.desk.office import Office
from helpbot.desk.records import Case
from helpbot.desk.visit import Visit, colleague_name, reply

NOTE_REACTION = "✍"


async def note_colleague(office: Office, visit: Visit) -> None:
    """When a listed colleague was last seen joining or writing in the staff group, and
    whether they have left it: kept for the record (who counts as staff is the list)."""
    left = visit.inbound.content is Content.MEMBER_LEFT
    if left == (visit.person.staff_since is None):
        return
    since = None if left else visit.inbound.received_at
    await office.people.set_staff_since(visit.person.id, since)


async def staff_message(office: Office, visit: Visit) -> list[Action]:
    """A colleague's words in a case's topic: to the tenant if they replied to the
    tenant's message, otherwise an internal note; elsewhere they are chat."""
    inbound = visit.inbound
    if inbound.content is not Content.TEXT or not inbound.text.strip():
        return []
    thread = inbound.chat.thread_id
    case = await office.cases.by_topic(thread) if thread else None
    if case is None:
        return []
    if await replies_to_tenant(office, visit, case):
        return await relay_to_tenant(office, visit, case, inbound.text)
    return await internal_note(office, visit, case)


async def replies_to_tenant(office: Office, visit: Visit, case: Case) -> bool:
    """Whether the colleague replied to one of the tenant's messages relayed in this
    case's topic. In a forum topic every message "replies" to the topic's first
    message, so only a reply to a message stored as a relay of this case counts."""
    inbound = visit.inbound
    target = inbound.reply_to_message_id
    if not target or target == str(inbound.chat.thread_id):
        return False
    sent = await office.people.sent_message(visit.chat.id, target)
    return sent is not None and sent.intent == TENANT_RELAY and sent.case_id == case.id


async def internal_note(office: Office, visit: Visit, case: Case) -> list[Action]:
    """Chatter in a topic is kept on the case as a note from that colleague."""
    inbound = visit.inbound
    name = colleague_name(inbound)
    earlier = [
        event
        for event in await office.cases.timeline(case.id)
        if event.kind == "note" and event.actor_kind == "staff" and event.actor_name == name
    ]
    await office.cases.log(
        case.id,
        "note",
        actor_kind="staff",
        actor_id=visit.person.id,
        actor_name=name,
        text=inbound.text,
        detail={"typed": True},
    )
    actions: list[Action] = reaction(inbound)
    if not earlier:
        actions.append(reply(inbound, office.say("staff", "noted_not_sent")))
    return actions


def reaction(inbound: Inbound) -> list[Action]:
    if not inbound.message_id:
        return []
    return [React(inbound.chat, inbound.message_id, NOTE_REACTION)]
