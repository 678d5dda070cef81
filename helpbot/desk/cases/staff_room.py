"""The staff group as the case desk: who counts as a colleague there, and a colleague's
message in a case's topic, which goes to the tenant (3.3)."""

from __future__ import annotations

from helpbot.desk.actions import Action
from helpbot.desk.cases.relay import relay_to_tenant
from helpbot.desk.events import Content
from helpbot.desk.office import Office
from helpbot.desk.visit import Visit


async def note_colleague(office: Office, visit: Visit) -> None:
    """Someone writing in the staff group is a colleague (when no staff list is set)
    until they leave it; this lets them moderate community groups too (3.7)."""
    left = visit.inbound.content is Content.MEMBER_LEFT
    if left == (visit.person.staff_since is None):
        return
    since = None if left else visit.inbound.received_at
    await office.people.set_staff_since(visit.person.id, since)


async def staff_message(office: Office, visit: Visit) -> list[Action]:
    """A colleague's words in a case's topic go to the tenant; elsewhere they are chat."""
    inbound = visit.inbound
    if inbound.content is not Content.TEXT or not inbound.text.strip():
        return []
    thread = inbound.chat.thread_id
    case = await office.cases.by_topic(thread) if thread else None
    if case is None:
        return []
    return await relay_to_tenant(office, visit, case)
