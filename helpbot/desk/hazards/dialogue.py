"""The detail dialogue of a repair or emergency case (issue 12, item 1; Awaab's Law):
each message on the case is read for the details the desk needs, the hazard is
triaged again with what is known, and the tenant gets at most one question at a time,
never one the case already has the answer to, then the plan: what happens, by when.

``tenant_thread.case_message`` calls ``on_case_message`` for every repair or emergency
message it files; a reply to a question waiting for its answer comes through
``answers.reply_to_question`` and carries on here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from helpbot.desk.actions import Action
from helpbot.desk.cases.topics import to_topic
from helpbot.desk.hazards.hazard_file import open_file, rewrite
from helpbot.desk.hazards.kinds import hazard_kind
from helpbot.desk.hazards.notes import plan_of, plan_text, proposed_note, until_we_come
from helpbot.desk.hazards.questions import has_answer, next_question, read_words
from helpbot.desk.hazards.triage import propose, settled
from helpbot.desk.office import Office
from helpbot.desk.records import Case, CaseDetails, Hazard
from helpbot.desk.visit import Visit
from helpbot.working_days import local_day

DIALOGUE_INTENTS = frozenset({"repair", "emergency"})


@dataclass(frozen=True, slots=True)
class Talk:
    """What the dialogue adds: words for the tenant's reply, notes for colleagues."""

    tenant: str = ""
    staff: tuple[Action, ...] = ()


async def on_case_message(office: Office, visit: Visit, case: Case, intent: str) -> Talk:
    """A message filed on a repair or emergency ``case``: read it, triage, ask or tell.

    A message the classifier reads as another intent is still read for the facts
    ("she's 89" reads as personal; a grandchild's "the doctor says it's the damp"), and
    a plan that changes with them is told; only the next question waits for a message
    about the repair itself."""
    if case.kind not in DIALOGUE_INTENTS:
        return Talk()
    details = await office.records.hazards.details(case.id) or CaseDetails(case.id)
    details = read_words(details, visit.inbound.text)
    if details.pending and has_answer(details, details.pending):
        details = replace(details, pending=None)
    return await carry_on(office, visit, case, details, ask=intent in DIALOGUE_INTENTS)


async def carry_on(
    office: Office, visit: Visit, case: Case, details: CaseDetails, *, ask: bool = True
) -> Talk:
    """After the case learnt something: the hazard triaged again, then the plan when no
    answer to come could change it, and the next question (``ask``)."""
    inbound = visit.inbound
    now = inbound.received_at
    emergency = case.kind == "emergency"
    staff: list[Action] = []
    hazard = await office.records.hazards.hazard(case.id)
    # Read with the words the case opened with: "it's stopped working altogether" names
    # no hazard alone, after "my nan's heating is a bit weak" it is no heating.
    kind = hazard.kind if hazard is not None else hazard_kind(f"{case.summary} {inbound.text}")
    if hazard is None and (kind is not None or emergency):
        # Becoming aware: the moment the tenant's first message about it reached us;
        # for a case opened from a group post, that post.
        aware = inbound.received_at
        if case.origin_chat_id is not None and case.created_at is not None:
            aware = min(aware, case.created_at)
        hazard = await open_file(office, case.id, kind or "other", aware)
    if hazard is not None:
        hazard, notes = await triage(office, case, hazard, details, now)
        staff += notes
    quiet = case.assignee_id is not None and not emergency
    parts: list[str] = []
    upcoming = None if case.assignee_id is not None else next_question(details, kind, emergency)
    plan = plan_of(hazard)
    aware_on = local_day(hazard.aware_at) if hazard is not None else local_day(now)
    ready = upcoming is None or settled(kind, emergency, details, aware_on)
    question = upcoming if ask else None
    if not quiet and details.told != plan and ready:
        parts.append(plan_text(office, hazard))
        if not emergency and (meanwhile := until_we_come(office, hazard)):
            parts.append(meanwhile)
        details = replace(details, told=plan)
    if question is not None:
        parts.append(office.say("hazards", f"q_{question}"))
        details = replace(details, pending=question, asked_at=now, asked=(*details.asked, question))
    await office.records.hazards.save_details(details)
    return Talk("\n\n".join(parts), tuple(staff))


async def triage(
    office: Office, case: Case, hazard: Hazard, details: CaseDetails, now: datetime
) -> tuple[Hazard, list[Action]]:
    """Propose a category from what is known; colleagues hear of a new proposal."""
    emergency = case.kind == "emergency"
    proposal = propose(hazard.kind, emergency, details, local_day(hazard.aware_at))
    before = (hazard.proposed, hazard.clock)
    updated = await rewrite(
        office,
        hazard,
        now,
        proposed=proposal.category,
        reason=proposal.reason,
        at_risk=details.at_risk,
    )
    if (updated.proposed, updated.clock) == before and updated.reason == hazard.reason:
        return updated, []
    await office.cases.log(
        case.id,
        "hazard_proposed",
        actor_kind="bot",
        text=f"{updated.proposed}: {updated.reason}",
        detail={"kind": updated.kind, "category": updated.proposed, "clock": updated.clock},
    )
    return updated, to_topic(office, case, proposed_note(office, updated))


async def tell_plan_again(office: Office, case: Case, hazard: Hazard) -> str | None:
    """The plan in words if it changed since the tenant was last told (a colleague's
    decision), and remember that they now know it; None when nothing new."""
    details = await office.records.hazards.details(case.id) or CaseDetails(case.id)
    plan = plan_of(hazard)
    if details.told == plan:
        return None
    await office.records.hazards.save_details(replace(details, told=plan))
    return plan_text(office, hazard)
