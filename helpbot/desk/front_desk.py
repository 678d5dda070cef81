"""The front desk: takes one Inbound event, decides, and returns the actions to take.

It records every message for the case history, then hands over to the policy for
the kind of chat it came from: a tenant's private thread, a community group
(3.12) or the staff room. It knows nothing of Telegram or the web (DESIGN.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol

from helpbot.desk.actions import Action, Button, PostToStaff, SendText, split_long_text
from helpbot.desk.events import ChatKind, ChatRef, Content, Inbound
from helpbot.desk.group_rules import GroupRules
from helpbot.desk.wording import Wording
from helpbot.nlu.intents import Classification
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.membership import Membership
from helpbot.store.moderation_log import ModerationLog
from helpbot.store.records import Store
from helpbot.store.tenancy_register import TenancyRegister

log = logging.getLogger(__name__)

# Commands staff use in the staff group; anyone else sending one is refused and audited.
STAFF_COMMANDS = frozenset(
    {
        "claim",
        "release",
        "note",
        "history",
        "resolve",
        "close",
        "reopen",
        "escalate",
        "extend",
        "publish",
        "warn",
        "remove",
        "block",
        "unblock",
    }
)

# Classification looks at the start of very long messages only; the whole text is stored.
CLASSIFY_LIMIT = 2000


class KnowledgeAnswerLike(Protocol):
    entry_id: str
    answer: str
    score: float


class PersonalDatumLike(Protocol):
    kind: str


class UnderstandingLike(Protocol):
    """What the desk needs from nlu: kept narrow so the desk depends on behaviour, not spaCy."""

    def classify(self, text: str) -> Classification: ...

    def answer(self, text: str) -> KnowledgeAnswerLike | None: ...

    def find_personal_data(self, text: str) -> Sequence[PersonalDatumLike]: ...


# Commands for moderating community groups (3.7): from the staff group, or by a colleague
# replying to a member's message in a community group.
MODERATION_COMMANDS = frozenset({"warn", "remove", "block", "unblock"})


@dataclass(frozen=True, slots=True)
class CommunitySettings:
    """How the community groups are run (3.5-3.11); from HELPBOT_* settings (config.py)."""

    join_answer_minutes: int = 60  # to answer the questions and accept the rules
    new_member_days: int = 7  # links and mass mentions from newer members are held
    mass_mention_limit: int = 5
    flood_messages: int = 6  # more than this many ...
    flood_seconds: int = 10  # ... in this many seconds is flooding
    flood_pause_minutes: int = 5
    argument_window_minutes: int = 10  # an exchange counts while replies keep coming
    argument_quiet_minutes: int = 60  # an ended discussion stays ended until quiet this long
    argument_cooldown_minutes: int = 0  # 0: don't pause those involved
    argument_cooldown_group_ids: tuple[str, ...] = ()  # empty: every group (if minutes > 0)
    private_hostile_limit: int = 2  # hostile messages in an hour before a private chat is ended
    private_cooldown_minutes: int = 60
    warnings_before_removal: int = 3  # 0: never propose a removal

    def cooldown_for(self, group_id: str) -> int:
        if self.argument_cooldown_minutes <= 0:
            return 0
        groups = self.argument_cooldown_group_ids
        return self.argument_cooldown_minutes if not groups or group_id in groups else 0


@dataclass(frozen=True, slots=True)
class DeskSettings:
    bot_username: str | None = None  # for t.me deep links from groups
    staff_chat: ChatRef | None = None  # the staff group with one forum topic per case
    staff_user_ids: tuple[str, ...] = ()  # empty: everyone in the staff group is staff
    community: CommunitySettings = field(default_factory=CommunitySettings)
    web_new_cases_per_hour: int = 3  # per address, for anonymous web chat visitors

    @property
    def staff_room(self) -> bool:
        return self.staff_chat is not None


@dataclass(slots=True)
class Visit:
    """One inbound event with what the desk worked out about it."""

    inbound: Inbound
    person: models.Person
    chat: models.Chat
    classification: Classification | None
    message: models.Message

    @property
    def intent(self) -> str | None:
        return self.classification.intent if self.classification else None


class Desk:
    def __init__(
        self,
        store: Store,
        understanding: UnderstandingLike,
        wording: Wording,
        settings: DeskSettings | None = None,
        rules: GroupRules | None = None,
    ) -> None:
        # Imported here: the policies import this module for Visit and helpers.
        from helpbot.desk.community import CommunityGroup
        from helpbot.desk.heated_discussions import HeatedDiscussions
        from helpbot.desk.join_screening import JoinScreening
        from helpbot.desk.moderation import Moderation
        from helpbot.desk.page_comments import PageComments
        from helpbot.desk.private_thread import PrivateThread
        from helpbot.desk.staff_room import StaffRoom

        self.store = store
        self.casebook = Casebook(store)
        self.membership = Membership(store)
        self.moderation_log = ModerationLog(store)
        self.register = TenancyRegister(store)
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
        self.page_comments = PageComments(self)

    async def handle(self, inbound: Inbound) -> list[Action]:
        """Record what came in and decide what to do about it."""
        person = await self.store.person(inbound.sender)
        chat = await self.store.chat(inbound.chat)
        classification: Classification | None = None
        if inbound.content is Content.TEXT and inbound.text.strip() and not inbound.edited:
            if inbound.chat.kind is not ChatKind.STAFF:
                classification = self.understanding.classify(inbound.text[:CLASSIFY_LIMIT])
        message = await self.store.record_inbound(
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
        if inbound.chat.kind is ChatKind.PAGE_COMMENTS:
            return await self.page_comments.handle(visit)
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
        from helpbot.desk.private_thread import topic_name

        key = "reply_undelivered" if status == "undelivered" else "reply_unconfirmed"
        text = self.say("staff", key, name=author, reason=reason)
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

    def is_colleague(self, person: models.Person) -> bool:
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
        await self.store.audit(
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


def reply(
    inbound: Inbound,
    text: str,
    *,
    intent: str | None = None,
    buttons: tuple[tuple[Button, ...], ...] = (),
    case_id: int | None = None,
) -> SendText:
    """A reply in the same chat (and topic); in groups it quotes the message it answers."""
    in_group = inbound.chat.kind is not ChatKind.PRIVATE
    return SendText(
        chat=inbound.chat,
        text=split_long_text(text)[0],
        buttons=buttons,
        reply_to_message_id=inbound.message_id if in_group else None,
        thread_id=inbound.chat.thread_id,
        intent=intent,
        case_id=case_id,
    )


def chat_ref(chat: models.Chat) -> ChatRef:
    return ChatRef(
        channel=chat.channel,
        external_id=chat.external_id,
        kind=ChatKind(chat.kind),
        title=chat.title,
    )


def private_chat(person: models.Person) -> ChatRef:
    """A person's private chat with the bot: on Telegram its id is the user's id, and the
    bot may write there once they have written to it, or for 5 minutes after a join
    request."""
    return ChatRef(channel=person.channel, external_id=person.external_id, kind=ChatKind.PRIVATE)


def who(person: models.Person) -> str:
    """How colleagues see a member in the staff group: first name, @username, id."""
    handle = f"@{person.username}, " if person.username else ""
    return f"{person.first_name or 'Someone'} ({handle}id {person.external_id})"
