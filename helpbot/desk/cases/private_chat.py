"""A tenant's message in their private chat that is neither a command nor a button:
an answer, or a case (3.12, 3.13)."""

from __future__ import annotations

from helpbot.desk.actions import MAX_MESSAGE_LENGTH, Action
from helpbot.desk.cases.answers import conversation
from helpbot.desk.cases.tenant_thread import attachment, case_message
from helpbot.desk.events import Content
from helpbot.desk.office import Office
from helpbot.desk.visit import Visit, reply
from helpbot.nlu.intents import CASE_INTENTS

NOT_MESSAGES = frozenset({Content.JOIN_REQUEST, Content.MEMBER_JOINED, Content.MEMBER_LEFT})


async def private_message(office: Office, visit: Visit) -> list[Action]:
    inbound = visit.inbound
    if inbound.edited:
        return [reply(inbound, office.say("content", "edited"))]
    if inbound.content in NOT_MESSAGES:
        return []
    if inbound.content is not Content.TEXT:
        return await attachment(office, visit)
    if visit.classification is None:
        return [reply(inbound, office.say("content", "empty"))]
    if visit.intent in CASE_INTENTS:
        actions = await case_message(office, visit, visit.intent or "human")
    else:
        actions = await conversation(office, visit)
    if len(inbound.text) > MAX_MESSAGE_LENGTH:
        actions.append(reply(inbound, office.say("content", "too_long")))
    return actions
