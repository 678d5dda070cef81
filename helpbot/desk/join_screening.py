"""Joining a community group (3.5, 3.6, 3.11): the applicant answers the group's questions
and accepts its rules in a private chat, then a colleague checks the answers against the
tenancy register and approves or declines. Declines are quick and kind, and say why.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from helpbot.desk.actions import (
    Action,
    AnswerButton,
    ApproveJoin,
    Button,
    DeclineJoin,
    SendText,
    StaffNotice,
    split_long_text,
)
from helpbot.desk.events import Content
from helpbot.desk.group_rules import JoinQuestion
from helpbot.desk.records import (
    Chat,
    JoinRequest,
    Tenancy,
    normalise_postcode,
    normalise_reference,
)
from helpbot.desk.visit import Visit, chat_ref, private_chat, reply, who

if TYPE_CHECKING:
    from helpbot.desk.front_desk import Desk

JOIN_TOPIC = "Join requests"
URGENT_INTENTS = frozenset({"emergency", "safeguarding"})
STRUCTURED_KINDS = frozenset({"postcode", "tenancy_ref"})
ANSWER_ATTEMPTS = 2  # a second unusable answer to the same question declines (3.6.2)
_RULES_BUTTON = re.compile(r"^join:(\d{1,18}):(yes|no)$")
_REVIEW_BUTTON = re.compile(r"^jr:(\d{1,18}):(ok|no)$")
_NAME = re.compile(r"^[^\W\d_][^\W\d_ '.-]*(?:[ '.-]+[^\W\d_]+)*\.?$")
_REFERENCE = re.compile(r"^[A-Z0-9/-]{3,32}$")
_REFUSALS = frozenset({"no", "skip", "pass", "none", "n/a", "na", "-", "?", "dont know"})


def check_answer(question: JoinQuestion, text: str) -> str | None:
    """The answer as it will be stored, or None if it is not a usable answer."""
    answer = " ".join(text.split())
    if not answer or answer.lower().strip(".!'’") in _REFUSALS or len(answer) > 200:
        return None
    if question.kind == "postcode":
        return normalise_postcode(answer)
    if question.kind == "tenancy_ref":
        reference = normalise_reference(answer)
        has_digit = any(ch.isdigit() for ch in reference)
        return reference if _REFERENCE.match(reference) and has_digit else None
    if question.kind == "name":
        return answer if len(answer) >= 2 and _NAME.match(answer) else None
    return answer if len(answer.split()) >= 2 else None


# -- the register check ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class RegisterMatch:
    level: str  # exact, near, none
    note: str  # for colleagues, in the staff group only

    def __str__(self) -> str:
        return f"{self.level.upper()}: {self.note}"


def _name_key(name: str) -> tuple[str, ...]:
    words = re.sub(r"[^\w\s]", " ", name.casefold()).split()
    return (words[0], words[-1]) if words else ()


def _distance(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        previous = current
    return previous[-1]


def is_current(tenancy: Tenancy, today: date) -> bool:
    return tenancy.start_date <= today and (tenancy.end_date is None or tenancy.end_date >= today)


def match_register(
    tenancies: Sequence[Tenancy],
    *,
    reference: str | None,
    postcode: str | None,
    name: str | None,
    today: date,
) -> RegisterMatch:
    """exact: reference and postcode match a current tenancy and the name is a tenant or
    confirmed occupant on it. near: a current tenancy at that postcode, or with that
    reference give or take a typo (2 characters). none: nothing current that fits."""
    if not reference and not postcode:
        return RegisterMatch("none", "no tenancy reference or postcode was asked for")
    current = [t for t in tenancies if is_current(t, today)]
    key = _name_key(name or "")

    def named(tenancy: Tenancy) -> bool:
        people = [*tenancy.tenant_names, *tenancy.occupant_names]
        return bool(key) and any(_name_key(person) == key for person in people)

    for tenancy in current:
        if tenancy.reference == reference and tenancy.postcode == postcode:
            if named(tenancy):
                return RegisterMatch(
                    "exact",
                    "reference and postcode match a current tenancy, and the name is a tenant "
                    "or confirmed occupant on it",
                )
            return RegisterMatch(
                "near",
                "reference and postcode match a current tenancy, but the name is not on it",
            )
    for tenancy in current:
        if reference and tenancy.reference == reference:
            return RegisterMatch(
                "near", "the reference matches a current tenancy, but the postcode differs"
            )
    for tenancy in current:
        if reference and _distance(tenancy.reference, reference) <= 2:
            also = " and the postcode matches" if tenancy.postcode == postcode else ""
            return RegisterMatch(
                "near", f"the reference is close to a current tenancy's (a typo?){also}"
            )
    at_postcode = [t for t in current if postcode and t.postcode == postcode]
    if at_postcode:
        whose = " and the name is on one of them" if any(named(t) for t in at_postcode) else ""
        return RegisterMatch(
            "near", f"{len(at_postcode)} current tenancy(ies) at that postcode{whose}"
        )
    ended = [t for t in tenancies if t.reference == reference and not is_current(t, today)]
    if ended:
        return RegisterMatch("none", "the reference belongs to a tenancy that is not current")
    return RegisterMatch("none", "no current tenancy with that reference or postcode")


class JoinScreening:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.say = desk.say
        self.members = desk.membership

    # -- the request arrives ------------------------------------------------------------

    async def requested(self, visit: Visit) -> list[Action]:
        """Start the conversation at once: Telegram lets the bot write to a requester for
        only 5 minutes after the request unless they write back."""
        inbound = visit.inbound
        now = inbound.received_at
        minutes = self.desk.settings.community.join_answer_minutes
        request = await self.members.open_request(
            visit.chat.id, visit.person.id, now=now, answer_by=now + timedelta(minutes=minutes)
        )
        await self.desk.audit(
            actor=f"{inbound.channel}:{inbound.sender.external_id}",
            action="join_requested",
            subject=f"join_request:{request.id}",
        )
        questions = self._questions(visit.chat)
        name = f" {visit.person.first_name}" if visit.person.first_name else ""
        welcome = self.say(
            "joining",
            "welcome",
            name=name,
            group=self._title(visit.chat),
            count=len(questions),
            minutes=minutes,
        )
        if not questions:
            await self.members.change_request(request.id, status="rules")
            return [SendText(private_chat(visit.person), welcome), *self._rules(request, visit)]
        first = self._ask(questions, 0)
        return [SendText(private_chat(visit.person), f"{welcome}\n\n{first}")]

    # -- the applicant's private messages -----------------------------------------------

    async def conversation(self, visit: Visit) -> list[Action] | None:
        """Private messages from someone in the middle of joining are their answers.
        None when they are not joining, or when the message is an emergency or a
        safeguarding concern: that is answered as usual, whatever else is going on (a
        valid postcode or tenancy reference is an answer, never an emergency)."""
        inbound = visit.inbound
        if inbound.content is Content.COMMAND and inbound.command != "start":
            return None
        request = await self.members.current_request(visit.person.id)
        if request is None:
            return None
        group = await self.desk.people.chat_by_id(request.chat_id)
        assert group is not None
        questions = self._questions(group)
        question = questions[min(request.step, len(questions) - 1)] if questions else None
        answer = None
        if inbound.content is Content.TEXT and request.status == "asking" and question:
            answer = check_answer(question, inbound.text)
        if visit.intent in URGENT_INTENTS:
            structured = question is not None and question.kind in STRUCTURED_KINDS
            if not (structured and answer is not None):
                return None
        if request.answer_by <= inbound.received_at:
            return await self._decline(request, "timeout", now=inbound.received_at)
        if request.status == "rules":
            if inbound.content is Content.COMMAND:
                return self._rules(request, visit)
            return [reply(inbound, self.say("joining", "press_a_button"))]
        assert question is not None
        if inbound.content is Content.COMMAND:
            return [reply(inbound, self._ask(questions, request.step))]
        if inbound.content is not Content.TEXT:
            return [reply(inbound, self.say("joining", "type_words"))]
        if answer is None:
            attempts = request.attempts + 1
            if attempts >= ANSWER_ATTEMPTS:
                return await self._decline(request, "3.6.2", now=inbound.received_at)
            await self.members.change_request(request.id, attempts=attempts)
            hint = self.say("joining", f"hint_{question.kind}")
            text = self.say("joining", "retry", hint=hint, ask=question.ask)
            return [reply(inbound, text)]
        answers = {**request.answers, question.id: answer}
        step = request.step + 1
        if step < len(questions):
            await self.members.change_request(request.id, answers=answers, step=step, attempts=0)
            return [reply(inbound, self._ask(questions, step))]
        await self.members.change_request(
            request.id, answers=answers, step=step, attempts=0, status="rules"
        )
        return self._rules(request, visit)

    async def rules_button(self, visit: Visit) -> list[Action] | None:
        """The applicant pressed "I have read and accept" or "I don't accept" (3.6.3)."""
        inbound = visit.inbound
        match = _RULES_BUTTON.match(inbound.callback_data or "")
        if match is None:
            return None
        actions: list[Action] = []
        if inbound.callback_id:
            actions.append(AnswerButton(inbound.callback_id))
        request = await self.members.request(int(match.group(1)))
        now = inbound.received_at
        if request is None or request.person_id != visit.person.id or request.status != "rules":
            return [*actions, reply(inbound, self.say("joining", "closed"))]
        if request.answer_by <= now:
            return actions + await self._decline(request, "timeout", now=now)
        if match.group(2) == "no":
            return actions + await self._decline(request, "3.6.3", now=now)
        version = self.desk.rules.version
        register = await self._check_register(request, now.date())
        moved = await self.members.move_request(
            request.id,
            ("rules",),
            status="review",
            rules_version=version,
            rules_accepted_at=now,
            register_match=register.level,
            register_note=register.note[:200],
        )
        if not moved:
            return [*actions, reply(inbound, self.say("joining", "closed"))]
        group = await self.desk.people.chat_by_id(request.chat_id)
        assert group is not None
        name = f", {visit.person.first_name}" if visit.person.first_name else ""
        actions.append(reply(inbound, self.say("joining", "accepted", name=name)))
        answers = "\n".join(
            f"• {q.label}: {request.answers.get(q.id, '-')}" for q in self._questions(group)
        )
        text = self.say(
            "community_staff",
            "join_review",
            id=request.id,
            group=self._title(group),
            who=who(visit.person),
            answers=answers,
            version=version,
            match=str(register),
        )
        buttons = (
            (
                Button(self.say("community_staff", "approve_button"), data=f"jr:{request.id}:ok"),
                Button(self.say("community_staff", "decline_button"), data=f"jr:{request.id}:no"),
            ),
        )
        actions.append(StaffNotice(JOIN_TOPIC, text, buttons))
        return actions

    # -- a colleague decides -------------------------------------------------------------

    async def review_button(self, visit: Visit) -> list[Action] | None:
        """Approve or decline from the "Join requests" topic; the caller checked that the
        presser is staff. Only the first decision counts."""
        inbound = visit.inbound
        match = _REVIEW_BUTTON.match(inbound.callback_data or "")
        if match is None:
            return None
        request = await self.members.request(int(match.group(1)))
        if request is None:
            return [AnswerButton(inbound.callback_id)] if inbound.callback_id else []
        approve = match.group(2) == "ok"
        now = inbound.received_at
        name = (inbound.sender.first_name or "A colleague").split()[0]
        moved = await self.members.move_request(
            request.id,
            ("review",),
            status="approved" if approve else "declined",
            decision="approved" if approve else "3.6.1",
            decided_at=now,
            decided_by_id=visit.person.id,
            decided_by_name=name,
        )
        if not moved:
            current = await self.members.request(request.id)
            holder = (current.decided_by_name if current else None) or "someone else"
            text = self.say("community_staff", "join_decided", name=holder)
            return [AnswerButton(inbound.callback_id, text)] if inbound.callback_id else []
        applicant = await self.desk.people.person_by_id(request.person_id)
        group = await self.desk.people.chat_by_id(request.chat_id)
        assert applicant is not None and group is not None
        await self.desk.audit(
            actor=f"staff:{inbound.channel}:{inbound.sender.external_id}",
            action="join_approved" if approve else "join_declined",
            subject=f"join_request:{request.id}",
            detail={"decision": "approved" if approve else "3.6.1"},
        )
        await self.desk.moderation_log.record(
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
        title = self._title(group)
        if approve:
            await self.members.set_member(
                group.id,
                applicant.id,
                status="member",
                joined_at=now,
                rules_version=request.rules_version,
                rules_accepted_at=request.rules_accepted_at,
                join_request_id=request.id,
            )
            welcome = self.say(
                "joining",
                "approved",
                group=title,
                name=f", {applicant.first_name}" if applicant.first_name else "",
            )
            actions += [
                ApproveJoin(chat_ref(group), applicant.external_id),
                SendText(private_chat(applicant), welcome),
                reply(
                    inbound,
                    self.say(
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
                private_chat(applicant), self.say("joining", "declined_not_tenant", group=title)
            ),
            reply(
                inbound,
                self.say(
                    "community_staff", "join_declined", id=request.id, who=who(applicant), name=name
                ),
            ),
        ]
        return actions

    # -- the clock ------------------------------------------------------------------------

    async def timeouts(self, now: datetime) -> list[Action]:
        """Requests not answered (or rules not accepted) in time are declined (3.6.2)."""
        actions: list[Action] = []
        for request in await self.members.overdue_requests(now):
            actions += await self._decline(request, "timeout", now=now)
        return actions

    # -- helpers --------------------------------------------------------------------------

    async def _decline(self, request: JoinRequest, why: str, *, now: datetime) -> list[Action]:
        """Decline at once, tell the applicant kindly why, and note it for colleagues."""
        moved = await self.members.move_request(
            request.id, ("asking", "rules"), status="declined", decision=why, decided_at=now
        )
        if not moved:
            return []
        applicant = await self.desk.people.person_by_id(request.person_id)
        group = await self.desk.people.chat_by_id(request.chat_id)
        assert applicant is not None and group is not None
        await self.desk.audit(
            actor="bot",
            action="join_declined",
            subject=f"join_request:{request.id}",
            detail={"decision": why},
        )
        await self.desk.moderation_log.record(
            "join_declined",
            actor_kind="bot",
            chat_id=group.id,
            person_id=applicant.id,
            reason=why,
            detail={"join_request": request.id},
            at=now,
        )
        key = {"3.6.2": "declined_answers", "3.6.3": "declined_rules"}.get(why, "declined_timeout")
        title = self._title(group)
        reason = self.say("community_staff", f"reason_{why.replace('.', '_')}")
        return [
            DeclineJoin(chat_ref(group), applicant.external_id),
            SendText(private_chat(applicant), self.say("joining", key, group=title)),
            StaffNotice(
                JOIN_TOPIC,
                self.say(
                    "community_staff",
                    "join_declined_auto",
                    id=request.id,
                    who=who(applicant),
                    group=title,
                    reason=reason,
                ),
            ),
        ]

    def _rules(self, request: JoinRequest, visit: Visit) -> list[Action]:
        """The guidelines and rules (Appendices 1 and 2) with the two buttons (3.11)."""
        rules = self.desk.rules
        text = f"{self.say('joining', 'rules_intro')}\n\n{rules.text}"
        buttons = (
            (Button(self.say("joining", "accept_button"), data=f"join:{request.id}:yes"),),
            (Button(self.say("joining", "reject_button"), data=f"join:{request.id}:no"),),
        )
        parts = split_long_text(text)
        where = private_chat(visit.person)
        return [
            SendText(where, part, buttons=buttons if i == len(parts) - 1 else ())
            for i, part in enumerate(parts)
        ]

    async def _check_register(self, request: JoinRequest, today: date) -> RegisterMatch:
        group = await self.desk.people.chat_by_id(request.chat_id)
        assert group is not None
        kinds = {q.kind: q.id for q in self._questions(group)}
        reference = request.answers.get(kinds.get("tenancy_ref", ""))
        postcode = request.answers.get(kinds.get("postcode", ""))
        name = request.answers.get(kinds.get("name", ""))
        near = [
            known
            for known in await self.desk.register.references()
            if reference and _distance(known, reference) <= 2
        ]
        tenancies = await self.desk.register.candidates(near, postcode)
        return match_register(
            tenancies, reference=reference, postcode=postcode, name=name, today=today
        )

    def _questions(self, group: Chat) -> tuple[JoinQuestion, ...]:
        return self.desk.rules.questions_for(group.external_id)

    def _ask(self, questions: Sequence[JoinQuestion], step: int) -> str:
        question = questions[min(step, len(questions) - 1)]
        return self.say(
            "joining", "question", number=step + 1, count=len(questions), ask=question.ask
        )

    @staticmethod
    def _title(group: Chat) -> str:
        return group.title or "the SHAL tenants' group"
