"""What the desk needs from the world, as narrow typed ports it owns.

Each port takes and returns the frozen values of ``records.py``. The store implements
the record ports (``helpbot/store/desk_records.py``), nlu the understanding; tests use
in-memory fakes (``tests/desk_fakes.py``). Nothing here imports a database, spaCy or a
chat platform, so policy can be read and tested alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from helpbot.desk import events
from helpbot.desk.records import (
    Case,
    CaseDetails,
    CaseEvent,
    Chat,
    Discussion,
    GroupMember,
    GroupThread,
    Hazard,
    HazardStep,
    InboundRecord,
    JoinRequest,
    ModerationEntry,
    NewCase,
    Person,
    StoredMessage,
    Tenancy,
)


class Classified(Protocol):
    """What the classifier says about one message: the primary intent and every score."""

    @property
    def intent(self) -> str: ...

    @property
    def scores(self) -> Mapping[str, float]: ...


class KnowledgeAnswer(Protocol):
    @property
    def answer(self) -> str: ...


class PersonalDatum(Protocol):
    """Where a piece of personal data sits in a text (never the datum itself)."""

    @property
    def kind(self) -> str: ...

    @property
    def start(self) -> int: ...

    @property
    def end(self) -> int: ...


class Understanding(Protocol):
    """Intents, knowledge-base answers and personal-data detection (nlu, spaCy)."""

    def classify(self, text: str) -> Classified: ...

    def read_ahead(self, texts: Sequence[str]) -> None:
        """Classify a batch at once; ``classify`` then finds them read (speed only)."""

    def answer(self, text: str) -> KnowledgeAnswer | None: ...

    def recognised_question(self, text: str) -> str | None:
        """The knowledge-base entry a question is, even one the policy does not answer."""
        ...

    def find_personal_data(self, text: str) -> Sequence[PersonalDatum]: ...

    def find_disclosures(self, text: str) -> Sequence[PersonalDatum]:
        """Someone's health or money trouble, told in so many words."""
        ...


class Clock(Protocol):
    def now(self) -> datetime: ...


class People(Protocol):
    """People, chats and the messages they send: recorded for every event."""

    async def person(self, who: events.Person) -> Person: ...

    async def chat(self, where: events.ChatRef) -> Chat: ...

    async def record_inbound(
        self, inbound: events.Inbound, intent: str | None, *, chat_id: int, person_id: int
    ) -> StoredMessage: ...

    async def record_inbound_ahead(self, batch: Sequence[InboundRecord]) -> None:
        """A batch's messages recorded in one write before they are handled one by one;
        ``record_inbound`` then hands back each one's row instead of writing it again
        (only within the same unit of work: a batch rolled back records nothing)."""
        ...

    async def link_message(self, message_id: int, case_id: int) -> None: ...

    async def move_case_messages(self, from_case_id: int, to_case_id: int) -> int:
        """Every message filed on one case filed on another instead; how many moved."""
        ...

    async def message(self, message_id: int) -> StoredMessage | None: ...

    async def sent_message(self, chat_id: int, channel_message_id: str) -> StoredMessage | None:
        """A message the bot sent in a chat, by the platform's id for it."""
        ...

    async def person_by_id(self, person_id: int) -> Person | None: ...

    async def chat_by_id(self, chat_id: int) -> Chat | None: ...

    async def find_person(self, channel: str, who: str) -> Person | None:
        """By channel id, or by @username compared without case."""
        ...

    async def find_people(self, channel: str, names: Sequence[str]) -> list[Person]: ...

    async def set_staff_since(self, person_id: int, value: datetime | None) -> None: ...

    async def has_written_privately(self, person_id: int) -> bool:
        """Whether the bot may write to them: they have started a private chat."""
        ...


class AuditTrail(Protocol):
    """Who did what, when: colleagues' actions and refused attempts (Privacy promise)."""

    async def audit(
        self,
        actor: str,
        action: str,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None: ...


class Cases(Protocol):
    """The casebook (3.12, 3.13): cases, their claim and their timeline."""

    async def open_case(self, new: NewCase) -> Case: ...

    async def opened_from(self, origin: str, since: datetime) -> int: ...

    async def by_id(self, case_id: int) -> Case | None: ...

    async def by_topic(self, thread_id: int) -> Case | None: ...

    async def by_link(self, token: str) -> Case | None: ...

    async def open_case_of_kind(self, tenant_id: int, kind: str) -> Case | None: ...

    async def current_case(self, tenant_id: int) -> Case | None: ...

    async def tenant_cases(self, tenant_id: int) -> list[Case]: ...

    async def look_ahead(self, tenant_ids: Sequence[int]) -> None:
        """A hint: a batch of these tenants' messages follows (their cases may be read
        in one go)."""

    async def complaints_due(self, by: date) -> list[Case]: ...

    async def change(self, case_id: int, **values: Any) -> None: ...

    async def claim(self, case_id: int, staff_id: int, staff_name: str) -> bool:
        """Exactly one of two colleagues claiming at once wins."""
        ...

    async def release(self, case_id: int, staff_id: int) -> bool: ...

    async def hand_over(
        self, case_id: int, holder_id: int | None, staff_id: int, staff_name: str
    ) -> bool:
        """Give the case to a colleague if ``holder_id`` (None: nobody) still has it."""
        ...

    async def log(
        self,
        case_id: int,
        kind: str,
        *,
        actor_kind: str,
        actor_id: int | None = None,
        actor_name: str = "",
        text: str = "",
        detail: dict[str, Any] | None = None,
    ) -> None: ...

    async def timeline(self, case_id: int) -> list[CaseEvent]: ...


class HazardRecords(Protocol):
    """A repair's detail dialogue and its hazard clock (Awaab's Law, desk/hazards/)."""

    async def details(self, case_id: int) -> CaseDetails | None: ...

    async def save_details(self, details: CaseDetails) -> None: ...

    async def hazard(self, case_id: int) -> Hazard | None:
        """The case's hazard with its steps."""
        ...

    async def open_hazard(self, hazard: Hazard) -> bool:
        """False if the case already has one (two messages at once make one hazard)."""
        ...

    async def change_hazard(self, case_id: int, **values: Any) -> None: ...

    async def save_steps(self, case_id: int, steps: Sequence[HazardStep]) -> None:
        """Upsert these steps; a step already done keeps its record, and undone steps not
        listed are dropped (the clock changed)."""
        ...

    async def mark_step(self, case_id: int, step: str, field: str, at: datetime) -> bool:
        """Set ``warned_at`` or ``missed_at`` once, on an undone step: True if this call
        did it."""
        ...

    async def hazards_due(self, at: datetime, on: date) -> list[Hazard]:
        """Hazards of cases not closed with an undone, not yet missed step due by ``at``
        (hours) or ``on`` (days)."""
        ...


class Members(Protocol):
    """Join requests and group membership (3.5, 3.6, 3.7, 3.11)."""

    async def open_request(
        self, chat_id: int, person_id: int, *, now: datetime, answer_by: datetime
    ) -> JoinRequest: ...

    async def request(self, request_id: int) -> JoinRequest | None: ...

    async def current_request(self, person_id: int) -> JoinRequest | None: ...

    async def look_ahead(self, person_ids: Sequence[int]) -> None:
        """A hint: a batch of these people's private messages follows (their join
        requests may be read in one go)."""

    async def change_request(self, request_id: int, **values: Any) -> None: ...

    async def move_request(
        self, request_id: int, from_statuses: tuple[str, ...], **values: Any
    ) -> bool:
        """Only one of two deciders at once moves a request on."""
        ...

    async def overdue_requests(self, now: datetime) -> list[JoinRequest]: ...

    async def member(self, chat_id: int, person_id: int) -> GroupMember | None: ...

    async def set_member(self, chat_id: int, person_id: int, **values: Any) -> None: ...

    async def memberships(self, person_id: int) -> list[GroupMember]: ...

    async def community_chats(self, channel: str) -> list[Chat]: ...

    async def messages_since(
        self, chat_id: int, person_id: int, since: datetime, up_to: int | None = None
    ) -> int:
        """Messages a person sent in a chat since a moment; ``up_to``: only those stored
        up to this message (a batch stores its messages before handling each)."""
        ...


class ModerationRecord(Protocol):
    """The moderation log and the discussions being watched (3.7, 3.10)."""

    async def record(
        self,
        action: str,
        *,
        actor_kind: str,
        chat_id: int | None = None,
        person_id: int | None = None,
        reason: str = "",
        actor_id: int | None = None,
        actor_name: str = "",
        until: datetime | None = None,
        state: str | None = None,
        message_id: int | None = None,
        detail: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> ModerationEntry: ...

    async def get(self, entry_id: int) -> ModerationEntry | None: ...

    async def settle(self, entry_id: int, from_state: str, to_state: str) -> bool: ...

    async def count(self, person_id: int, action: str) -> int: ...

    async def active_restriction(self, chat_id: int, person_id: int, now: datetime) -> bool: ...

    async def restrictions_due(self, now: datetime) -> list[ModerationEntry]: ...

    async def mark_lifted(self, entry_id: int, now: datetime) -> bool: ...

    async def discussions(self, chat_id: int, kind: str, since: datetime) -> list[Discussion]: ...

    async def save_discussion(self, discussion: Discussion) -> Discussion: ...


class GroupThreads(Protocol):
    """The conversations in the community groups (3.9, 3.12): which one a message belongs
    to, when the bot last spoke in it, and the cases its matters opened."""

    async def place(
        self,
        chat_id: int,
        message_id: str,
        *,
        topic: int | None,
        reply_to: str | None,
        at: datetime,
        gap: timedelta,
    ) -> GroupThread:
        """The thread of a message, which is recorded in it: the thread of the message it
        replies to, else the latest thread of the chat (or forum topic) if that had a
        message within ``gap``, else a new one. A message placed again (an edit) finds
        the thread it is in."""
        ...

    async def spoke(self, thread_id: int, at: datetime) -> None: ...

    async def add_case(self, thread_id: int, kind: str, case_id: int) -> None: ...


class TenancyRegister(Protocol):
    """The association's register of current tenancies (3.5, 3.6.1)."""

    async def references(self) -> list[str]: ...

    async def candidates(
        self, references: Sequence[str], postcode: str | None
    ) -> list[Tenancy]: ...

    async def near(self, reference: str | None, postcode: str | None, within: int) -> list[Tenancy]:
        """Tenancies (current or not) with this reference or one ``within`` edits of it,
        or at this postcode: found through indexes, never by reading the whole register
        on the event loop."""
        ...


class IdentityChecks(Protocol):
    """The web chat's light identity check: a verified link from a person to a tenancy,
    and each try counted (whether it matched, never what was typed)."""

    async def verified_tenancy(self, person_id: int) -> str | None:
        """The tenancy reference this person proved, or None."""
        ...

    async def verify(self, person_id: int, reference: str, at: datetime) -> None: ...

    async def record_try(
        self, person_id: int, origin: str | None, *, matched: bool, at: datetime
    ) -> None: ...

    async def wrong_tries(self, person_id: int, origin: str | None, since: datetime) -> int:
        """Wrong answers since a moment, by this person or from this address."""
        ...

    async def wrong_tries_everywhere(self, since: datetime) -> int:
        """Wrong answers since a moment, by anyone from anywhere."""
        ...


@dataclass(frozen=True, slots=True)
class Records:
    """Every record port the desk uses, handed over in one piece at start-up."""

    people: People
    audit: AuditTrail
    cases: Cases
    members: Members
    moderation: ModerationRecord
    register: TenancyRegister
    clock: Clock
    threads: GroupThreads
    hazards: HazardRecords
    identity: IdentityChecks
