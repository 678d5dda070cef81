"""The front desk: takes one Inbound event, decides, and returns the actions to take.

It records every message for the case history, then hands over to the policy for
the kind of chat it came from: a tenant's private thread, a community group
(3.12) or the staff room. It knows nothing of Telegram or the web (DESIGN.md).
"""

from __future__ import annotations

import logging
from datetime import date, datetime

from helpbot.desk.actions import Action, Button, PostToStaff
from helpbot.desk.community import CommunityGroup
from helpbot.desk.events import ChatKind, Content, Inbound
from helpbot.desk.group_rules import GroupRules
from helpbot.desk.heated_discussions import HeatedDiscussions
from helpbot.desk.join_screening import JoinScreening
from helpbot.desk.moderation import Moderation
from helpbot.desk.ports import Classified, Records, Understanding
from helpbot.desk.private_thread import PrivateThread, topic_name
from helpbot.desk.records import Person
from helpbot.desk.settings import CommunitySettings, DeskSettings
from helpbot.desk.staff_room import StaffRoom
from helpbot.desk.visit import CLASSIFY_LIMIT, Visit, reply
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
        self.records = records
        self.people = records.people
        self.audit = records.audit.audit
        self.casebook = records.cases
        self.membership = records.members
        self.moderation_log = records.moderation
        self.register = records.register
        self.clock = records.clock
        self.understanding = understanding
        self.say = wording
        self.settings = settings or DeskSettings()
        self.rules = rules or GroupRules.load()
        self.private = PrivateThread(self)
        self.community = CommunityGroup(self)
        self.staff = StaffRoom(self)
        self.joining = JoinScreening(self)
        self.heat = HeatedDiscussions(self)
        self.moderation = Moderation(self)

    async def handle(self, inbound: Inbound) -> list[Action]:
        """Record what came in and decide what to do about it."""
        person = await self.people.person(inbound.sender)
        chat = await self.people.chat(inbound.chat)
        classification: Classified | None = None
        if inbound.content is Content.TEXT and inbound.text.strip() and not inbound.edited:
            if inbound.chat.kind is not ChatKind.STAFF:
                classification = self.understanding.classify(inbound.text[:CLASSIFY_LIMIT])
        message = await self.people.record_inbound(
            inbound,
            classification.intent if classification else None,
            chat_id=chat.id,
            person_id=person.id,
        )
        # Ids and labels only: message text and names never go to the log (Privacy).
        log.info(
            "inbound channel=%s chat=%s kind=%s content=%s intent=%s",
            inbound.channel,
            chat.id,
            inbound.chat.kind.value,
            inbound.content.value,
            classification.intent if classification else "-",
        )
        visit = Visit(inbound, person, chat, classification, message)
        if inbound.chat.kind is ChatKind.PRIVATE:
            return await self.private.handle(visit)
        if inbound.chat.kind is ChatKind.COMMUNITY:
            return await self.community.handle(visit)
        if inbound.chat.kind is ChatKind.STAFF:
            return await self.staff.handle(visit)
        return []

    async def delivery_failed(
        self, case_id: int | None, author: str | None, status: str, reason: str
    ) -> list[Action]:
        """A message the desk sent never reached its person (or no answer came back): the
        case history says so, and a colleague who wrote it is told in the case's topic,
        so a reply that never arrived never looks sent."""
        if case_id is None:
            return []
        await self.casebook.log(
            case_id,
            "undelivered" if status == "undelivered" else "unconfirmed",
            actor_kind="system",
            detail={"reason": reason, "by": author} if author else {"reason": reason},
        )
        if author is None or not self.settings.staff_room:
            return []
        case = await self.casebook.by_id(case_id)
        if case is None:
            return []
        key = "reply_undelivered" if status == "undelivered" else "reply_unconfirmed"
        text = self.say("staff", key, name=author)
        return [PostToStaff(case.id, topic_name(case), case.staff_topic_id, text=text)]

    async def complaint_reminders(self, today: date) -> list[Action]:
        return await self.staff.complaint_reminders(today)

    async def community_sweep(self, now: datetime) -> list[Action]:
        """Run every minute or so: declines join requests left unanswered (3.6.2) and
        lifts cool-downs that have run out."""
        return await self.joining.timeouts(now) + await self.moderation.lift_due(now)

    # -- shared helpers ---------------------------------------------------------

    def is_staff(self, inbound: Inbound) -> bool:
        if inbound.chat.kind is not ChatKind.STAFF or inbound.sender.is_bot:
            return False
        allowed = self.settings.staff_user_ids
        return not allowed or inbound.sender.external_id in allowed

    def is_colleague(self, person: Person) -> bool:
        """A colleague anywhere (e.g. moderating a community group): on the staff list if
        one is set, otherwise someone seen in the staff group who hasn't left it."""
        staff_chat = self.settings.staff_chat
        if staff_chat is None or person.channel != staff_chat.channel:
            return False
        allowed = self.settings.staff_user_ids
        if allowed:
            return person.external_id in allowed
        return person.staff_since is not None

    async def refuse_staff_command(self, visit: Visit, key: str = "staff_only") -> list[Action]:
        inbound = visit.inbound
        await self.audit(
            actor=f"{inbound.channel}:{inbound.sender.external_id}",
            action="refused_staff_command",
            subject=inbound.command,
            detail={"chat_kind": inbound.chat.kind.value},
        )
        section = "staff" if key == "not_staff" else "commands"
        return [reply(inbound, self.say(section, key, command=inbound.command or ""))]

    def private_link(self, start: str = "") -> tuple[tuple[Button, ...], ...]:
        if not self.settings.bot_username:
            return ()
        url = f"https://t.me/{self.settings.bot_username}"
        if start:
            url += f"?start={start}"
        return ((Button(self.say("group", "move_private_button"), url=url),),)
