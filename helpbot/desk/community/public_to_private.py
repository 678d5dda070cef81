"""A tenants' community group: conversation is welcome, but personal matters and
complaints are never discussed in public (3.12): they move to a private case (3.13), and
personal details posted in public are taken down, without repeating them."""

from __future__ import annotations

from dataclasses import replace

from helpbot.desk.actions import Action, DeleteMessage, PostToStaff
from helpbot.desk.arguments.in_groups import group_message
from helpbot.desk.cases.answers import answer
from helpbot.desk.cases.tenant_thread import file_message, open_case
from helpbot.desk.cases.topics import new_case_header, staff_note, topic_name
from helpbot.desk.office import Office
from helpbot.desk.safety import net as safety_net
from helpbot.desk.visit import Visit, reply
from helpbot.nlu.intents import PRIVATE_INTENTS

ANSWERED_IN_GROUP = frozenset({"question", "smalltalk", "human"})


async def group_text(office: Office, visit: Visit, *, colleague: bool) -> list[Action]:
    """A member's words in the group, after the screening of moderation/group_care."""
    inbound = visit.inbound
    intent = visit.intent or "smalltalk"
    actions: list[Action] = []
    exposed = office.understanding.find_personal_data(inbound.text)
    if exposed and inbound.message_id:
        # Remove it and say why, without repeating any of it (3.12).
        actions.append(DeleteMessage(inbound.chat, inbound.message_id))
    if intent == "emergency" or intent in PRIVATE_INTENTS:
        actions += await move_to_private(office, visit, intent, quote=not exposed)
    elif exposed:
        actions.append(reply(inbound, office.say("group", "personal_data_removed")))
    else:
        if inbound.addressed_to_bot and intent in ANSWERED_IN_GROUP:
            actions += answer(office, visit)
        if not colleague:
            # Never argue; end an argument once (3.10).
            actions += await group_message(office, visit)
    # A sign of risk the intent did not cover: the safety line (never the message
    # itself) and a colleague told, even where the bot would otherwise stay quiet.
    actions += await safety_net.catch(office, visit, where="community group", public=True)
    if exposed:
        await office.audit(
            actor="bot",
            action="removed_personal_data",
            subject=f"{inbound.channel}:{inbound.chat.external_id}",
            detail={"kinds": sorted({d.kind for d in exposed}), "message_id": inbound.message_id},
        )
    return actions


async def move_to_private(
    office: Office, visit: Visit, intent: str, *, quote: bool
) -> list[Action]:
    """Open the case at once, linked to the group message, and invite the tenant to a
    private chat with a deep link (a bot cannot message someone first)."""
    inbound = visit.inbound
    say = office.say
    case = await open_case(office, visit, intent, in_group=True)
    await file_message(office, case.id, visit, intent=intent, where="community group")
    # An urgent matter gets 999 in public too; a safeguarding one nothing that says
    # what kind of harm it is (the helplines follow in private: safety/signposts.py).
    key = intent if intent in ("emergency", "safeguarding") else "move_private"
    link = office.private_link(case.link_token or "")
    if quote:
        notice = reply(inbound, say("group", key), intent=intent, buttons=link, case_id=case.id)
    else:
        # The original is being deleted; don't quote it.
        text = say("group", "personal_data_removed") + "\n\n" + say("group", key)
        unquoted = replace(inbound, message_id=None)
        notice = reply(unquoted, text, intent=intent, buttons=link, case_id=case.id)
    actions: list[Action] = [notice]
    if office.settings.staff_room:
        origin = f"community group “{inbound.chat.title or inbound.chat.external_id}”"
        header = new_case_header(office, case, origin)
        name = visit.person.first_name or "Tenant"
        text = say("staff", "tenant_says", name=name, text=inbound.text)
        actions.append(
            PostToStaff(case.id, topic_name(case), None, text=staff_note(f"{header}\n\n{text}"))
        )
    return actions


async def rules_in_group(office: Office, visit: Visit) -> list[Action]:
    """/rules in a group: a link to read them privately, not a wall of text in public."""
    text = office.say("conduct", "rules_in_group")
    return [reply(visit.inbound, text, buttons=office.private_link("rules"))]
