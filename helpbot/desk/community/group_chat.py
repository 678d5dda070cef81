"""Everything in a community group that is neither a command nor a button: join
requests (3.5), the member list, screening (3.7), personal details taken down (3.12),
then the words themselves (3.10, 3.12).

Every message is read the same way, whatever carries it: a text, the caption of a
photo, video, file or voice note, and a message edited after it was posted (details
added by editing are taken down like a new post).
"""

from __future__ import annotations

from dataclasses import replace

from helpbot.desk.actions import Action
from helpbot.desk.community.personal_data import exposed_in_public, take_down
from helpbot.desk.community.public_to_private import group_text
from helpbot.desk.community.threads import thread_of
from helpbot.desk.events import Content
from helpbot.desk.joining.conversation import requested
from helpbot.desk.moderation.group_care import flooding, hold, member_event
from helpbot.desk.office import Office
from helpbot.desk.visit import READ_CONTENT, URGENT_INTENTS, Visit


async def group_message(office: Office, visit: Visit, *, colleague: bool) -> list[Action]:
    inbound = visit.inbound
    if inbound.content is Content.JOIN_REQUEST:
        return await requested(office, visit)
    if inbound.content in (Content.MEMBER_JOINED, Content.MEMBER_LEFT):
        return await member_event(office, visit)
    member = not colleague and not inbound.sender.is_bot
    if member and not inbound.edited and visit.intent not in URGENT_INTENTS:
        # Flooding is slowed down before anything else (3.7), except a danger: a member
        # who fires off short messages and then "there's smoke coming under my door and
        # I can't get out" was muted for five minutes (outside review).
        flood = await flooding(office, visit)
        if flood is not None:
            return flood
    visit = read(office, visit)
    thread = await thread_of(office, visit)
    found = exposed_in_public(office, visit)
    if found:
        return await take_down(office, visit, thread, found, colleague=colleague)
    if member:
        # New members' links and mass mentions wait for a colleague (3.7).
        held = await hold(office, visit)
        if held is not None:
            return held
    if visit.classification is None:
        return []
    return await group_text(office, visit, thread, colleague=colleague)


def read(office: Office, visit: Visit) -> Visit:
    """The front desk does not classify an edit; in a group it is read like a new post."""
    inbound = visit.inbound
    if (
        visit.classification is None
        and inbound.edited
        and inbound.content in READ_CONTENT
        and inbound.text.strip()
    ):
        return replace(visit, classification=office.understanding.classify(inbound.text))
    return visit
