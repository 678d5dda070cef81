"""Declining a request to join (3.6): at once, kindly, saying why, and noted for
colleagues; also the sweep that declines requests not finished in time (3.6.2)."""

from __future__ import annotations

from datetime import datetime

from helpbot.desk.actions import Action, DeclineJoin, SendText, StaffNotice
from helpbot.desk.office import Office
from helpbot.desk.records import Chat, JoinRequest
from helpbot.desk.staff_topics import JOIN_TOPIC
from helpbot.desk.visit import chat_ref, private_chat, who


async def timeouts(office: Office, now: datetime) -> list[Action]:
    """Requests not answered (or rules not accepted) in time are declined (3.6.2)."""
    actions: list[Action] = []
    for request in await office.members.overdue_requests(now):
        actions += await decline(office, request, "timeout", now=now)
    return actions


async def decline(office: Office, request: JoinRequest, why: str, *, now: datetime) -> list[Action]:
    """Decline at once, tell the applicant kindly why, and note it for colleagues."""
    moved = await office.members.move_request(
        request.id, ("asking", "rules"), status="declined", decision=why, decided_at=now
    )
    if not moved:
        return []
    applicant = await office.people.person_by_id(request.person_id)
    group = await office.people.chat_by_id(request.chat_id)
    assert applicant is not None and group is not None
    await office.audit(
        actor="bot",
        action="join_declined",
        subject=f"join_request:{request.id}",
        detail={"decision": why},
    )
    await office.moderation_log.record(
        "join_declined",
        actor_kind="bot",
        chat_id=group.id,
        person_id=applicant.id,
        reason=why,
        detail={"join_request": request.id},
        at=now,
    )
    key = {"3.6.2": "declined_answers", "3.6.3": "declined_rules"}.get(why, "declined_timeout")
    group_title = title(group)
    reason = office.say("community_staff", f"reason_{why.replace('.', '_')}")
    return [
        DeclineJoin(chat_ref(group), applicant.external_id),
        SendText(private_chat(applicant), office.say("joining", key, group=group_title)),
        StaffNotice(
            JOIN_TOPIC,
            office.say(
                "community_staff",
                "join_declined_auto",
                id=request.id,
                who=who(applicant),
                group=group_title,
                reason=reason,
            ),
        ),
    ]


def title(group: Chat) -> str:
    return group.title or "the SHAL tenants' group"
