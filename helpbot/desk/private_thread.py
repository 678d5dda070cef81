"""A tenant's private chat with the bot: answers, and the private case threads that
complaints and personal matters move into (3.12, 3.13)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING

from helpbot.desk.actions import (
    MAX_MESSAGE_LENGTH,
    Action,
    AnswerButton,
    Button,
    PostToStaff,
    split_long_text,
)
from helpbot.desk.complaints_clock import local_day, stage_deadlines
from helpbot.desk.events import Content, Inbound
from helpbot.desk.front_desk import CLASSIFY_LIMIT, STAFF_COMMANDS, Visit, reply
from helpbot.nlu.intents import CASE_INTENTS
from helpbot.nlu.personal_data import redact
from helpbot.store import models

if TYPE_CHECKING:
    from helpbot.desk.front_desk import Desk

URGENT_INTENTS = frozenset({"emergency", "safeguarding"})
KIND_NAMES = {
    "emergency": "emergency",
    "safeguarding": "safeguarding concern",
    "complaint": "complaint",
    "asb": "anti-social behaviour report",
    "personal": "tenancy or account query",
    "repair": "repair",
    "human": "request to talk to a person",
}

_GREETING = re.compile(r"\b(hi|hello|hiya|hey|morning|afternoon|evening|yo)\b", re.I)
_THANKS = re.compile(r"\b(thanks|thank you|thank u|thx|ty|cheers|ta)\b", re.I)
_BYE = re.compile(r"\b(bye|goodbye|see you|see ya|cya|night|ttyl)\b", re.I)
_BUTTON = re.compile(r"^(sat|pub):(\d{1,18}):(yes|no)$|^(esc):(\d{1,18})$")


_NOT_NAMES = frozenset({"I", "I'm", "I've", "I'd", "I'll", "SHAL", "OK", "TV"})


def case_summary(text: str) -> str:
    """A short summary for staff topic names: personal data removed, capitalised words
    after the first (most often names of people and streets) masked, first words only."""
    words = redact(" ".join(text.split())).split()[:8]
    masked = [
        "[name]" if i and word[:1].isupper() and word.strip(".,!?") not in _NOT_NAMES else word
        for i, word in enumerate(words)
    ]
    summary = " ".join(masked)
    return summary if len(summary) <= 60 else summary[:57] + "..."


def topic_name(case: models.Case) -> str:
    """Topic names: reference, intent, non-personal summary (Telegram allows 128 chars)."""
    return f"{case.ref} · {case.kind} · {case.summary}"[:128]


class PrivateThread:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.say = desk.say
        self.casebook = desk.casebook

    async def handle(self, visit: Visit) -> list[Action]:
        inbound = visit.inbound
        if inbound.content is not Content.BUTTON and not inbound.edited:
            # Someone asking to join a community group is answering its questions (3.5);
            # an emergency or safeguarding message still gets help (joining declines it).
            joining = await self.desk.joining.conversation(visit)
            if joining is not None:
                return joining
        if inbound.content is Content.COMMAND:
            return await self.command(visit)
        if inbound.content is Content.BUTTON:
            return await self.button(visit)
        if inbound.edited:
            return [reply(inbound, self.say("content", "edited"))]
        if inbound.content in (Content.JOIN_REQUEST, Content.MEMBER_JOINED, Content.MEMBER_LEFT):
            return []
        if inbound.content is not Content.TEXT:
            return await self.attachment(visit)
        if visit.classification is None:
            return [reply(inbound, self.say("content", "empty"))]
        if visit.intent in CASE_INTENTS:
            actions = await self.case_message(visit, visit.intent or "human")
        else:
            actions = await self.conversation(visit)
        if len(inbound.text) > MAX_MESSAGE_LENGTH:
            actions.append(reply(inbound, self.say("content", "too_long")))
        return actions

    # -- cases ----------------------------------------------------------------

    async def case_message(self, visit: Visit, intent: str) -> list[Action]:
        """A complaint, repair, report or personal matter opens a case, or adds to the
        tenant's open case of that kind; the tenant is told the reference."""
        inbound = visit.inbound
        case = await self.casebook.open_case_of_kind(visit.person.id, intent)
        new = case is None
        if case is None and await self.too_many_from_origin(inbound):
            # Anonymous web visitors from one address cannot flood the staff room; an
            # urgent message still gets its safety advice.
            text = self.say("cases", "too_many_new")
            if intent in URGENT_INTENTS:
                text = f"{self.say('intents', intent)}\n\n{text}"
            return [reply(inbound, text, intent=intent)]
        if case is None:
            case = await self.open_case(visit, intent, in_group=False)
        elif case.chat_id is None:
            await self.casebook.change(case.id, chat_id=visit.chat.id)
        await self.file_message(case.id, visit, intent=intent)
        actions: list[Action] = []
        # Once a colleague has taken the case the bot stays quiet on it, except for
        # safety advice, which is never held back.
        if case.assignee_id is None or intent in URGENT_INTENTS:
            key = "opened" if new else "added"
            text = f"{self.say('intents', intent)}\n\n{self.say('cases', key, ref=case.ref)}"
            actions.append(reply(inbound, text, intent=intent, case_id=case.id))
        actions += self.to_staff(case, visit, new=new)
        return actions

    async def too_many_from_origin(self, inbound: Inbound) -> bool:
        if inbound.origin is None:
            return False
        limit = self.desk.settings.web_new_cases_per_hour
        since = inbound.received_at - timedelta(hours=1)
        return await self.casebook.opened_from(inbound.origin, since) >= limit

    async def open_case(self, visit: Visit, intent: str, *, in_group: bool) -> models.Case:
        """Open a case for what the tenant said; a complaint starts the complaints clock.
        A case from a group is linked to the group message and gets a private-chat link."""
        inbound = visit.inbound
        dates = None
        if intent == "complaint":
            deadlines = stage_deadlines(1, local_day(inbound.received_at))
            dates = (deadlines.acknowledge_by, deadlines.respond_by)
        return await self.casebook.open_case(
            kind=intent,
            tenant_id=visit.person.id,
            chat_id=None if in_group else visit.chat.id,
            summary=case_summary(inbound.text),
            urgent=intent in URGENT_INTENTS,
            origin_chat_id=visit.chat.id if in_group else None,
            origin_message_id=inbound.message_id if in_group else None,
            with_link=in_group,
            complaint_dates=dates,
            actor_name=visit.person.first_name,
            now=inbound.received_at,
            origin=inbound.origin,
        )

    async def file_message(
        self, case_id: int, visit: Visit, *, kind: str = "tenant_message", **detail: object
    ) -> None:
        """Put the tenant's message on the case: linked in the history and on the timeline."""
        await self.desk.store.link_message(visit.message.id, case_id)
        await self.casebook.log(
            case_id,
            kind,
            actor_kind="tenant",
            actor_id=visit.person.id,
            actor_name=visit.person.first_name,
            text=visit.inbound.text,
            detail=detail,
        )

    async def conversation(self, visit: Visit) -> list[Action]:
        """Questions, small talk and the rest. If a colleague has the tenant's case, the
        message goes to them and the bot stays out of it."""
        current = await self.casebook.current_case(visit.person.id)
        actions: list[Action] = []
        if current is not None:
            await self.file_message(current.id, visit, intent=visit.intent)
            actions += self.to_staff(current, visit, new=False)
            if current.assignee_id is not None:
                return actions
        case_id = current.id if current else None
        if visit.intent == "hostile":
            # Not argued with; ended once if it keeps coming (3.10).
            return await self.desk.heat.private_message(visit, case_id) + actions
        return self.answer(visit, case_id=case_id) + actions

    def answer(self, visit: Visit, case_id: int | None = None) -> list[Action]:
        inbound = visit.inbound
        intent = visit.intent or "smalltalk"
        if intent == "question":
            found = self.desk.understanding.answer(inbound.text[:CLASSIFY_LIMIT])
            if found is None:
                return [
                    reply(
                        inbound,
                        self.say("intents", "question_unsure"),
                        intent=intent,
                        case_id=case_id,
                        buttons=((Button(self.say("buttons", "talk_to_person"), data="human"),),),
                    )
                ]
            return [reply(inbound, found.answer, intent=intent, case_id=case_id)]
        if intent == "smalltalk":
            return [reply(inbound, self.smalltalk(inbound.text), intent=intent, case_id=case_id)]
        return [reply(inbound, self.say("intents", intent), intent=intent, case_id=case_id)]

    def smalltalk(self, text: str) -> str:
        if _BYE.search(text):
            return self.say("intents", "smalltalk_bye")
        if _THANKS.search(text):
            return self.say("intents", "smalltalk_thanks")
        if _GREETING.search(text):
            return self.say("intents", "smalltalk_greeting")
        return self.say("intents", "smalltalk")

    async def attachment(self, visit: Visit) -> list[Action]:
        """Photos, files and voice notes go to the tenant's open case for staff to see."""
        inbound = visit.inbound
        kind = inbound.content.value
        current = await self.casebook.current_case(visit.person.id)
        relayable = inbound.content in (
            Content.PHOTO,
            Content.DOCUMENT,
            Content.VOICE,
            Content.VIDEO,
        )
        if current is None or not relayable:
            key = kind if self.say.has("content", kind) else "other"
            return [reply(inbound, self.say("content", key))]
        await self.file_message(
            current.id, visit, kind="tenant_file", content=kind, message_id=inbound.message_id
        )
        actions = self.to_staff(current, visit, new=False)
        if current.assignee_id is None:
            actions.insert(
                0,
                reply(
                    inbound, self.say("cases", "added_file", ref=current.ref), case_id=current.id
                ),
            )
        return actions

    def to_staff(self, case: models.Case, visit: Visit, *, new: bool) -> list[Action]:
        if not self.desk.settings.staff_room:
            return []
        inbound = visit.inbound
        name = visit.person.first_name or "Tenant"
        if inbound.content is Content.TEXT:
            text = self.say("staff", "tenant_says", name=name, text=inbound.text)
        else:
            text = self.say("staff", "tenant_sent_file", name=name, content=inbound.content.value)
        if new:
            text = f"{self.new_case_header(case, f'private chat ({inbound.channel})')}\n\n{text}"
        actions: list[Action] = [
            PostToStaff(case.id, topic_name(case), case.staff_topic_id, text=text[:4000])
        ]
        if inbound.content is not Content.TEXT and inbound.message_id:
            actions.append(
                PostToStaff(
                    case.id,
                    topic_name(case),
                    case.staff_topic_id,
                    copy_from=inbound.chat,
                    copy_message_id=inbound.message_id,
                )
            )
        return actions

    def new_case_header(self, case: models.Case, origin: str) -> str:
        deadlines = "n/a"
        if case.kind == "complaint" and case.acknowledge_by and case.respond_by:
            deadlines = (
                f"acknowledge by {case.acknowledge_by:%a %d %b %Y}, "
                f"respond by {case.respond_by:%a %d %b %Y}"
            )
        return self.say(
            "staff",
            "new_case",
            kind=KIND_NAMES.get(case.kind, case.kind),
            ref=case.ref,
            urgent=" ⚠️ URGENT" if case.urgent else "",
            origin=origin,
            deadlines=deadlines,
        )

    # -- commands and buttons -------------------------------------------------

    async def command(self, visit: Visit) -> list[Action]:
        inbound = visit.inbound
        command = inbound.command or ""
        if command == "rules" or (command == "start" and inbound.command_args == "rules"):
            rules = self.desk.rules
            text = self.say("conduct", "rules", version=rules.version, text=rules.text)
            return [reply(inbound, part) for part in split_long_text(text)]
        if command == "start":
            if inbound.command_args:
                linked = await self.link_from_group(visit, inbound.command_args)
                if linked:
                    return linked
            name = f" {inbound.sender.first_name}" if inbound.sender.first_name else ""
            return [reply(inbound, self.say("commands", "start", name=name))]
        if command in {"help", "privacy"}:
            return [reply(inbound, self.say("commands", command))]
        if command == "mycases":
            return [reply(inbound, await self.my_cases(visit))]
        if command in STAFF_COMMANDS:
            return await self.desk.refuse_staff_command(visit)
        shown = re.sub(r"[^a-z0-9_]", "", command)[:32] or "?"
        return [reply(inbound, self.say("commands", "unknown", command=shown))]

    async def link_from_group(self, visit: Visit, token: str) -> list[Action]:
        """The tenant pressed the group's "message privately" button: carry on with that case.
        A token that belongs to someone else is treated as a plain /start (nothing leaks)."""
        case = await self.casebook.by_link(token[:64])
        if case is None or case.tenant_id != visit.person.id:
            return []
        if case.chat_id != visit.chat.id:
            await self.casebook.change(case.id, chat_id=visit.chat.id)
        await self.casebook.log(
            case.id,
            "private_chat_started",
            actor_kind="tenant",
            actor_id=visit.person.id,
            actor_name=visit.person.first_name,
        )
        return [
            reply(visit.inbound, self.say("cases", "from_group", ref=case.ref), case_id=case.id)
        ]

    async def my_cases(self, visit: Visit) -> str:
        cases = await self.casebook.tenant_cases(visit.person.id)
        if not cases:
            return self.say("cases", "none")
        lines = [self.say("cases", "list_header")]
        for case in cases:
            who = (
                self.say("cases", "list_who", name=case.assignee_name) if case.assignee_name else ""
            )
            lines.append(
                self.say(
                    "cases",
                    "list_line",
                    ref=case.ref,
                    kind=KIND_NAMES.get(case.kind, case.kind),
                    status=case.status,
                    opened=f"{local_day(case.created_at):%d %b %Y}",
                    who=who,
                )
            )
        return "\n".join(lines)

    async def button(self, visit: Visit) -> list[Action]:
        inbound = visit.inbound
        actions: list[Action] = []
        if inbound.callback_id:
            actions.append(AnswerButton(inbound.callback_id))
        data = inbound.callback_data or ""
        joining = await self.desk.joining.rules_button(visit)
        if joining is not None:
            return joining
        if data == "human":
            return actions + await self.case_message(visit, "human")
        match = _BUTTON.match(data)
        if not match:
            return actions
        case_id = int(match.group(2) or match.group(5))
        case = await self.casebook.by_id(case_id)
        if case is None or case.tenant_id != visit.person.id:
            return [*actions, reply(inbound, self.say("cases", "not_yours"))]
        verb = match.group(1) or match.group(4)
        choice = match.group(3)
        staff_actions = self.desk.staff
        if verb == "sat":
            return actions + await staff_actions.tenant_satisfaction(case, visit, choice == "yes")
        if verb == "pub":
            return actions + await staff_actions.tenant_consent(case, visit, choice == "yes")
        return actions + await staff_actions.escalate(case, actor=visit, by_tenant=True)
