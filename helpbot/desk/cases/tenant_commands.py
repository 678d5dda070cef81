"""The commands a tenant uses in their private chat: /start (also from a group's "message
us privately" link), /help, /privacy, /mycases and /rules."""

from __future__ import annotations

import re

from helpbot.desk.actions import Action, split_long_text
from helpbot.desk.cases.promises import advice, next_step
from helpbot.desk.cases.topics import KIND_NAMES
from helpbot.desk.complaints_clock import local_day
from helpbot.desk.office import Office
from helpbot.desk.visit import Visit, reply


async def rules(office: Office, visit: Visit) -> list[Action]:
    """The guidelines and rules (Appendices 1 and 2), whole (3.11)."""
    text = office.say("conduct", "rules", version=office.rules.version, text=office.rules.text)
    return [reply(visit.inbound, part) for part in split_long_text(text)]


async def start(office: Office, visit: Visit) -> list[Action]:
    inbound = visit.inbound
    if inbound.command_args == "rules":
        return await rules(office, visit)
    if inbound.command_args:
        linked = await link_from_group(office, visit, inbound.command_args)
        if linked:
            return linked
    name = f" {inbound.sender.first_name}" if inbound.sender.first_name else ""
    return [reply(inbound, office.say("commands", "start", name=name))]


async def help_or_privacy(office: Office, visit: Visit) -> list[Action]:
    return [reply(visit.inbound, office.say("commands", visit.inbound.command or "help"))]


async def unknown(office: Office, visit: Visit) -> list[Action]:
    shown = re.sub(r"[^a-z0-9_]", "", visit.inbound.command or "")[:32] or "?"
    return [reply(visit.inbound, office.say("commands", "unknown", command=shown))]


async def link_from_group(office: Office, visit: Visit, token: str) -> list[Action]:
    """The tenant pressed the group's "message privately" button: carry on with that case.
    A token that belongs to someone else is treated as a plain /start (nothing leaks)."""
    case = await office.cases.by_link(token[:64])
    if case is None or case.tenant_id != visit.person.id:
        return []
    if case.chat_id != visit.chat.id:
        await office.cases.change(case.id, chat_id=visit.chat.id)
    await office.cases.log(
        case.id,
        "private_chat_started",
        actor_kind="tenant",
        actor_id=visit.person.id,
        actor_name=visit.person.first_name,
    )
    text = office.say("cases", "from_group", ref=case.ref)
    if case.urgent:
        # The help the group could not be given in public: the advice, and for a
        # safeguarding concern the helplines its words call for (signposts.py).
        events = await office.cases.timeline(case.id)
        said = next((e.text for e in events if e.kind == "tenant_message" and e.text), "")
        at = visit.inbound.received_at
        text = "\n\n".join(
            (advice(office, case.kind, said), next_step(office, case.kind, at), text)
        )
    return [reply(visit.inbound, text, case_id=case.id)]


async def my_cases(office: Office, visit: Visit) -> list[Action]:
    say = office.say
    cases = await office.cases.tenant_cases(visit.person.id)
    if not cases:
        return [reply(visit.inbound, say("cases", "none"))]
    lines = [say("cases", "list_header")]
    for case in cases:
        who = say("cases", "list_who", name=case.assignee_name) if case.assignee_name else ""
        opened = f"{local_day(case.created_at):%d %b %Y}" if case.created_at else "-"
        kind = KIND_NAMES.get(case.kind, case.kind)
        lines.append(
            say(
                "cases",
                "list_line",
                ref=case.ref,
                kind=kind,
                status=case.status,
                opened=opened,
                who=who,
            )
        )
    return [reply(visit.inbound, "\n".join(lines))]
