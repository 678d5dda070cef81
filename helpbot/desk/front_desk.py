"""The front desk: takes one Inbound event, decides, and returns the actions to take.

It records every message for the case history, works out who the sender is in that chat,
and hands the event to the feature the routing table names (``routing.py``): cases/,
complaints/, community/, joining/, moderation/, arguments/. It knows nothing of Telegram,
the web or the database: it works through the ports in ``ports.py`` (DESIGN.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import date, datetime

from helpbot.desk.actions import Action, AnswerButton, PostToStaff
from helpbot.desk.buttons import read_button
from helpbot.desk.cases.chat_ended import chat_ended
from helpbot.desk.cases.erasure import out_of_staff_room
from helpbot.desk.cases.private_chat import private_message
from helpbot.desk.cases.staff_room import note_colleague, staff_message
from helpbot.desk.cases.tenant_commands import unknown
from helpbot.desk.cases.topics import staff_note, topic_name
from helpbot.desk.community.group_chat import group_message
from helpbot.desk.complaints.reminders import complaint_reminders
from helpbot.desk.events import ChatKind, Content, Inbound
from helpbot.desk.group_rules import GroupRules
from helpbot.desk.hazards.watch import hazard_watch
from helpbot.desk.joining.conversation import conversation as joining_conversation
from helpbot.desk.joining.declines import timeouts
from helpbot.desk.moderation.group_care import lift_due
from helpbot.desk.office import Office
from helpbot.desk.page_comments.comments import page_comment
from helpbot.desk.ports import Classified, Records, Understanding
from helpbot.desk.records import InboundRecord
from helpbot.desk.routing import (
    CHATS,
    Role,
    button_route,
    command_route,
    is_staff_command,
    role_of,
)
from helpbot.desk.settings import CommunitySettings, DeskSettings
from helpbot.desk.visit import READ_CONTENT, Visit, reply, sender_actor
from helpbot.desk.wording import Wording

__all__ = ["CommunitySettings", "Desk", "DeskSettings"]

log = logging.getLogger(__name__)


class Desk:
    def __init__(
        self,
        records: Records,
        understanding: Understanding,
        wording: Wording,
        settings: DeskSettings | None = None,
        rules: GroupRules | None = None,
    ) -> None:
        self.office = Office(
            records, understanding, wording, rules or GroupRules.load(), settings or DeskSettings()
        )

    @property
    def settings(self) -> DeskSettings:
        return self.office.settings

    @settings.setter
    def settings(self, value: DeskSettings) -> None:
        self.office.settings = value

    @property
    def say(self) -> Wording:
        return self.office.say

    async def read_ahead(self, inbounds: Sequence[Inbound]) -> None:
        """A batch about to be handled one by one: the words ``handle`` will classify are
        read in one pass of the model, the history rows ``handle`` records first are
        written in one statement, and the senders' join requests and cases (looked up on
        every private message) are read in one statement each instead of one per message."""
        understanding = self.office.understanding
        understanding.read_ahead([i.text for i in inbounds if _read(i)])
        if len(inbounds) < 2:
            return
        register = self.office.people
        ahead = []
        for i in inbounds:
            person = await register.person(i.sender)
            chat = await register.chat(i.chat)
            intent = understanding.classify(i.text).intent if _read(i) else None
            ahead.append(InboundRecord(i, intent, chat.id, person.id))
        await register.record_inbound_ahead(ahead)
        people = [
            r.person_id
            for r in ahead
            if r.inbound.chat.kind is ChatKind.PRIVATE
            and not r.inbound.edited
            and not r.inbound.sender.is_bot
        ]
        if len(people) < 2:
            return
        await self.office.members.look_ahead(people)
        await self.office.cases.look_ahead(people)

    async def handle(self, inbound: Inbound) -> list[Action]:
        """Record what came in and decide what to do about it."""
        people = self.office.people
        person = await people.person(inbound.sender)
        chat = await people.chat(inbound.chat)
        classification: Classified | None = None
        if _read(inbound):
            classification = self.office.understanding.classify(inbound.text)
        intent = classification.intent if classification else None
        message = await people.record_inbound(inbound, intent, chat_id=chat.id, person_id=person.id)
        # Ids and labels only: message text and names never go to the log (Privacy).
        log.info(
            "inbound channel=%s chat=%s kind=%s content=%s intent=%s",
            inbound.channel,
            chat.id,
            inbound.chat.kind.value,
            inbound.content.value,
            intent or "-",
        )
        return await self.route(Visit(inbound, person, chat, classification, message))

    async def route(self, visit: Visit) -> list[Action]:
        office = self.office
        inbound = visit.inbound
        kind = inbound.chat.kind
        chat = CHATS[kind]
        if not chat.roles or (chat.ignore_bots and inbound.sender.is_bot):
            return []
        role = role_of(office, visit)
        if inbound.content is Content.BUTTON:
            return await self.press(visit, role)
        if kind is ChatKind.PRIVATE and inbound.content is Content.MEMBER_LEFT:
            return await chat_ended(office, visit)
        if kind is ChatKind.PRIVATE and not inbound.edited:
            # Someone asking to join a community group is answering its questions (3.5);
            # an emergency or safeguarding message still gets help (joining lets it by).
            joining = await joining_conversation(office, visit)
            if joining is not None:
                return joining
        if role is Role.COLLEAGUE and kind is ChatKind.STAFF:
            await note_colleague(office, visit)
        if inbound.content is Content.COMMAND:
            return await self.command(visit, role)
        if role not in chat.roles:
            return []
        if kind is ChatKind.PRIVATE:
            return await private_message(office, visit)
        if kind is ChatKind.COMMUNITY:
            return await group_message(office, visit, colleague=role is Role.MODERATOR)
        if kind is ChatKind.PAGE_COMMENTS:
            return await page_comment(office, visit)
        return await staff_message(office, visit)

    async def command(self, visit: Visit, role: Role) -> list[Action]:
        inbound = visit.inbound
        kind = inbound.chat.kind
        route = command_route(inbound.command, kind, role)
        if route is not None:
            return await route.run(self.office, visit)
        if is_staff_command(inbound.command):
            return await self.refuse(visit)
        if kind is ChatKind.PRIVATE:
            return await unknown(self.office, visit)
        return []

    async def refuse(self, visit: Visit) -> list[Action]:
        """A colleagues' command from someone else: refused politely, and recorded."""
        inbound = visit.inbound
        await self.office.audit(
            actor=sender_actor(inbound),
            action="refused_staff_command",
            subject=inbound.command,
            detail={"chat_kind": inbound.chat.kind.value},
        )
        if inbound.chat.kind is ChatKind.STAFF:
            text = self.say("staff", "not_staff", command=inbound.command or "")
        else:
            text = self.say("commands", "staff_only", command=inbound.command or "")
        return [reply(inbound, text)]

    async def press(self, visit: Visit, role: Role) -> list[Action]:
        inbound = visit.inbound
        kind = inbound.chat.kind
        callback = inbound.callback_id
        if role not in CHATS[kind].roles and kind is ChatKind.STAFF:
            # Buttons in the staff group are colleagues' decisions (3.5, 3.7).
            await self.office.audit(
                actor=sender_actor(inbound),
                action="refused_staff_button",
                subject=(inbound.callback_data or "")[:64],
            )
            text = self.say("community_staff", "only_staff")
            return [AnswerButton(callback, text)] if callback else []
        button = read_button(inbound.callback_data)
        route = button_route(button, kind, role)
        if route is None:
            return [AnswerButton(callback)] if callback else []
        return await route.run(self.office, visit, button)

    async def delivery_failed(
        self, case_id: int | None, author: str | None, status: str, reason: str
    ) -> list[Action]:
        """A message the desk sent never reached its person (or no answer came back): the
        case history says so, and a colleague who wrote it is told in the case's topic,
        so a reply that never arrived never looks sent."""
        if case_id is None:
            return []
        cases = self.office.cases
        await cases.log(
            case_id,
            "undelivered" if status == "undelivered" else "unconfirmed",
            actor_kind="system",
            detail={"reason": reason, "by": author} if author else {"reason": reason},
        )
        if author is None or not self.settings.staff_room:
            return []
        case = await cases.by_id(case_id)
        if case is None:
            return []
        key = "reply_undelivered" if status == "undelivered" else "reply_unconfirmed"
        text = staff_note(self.say("staff", key, name=author, reason=reason))
        return [PostToStaff(case.id, topic_name(case), case.staff_topic_id, text=text)]

    def tenant_erased(
        self, topics: Sequence[tuple[int, int]], posts: Sequence[str]
    ) -> list[Action]:
        return out_of_staff_room(self.office, topics, posts)

    async def complaint_reminders(self, today: date) -> list[Action]:
        return await complaint_reminders(self.office, today)

    async def hazard_watch(self, now: datetime) -> list[Action]:
        """Run with the sweep: hazard steps due within a working day, and missed ones."""
        return await hazard_watch(self.office, now)

    async def community_sweep(self, now: datetime) -> list[Action]:
        """Run every minute or so: declines join requests left unanswered (3.6.2) and
        lifts cool-downs that have run out."""
        return await timeouts(self.office, now) + await lift_due(self.office, now)


def _read(inbound: Inbound) -> bool:
    """Whether the message is classified. Colleagues' words in the staff room (or
    console) are theirs, never classified; the whole message is read (nlu reads long
    ones in a bounded number of sentence windows, so an urgent sentence at the end of
    a ramble is not missed), and so is the caption of a photo, video, file or voice
    note."""
    return (
        inbound.content in READ_CONTENT
        and bool(inbound.text.strip())
        # An edit in a private chat is read for danger (cases/private_chat.py); a group
        # reads its own edits (community/group_chat.py).
        and (not inbound.edited or inbound.chat.kind is ChatKind.PRIVATE)
        and inbound.chat.kind not in (ChatKind.STAFF, ChatKind.CONSOLE)
    )
