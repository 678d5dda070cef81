"""Personal details posted in a community group are taken down (3.12), and what was
asked is not lost: the message goes to a private case (opened, or the one its matter
already has), the tenant is offered the private chat, and colleagues are told. The
details themselves are kept only in the private case, never repeated in the group.

The same applies to a caption, to a message edited to add details, and to a new
member's post that would otherwise be held for a colleague to repost.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from helpbot.desk.actions import Action, DeleteMessage
from helpbot.desk.community.confidence import sure
from helpbot.desk.community.public_to_private import move_to_private
from helpbot.desk.office import Office
from helpbot.desk.ports import PersonalDatum
from helpbot.desk.records import GroupThread
from helpbot.desk.safety import net as safety_net
from helpbot.desk.visit import URGENT_INTENTS, Visit, reply
from helpbot.nlu.intents import CASE_INTENTS, PRIVATE_INTENTS

WHERE = "community group"
PRIVATE_NATURE = PRIVATE_INTENTS | {"emergency"}
DISCLOSURES = frozenset({"health", "money"})  # nlu/health_and_money.py


def exposed_in_public(office: Office, visit: Visit) -> Sequence[PersonalDatum]:
    """What must not stay public in a post: identifiers always; someone's health or
    money trouble when the post is a matter of a personal nature (3.12), not chat."""
    text = visit.inbound.text
    if not text:
        return []
    found = office.understanding.find_personal_data(text)
    if found or visit.intent not in PRIVATE_NATURE:
        return found
    return office.understanding.find_disclosures(text)


async def take_down(
    office: Office,
    visit: Visit,
    thread: GroupThread | None,
    found: Sequence[PersonalDatum],
    *,
    colleague: bool,
) -> list[Action]:
    """Delete the message, say why without repeating it, and keep the matter."""
    inbound = visit.inbound
    kinds = tuple(sorted({d.kind for d in found}))
    actions: list[Action] = []
    if inbound.message_id:
        actions.append(DeleteMessage(inbound.chat, inbound.message_id))
    await office.audit(
        actor="bot",
        action="removed_personal_data",
        subject=f"{inbound.channel}:{inbound.chat.external_id}",
        detail={"kinds": list(kinds), "message_id": inbound.message_id},
    )
    if colleague or inbound.sender.is_bot:
        # A colleague's slip: taken down and said so, but it is nobody's case.
        unquoted = replace(inbound, message_id=None)
        return [*actions, reply(unquoted, office.say("group_quiet", "removed"))]
    intent = visit.intent or "personal"
    certain = sure(visit.classification, visit.inbound.text)
    urgent = intent in URGENT_INTENTS and certain
    # Someone's health or money told with a report: taken down because the post is a
    # matter of a personal nature, it stays the matter it is ("my son's asthma is worse
    # with the mould" is the mould, not an account query). An urgent reading still
    # needs to be sure: a guess never opens an urgent case.
    told = (
        intent in CASE_INTENTS
        and intent not in URGENT_INTENTS
        and all(d.kind in DISCLOSURES for d in found)
    )
    if not urgent and not (intent in CASE_INTENTS and certain) and not told:
        # Personal details with a request we can't read for sure: a personal matter.
        intent = "personal"
    actions += await move_to_private(office, visit, thread, intent, removed=kinds)
    if visit.intent in URGENT_INTENTS and not urgent:
        actions += await safety_net.flag(office, visit, (visit.intent or "",), where=WHERE)
    else:
        actions += await safety_net.catch(office, visit, where=WHERE, public=True)
    return actions
