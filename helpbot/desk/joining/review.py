"""Joining a community group, the colleague's side (3.5, 3.6.1): each completed request
is checked against the tenancy register, then approved or declined from the "Join
requests" topic. Only the first decision counts."""

from __future__ import annotations

from datetime import date

from helpbot.desk.actions import Action, AnswerButton, ApproveJoin, DeclineJoin, SendText
from helpbot.desk.buttons import ReviewJoin
from helpbot.desk.group_rules import JoinQuestion
from helpbot.desk.joining.declines import title
from helpbot.desk.joining.register_matching import (
    TYPO_DISTANCE,
    RegisterMatch,
    match_register,
)
from helpbot.desk.office import Office
from helpbot.desk.records import Chat, JoinRequest
from helpbot.desk.visit import (
    Visit,
    chat_ref,
    colleague_name,
    private_chat,
    reply,
    staff_actor,
    who,
)


async def review(office: Office, visit: Visit, button: ReviewJoin) -> list[Action]:
    """Approve or decline from the "Join requests" topic; the caller checked that the
    presser is staff. Only the first decision counts."""
    inbound = visit.inbound
    request = await office.members.request(button.request_id)
    if request is None:
        return [AnswerButton(inbound.callback_id)] if inbound.callback_id else []
    approve = button.approve
    now = inbound.received_at
    name = colleague_name(inbound)
    moved = await office.members.move_request(
        request.id,
        ("review",),
        status="approved" if approve else "declined",
        decision="approved" if approve else "3.6.1",
        decided_at=now,
        decided_by_id=visit.person.id,
        decided_by_name=name,
    )
    if not moved:
        current = await office.members.request(request.id)
        holder = (current.decided_by_name if current else None) or "someone else"
        text = office.say("community_staff", "join_decided", name=holder)
        return [AnswerButton(inbound.callback_id, text)] if inbound.callback_id else []
    applicant = await office.people.person_by_id(request.person_id)
    group = await office.people.chat_by_id(request.chat_id)
    assert applicant is not None and group is not None
    await office.audit(
        actor=staff_actor(inbound),
        action="join_approved" if approve else "join_declined",
        subject=f"join_request:{request.id}",
        detail={"decision": "approved" if approve else "3.6.1"},
    )
    await office.moderation_log.record(
        "join_approved" if approve else "join_declined",
        actor_kind="staff",
        actor_id=visit.person.id,
        actor_name=name,
        chat_id=group.id,
        person_id=applicant.id,
        reason="confirmed as a current tenant or occupant" if approve else "3.6.1",
        detail={"join_request": request.id, "register": request.register_match},
    )
    actions: list[Action] = []
    if inbound.callback_id:
        actions.append(AnswerButton(inbound.callback_id, "Approved" if approve else "Declined"))
    group_title = title(group)
    if approve:
        await office.members.set_member(
            group.id,
            applicant.id,
            status="member",
            joined_at=now,
            rules_version=request.rules_version,
            rules_accepted_at=request.rules_accepted_at,
            join_request_id=request.id,
        )
        welcome = office.say(
            "joining",
            "approved",
            group=group_title,
            name=f", {applicant.first_name}" if applicant.first_name else "",
        )
        actions += [
            ApproveJoin(chat_ref(group), applicant.external_id),
            SendText(private_chat(applicant), welcome),
            reply(
                inbound,
                office.say(
                    "community_staff",
                    "join_approved",
                    id=request.id,
                    who=who(applicant),
                    name=name,
                ),
            ),
        ]
        return actions
    actions += [
        DeclineJoin(chat_ref(group), applicant.external_id),
        SendText(
            private_chat(applicant), office.say("joining", "declined_not_tenant", group=group_title)
        ),
        reply(
            inbound,
            office.say(
                "community_staff", "join_declined", id=request.id, who=who(applicant), name=name
            ),
        ),
    ]
    return actions


async def check_register(office: Office, request: JoinRequest, today: date) -> RegisterMatch:
    group = await office.people.chat_by_id(request.chat_id)
    assert group is not None
    kinds = {q.kind: q.id for q in questions_for(office, group)}
    reference = request.answers.get(kinds.get("tenancy_ref", ""))
    postcode = request.answers.get(kinds.get("postcode", ""))
    name = request.answers.get(kinds.get("name", ""))
    # Indexed, off the event loop: the register may hold tens of thousands of tenancies.
    tenancies = await office.register.near(reference, postcode, TYPO_DISTANCE)
    return match_register(tenancies, reference=reference, postcode=postcode, name=name, today=today)


def questions_for(office: Office, group: Chat) -> tuple[JoinQuestion, ...]:
    return office.rules.questions_for(group.external_id)
