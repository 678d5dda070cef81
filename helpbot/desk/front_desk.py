"""The front desk: takes one Inbound event, decides, and returns the actions to take.

It records every message for the case history, then hands over to the policy for
the kind of chat it came from: a tenant's private thread, a community group
(3.12) or the staff room. It knows nothing of Telegram or the web (DESIGN.md).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from helpbot.desk.actions import Action, Button, SendText, split_long_text
from helpbot.desk.events import ChatKind, ChatRef, Content, Inbound
from helpbot.desk.wording import Wording
from helpbot.nlu.intents import Classification
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store

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


@dataclass(frozen=True, slots=True)
class DeskSettings:
    bot_username: str | None = None  # for t.me deep links from groups
    staff_chat: ChatRef | None = None  # the staff group with one forum topic per case
    staff_user_ids: tuple[str, ...] = ()  # empty: everyone in the staff group is staff

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
    ) -> None:
        # Imported here: the three policies import this module for Visit and helpers.
        from helpbot.desk.community import CommunityGroup
        from helpbot.desk.private_thread import PrivateThread
        from helpbot.desk.staff_room import StaffRoom

        self.store = store
        self.casebook = Casebook(store)
        self.understanding = understanding
        self.say = wording
        self.settings = settings or DeskSettings()
        self.private = PrivateThread(self)
        self.community = CommunityGroup(self)
        self.staff = StaffRoom(self)

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
        return []

    async def delivered(
        self, action: SendText, channel_message_id: str | None, status: str
    ) -> None:
        """Adapters report each sent (or failed) message so the history is complete."""
        await self.store.record_outbound(
            action.chat,
            action.text,
            intent=action.intent,
            channel_message_id=channel_message_id,
            status=status,
            thread_id=action.thread_id,
            case_id=action.case_id,
        )
        if action.case_id is not None and action.author is None:
            await self.casebook.log(
                action.case_id,
                "bot_reply",
                actor_kind="bot",
                text=action.text,
                detail={"status": status},
            )

    async def topic_opened(self, case_id: int, thread_id: int) -> None:
        """The staff-room adapter made (or remade) a case's topic."""
        await self.casebook.change(case_id, staff_topic_id=thread_id)
        await self.casebook.log(
            case_id, "topic_opened", actor_kind="system", detail={"thread_id": thread_id}
        )

    async def complaint_reminders(self, today: date) -> list[Action]:
        return await self.staff.complaint_reminders(today)

    # -- shared helpers ---------------------------------------------------------

    def is_staff(self, inbound: Inbound) -> bool:
        if inbound.chat.kind is not ChatKind.STAFF or inbound.sender.is_bot:
            return False
        allowed = self.settings.staff_user_ids
        return not allowed or inbound.sender.external_id in allowed

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
    return ChatRef(channel=chat.channel, external_id=chat.external_id, kind=ChatKind(chat.kind))
