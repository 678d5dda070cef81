"""A private chat flooded: more messages a minute than anyone types (a paste loop, a
script, a stuck phone). Each would be read, answered and perhaps opened as a case, with
a staff topic each. Past the limit they are still kept (the history, and the matter in
hand), but answered once with a request to slow down and never opened as new cases.
Anything urgent is never held back (the caller lets it through)."""

from __future__ import annotations

from datetime import timedelta

from helpbot.desk.actions import Action
from helpbot.desk.cases.matters import current_matter
from helpbot.desk.cases.tenant_thread import file_message
from helpbot.desk.office import Office
from helpbot.desk.visit import Visit, reply

FLOOD_WINDOW = timedelta(minutes=1)  # more than DeskSettings.private_flood_messages in this


async def held_back(office: Office, visit: Visit) -> list[Action] | None:
    """None when the chat is not flooded; otherwise what the message gets (kept, and the
    one notice on the first message past the limit)."""
    limit = office.settings.private_flood_messages
    if limit == 0:
        return None
    inbound = visit.inbound
    # Most chats never come near the limit: the database is asked only when this
    # process has seen a quarter of it from this chat in the minute (arrivals.py).
    if office.arrivals.seen(visit.chat.id, inbound.received_at, FLOOD_WINDOW) < max(2, limit // 4):
        return None
    since = inbound.received_at - FLOOD_WINDOW
    count = await office.members.messages_since(
        visit.chat.id, visit.person.id, since, up_to=visit.message.id
    )
    if count <= limit:
        return None
    matter = await current_matter(office, visit.person.id, visit.chat)
    if matter is not None:
        await file_message(office, matter.id, visit, held_back=True)
    if count == limit + 1:
        await office.audit(
            actor="bot", action="private_flood_held", subject=f"person:{visit.person.id}"
        )
        return [reply(inbound, office.say("content", "slow_down"))]
    return []
