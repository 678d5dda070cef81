"""What the desk reads from its records: plain, frozen values, never database rows.

The store turns its rows into these and the desk changes records only by asking a port
(``ports.py``), so a policy can be tested with in-memory fakes and a cached value can
never be changed behind the store's back. This module and ``ports.py`` are the only
parts of the desk the store imports: they are the contract between the two.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from helpbot.desk import events

# The association and its colleagues, as one participant in a discussion (3.10).
SHAL = 0


@dataclass(frozen=True, slots=True)
class Person:
    """A channel identity as stored: a tenant, an applicant or a colleague."""

    id: int
    channel: str
    external_id: str
    first_name: str = ""
    username: str | None = None
    staff_since: datetime | None = None  # seen in the staff group and not since left it


@dataclass(frozen=True, slots=True)
class Chat:
    id: int
    channel: str
    external_id: str
    kind: str  # a ChatKind value
    title: str | None = None


@dataclass(frozen=True, slots=True)
class StoredMessage:
    id: int
    chat_id: int
    person_id: int | None
    text: str = ""
    intent: str | None = None  # on a message we sent: what it was (e.g. a tenant relay)
    case_id: int | None = None  # the case it is filed on, if any


@dataclass(frozen=True, slots=True)
class InboundRecord:
    """What ``record_inbound`` is given for one message, for a batch recorded ahead."""

    inbound: events.Inbound
    intent: str | None
    chat_id: int
    person_id: int


@dataclass(frozen=True, slots=True)
class Case:
    """A private case thread (3.12, 3.13) with its complaints clock, if it is a complaint."""

    id: int
    ref: str
    kind: str
    status: str
    tenant_id: int
    urgent: bool = False
    summary: str = ""
    chat_id: int | None = None
    origin_chat_id: int | None = None
    origin_message_id: str | None = None
    link_token: str | None = None
    staff_topic_id: int | None = None
    assignee_id: int | None = None
    assignee_name: str | None = None
    stage: int | None = None
    received_on: date | None = None
    acknowledged_on: date | None = None
    acknowledge_by: date | None = None
    respond_by: date | None = None
    responded_on: date | None = None
    last_reminded_on: date | None = None
    publication_text: str | None = None
    publication_consent: str | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    set_aside_at: datetime | None = None  # the tenant said "new issue" (matters.py)


@dataclass(frozen=True, slots=True)
class CaseEvent:
    """One line of a case's history."""

    at: datetime
    actor_kind: str
    actor_name: str
    kind: str
    text: str = ""


@dataclass(frozen=True, slots=True)
class NewCase:
    """What the desk asks the casebook to open."""

    kind: str
    tenant_id: int
    chat_id: int | None
    summary: str
    urgent: bool
    now: datetime
    origin_chat_id: int | None = None
    origin_message_id: str | None = None
    with_link: bool = False
    complaint_dates: tuple[date, date] | None = None
    actor_name: str = ""
    origin: str | None = None


@dataclass(frozen=True, slots=True)
class CaseDetails:
    """What the desk has asked about a repair and what the tenant has told it (issue 12's
    detail dialogue): each answer in the tenant's words, with what the desk read in them,
    so nothing is asked twice."""

    case_id: int
    answers: dict[str, str] = field(default_factory=dict)  # question -> the tenant's words
    at_risk: tuple[str, ...] = ()  # who at home is at higher risk (hazards/reading.py)
    household_known: bool = False
    room: str | None = None
    size: str | None = None  # large, small
    since: str | None = None  # long, recent
    photo: bool | None = None
    pending: str | None = None  # the question waiting for an answer
    asked_at: datetime | None = None
    asked: tuple[str, ...] = ()
    told: str | None = None  # the plan the tenant was last told (a clock or "repair")


@dataclass(frozen=True, slots=True)
class HazardStep:
    """One step of a hazard's clock (Awaab's Law): due by a moment (emergency, in hours)
    or by the end of a day in England (significant, in working days)."""

    step: str
    due_at: datetime | None = None
    due_on: date | None = None
    done_at: datetime | None = None
    done_by: str = ""
    note: str = ""
    warned_at: datetime | None = None
    missed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Hazard:
    """A repair case that may be a hazard under Awaab's Law: the desk's proposed category
    and why, a colleague's decision, the clock that runs and its steps."""

    case_id: int
    kind: str
    aware_at: datetime  # when the tenant's first message about it reached us
    proposed: str
    reason: str
    clock: str | None = None  # the category whose timetable runs, None for no clock
    confirmed: str | None = None
    confirmed_by: str = ""
    confirmed_at: datetime | None = None
    confirmed_reason: str = ""
    at_risk: tuple[str, ...] = ()
    findings: str = ""
    summary: str = ""
    works_later: str = ""
    alternative: str = ""
    steps: tuple[HazardStep, ...] = ()

    def step(self, name: str) -> HazardStep | None:
        return next((s for s in self.steps if s.step == name), None)


@dataclass(frozen=True, slots=True)
class JoinRequest:
    """Someone asking to join a community group (3.5, 3.6)."""

    id: int
    chat_id: int
    person_id: int
    status: str  # asking, rules, review, approved, declined, withdrawn
    step: int
    attempts: int
    answers: dict[str, Any]
    answer_by: datetime
    rules_version: str | None = None
    rules_accepted_at: datetime | None = None
    register_match: str | None = None
    decided_by_name: str | None = None


@dataclass(frozen=True, slots=True)
class GroupMember:
    chat_id: int
    person_id: int
    status: str  # member, left, removed, blocked
    joined_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class ModerationEntry:
    """One line of the moderation log (3.7)."""

    id: int
    action: str
    reason: str = ""
    chat_id: int | None = None
    person_id: int | None = None
    message_id: int | None = None
    state: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Exchange:
    """One reply or mention between two participants of a discussion (3.10)."""

    sender: int
    target: int
    heat: float
    at: datetime


@dataclass(frozen=True, slots=True)
class Discussion:
    """A heated exchange being watched or already ended (3.10); ``id`` is None until saved."""

    chat_id: int
    kind: str  # group, private
    status: str  # watching, closed
    participants: tuple[int, ...]
    exchanges: tuple[Exchange, ...]
    started_at: datetime
    last_at: datetime
    id: int | None = None
    closed_at: datetime | None = None
    quiet_until: datetime | None = None
    closing_reply_to: str | None = None


@dataclass(frozen=True, slots=True)
class GroupThread:
    """One conversation in a community group (3.9, 3.12): a chain of replies, or messages
    following each other closely. The bot speaks in it at most once an hour unless
    something is urgent, and one matter in it opens at most one case."""

    id: int
    chat_id: int
    root_message_id: str
    started_at: datetime
    last_message_at: datetime
    last_public_at: datetime | None = None
    cases: dict[str, int] = field(default_factory=dict)  # kind of matter -> case id


@dataclass(frozen=True, slots=True)
class Tenancy:
    """One tenancy in the register (3.5, 3.6.1)."""

    reference: str
    postcode: str
    tenant_names: tuple[str, ...]
    occupant_names: tuple[str, ...]
    start_date: date
    end_date: date | None = None
    ended_at: datetime | None = None  # left out of the latest register import


_POSTCODE = re.compile(r"^([A-Z]{1,2}[0-9][A-Z0-9]?)([0-9][A-Z]{2})$")


def edit_distance(a: str, b: str, *, limit: int | None = None) -> int:
    """Levenshtein distance (insertions, deletions, substitutions); with ``limit``, any
    answer above it comes back as ``limit + 1`` as soon as that is certain."""
    if limit is not None and abs(len(a) - len(b)) > limit:
        return limit + 1
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, start=1):
        current = [i]
        for j, y in enumerate(b, start=1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (x != y)))
        if limit is not None and min(current) > limit:
            return limit + 1
        previous = current
    return previous[-1]


def normalise_reference(value: str) -> str:
    """One spelling of a tenancy reference, for the register and for applicants' answers."""
    return re.sub(r"\s+", "", value).upper()


def normalise_postcode(value: str) -> str | None:
    """ "ta64sy" -> "TA6 4SY"; None if it is not a UK postcode."""
    match = _POSTCODE.match(re.sub(r"\s+", "", value).upper())
    return f"{match.group(1)} {match.group(2)}" if match else None
