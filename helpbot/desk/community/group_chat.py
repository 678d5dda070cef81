"""Everything in a community group that is neither a command nor a button: join
requests (3.5), the member list, screening (3.7), then the words themselves (3.10, 3.12)."""

from __future__ import annotations

from helpbot.desk.actions import Action
from helpbot.desk.community.public_to_private import group_text, move_to_private
from helpbot.desk.events import Content
from helpbot.desk.joining.conversation import requested
from helpbot.desk.moderation.group_care import member_event, screen
from helpbot.desk.office import Office
from helpbot.desk.safety import net as safety_net
from helpbot.desk.visit import Visit
from helpbot.nlu.intents import PRIVATE_INTENTS


async def group_message(office: Office, visit: Visit, *, colleague: bool) -> list[Action]:
    inbound = visit.inbound
    if inbound.content is Content.JOIN_REQUEST:
        return await requested(office, visit)
    if inbound.content in (Content.MEMBER_JOINED, Content.MEMBER_LEFT):
        return await member_event(office, visit)
    if not colleague and not inbound.sender.is_bot:
        # Flooding and new members' links are dealt with before anything else (3.7).
        screened = await screen(office, visit)
        if screened is not None:
            return screened
    if visit.classification is None:
        return []
    if inbound.content is not Content.TEXT:
        # A captioned photo or file: an emergency or a private matter still moves to a
        # private case; anything else is left alone, bar the safety net.
        if visit.intent == "emergency" or visit.intent in PRIVATE_INTENTS:
            return await move_to_private(office, visit, visit.intent or "repair", quote=True)
        return await safety_net.catch(office, visit, where="community group", public=True)
    return await group_text(office, visit, colleague=colleague)
