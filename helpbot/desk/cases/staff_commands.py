"""Colleagues' commands in a case's topic (docs/staff-guide.md): take and hand back the
case, send a reply, notes, the timeline, resolve, close and reopen, fold a duplicate into
the tenant's other case, and publishing a resolution with the complainant's consent
(3.13). The router has checked who may use
them and found the case; each command is recorded in the audit log there."""

from __future__ import annotations

import re

from helpbot.desk.actions import Action, Button, SendText, SetTopicOpen, split_long_text
from helpbot.desk.buttons import PublishConsent, Satisfied
from helpbot.desk.cases.matters import FINISHED_STATUSES
from helpbot.desk.cases.relay import relay_to_tenant
from helpbot.desk.cases.tenant_chat import tell_tenant, tenant_chat
from helpbot.desk.cases.topics import to_topic
from helpbot.desk.complaints_clock import LONDON, local_day
from helpbot.desk.office import Office
from helpbot.desk.records import Case
from helpbot.desk.visit import Visit, colleague_name, reply


async def _log(
    office: Office,
    visit: Visit,
    case: Case,
    kind: str,
    *,
    text: str = "",
    detail: dict[str, object] | None = None,
) -> None:
    """A colleague's step on the case's timeline, under their first name."""
    await office.cases.log(
        case.id,
        kind,
        actor_kind="staff",
        actor_id=visit.person.id,
        actor_name=colleague_name(visit.inbound),
        text=text,
        detail=detail,
    )


async def claim(office: Office, visit: Visit, case: Case) -> list[Action]:
    name = colleague_name(visit.inbound)
    if await office.cases.claim(case.id, visit.person.id, name):
        await _log(office, visit, case, "claimed")
        return [reply(visit.inbound, office.say("staff", "claimed", name=name))]
    current = await office.cases.by_id(case.id)
    holder = (current.assignee_name if current else None) or "Someone"
    return [reply(visit.inbound, office.say("staff", "claim_lost", name=holder))]


async def release(office: Office, visit: Visit, case: Case) -> list[Action]:
    if not await office.cases.release(case.id, visit.person.id):
        return [reply(visit.inbound, office.say("staff", "not_claimed_by_you"))]
    await _log(office, visit, case, "released")
    name = colleague_name(visit.inbound)
    return [reply(visit.inbound, office.say("staff", "released", name=name))]


async def send_reply(office: Office, visit: Visit, case: Case) -> list[Action]:
    """/reply TEXT: the deliberate way to write to the tenant (besides replying to their
    message in the topic); anything else typed in the topic stays a note."""
    text = visit.inbound.command_args
    if not text:
        return [reply(visit.inbound, office.say("staff", "needs_text", command="reply"))]
    return await relay_to_tenant(office, visit, case, text)


async def note(office: Office, visit: Visit, case: Case) -> list[Action]:
    text = visit.inbound.command_args
    if not text:
        return [reply(visit.inbound, office.say("staff", "needs_text", command="note"))]
    await _log(office, visit, case, "note", text=text)
    return [reply(visit.inbound, office.say("staff", "note_added"))]


async def history(office: Office, visit: Visit, case: Case) -> list[Action]:
    say = office.say
    lines = [say("staff", "history_header", ref=case.ref, kind=case.kind, status=case.status)]
    for event in await office.cases.timeline(case.id):
        who = event.actor_name or event.actor_kind
        line = f"{event.at.astimezone(LONDON):%d %b %H:%M} · {who} · {event.kind}"
        if event.text:
            line += f": {event.text}"
        lines.append(line)
    return [reply(visit.inbound, part) for part in split_long_text("\n".join(lines))]


async def resolve(office: Office, visit: Visit, case: Case) -> list[Action]:
    text = visit.inbound.command_args
    say = office.say
    if not text:
        return [reply(visit.inbound, say("staff", "needs_text", command="resolve"))]
    today = local_day(visit.inbound.received_at)
    await office.cases.change(
        case.id, status="resolved", resolution=text, responded_on=today, satisfied=None
    )
    await _log(office, visit, case, "resolved", text=text)
    key = "resolved_stage2" if case.kind == "complaint" and case.stage == 2 else "resolved"
    actions: list[Action] = [reply(visit.inbound, say("staff", "resolved"))]
    tenant = await tenant_chat(office, case)
    if tenant is None:
        return [*actions, reply(visit.inbound, say("staff", "relayed_later"))]
    buttons = (
        (
            Button(say("cases", "yes_button"), data=Satisfied(case.id, yes=True).data),
            Button(say("cases", "no_button"), data=Satisfied(case.id, yes=False).data),
        ),
    )
    text = say("cases", key, ref=case.ref, text=text)
    actions.append(SendText(chat=tenant, text=text, buttons=buttons, case_id=case.id))
    return actions


async def close(office: Office, visit: Visit, case: Case) -> list[Action]:
    await office.cases.change(case.id, status="closed", closed_at=office.clock.now())
    await _log(office, visit, case, "closed")
    actions: list[Action] = [reply(visit.inbound, office.say("staff", "closed"))]
    actions += await tell_tenant(office, case, office.say("cases", "closed", ref=case.ref))
    if visit.inbound.chat.thread_id:
        actions.append(SetTopicOpen(case.id, visit.inbound.chat.thread_id, open=False))
    return actions


async def reopen(office: Office, visit: Visit, case: Case) -> list[Action]:
    await office.cases.change(case.id, status="open", closed_at=None)
    await _log(office, visit, case, "reopened")
    actions: list[Action] = []
    if visit.inbound.chat.thread_id:
        actions.append(SetTopicOpen(case.id, visit.inbound.chat.thread_id, open=True))
    actions.append(reply(visit.inbound, office.say("staff", "reopened")))
    actions += await tell_tenant(office, case, office.say("cases", "reopened", ref=case.ref))
    return actions


async def publish(office: Office, visit: Visit, case: Case) -> list[Action]:
    """3.13: a resolution may be published, linked to the original complaint, only with
    the complainant's consent. Ask first; nothing is posted before a Yes."""
    text = visit.inbound.command_args
    say = office.say
    if case.kind != "complaint":
        return [reply(visit.inbound, say("staff", "not_a_complaint"))]
    if case.origin_chat_id is None or case.origin_message_id is None:
        return [reply(visit.inbound, say("staff", "no_origin"))]
    if not text:
        return [reply(visit.inbound, say("staff", "needs_text", command="publish"))]
    tenant = await tenant_chat(office, case)
    if tenant is None:
        return [reply(visit.inbound, say("staff", "relayed_later"))]
    await office.cases.change(
        case.id, publication_text=text, publication_consent="asked", publication_consent_at=None
    )
    await _log(office, visit, case, "consent_asked", text=text)
    buttons = (
        (
            Button(say("cases", "yes_button"), data=PublishConsent(case.id, yes=True).data),
            Button(say("cases", "no_button"), data=PublishConsent(case.id, yes=False).data),
        ),
    )
    question = say("cases", "consent_question", ref=case.ref, text=text)
    return [
        reply(visit.inbound, say("staff", "consent_asked")),
        SendText(chat=tenant, text=question, buttons=buttons, case_id=case.id),
    ]


# A case reference as colleagues type it: "SHAL-00016", "shal-16".
_REF = re.compile(r"\b([a-z]+)-0*(\d+)\b", re.IGNORECASE)


def _same_ref(typed: re.Match[str], ref: str) -> bool:
    mine = _REF.fullmatch(ref)
    return mine is not None and (mine[1].lower(), int(mine[2])) == (
        typed[1].lower(),
        int(typed[2]),
    )


async def merge(office: Office, visit: Visit, case: Case) -> list[Action]:
    """/merge REF: this case is the same matter as the tenant's case REF (the tenant told
    it twice, or a follow-up read alone as urgent opened a second case: intents/README.md,
    ninth pass). Its messages are filed on REF, it is closed, and the tenant and both
    topics are told. REF keeps its kind and clocks, so an urgent case or a complaint is
    never folded into one that is neither: the other way round keeps what matters."""
    say = office.say
    inbound = visit.inbound
    typed = _REF.search(inbound.command_args)
    if typed is None:
        return [reply(inbound, say("staff", "merge_needs_ref"))]
    if case.status in FINISHED_STATUSES:
        return [reply(inbound, say("staff", "merge_finished", ref=case.ref))]
    target = next(
        (c for c in await office.cases.tenant_cases(case.tenant_id) if _same_ref(typed, c.ref)),
        None,
    )
    if target is None or target.id == case.id:
        return [reply(inbound, say("staff", "merge_unknown", ref=typed[0].upper()))]
    if target.status in FINISHED_STATUSES:
        return [reply(inbound, say("staff", "merge_target_finished", ref=target.ref))]
    if (case.urgent and not target.urgent) or (
        case.kind == "complaint" and target.kind != "complaint"
    ):
        return [reply(inbound, say("staff", "merge_other_way", ref=case.ref, into=target.ref))]
    moved = await office.people.move_case_messages(case.id, target.id)
    await office.cases.change(case.id, status="closed", closed_at=office.clock.now())
    name = colleague_name(inbound)
    await _log(office, visit, case, "merged_into", text=target.ref, detail={"messages": moved})
    await _log(office, visit, target, "merged_from", text=case.ref, detail={"messages": moved})
    actions: list[Action] = [
        reply(inbound, say("staff", "merged", ref=case.ref, into=target.ref, count=moved))
    ]
    actions += to_topic(
        office, target, say("staff", "merged_here", ref=case.ref, name=name, count=moved)
    )
    told = say("cases", "merged", ref=case.ref, into=target.ref)
    actions += await tell_tenant(office, case, told)
    if inbound.chat.thread_id and inbound.chat.thread_id == case.staff_topic_id:
        actions.append(SetTopicOpen(case.id, inbound.chat.thread_id, open=False))
    return actions
