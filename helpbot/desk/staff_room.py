"""The staff room: colleagues work cases from a forum topic per case. They take over
from the bot, reply to the tenant as the SHAL team (3.3), keep notes, resolve, and run
the complaints clock (Housing Ombudsman Complaint Handling Code)."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING

from helpbot.desk.actions import (
    Action,
    Button,
    PostToStaff,
    SendText,
    SetTopicOpen,
    split_long_text,
)
from helpbot.desk.complaints_clock import (
    LONDON,
    add_working_days,
    local_day,
    stage_deadlines,
    working_days_between,
)
from helpbot.desk.events import ChatRef, Content
from helpbot.desk.private_thread import topic_name
from helpbot.desk.records import Case
from helpbot.desk.visit import (
    MODERATION_COMMANDS,
    STAFF_COMMANDS,
    Visit,
    chat_ref,
    reply,
)

if TYPE_CHECKING:
    from helpbot.desk.front_desk import Desk

CASE_COMMANDS = STAFF_COMMANDS - MODERATION_COMMANDS
_EXTEND = re.compile(r"^(\d{1,2})\s+(.+)$", re.S)


def _day(value: date | None) -> str:
    return f"{value:%a %d %b %Y}" if value else "-"


class StaffRoom:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.say = desk.say
        self.casebook = desk.casebook

    async def handle(self, visit: Visit) -> list[Action]:
        inbound = visit.inbound
        if inbound.sender.is_bot:
            return []
        if inbound.content is Content.BUTTON:
            # Join requests, held posts and proposed removals (3.5, 3.7); staff only.
            return await self.desk.moderation.staff_button(visit)
        if not self.desk.is_staff(inbound):
            if inbound.content is Content.COMMAND and inbound.command in STAFF_COMMANDS:
                return await self.desk.refuse_staff_command(visit, "not_staff")
            return []
        await self._note_colleague(visit)
        if inbound.content in (Content.MEMBER_JOINED, Content.MEMBER_LEFT):
            return []
        thread = inbound.chat.thread_id
        if inbound.content is Content.COMMAND and inbound.command in MODERATION_COMMANDS:
            return await self.desk.moderation.staff_command(visit)
        case = await self.casebook.by_topic(thread) if thread else None
        if inbound.content is Content.COMMAND:
            command = inbound.command or ""
            if command not in CASE_COMMANDS:
                return []
            if case is None:
                return [reply(inbound, self.say("staff", "unknown_case"))]
            await self.desk.audit(
                actor=f"staff:{inbound.channel}:{inbound.sender.external_id}",
                action=f"case_{command}",
                subject=case.ref,
                detail={"args": bool(inbound.command_args)},
            )
            return await getattr(self, f"do_{command}")(case, visit)
        if case is None:
            return []
        if inbound.content is Content.TEXT and inbound.text.strip():
            return await self.relay_to_tenant(case, visit)
        return []

    async def _note_colleague(self, visit: Visit) -> None:
        """Someone writing in the staff group is a colleague (when no staff list is set)
        until they leave it; this lets them moderate community groups too (3.7)."""
        left = visit.inbound.content is Content.MEMBER_LEFT
        if left == (visit.person.staff_since is None):
            return
        since = None if left else visit.inbound.received_at
        await self.desk.people.set_staff_since(visit.person.id, since)

    # -- talking to the tenant --------------------------------------------------

    async def relay_to_tenant(self, case: Case, visit: Visit) -> list[Action]:
        """A colleague's reply goes to the tenant from the bot, signed with their first name
        only (3.3: no personal profiles). Replying also takes the case if nobody has."""
        inbound = visit.inbound
        name = self._first_name(visit)
        actions: list[Action] = []
        if case.assignee_id is None and await self.casebook.claim(case.id, visit.person.id, name):
            await self.casebook.log(
                case.id, "claimed", actor_kind="staff", actor_id=visit.person.id, actor_name=name
            )
            actions.append(reply(inbound, self.say("staff", "claimed", name=name)))
        await self.casebook.log(
            case.id,
            "staff_reply",
            actor_kind="staff",
            actor_id=visit.person.id,
            actor_name=name,
            text=inbound.text,
        )
        tenant = await self._tenant_chat(case)
        if tenant is None:
            return [*actions, reply(inbound, self.say("staff", "relayed_later"))]
        signed = f"{inbound.text}\n\n{self.say('cases', 'staff_signature', name=name)}"
        actions += [
            SendText(chat=tenant, text=part, case_id=case.id, author=name)
            for part in split_long_text(signed)
        ]
        if case.kind == "complaint" and case.acknowledged_on is None and case.stage:
            actions += await self._acknowledge(case, visit)
        return actions

    async def _acknowledge(self, case: Case, visit: Visit) -> list[Action]:
        """A colleague's first reply on a complaint is its acknowledgement (Code: within 5
        working days); the response clock then runs from that day."""
        today = local_day(visit.inbound.received_at)
        received = case.received_on or today
        respond_by = stage_deadlines(case.stage or 1, received, acknowledged=today).respond_by
        await self.casebook.change(case.id, acknowledged_on=today, respond_by=respond_by)
        await self.casebook.log(
            case.id,
            "acknowledged",
            actor_kind="staff",
            actor_id=visit.person.id,
            actor_name=self._first_name(visit),
            detail={"respond_by": respond_by.isoformat()},
        )
        actions: list[Action] = [
            reply(
                visit.inbound,
                self.say("staff", "acknowledged", today=_day(today), respond_by=_day(respond_by)),
            )
        ]
        tenant = await self._tenant_chat(case)
        if tenant is not None:
            actions.append(
                SendText(
                    chat=tenant,
                    text=self.say(
                        "cases", "acknowledged", ref=case.ref, respond_by=_day(respond_by)
                    ),
                    case_id=case.id,
                )
            )
        return actions

    # -- commands -----------------------------------------------------------------

    async def do_claim(self, case: Case, visit: Visit) -> list[Action]:
        name = self._first_name(visit)
        if await self.casebook.claim(case.id, visit.person.id, name):
            await self.casebook.log(
                case.id, "claimed", actor_kind="staff", actor_id=visit.person.id, actor_name=name
            )
            return [reply(visit.inbound, self.say("staff", "claimed", name=name))]
        current = await self.casebook.by_id(case.id)
        holder = (current.assignee_name if current else None) or "Someone"
        return [reply(visit.inbound, self.say("staff", "claim_lost", name=holder))]

    async def do_release(self, case: Case, visit: Visit) -> list[Action]:
        name = self._first_name(visit)
        if not await self.casebook.release(case.id, visit.person.id):
            return [reply(visit.inbound, self.say("staff", "not_claimed_by_you"))]
        await self.casebook.log(
            case.id, "released", actor_kind="staff", actor_id=visit.person.id, actor_name=name
        )
        return [reply(visit.inbound, self.say("staff", "released", name=name))]

    async def do_note(self, case: Case, visit: Visit) -> list[Action]:
        text = visit.inbound.command_args
        if not text:
            return [reply(visit.inbound, self.say("staff", "needs_text", command="note"))]
        await self.casebook.log(
            case.id,
            "note",
            actor_kind="staff",
            actor_id=visit.person.id,
            actor_name=self._first_name(visit),
            text=text,
        )
        return [reply(visit.inbound, self.say("staff", "note_added"))]

    async def do_history(self, case: Case, visit: Visit) -> list[Action]:
        lines = [
            self.say("staff", "history_header", ref=case.ref, kind=case.kind, status=case.status)
        ]
        for event in await self.casebook.timeline(case.id):
            who = event.actor_name or event.actor_kind
            line = f"{event.at.astimezone(LONDON):%d %b %H:%M} · {who} · {event.kind}"
            if event.text:
                line += f": {event.text}"
            lines.append(line)
        return [reply(visit.inbound, part) for part in split_long_text("\n".join(lines))]

    async def do_resolve(self, case: Case, visit: Visit) -> list[Action]:
        text = visit.inbound.command_args
        if not text:
            return [reply(visit.inbound, self.say("staff", "needs_text", command="resolve"))]
        today = local_day(visit.inbound.received_at)
        await self.casebook.change(
            case.id, status="resolved", resolution=text, responded_on=today, satisfied=None
        )
        await self.casebook.log(
            case.id,
            "resolved",
            actor_kind="staff",
            actor_id=visit.person.id,
            actor_name=self._first_name(visit),
            text=text,
        )
        key = "resolved_stage2" if case.kind == "complaint" and case.stage == 2 else "resolved"
        actions: list[Action] = [reply(visit.inbound, self.say("staff", "resolved"))]
        tenant = await self._tenant_chat(case)
        if tenant is not None:
            actions.append(
                SendText(
                    chat=tenant,
                    text=self.say("cases", key, ref=case.ref, text=text),
                    buttons=(
                        (
                            Button(self.say("cases", "yes_button"), data=f"sat:{case.id}:yes"),
                            Button(self.say("cases", "no_button"), data=f"sat:{case.id}:no"),
                        ),
                    ),
                    case_id=case.id,
                )
            )
        else:
            actions.append(reply(visit.inbound, self.say("staff", "relayed_later")))
        return actions

    async def do_close(self, case: Case, visit: Visit) -> list[Action]:
        await self.casebook.change(case.id, status="closed", closed_at=self.desk.clock.now())
        await self.casebook.log(
            case.id,
            "closed",
            actor_kind="staff",
            actor_id=visit.person.id,
            actor_name=self._first_name(visit),
        )
        actions: list[Action] = [reply(visit.inbound, self.say("staff", "closed"))]
        actions += await self._tell_tenant(case, self.say("cases", "closed", ref=case.ref))
        if visit.inbound.chat.thread_id:
            actions.append(SetTopicOpen(case.id, visit.inbound.chat.thread_id, open=False))
        return actions

    async def do_reopen(self, case: Case, visit: Visit) -> list[Action]:
        await self.casebook.change(case.id, status="open", closed_at=None)
        await self.casebook.log(
            case.id,
            "reopened",
            actor_kind="staff",
            actor_id=visit.person.id,
            actor_name=self._first_name(visit),
        )
        actions: list[Action] = []
        if visit.inbound.chat.thread_id:
            actions.append(SetTopicOpen(case.id, visit.inbound.chat.thread_id, open=True))
        actions.append(reply(visit.inbound, self.say("staff", "reopened")))
        actions += await self._tell_tenant(case, self.say("cases", "reopened", ref=case.ref))
        return actions

    async def do_escalate(self, case: Case, visit: Visit) -> list[Action]:
        return await self.escalate(case, actor=visit, by_tenant=False)

    async def do_extend(self, case: Case, visit: Visit) -> list[Action]:
        if case.kind != "complaint" or case.respond_by is None:
            return [reply(visit.inbound, self.say("staff", "not_a_complaint"))]
        match = _EXTEND.match(visit.inbound.command_args.strip())
        if not match or int(match.group(1)) < 1:
            return [reply(visit.inbound, self.say("staff", "extend_usage"))]
        days, reason = int(match.group(1)), match.group(2).strip()
        respond_by = add_working_days(case.respond_by, days)
        await self.casebook.change(case.id, respond_by=respond_by, extension_reason=reason)
        await self.casebook.log(
            case.id,
            "extended",
            actor_kind="staff",
            actor_id=visit.person.id,
            actor_name=self._first_name(visit),
            text=reason,
            detail={"days": days, "respond_by": respond_by.isoformat()},
        )
        actions: list[Action] = [
            reply(visit.inbound, self.say("staff", "extended", respond_by=_day(respond_by)))
        ]
        actions += await self._tell_tenant(
            case,
            self.say("cases", "extended", ref=case.ref, reason=reason, respond_by=_day(respond_by)),
        )
        return actions

    async def do_publish(self, case: Case, visit: Visit) -> list[Action]:
        """3.13: a resolution may be published, linked to the original complaint, only with
        the complainant's consent. Ask first; nothing is posted before a Yes."""
        text = visit.inbound.command_args
        if case.kind != "complaint":
            return [reply(visit.inbound, self.say("staff", "not_a_complaint"))]
        if case.origin_chat_id is None or case.origin_message_id is None:
            return [reply(visit.inbound, self.say("staff", "no_origin"))]
        if not text:
            return [reply(visit.inbound, self.say("staff", "needs_text", command="publish"))]
        tenant = await self._tenant_chat(case)
        if tenant is None:
            return [reply(visit.inbound, self.say("staff", "relayed_later"))]
        await self.casebook.change(
            case.id, publication_text=text, publication_consent="asked", publication_consent_at=None
        )
        await self.casebook.log(
            case.id,
            "consent_asked",
            actor_kind="staff",
            actor_id=visit.person.id,
            actor_name=self._first_name(visit),
            text=text,
        )
        return [
            reply(visit.inbound, self.say("staff", "consent_asked")),
            SendText(
                chat=tenant,
                text=self.say("cases", "consent_question", ref=case.ref, text=text),
                buttons=(
                    (
                        Button(self.say("cases", "yes_button"), data=f"pub:{case.id}:yes"),
                        Button(self.say("cases", "no_button"), data=f"pub:{case.id}:no"),
                    ),
                ),
                case_id=case.id,
            ),
        ]

    # -- the tenant's answers -------------------------------------------------

    async def tenant_satisfaction(self, case: Case, visit: Visit, satisfied: bool) -> list[Action]:
        if case.status != "resolved":
            return []
        await self.casebook.log(
            case.id,
            "tenant_satisfied" if satisfied else "tenant_not_satisfied",
            actor_kind="tenant",
            actor_id=visit.person.id,
            actor_name=visit.person.first_name,
        )
        if satisfied:
            await self.casebook.change(
                case.id, satisfied=True, status="closed", closed_at=self.desk.clock.now()
            )
            actions: list[Action] = [
                reply(
                    visit.inbound, self.say("cases", "satisfied_yes", ref=case.ref), case_id=case.id
                )
            ]
            actions += self._to_topic(case, self.say("staff", "satisfied_yes"))
            if case.staff_topic_id:
                actions.append(SetTopicOpen(case.id, case.staff_topic_id, open=False))
            return actions
        await self.casebook.change(case.id, satisfied=False, status="open")
        buttons: tuple[tuple[Button, ...], ...] = ()
        if case.kind == "complaint" and case.stage == 1:
            text = self.say("cases", "satisfied_no_complaint", ref=case.ref)
            buttons = ((Button(self.say("cases", "escalate_button"), data=f"esc:{case.id}"),),)
        elif case.kind == "complaint":
            # Stage 2 was the last stage: the complaints procedure is exhausted.
            text = self.say("cases", "ombudsman", ref=case.ref)
        else:
            text = self.say("cases", "satisfied_no", ref=case.ref)
        actions = [reply(visit.inbound, text, buttons=buttons, case_id=case.id)]
        actions += self._to_topic(case, self.say("staff", "satisfied_no"))
        return actions

    async def tenant_consent(self, case: Case, visit: Visit, yes: bool) -> list[Action]:
        if case.publication_consent != "asked" or not case.publication_text:
            return []
        await self.casebook.change(
            case.id,
            publication_consent="yes" if yes else "no",
            publication_consent_at=self.desk.clock.now(),
        )
        await self.casebook.log(
            case.id,
            "consent_given" if yes else "consent_refused",
            actor_kind="tenant",
            actor_id=visit.person.id,
            actor_name=visit.person.first_name,
        )
        if not yes:
            return [
                reply(visit.inbound, self.say("cases", "consent_no"), case_id=case.id),
                *self._to_topic(case, self.say("staff", "consent_no")),
            ]
        origin = (
            await self.desk.people.chat_by_id(case.origin_chat_id)
            if case.origin_chat_id is not None
            else None
        )
        actions: list[Action] = []
        if origin is not None:
            actions.append(
                SendText(
                    chat=chat_ref(origin),
                    text=case.publication_text,
                    reply_to_message_id=case.origin_message_id,
                    case_id=case.id,
                    author="SHAL team",
                )
            )
            await self.casebook.log(
                case.id, "published", actor_kind="bot", text=case.publication_text
            )
        actions.append(reply(visit.inbound, self.say("cases", "consent_yes"), case_id=case.id))
        actions += self._to_topic(case, self.say("staff", "consent_yes"))
        return actions

    async def escalate(self, case: Case, *, actor: Visit, by_tenant: bool) -> list[Action]:
        """Stage 2: a new clock (acknowledge in 5 working days, respond in 20)."""
        if case.kind != "complaint":
            return [] if by_tenant else [reply(actor.inbound, self.say("staff", "not_a_complaint"))]
        if case.stage == 2:
            return [] if by_tenant else [reply(actor.inbound, self.say("staff", "not_a_complaint"))]
        today = local_day(actor.inbound.received_at)
        deadlines = stage_deadlines(2, today)
        await self.casebook.change(
            case.id,
            stage=2,
            status="open",
            received_on=today,
            acknowledged_on=None,
            responded_on=None,
            acknowledge_by=deadlines.acknowledge_by,
            respond_by=deadlines.respond_by,
            satisfied=None,
            last_reminded_on=None,
        )
        await self.casebook.log(
            case.id,
            "escalated",
            actor_kind="tenant" if by_tenant else "staff",
            actor_id=actor.person.id,
            actor_name=actor.person.first_name,
            detail={
                "acknowledge_by": deadlines.acknowledge_by.isoformat(),
                "respond_by": deadlines.respond_by.isoformat(),
            },
        )
        staff_text = self.say(
            "staff",
            "escalated",
            acknowledge_by=_day(deadlines.acknowledge_by),
            respond_by=_day(deadlines.respond_by),
        )
        tenant_text = self.say(
            "cases",
            "escalated",
            ref=case.ref,
            acknowledge_by=_day(deadlines.acknowledge_by),
            respond_by=_day(deadlines.respond_by),
        )
        if by_tenant:
            return [
                reply(actor.inbound, tenant_text, case_id=case.id),
                *self._to_topic(case, staff_text),
            ]
        return [reply(actor.inbound, staff_text), *await self._tell_tenant(case, tenant_text)]

    # -- the complaints clock -------------------------------------------------------

    async def complaint_reminders(self, today: date) -> list[Action]:
        """Due and overdue complaints, posted to the staff group once a day, including any
        deadline one working day away."""
        staff_chat = self.desk.settings.staff_chat
        horizon = add_working_days(today, 1)
        due = [
            case
            for case in await self.casebook.complaints_due(by=horizon)
            if case.last_reminded_on != today
        ]
        if not due or staff_chat is None:
            return []
        lines = [self.say("staff", "reminder_header", day=_day(horizon))]
        actions: list[Action] = []
        for case in due:
            what, deadline = self._next_deadline(case, horizon)
            overdue = ""
            if deadline < today:
                overdue = f", OVERDUE by {working_days_between(deadline, today)} working day(s)"
            fields = {"ref": case.ref, "what": what, "due": _day(deadline), "overdue": overdue}
            lines.append(self.say("staff", "reminder_line", stage=case.stage or 1, **fields))
            actions += self._to_topic(case, self.say("staff", "reminder_case", **fields))
            await self.casebook.change(case.id, last_reminded_on=today, updated_at=case.updated_at)
        summary = SendText(chat=staff_chat, text="\n".join(lines))
        return [summary, *actions]

    @staticmethod
    def _next_deadline(case: Case, horizon: date) -> tuple[str, date]:
        if case.acknowledged_on is None and case.acknowledge_by and case.acknowledge_by <= horizon:
            return "acknowledgement", case.acknowledge_by
        assert case.respond_by is not None
        return "response", case.respond_by

    # -- helpers --------------------------------------------------------------------

    @staticmethod
    def _first_name(visit: Visit) -> str:
        return (visit.inbound.sender.first_name or "A colleague").split()[0]

    async def _tenant_chat(self, case: Case) -> ChatRef | None:
        if case.chat_id is None:
            return None
        chat = await self.desk.people.chat_by_id(case.chat_id)
        return chat_ref(chat) if chat is not None else None

    async def _tell_tenant(self, case: Case, text: str) -> list[Action]:
        tenant = await self._tenant_chat(case)
        if tenant is None:
            return []
        return [SendText(chat=tenant, text=text, case_id=case.id)]

    def _to_topic(self, case: Case, text: str) -> list[Action]:
        if not self.desk.settings.staff_room:
            return []
        return [PostToStaff(case.id, topic_name(case), case.staff_topic_id, text=text)]
