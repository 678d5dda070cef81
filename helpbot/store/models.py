"""Typed tables. Names follow the housing world: people, chats, messages, audit events."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on every backend (SQLite drops the zone otherwise)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


# BigInteger primary keys autoincrement on PostgreSQL but not on SQLite; this
# variant gives an INTEGER PRIMARY KEY (rowid) there.
BigId = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Person(Base):
    """A channel identity: a tenant, an applicant or a colleague, as the platform knows them."""

    __tablename__ = "people"
    __table_args__ = (
        UniqueConstraint("channel", "external_id"),
        # /block @name: whoever holds a username now, found without reading everyone.
        Index("ix_people_channel_username", "channel", func.lower(text("username"))),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    first_name: Mapped[str] = mapped_column(String(256), default="")
    username: Mapped[str | None] = mapped_column(String(64))
    tenancy_ref: Mapped[str | None] = mapped_column(String(64))
    # When a web visitor's tenancy reference and postcode matched the register (the
    # light identity check): only then is ``tenancy_ref`` a verified link.
    tenancy_verified_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    # First seen writing in the staff group (and not since left it): counts as a colleague
    # in community groups when no HELPBOT_STAFF_USER_IDS list is set.
    staff_since: Mapped[datetime | None] = mapped_column()


class Chat(Base):
    __tablename__ = "chats"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    external_id: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str | None] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Message(Base):
    """Every inbound and outbound message, so staff can review the full history."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_chat_time", "chat_id", "created_at"),
        # A colleague's reply to one of the bot's posts in a case topic (a tenant relay).
        Index("ix_messages_chat_channel_id", "chat_id", "channel_message_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    direction: Mapped[str] = mapped_column(String(3))  # "in" or "out"
    content: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(Text, default="")
    intent: Mapped[str | None] = mapped_column(String(16))
    channel_message_id: Mapped[str | None] = mapped_column(String(64))
    thread_id: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default="stored")  # sent / failed for out
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    chat: Mapped[Chat] = relationship(lazy="raise")
    person: Mapped[Person | None] = relationship(lazy="raise")


class InboxEvent(Base):
    """One inbound event on its one path (DESIGN.md): stored before it is acknowledged,
    claimed by one worker, handled in order within its conversation, retried with
    back-off, parked after repeated failure. Payload is the platform's own; the error
    kept is a class name, never text."""

    __tablename__ = "inbox_events"
    __table_args__ = (
        UniqueConstraint("channel", "event_key"),
        Index("ix_inbox_events_status_conversation", "status", "conversation", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel: Mapped[str] = mapped_column(String(32))
    event_key: Mapped[str] = mapped_column(String(128))
    conversation: Mapped[str] = mapped_column(String(160))
    # The platform's own order within a conversation (Telegram's update_id), when it has
    # one: two updates POSTed at once are still handled in the order Telegram made them.
    position: Mapped[int | None] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(16), default="pending")  # done / parked
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    outcome: Mapped[str | None] = mapped_column(String(32))
    error_class: Mapped[str | None] = mapped_column(String(64))


class IdentityCheck(Base):
    """One try at the web chat's identity check: whether it matched, never what was typed.
    Wrong answers are counted per person and per address to slow down guessing."""

    __tablename__ = "identity_checks"
    __table_args__ = (
        Index("ix_identity_checks_person", "person_id", "at"),
        Index("ix_identity_checks_origin", "origin", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    origin: Mapped[str | None] = mapped_column(String(32))  # keyed hash of the address
    matched: Mapped[bool] = mapped_column(default=False)
    at: Mapped[datetime] = mapped_column(default=utcnow)


class WebVisitor(Base):
    """A web chat session in use: only the hash of its cookie is kept, so a stolen
    database opens no one's chat. Written when the chat is first opened, not on every
    page view; ``ended_at``: the visitor pressed End chat, and the cookie opens nothing."""

    __tablename__ = "web_visitors"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()


class OutboxItem(Base):
    """One thing the desk decided to do on a channel, committed with the event that caused
    it and carried out by the sender in order per lane (a chat, or a case's staff topic)."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_status_lane", "status", "lane", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    event_id: Mapped[int | None] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(32))
    lane: Mapped[str] = mapped_column(String(160))
    kind: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # pending -> sending -> sent | undelivered | unconfirmed (answer never came back)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    deliver_until: Mapped[datetime] = mapped_column()
    lease_until: Mapped[datetime | None] = mapped_column()
    message_id: Mapped[int | None] = mapped_column(BigInteger)  # the stored copy in messages
    external_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column()
    last_error: Mapped[str | None] = mapped_column(String(64))


class AuditEvent(Base):
    """Who did what, when: staff actions on cases and refused attempts (Privacy promise)."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(160))
    action: Mapped[str] = mapped_column(String(64))
    subject: Mapped[str | None] = mapped_column(String(160))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Case(Base):
    """A private case thread (3.12, 3.13): a complaint, repair, ASB report or personal matter."""

    __tablename__ = "cases"
    __table_args__ = (
        Index("ix_cases_tenant_status", "tenant_id", "status"),
        Index("ix_cases_topic", "staff_topic_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    ref: Mapped[str] = mapped_column(String(24), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # the intent that opened it
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, resolved, closed
    urgent: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = mapped_column(String(200), default="")
    tenant_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id"))  # the private thread
    origin_chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id"))
    origin_message_id: Mapped[str | None] = mapped_column(String(64))
    link_token: Mapped[str | None] = mapped_column(String(64), unique=True)
    # A keyed hash of where an anonymous web visitor connected from: limits new cases
    # per address (never the address itself).
    origin: Mapped[str | None] = mapped_column(String(32), index=True)
    staff_topic_id: Mapped[int | None] = mapped_column(BigInteger)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    assignee_name: Mapped[str | None] = mapped_column(String(256))
    # Complaints clock (Housing Ombudsman Complaint Handling Code).
    stage: Mapped[int | None] = mapped_column(Integer)
    received_on: Mapped[date | None] = mapped_column(Date)
    acknowledged_on: Mapped[date | None] = mapped_column(Date)
    acknowledge_by: Mapped[date | None] = mapped_column(Date)
    respond_by: Mapped[date | None] = mapped_column(Date)
    responded_on: Mapped[date | None] = mapped_column(Date)
    extension_reason: Mapped[str | None] = mapped_column(Text)
    last_reminded_on: Mapped[date | None] = mapped_column(Date)
    resolution: Mapped[str | None] = mapped_column(Text)
    satisfied: Mapped[bool | None] = mapped_column()
    publication_text: Mapped[str | None] = mapped_column(Text)
    publication_consent: Mapped[str | None] = mapped_column(String(8))  # asked, yes, no
    publication_consent_at: Mapped[datetime | None] = mapped_column()
    published_message_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()
    # The tenant said "new issue": the case stays open for colleagues, but the tenant's
    # next messages no longer join it unless a colleague acts on it again (3.12).
    set_aside_at: Mapped[datetime | None] = mapped_column()


class CaseEvent(Base):
    """One line of a case's history: who did what, when."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_kind: Mapped[str] = mapped_column(String(8))  # tenant, staff, bot, system
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_name: Mapped[str] = mapped_column(String(256), default="")
    kind: Mapped[str] = mapped_column(String(24))
    text: Mapped[str] = mapped_column(Text, default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Tenancy(Base):
    """One tenancy in the association's register, imported from its housing system, so a
    colleague can confirm an applicant is a current tenant or occupant (3.5, 3.6.1)."""

    __tablename__ = "tenancies"
    __table_args__ = (
        Index("ix_tenancies_postcode", "postcode"),
        Index("ix_tenancies_updated_at", "updated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    postcode: Mapped[str] = mapped_column(String(10))  # normalised: "TA6 4SY"
    tenant_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    occupant_names: Mapped[list[str]] = mapped_column(JSON, default=list)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Not in the latest import of the register: no longer a current tenancy (3.6.1),
    # whatever its end date says. Cleared if a later import lists it again.
    ended_at: Mapped[datetime | None] = mapped_column()


class StaffTopic(Base):
    """A fixed topic in the staff group ("Join requests", "Moderation"), made once and
    remembered so every notice of its kind lands in the same place."""

    __tablename__ = "staff_topics"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(128), unique=True)
    thread_id: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class JoinRequest(Base):
    """Someone asking to join a community group: their answers, acceptance of the rules,
    the register check and the colleague's decision (3.5, 3.6)."""

    __tablename__ = "join_requests"
    __table_args__ = (
        Index("ix_join_requests_person_status", "person_id", "status"),
        Index("ix_join_requests_status_answer_by", "status", "answer_by"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    # asking (questions), rules (waiting for accept), review (with staff), approved, declined
    status: Mapped[str] = mapped_column(String(16), default="asking")
    step: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # tries at the current question
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    answer_by: Mapped[datetime] = mapped_column()
    rules_version: Mapped[str | None] = mapped_column(String(32))
    rules_accepted_at: Mapped[datetime | None] = mapped_column()
    register_match: Mapped[str | None] = mapped_column(String(8))  # exact, near, none
    register_note: Mapped[str | None] = mapped_column(String(200))
    decided_at: Mapped[datetime | None] = mapped_column()
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    decided_by_name: Mapped[str | None] = mapped_column(String(256))
    # approved, 3.6.1 (not a tenant), 3.6.2 (questions), 3.6.3 (rules), timeout
    decision: Mapped[str | None] = mapped_column(String(16))


class GroupMember(Base):
    """A person's standing in one community group: when they joined, which version of the
    rules they accepted (3.11), and whether they were removed or blocked (3.7.1)."""

    __tablename__ = "group_members"
    __table_args__ = (UniqueConstraint("chat_id", "person_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"))
    status: Mapped[str] = mapped_column(String(16), default="member")  # left, removed, blocked
    joined_at: Mapped[datetime | None] = mapped_column()
    rules_version: Mapped[str | None] = mapped_column(String(32))
    rules_accepted_at: Mapped[datetime | None] = mapped_column()
    join_request_id: Mapped[int | None] = mapped_column(ForeignKey("join_requests.id"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class ModerationAction(Base):
    """The moderation log (3.7): every warning, removal, block, held post and restriction,
    who did it, when and why. Restrictions carry ``until`` and are lifted by a sweep."""

    __tablename__ = "moderation_actions"
    __table_args__ = (
        Index("ix_moderation_person_action", "person_id", "action"),
        Index("ix_moderation_action_lifted", "action", "lifted_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    chat_id: Mapped[int | None] = mapped_column(ForeignKey("chats.id"))  # None: every group
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    action: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str] = mapped_column(Text, default="")
    actor_kind: Mapped[str] = mapped_column(String(8))  # staff, bot
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"))
    actor_name: Mapped[str] = mapped_column(String(256), default="")
    until: Mapped[datetime | None] = mapped_column()
    lifted_at: Mapped[datetime | None] = mapped_column()
    state: Mapped[str | None] = mapped_column(String(16))  # held/proposed: pending, done, kept
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class Discussion(Base):
    """A heated exchange the bot is watching or has ended (3.10). Kept in the store so the
    closing message is posted once, even across a restart."""

    __tablename__ = "discussions"
    __table_args__ = (Index("ix_discussions_chat_last", "chat_id", "last_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    kind: Mapped[str] = mapped_column(String(8))  # group, private
    status: Mapped[str] = mapped_column(String(8), default="watching")  # watching, closed
    participants: Mapped[list[int]] = mapped_column(JSON, default=list)  # people ids; 0 = SHAL
    exchanges: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column()
    quiet_until: Mapped[datetime | None] = mapped_column()
    closing_reply_to: Mapped[str | None] = mapped_column(String(64))


class GroupThread(Base):
    """One conversation in a community group (3.9, 3.12): a chain of replies, or messages
    following each other closely. When the bot last spoke in it keeps it to one public
    message an hour, even across a restart; ``cases`` keeps one case per matter in it."""

    __tablename__ = "group_threads"
    __table_args__ = (
        Index("ix_group_threads_chat_last", "chat_id", "topic_id", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    topic_id: Mapped[int | None] = mapped_column(BigInteger)  # forum topic, if any
    root_message_id: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_public_at: Mapped[datetime | None] = mapped_column()
    cases: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)  # kind -> case id


class GroupThreadMessage(Base):
    """Which thread a group message is in, so a reply joins its thread. Ids only."""

    __tablename__ = "group_thread_messages"
    __table_args__ = (UniqueConstraint("chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    chat_id: Mapped[int] = mapped_column(ForeignKey("chats.id"))
    message_id: Mapped[str] = mapped_column(String(64))
    thread_id: Mapped[int] = mapped_column(ForeignKey("group_threads.id"), index=True)


class CaseDetail(Base):
    """What the desk asked about a repair and what the tenant answered (issue 12's detail
    dialogue): answers in the tenant's words, what the desk read in them, and the
    question waiting for its answer."""

    __tablename__ = "case_details"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # at_risk, household_known, room, size, since, photo (desk/records.py CaseDetails)
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pending: Mapped[str | None] = mapped_column(String(16))
    asked_at: Mapped[datetime | None] = mapped_column()
    asked: Mapped[list[str]] = mapped_column(JSON, default=list)
    told: Mapped[str | None] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class Hazard(Base):
    """A repair case that may be a hazard (Awaab's Law): the desk's proposed category and
    why, a colleague's decision, the clock that runs; its steps in ``hazard_steps``."""

    __tablename__ = "hazards"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(24))
    aware_at: Mapped[datetime] = mapped_column()
    proposed: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str] = mapped_column(Text, default="")
    clock: Mapped[str | None] = mapped_column(String(12))
    confirmed: Mapped[str | None] = mapped_column(String(12))
    confirmed_by: Mapped[str] = mapped_column(String(256), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column()
    confirmed_reason: Mapped[str] = mapped_column(Text, default="")
    at_risk: Mapped[list[str]] = mapped_column(JSON, default=list)
    findings: Mapped[str] = mapped_column(Text, default="")
    summary: Mapped[str] = mapped_column(Text, default="")
    works_later: Mapped[str] = mapped_column(Text, default="")
    alternative: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class HazardStep(Base):
    """One step of a hazard's clock: due by a moment (hours) or a day in England (working
    days), when it was done and by whom, and when colleagues were warned or told it was
    missed (each once)."""

    __tablename__ = "hazard_steps"
    __table_args__ = (
        UniqueConstraint("case_id", "step"),
        Index("ix_hazard_steps_open", "done_at", "missed_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("hazards.case_id"))
    step: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime | None] = mapped_column()
    due_on: Mapped[date | None] = mapped_column(Date)
    done_at: Mapped[datetime | None] = mapped_column()
    done_by: Mapped[str] = mapped_column(String(256), default="")
    note: Mapped[str] = mapped_column(Text, default="")
    warned_at: Mapped[datetime | None] = mapped_column()
    missed_at: Mapped[datetime | None] = mapped_column()
