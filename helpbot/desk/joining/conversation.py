"""Joining a community group, the applicant's side (3.5, 3.6, 3.11): at once the bot
writes privately, asks the group's questions one at a time, then shows the guidelines and
rules with *accept* / *don't accept*. Someone urgent is answered first (the front desk
lets an emergency through) and the questions carry on."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from helpbot.desk.actions import (
    Action,
    AnswerButton,
    Button,
    SendText,
    StaffNotice,
    split_long_text,
)
from helpbot.desk.buttons import AcceptRules, ReviewJoin
from helpbot.desk.cases.matters import current_matter
from helpbot.desk.complaints_clock import local_day
from helpbot.desk.events import Content
from helpbot.desk.group_rules import JoinQuestion
from helpbot.desk.joining.answers import STRUCTURED_KINDS, check_answer
from helpbot.desk.joining.declines import decline, title
from helpbot.desk.joining.review import check_register, questions_for
from helpbot.desk.office import Office
from helpbot.desk.records import JoinRequest
from helpbot.desk.staff_topics import JOIN_TOPIC
from helpbot.desk.visit import URGENT_INTENTS, Visit, private_chat, reply, sender_actor, who

ANSWER_ATTEMPTS = 2  # a second unusable answer to the same question declines (3.6.2)
# The case is written a moment after the message that restarted the time to answer.
GRACE = timedelta(minutes=1)


async def requested(office: Office, visit: Visit) -> list[Action]:
    """Start the conversation at once: Telegram lets the bot write to a requester for
    only 5 minutes after the request unless they write back."""
    inbound = visit.inbound
    now = inbound.received_at
    minutes = office.settings.community.join_answer_minutes
    request = await office.members.open_request(
        visit.chat.id, visit.person.id, now=now, answer_by=now + timedelta(minutes=minutes)
    )
    await office.audit(
        actor=sender_actor(inbound),
        action="join_requested",
        subject=f"join_request:{request.id}",
    )
    questions = questions_for(office, visit.chat)
    name = f" {visit.person.first_name}" if visit.person.first_name else ""
    welcome = office.say(
        "joining",
        "welcome",
        name=name,
        group=title(visit.chat),
        count=len(questions),
        minutes=minutes,
    )
    if not questions:
        await office.members.change_request(request.id, status="rules")
        return [
            SendText(private_chat(visit.person), welcome),
            *rules_message(office, request, visit),
        ]
    first = ask(office, questions, 0)
    return [SendText(private_chat(visit.person), f"{welcome}\n\n{first}")]


async def conversation(office: Office, visit: Visit) -> list[Action] | None:
    """Private messages from someone in the middle of joining are their answers.
    None when they are not joining, or when the message is an emergency or a
    safeguarding concern: that is answered as usual, whatever else is going on (a
    valid postcode or tenancy reference is an answer, never an emergency)."""
    inbound = visit.inbound
    if inbound.content is Content.COMMAND and inbound.command != "start":
        return None
    request = await office.members.current_request(visit.person.id)
    if request is None:
        return None
    group = await office.people.chat_by_id(request.chat_id)
    assert group is not None
    questions = questions_for(office, group)
    question = questions[min(request.step, len(questions) - 1)] if questions else None
    answer = None
    if inbound.content is Content.TEXT and request.status == "asking" and question:
        answer = check_answer(question, inbound.text)
    if visit.intent in URGENT_INTENTS:
        structured = question is not None and question.kind in STRUCTURED_KINDS
        if not (structured and answer is not None):
            await _give_time(office, request, inbound.received_at)
            return None
    if answer is None and await _urgent_matter_since_asked(office, visit, request):
        # "I've opened the windows", "the engineer is coming at 6": more of the emergency
        # raised while joining, answering the bot's questions about it. Counted as a
        # wrong answer, the second would decline the applicant mid-emergency.
        return None
    if request.answer_by <= inbound.received_at:
        return await decline(office, request, "timeout", now=inbound.received_at)
    if request.status == "rules":
        if inbound.content is Content.COMMAND:
            return rules_message(office, request, visit)
        return [reply(inbound, office.say("joining", "press_a_button"))]
    assert question is not None
    if inbound.content is Content.COMMAND:
        return [reply(inbound, ask(office, questions, request.step))]
    if inbound.content is not Content.TEXT:
        return [reply(inbound, office.say("joining", "type_words"))]
    if answer is None:
        attempts = request.attempts + 1
        if attempts >= ANSWER_ATTEMPTS:
            return await decline(office, request, "3.6.2", now=inbound.received_at)
        await office.members.change_request(request.id, attempts=attempts)
        hint = office.say("joining", f"hint_{question.kind}")
        text = office.say("joining", "retry", hint=hint, ask=question.ask)
        return [reply(inbound, text)]
    answers = {**request.answers, question.id: answer}
    step = request.step + 1
    if step < len(questions):
        await office.members.change_request(request.id, answers=answers, step=step, attempts=0)
        return [reply(inbound, ask(office, questions, step))]
    await office.members.change_request(
        request.id, answers=answers, step=step, attempts=0, status="rules"
    )
    return rules_message(office, request, visit)


async def _give_time(office: Office, request: JoinRequest, now: datetime) -> None:
    """An emergency while joining: the full time to answer starts again after it."""
    window = timedelta(minutes=office.settings.community.join_answer_minutes)
    if request.answer_by < now + window:
        await office.members.change_request(request.id, answer_by=now + window)


async def _urgent_matter_since_asked(office: Office, visit: Visit, request: JoinRequest) -> bool:
    """An urgent case in this chat active since the current time to answer began (each
    urgent message restarts that time, so the case's last activity is the measure:
    outside review, a third message about a fire was read as a join answer)."""
    matter = await current_matter(office, visit.person.id, visit.chat)
    if matter is None or not matter.urgent:
        return False
    active = matter.updated_at or matter.created_at
    if active is None:
        return False
    window = timedelta(minutes=office.settings.community.join_answer_minutes)
    return active >= request.answer_by - window - GRACE


async def rules_button(office: Office, visit: Visit, button: AcceptRules) -> list[Action]:
    """The applicant pressed "I have read and accept" or "I don't accept" (3.6.3)."""
    inbound = visit.inbound
    actions: list[Action] = []
    if inbound.callback_id:
        actions.append(AnswerButton(inbound.callback_id))
    request = await office.members.request(button.request_id)
    now = inbound.received_at
    if request is None or request.person_id != visit.person.id or request.status != "rules":
        return [*actions, reply(inbound, office.say("joining", "closed"))]
    if request.answer_by <= now:
        return actions + await decline(office, request, "timeout", now=now)
    if not button.yes:
        return actions + await decline(office, request, "3.6.3", now=now)
    version = office.rules.version
    register = await check_register(office, request, local_day(now))
    moved = await office.members.move_request(
        request.id,
        ("rules",),
        status="review",
        rules_version=version,
        rules_accepted_at=now,
        register_match=register.level,
        register_note=register.note[:200],
    )
    if not moved:
        return [*actions, reply(inbound, office.say("joining", "closed"))]
    group = await office.people.chat_by_id(request.chat_id)
    assert group is not None
    name = f", {visit.person.first_name}" if visit.person.first_name else ""
    actions.append(reply(inbound, office.say("joining", "accepted", name=name)))
    answers = "\n".join(
        f"• {q.label}: {request.answers.get(q.id, '-')}" for q in questions_for(office, group)
    )
    text = office.say(
        "community_staff",
        "join_review",
        id=request.id,
        group=title(group),
        who=who(visit.person),
        answers=answers,
        version=version,
        match=str(register),
    )
    buttons = (
        (
            Button(
                office.say("community_staff", "approve_button"),
                data=ReviewJoin(request.id, approve=True).data,
            ),
            Button(
                office.say("community_staff", "decline_button"),
                data=ReviewJoin(request.id, approve=False).data,
            ),
        ),
    )
    actions.append(StaffNotice(JOIN_TOPIC, text, buttons, about=visit.person.id))
    return actions


def rules_message(office: Office, request: JoinRequest, visit: Visit) -> list[Action]:
    """The guidelines and rules (Appendices 1 and 2) with the two buttons (3.11)."""
    rules = office.rules
    text = f"{office.say('joining', 'rules_intro')}\n\n{rules.text}"
    buttons = (
        (
            Button(
                office.say("joining", "accept_button"), data=AcceptRules(request.id, yes=True).data
            ),
        ),
        (
            Button(
                office.say("joining", "reject_button"), data=AcceptRules(request.id, yes=False).data
            ),
        ),
    )
    parts = split_long_text(text)
    where = private_chat(visit.person)
    return [
        SendText(where, part, buttons=buttons if i == len(parts) - 1 else ())
        for i, part in enumerate(parts)
    ]


def ask(office: Office, questions: Sequence[JoinQuestion], step: int) -> str:
    question = questions[min(step, len(questions) - 1)]
    return office.say(
        "joining", "question", number=step + 1, count=len(questions), ask=question.ask
    )
