"""In-memory stand-ins for the desk's ports (helpbot/desk/ports.py), so a policy can be
tried alone: no database, no spaCy, no Telegram. They keep what they are told in plain
lists and dictionaries that a test can read, and answer the way the store does."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from helpbot.desk import events
from helpbot.desk.ports import Records
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
    edit_distance,
)


@dataclass
class FakeClock:
    moment: datetime = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment


@dataclass
class Memory:
    """Everything the fakes hold; ``snapshot()`` is what a test compares."""

    people: dict[int, Person] = field(default_factory=dict)
    chats: dict[int, Chat] = field(default_factory=dict)
    messages: list[dict[str, Any]] = field(default_factory=list)
    audit: list[dict[str, Any]] = field(default_factory=list)
    cases: dict[int, Case] = field(default_factory=dict)
    case_events: list[tuple[int, CaseEvent]] = field(default_factory=list)
    requests: dict[int, JoinRequest] = field(default_factory=dict)
    members: dict[tuple[int, int], GroupMember] = field(default_factory=dict)
    moderation: dict[int, ModerationEntry] = field(default_factory=dict)
    restrictions: dict[int, tuple[datetime, datetime | None]] = field(default_factory=dict)
    discussions: dict[int, Discussion] = field(default_factory=dict)
    tenancies: list[Tenancy] = field(default_factory=list)
    # What the bot sent, by (chat id, platform message id): a test puts them here.
    sent: dict[tuple[int, str], StoredMessage] = field(default_factory=dict)
    threads: dict[int, GroupThread] = field(default_factory=dict)
    thread_messages: dict[tuple[int, str], int] = field(default_factory=dict)
    details: dict[int, CaseDetails] = field(default_factory=dict)
    hazards: dict[int, Hazard] = field(default_factory=dict)
    verified: dict[int, str] = field(default_factory=dict)  # person id -> tenancy reference
    identity_tries: list[tuple[int, str | None, bool, datetime]] = field(default_factory=list)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def snapshot(self) -> dict[str, Any]:
        """The records a policy can change (not the inbound message log or the audit)."""
        return {
            "people": dict(self.people),
            "cases": dict(self.cases),
            "case_events": list(self.case_events),
            "links": [(m["id"], m["case_id"]) for m in self.messages if m["case_id"]],
            "requests": dict(self.requests),
            "members": dict(self.members),
            "moderation": dict(self.moderation),
            "restrictions": dict(self.restrictions),
            "discussions": dict(self.discussions),
            "threads": dict(self.threads),
            "details": dict(self.details),
            "hazards": dict(self.hazards),
        }


class FakePeople:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def person(self, who: events.Person) -> Person:
        for known in self.m.people.values():
            if (known.channel, known.external_id) == (who.channel, who.external_id):
                if who.first_name and known.first_name != who.first_name:
                    known = replace(known, first_name=who.first_name)
                    self.m.people[known.id] = known
                return known
        made = Person(next(self.m.ids), who.channel, who.external_id, who.first_name, who.username)
        self.m.people[made.id] = made
        return made

    async def chat(self, where: events.ChatRef) -> Chat:
        for known in self.m.chats.values():
            if (known.channel, known.external_id) == (where.channel, where.external_id):
                return known
        made = Chat(
            next(self.m.ids), where.channel, where.external_id, where.kind.value, where.title
        )
        self.m.chats[made.id] = made
        return made

    async def record_inbound(
        self, inbound: events.Inbound, intent: str | None, *, chat_id: int, person_id: int
    ) -> StoredMessage:
        row: dict[str, Any] = {
            "id": next(self.m.ids),
            "chat_id": chat_id,
            "person_id": person_id,
            "text": inbound.text,
            "content": inbound.content.value,
            "at": inbound.received_at,
            "case_id": None,
            "intent": intent,
        }
        self.m.messages.append(row)
        return StoredMessage(row["id"], chat_id, person_id, inbound.text, intent)

    async def record_inbound_ahead(self, batch: Sequence[InboundRecord]) -> None:
        """The fake has no batches: each message is recorded when it is handled."""

    async def link_message(self, message_id: int, case_id: int) -> None:
        for row in self.m.messages:
            if row["id"] == message_id:
                row["case_id"] = case_id

    async def move_case_messages(self, from_case_id: int, to_case_id: int) -> int:
        moved = 0
        for row in self.m.messages:
            if row["case_id"] == from_case_id:
                row["case_id"] = to_case_id
                moved += 1
        return moved

    async def message(self, message_id: int) -> StoredMessage | None:
        for row in self.m.messages:
            if row["id"] == message_id:
                return StoredMessage(
                    row["id"],
                    row["chat_id"],
                    row["person_id"],
                    row["text"],
                    row["intent"],
                    row["case_id"],
                )
        return None

    async def sent_message(self, chat_id: int, channel_message_id: str) -> StoredMessage | None:
        return self.m.sent.get((chat_id, channel_message_id))

    async def person_by_id(self, person_id: int) -> Person | None:
        return self.m.people.get(person_id)

    async def chat_by_id(self, chat_id: int) -> Chat | None:
        return self.m.chats.get(chat_id)

    async def find_person(self, channel: str, who: str) -> Person | None:
        for person in sorted(self.m.people.values(), key=lambda p: p.id):
            if person.channel != channel:
                continue
            if who.startswith("@") and (person.username or "").lower() == who[1:].lower():
                return person
            if not who.startswith("@") and person.external_id == who:
                return person
        return None

    async def find_people(self, channel: str, names: Sequence[str]) -> list[Person]:
        lowered = {n.lower() for n in names}
        return [
            p
            for p in self.m.people.values()
            if p.channel == channel
            and ((p.username or "").lower() in lowered or p.external_id in names)
        ]

    async def set_staff_since(self, person_id: int, value: datetime | None) -> None:
        self.m.people[person_id] = replace(self.m.people[person_id], staff_since=value)

    async def has_written_privately(self, person_id: int) -> bool:
        return any(
            row["person_id"] == person_id and self.m.chats[row["chat_id"]].kind == "private"
            for row in self.m.messages
        )


class FakeAudit:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def audit(
        self,
        actor: str,
        action: str,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        self.m.audit.append({"actor": actor, "action": action, "subject": subject})


class FakeCases:
    def __init__(self, memory: Memory, clock: FakeClock) -> None:
        self.m = memory
        self.clock = clock

    async def open_case(self, new: NewCase) -> Case:
        case_id = next(self.m.ids)
        case = Case(
            id=case_id,
            ref=f"SHAL-{case_id:05d}",
            kind=new.kind,
            status="open",
            tenant_id=new.tenant_id,
            urgent=new.urgent,
            summary=new.summary[:200],
            chat_id=new.chat_id,
            origin_chat_id=new.origin_chat_id,
            origin_message_id=new.origin_message_id,
            link_token=secrets.token_urlsafe(16) if new.with_link else None,
            created_at=new.now,
            updated_at=new.now,
        )
        if new.complaint_dates is not None:
            case = replace(
                case,
                stage=1,
                received_on=new.now.date(),
                acknowledge_by=new.complaint_dates[0],
                respond_by=new.complaint_dates[1],
            )
        self.m.cases[case_id] = case
        self.m.case_events.append((case_id, CaseEvent(new.now, "tenant", new.actor_name, "opened")))
        return case

    async def opened_from(self, origin: str, since: datetime) -> int:
        return 0

    async def by_id(self, case_id: int) -> Case | None:
        return self.m.cases.get(case_id)

    async def by_topic(self, thread_id: int) -> Case | None:
        found = [c for c in self.m.cases.values() if c.staff_topic_id == thread_id]
        return max(found, key=lambda c: c.id) if found else None

    async def by_link(self, token: str) -> Case | None:
        return next((c for c in self.m.cases.values() if c.link_token == token), None)

    async def open_case_of_kind(self, tenant_id: int, kind: str) -> Case | None:
        found = [
            c
            for c in self.m.cases.values()
            if c.tenant_id == tenant_id and c.kind == kind and c.status == "open"
        ]
        return max(found, key=lambda c: c.id) if found else None

    async def current_case(self, tenant_id: int) -> Case | None:
        found = [
            c for c in self.m.cases.values() if c.tenant_id == tenant_id and c.status == "open"
        ]
        return max(found, key=lambda c: (c.updated_at, c.id)) if found else None

    async def look_ahead(self, tenant_ids: Sequence[int]) -> None:
        """Nothing to read ahead in memory."""

    async def tenant_cases(self, tenant_id: int) -> list[Case]:
        return sorted(
            (c for c in self.m.cases.values() if c.tenant_id == tenant_id),
            key=lambda c: -c.id,
        )

    async def complaints_due(self, by: date) -> list[Case]:
        return [
            c
            for c in self.m.cases.values()
            if c.kind == "complaint"
            and c.status == "open"
            and (
                (c.acknowledged_on is None and c.acknowledge_by and c.acknowledge_by <= by)
                or (c.responded_on is None and c.respond_by and c.respond_by <= by)
            )
        ]

    async def change(self, case_id: int, **values: Any) -> None:
        known = {k: v for k, v in values.items() if k in Case.__dataclass_fields__}
        known.setdefault("updated_at", self.clock.now())
        self.m.cases[case_id] = replace(self.m.cases[case_id], **known)

    async def claim(self, case_id: int, staff_id: int, staff_name: str) -> bool:
        if self.m.cases[case_id].assignee_id is not None:
            return False
        await self.change(case_id, assignee_id=staff_id, assignee_name=staff_name)
        return True

    async def hand_over(
        self, case_id: int, holder_id: int | None, staff_id: int, staff_name: str
    ) -> bool:
        if self.m.cases[case_id].assignee_id != holder_id:
            return False
        await self.change(case_id, assignee_id=staff_id, assignee_name=staff_name)
        return True

    async def release(self, case_id: int, staff_id: int) -> bool:
        if self.m.cases[case_id].assignee_id != staff_id:
            return False
        await self.change(case_id, assignee_id=None, assignee_name=None)
        return True

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
    ) -> None:
        event = CaseEvent(self.clock.now(), actor_kind, actor_name, kind, text)
        self.m.case_events.append((case_id, event))

    async def timeline(self, case_id: int) -> list[CaseEvent]:
        return [e for cid, e in self.m.case_events if cid == case_id]


class FakeMembers:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def open_request(
        self, chat_id: int, person_id: int, *, now: datetime, answer_by: datetime
    ) -> JoinRequest:
        for rid, r in self.m.requests.items():
            if (r.chat_id, r.person_id) == (chat_id, person_id) and r.status in (
                "asking",
                "rules",
                "review",
            ):
                self.m.requests[rid] = replace(r, status="withdrawn")
        made = JoinRequest(next(self.m.ids), chat_id, person_id, "asking", 0, 0, {}, answer_by)
        self.m.requests[made.id] = made
        return made

    async def request(self, request_id: int) -> JoinRequest | None:
        return self.m.requests.get(request_id)

    async def look_ahead(self, person_ids: Sequence[int]) -> None:
        """Nothing to read ahead in memory."""

    async def current_request(self, person_id: int) -> JoinRequest | None:
        found = [
            r
            for r in self.m.requests.values()
            if r.person_id == person_id and r.status in ("asking", "rules")
        ]
        return max(found, key=lambda r: r.id) if found else None

    async def change_request(self, request_id: int, **values: Any) -> None:
        known = {k: v for k, v in values.items() if k in JoinRequest.__dataclass_fields__}
        self.m.requests[request_id] = replace(self.m.requests[request_id], **known)

    async def move_request(
        self, request_id: int, from_statuses: tuple[str, ...], **values: Any
    ) -> bool:
        if self.m.requests[request_id].status not in from_statuses:
            return False
        await self.change_request(request_id, **values)
        return True

    async def overdue_requests(self, now: datetime) -> list[JoinRequest]:
        return [
            r
            for r in self.m.requests.values()
            if r.status in ("asking", "rules") and r.answer_by <= now
        ]

    async def member(self, chat_id: int, person_id: int) -> GroupMember | None:
        return self.m.members.get((chat_id, person_id))

    async def set_member(self, chat_id: int, person_id: int, **values: Any) -> None:
        current = self.m.members.get((chat_id, person_id)) or GroupMember(
            chat_id, person_id, "member"
        )
        known = {k: v for k, v in values.items() if k in GroupMember.__dataclass_fields__}
        self.m.members[(chat_id, person_id)] = replace(current, **known)

    async def memberships(self, person_id: int) -> list[GroupMember]:
        return [m for m in self.m.members.values() if m.person_id == person_id]

    async def community_chats(self, channel: str) -> list[Chat]:
        return [c for c in self.m.chats.values() if c.channel == channel and c.kind == "community"]

    async def messages_since(
        self, chat_id: int, person_id: int, since: datetime, up_to: int | None = None
    ) -> int:
        return sum(
            1
            for row in self.m.messages
            if row["chat_id"] == chat_id
            and row["person_id"] == person_id
            and row["content"] not in ("join_request", "member_joined", "member_left", "button")
            and row["at"] >= since
            and (up_to is None or row["id"] <= up_to)
        )


class FakeModeration:
    def __init__(self, memory: Memory, clock: FakeClock) -> None:
        self.m = memory
        self.clock = clock

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
    ) -> ModerationEntry:
        entry = ModerationEntry(
            next(self.m.ids), action, reason, chat_id, person_id, message_id, state, detail or {}
        )
        self.m.moderation[entry.id] = entry
        if action == "restrict" and until is not None:
            self.m.restrictions[entry.id] = (until, None)
        return entry

    async def get(self, entry_id: int) -> ModerationEntry | None:
        return self.m.moderation.get(entry_id)

    async def settle(self, entry_id: int, from_state: str, to_state: str) -> bool:
        entry = self.m.moderation.get(entry_id)
        if entry is None or entry.state != from_state:
            return False
        self.m.moderation[entry_id] = replace(entry, state=to_state)
        return True

    async def count(self, person_id: int, action: str) -> int:
        return sum(
            1 for e in self.m.moderation.values() if (e.person_id, e.action) == (person_id, action)
        )

    async def active_restriction(self, chat_id: int, person_id: int, now: datetime) -> bool:
        return any(
            self.m.moderation[i].chat_id == chat_id
            and self.m.moderation[i].person_id == person_id
            and lifted is None
            and until > now
            for i, (until, lifted) in self.m.restrictions.items()
        )

    async def restrictions_due(self, now: datetime) -> list[ModerationEntry]:
        return [
            self.m.moderation[i]
            for i, (until, lifted) in self.m.restrictions.items()
            if lifted is None and until <= now
        ]

    async def mark_lifted(self, entry_id: int, now: datetime) -> bool:
        until, lifted = self.m.restrictions[entry_id]
        if lifted is not None:
            return False
        self.m.restrictions[entry_id] = (until, now)
        return True

    async def discussions(self, chat_id: int, kind: str, since: datetime) -> list[Discussion]:
        return sorted(
            (
                d
                for d in self.m.discussions.values()
                if d.chat_id == chat_id and d.kind == kind and d.last_at >= since
            ),
            key=lambda d: d.id or 0,
        )

    async def save_discussion(self, discussion: Discussion) -> Discussion:
        saved = (
            discussion if discussion.id is not None else replace(discussion, id=next(self.m.ids))
        )
        assert saved.id is not None
        self.m.discussions[saved.id] = saved
        return saved


class FakeThreads:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

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
        known = self.m.thread_messages.get((chat_id, message_id))
        if known is not None:
            return self.m.threads[known]
        found = self.m.thread_messages.get((chat_id, reply_to)) if reply_to else None
        thread = self.m.threads[found] if found is not None else None
        if thread is None:
            recent = [
                t
                for t in self.m.threads.values()
                if t.chat_id == chat_id and t.last_message_at >= at - gap
            ]
            thread = max(recent, key=lambda t: (t.last_message_at, t.id), default=None)
        if thread is None:
            thread = GroupThread(next(self.m.ids), chat_id, message_id, at, at)
        thread = replace(thread, last_message_at=max(at, thread.last_message_at))
        self.m.threads[thread.id] = thread
        self.m.thread_messages[(chat_id, message_id)] = thread.id
        return thread

    async def spoke(self, thread_id: int, at: datetime) -> None:
        self.m.threads[thread_id] = replace(self.m.threads[thread_id], last_public_at=at)

    async def add_case(self, thread_id: int, kind: str, case_id: int) -> None:
        thread = self.m.threads[thread_id]
        self.m.threads[thread_id] = replace(thread, cases={**thread.cases, kind: case_id})


class FakeRegister:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def references(self) -> list[str]:
        return [t.reference for t in self.m.tenancies]

    async def candidates(self, references: Sequence[str], postcode: str | None) -> list[Tenancy]:
        return [t for t in self.m.tenancies if t.reference in references or t.postcode == postcode]

    async def near(self, reference: str | None, postcode: str | None, within: int) -> list[Tenancy]:
        return [
            t
            for t in self.m.tenancies
            if (reference and edit_distance(t.reference, reference) <= within)
            or (postcode and t.postcode == postcode)
        ]


class FakeHazards:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def details(self, case_id: int) -> CaseDetails | None:
        return self.m.details.get(case_id)

    async def save_details(self, details: CaseDetails) -> None:
        self.m.details[details.case_id] = details

    async def hazard(self, case_id: int) -> Hazard | None:
        return self.m.hazards.get(case_id)

    async def open_hazard(self, hazard: Hazard) -> bool:
        if hazard.case_id in self.m.hazards:
            return False
        self.m.hazards[hazard.case_id] = replace(hazard, steps=())
        return True

    async def change_hazard(self, case_id: int, **values: Any) -> None:
        if "at_risk" in values:
            values["at_risk"] = tuple(values["at_risk"])
        self.m.hazards[case_id] = replace(self.m.hazards[case_id], **values)

    async def save_steps(self, case_id: int, steps: Sequence[HazardStep]) -> None:
        hazard = self.m.hazards[case_id]
        names = {s.step for s in steps}
        kept = {s.step: s for s in hazard.steps if s.done_at is not None or s.step in names}
        for step in steps:
            old = kept.get(step.step)
            if old is None or old.done_at is None:
                kept[step.step] = step
        self.m.hazards[case_id] = replace(hazard, steps=tuple(kept.values()))

    async def mark_step(self, case_id: int, step: str, field: str, at: datetime) -> bool:
        hazard = self.m.hazards[case_id]
        found = hazard.step(step)
        if found is None or found.done_at is not None or getattr(found, field) is not None:
            return False
        marks: dict[str, Any] = {field: at}
        steps = tuple(replace(s, **marks) if s.step == step else s for s in hazard.steps)
        self.m.hazards[case_id] = replace(hazard, steps=steps)
        return True

    async def hazards_due(self, at: datetime, on: date) -> list[Hazard]:
        return [
            h
            for h in self.m.hazards.values()
            if self.m.cases[h.case_id].status != "closed"
            and any(
                s.done_at is None
                and s.missed_at is None
                and (
                    (s.due_at is not None and s.due_at <= at)
                    or (s.due_on is not None and s.due_on <= on)
                )
                for s in h.steps
            )
        ]


class FakeIdentity:
    def __init__(self, memory: Memory) -> None:
        self.m = memory

    async def verified_tenancy(self, person_id: int) -> str | None:
        return self.m.verified.get(person_id)

    async def verify(self, person_id: int, reference: str, at: datetime) -> None:
        self.m.verified[person_id] = reference

    async def record_try(
        self, person_id: int, origin: str | None, *, matched: bool, at: datetime
    ) -> None:
        self.m.identity_tries.append((person_id, origin, matched, at))

    async def wrong_tries(self, person_id: int, origin: str | None, since: datetime) -> int:
        return sum(
            1
            for who, where, matched, at in self.m.identity_tries
            if not matched
            and at >= since
            and (who == person_id or (origin is not None and where == origin))
        )

    async def wrong_tries_everywhere(self, since: datetime) -> int:
        return sum(1 for _, _, matched, at in self.m.identity_tries if not matched and at >= since)


def fake_records(
    memory: Memory | None = None, clock: FakeClock | None = None
) -> tuple[Records, Memory]:
    memory = memory or Memory()
    clock = clock or FakeClock()
    records = Records(
        people=FakePeople(memory),
        audit=FakeAudit(memory),
        cases=FakeCases(memory, clock),
        members=FakeMembers(memory),
        moderation=FakeModeration(memory, clock),
        register=FakeRegister(memory),
        clock=clock,
        threads=FakeThreads(memory),
        hazards=FakeHazards(memory),
        identity=FakeIdentity(memory),
    )
    return records, memory


@dataclass(frozen=True)
class Said:
    intent: str
    scores: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Found:
    kind: str
    start: int
    end: int


@dataclass(frozen=True)
class Answered:
    answer: str


class FakeUnderstanding:
    """Intent by keyword, enough to steer a policy: tests say what they mean plainly."""

    KEYWORDS = (
        ("gas", "emergency"),
        ("complain", "complaint"),
        ("repair", "repair"),
        ("leak", "repair"),
        ("idiot", "hostile"),
        ("?", "question"),
    )

    def classify(self, text: str) -> Said:
        lowered = text.lower()
        for word, intent in self.KEYWORDS:
            if word in lowered:
                return Said(intent, {intent: 0.9})
        return Said("smalltalk", {"smalltalk": 0.9})

    def read_ahead(self, texts: Sequence[str]) -> None:
        pass

    def answer(self, text: str) -> Answered | None:
        return Answered("Our office is open 9 to 5.") if "open" in text.lower() else None

    def recognised_question(self, text: str) -> str | None:
        return "opening-hours" if "hours" in text.lower() else None

    def find_personal_data(self, text: str) -> list[Found]:
        at = text.find("07700")
        return [Found("phone", at, at + 11)] if at >= 0 else []

    def find_disclosures(self, text: str) -> list[Found]:
        at = text.find("my arrears")
        return [Found("money", at + 3, at + 10)] if at >= 0 else []


__all__ = ["FakeClock", "FakeUnderstanding", "Memory", "fake_records", "timedelta"]
