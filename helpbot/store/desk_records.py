"""The store's side of the desk's ports (``helpbot/desk/ports.py``): the same record
keepers the rest of the bot uses, answering in the desk's frozen records, never in
rows. Rows stay here; the desk can only change them by asking."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Row

from helpbot.desk import events, records
from helpbot.desk.ports import Records
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.group_threads import GroupThreadBook
from helpbot.store.hazard_book import HazardBook
from helpbot.store.identity_checks import IdentityChecks
from helpbot.store.membership import Membership
from helpbot.store.moderation_log import ModerationLog
from helpbot.store.records import Store
from helpbot.store.tenancy_register import TenancyRegister


def person_record(row: models.Person) -> records.Person:
    return records.Person(
        id=row.id,
        channel=row.channel,
        external_id=row.external_id,
        first_name=row.first_name or "",
        username=row.username,
        staff_since=row.staff_since,
    )


def chat_record(row: models.Chat) -> records.Chat:
    return records.Chat(
        id=row.id, channel=row.channel, external_id=row.external_id, kind=row.kind, title=row.title
    )


def case_record(row: models.Case | Row[Any]) -> records.Case:
    return records.Case(
        id=row.id,
        ref=row.ref,
        kind=row.kind,
        status=row.status,
        tenant_id=row.tenant_id,
        urgent=bool(row.urgent),
        summary=row.summary or "",
        chat_id=row.chat_id,
        origin_chat_id=row.origin_chat_id,
        origin_message_id=row.origin_message_id,
        link_token=row.link_token,
        staff_topic_id=row.staff_topic_id,
        assignee_id=row.assignee_id,
        assignee_name=row.assignee_name,
        stage=row.stage,
        received_on=row.received_on,
        acknowledged_on=row.acknowledged_on,
        acknowledge_by=row.acknowledge_by,
        respond_by=row.respond_by,
        responded_on=row.responded_on,
        last_reminded_on=row.last_reminded_on,
        publication_text=row.publication_text,
        publication_consent=row.publication_consent,
        created_at=row.created_at,
        updated_at=row.updated_at,
        set_aside_at=row.set_aside_at,
    )


def request_record(row: models.JoinRequest | Row[Any]) -> records.JoinRequest:
    return records.JoinRequest(
        id=row.id,
        chat_id=row.chat_id,
        person_id=row.person_id,
        status=row.status,
        step=row.step,
        attempts=row.attempts,
        answers=dict(row.answers or {}),
        answer_by=row.answer_by,
        rules_version=row.rules_version,
        rules_accepted_at=row.rules_accepted_at,
        register_match=row.register_match,
        decided_by_name=row.decided_by_name,
    )


def member_record(row: models.GroupMember) -> records.GroupMember:
    return records.GroupMember(
        chat_id=row.chat_id, person_id=row.person_id, status=row.status, joined_at=row.joined_at
    )


def entry_record(row: models.ModerationAction) -> records.ModerationEntry:
    return records.ModerationEntry(
        id=row.id,
        action=row.action,
        reason=row.reason or "",
        chat_id=row.chat_id,
        person_id=row.person_id,
        message_id=row.message_id,
        state=row.state,
        detail=dict(row.detail or {}),
    )


def discussion_record(row: models.Discussion) -> records.Discussion:
    return records.Discussion(
        id=row.id,
        chat_id=row.chat_id,
        kind=row.kind,
        status=row.status,
        participants=tuple(row.participants or ()),
        exchanges=tuple(
            records.Exchange(e["from"], e["to"], float(e["h"]), datetime.fromisoformat(e["at"]))
            for e in row.exchanges or ()
        ),
        started_at=row.started_at,
        last_at=row.last_at,
        closed_at=row.closed_at,
        quiet_until=row.quiet_until,
        closing_reply_to=row.closing_reply_to,
    )


def discussion_row(value: records.Discussion) -> models.Discussion:
    return models.Discussion(
        id=value.id,
        chat_id=value.chat_id,
        kind=value.kind,
        status=value.status,
        participants=list(value.participants),
        exchanges=[
            {"from": e.sender, "to": e.target, "h": e.heat, "at": e.at.isoformat()}
            for e in value.exchanges
        ],
        started_at=value.started_at,
        last_at=value.last_at,
        closed_at=value.closed_at,
        quiet_until=value.quiet_until,
        closing_reply_to=value.closing_reply_to,
    )


def thread_record(row: models.GroupThread) -> records.GroupThread:
    return records.GroupThread(
        id=row.id,
        chat_id=row.chat_id,
        root_message_id=row.root_message_id,
        started_at=row.started_at,
        last_message_at=row.last_message_at,
        last_public_at=row.last_public_at,
        cases={str(k): int(v) for k, v in (row.cases or {}).items()},
    )


def tenancy_record(row: models.Tenancy) -> records.Tenancy:
    return records.Tenancy(
        reference=row.reference,
        postcode=row.postcode,
        tenant_names=tuple(row.tenant_names or ()),
        occupant_names=tuple(row.occupant_names or ()),
        start_date=row.start_date,
        end_date=row.end_date,
        ended_at=row.ended_at,
    )


class StoredPeople:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.membership = Membership(store)

    async def person(self, who: events.Person) -> records.Person:
        return person_record(await self.store.person(who))

    async def chat(self, where: events.ChatRef) -> records.Chat:
        return chat_record(await self.store.chat(where))

    async def record_inbound(
        self, inbound: events.Inbound, intent: str | None, *, chat_id: int, person_id: int
    ) -> records.StoredMessage:
        row = await self.store.record_inbound(inbound, intent, chat_id=chat_id, person_id=person_id)
        return records.StoredMessage(row.id, row.chat_id, row.person_id, row.text, row.intent)

    async def record_inbound_ahead(self, batch: Sequence[records.InboundRecord]) -> None:
        await self.store.record_inbound_ahead(batch)

    async def link_message(self, message_id: int, case_id: int) -> None:
        await self.store.link_message(message_id, case_id)

    async def move_case_messages(self, from_case_id: int, to_case_id: int) -> int:
        return await self.store.move_case_messages(from_case_id, to_case_id)

    async def message(self, message_id: int) -> records.StoredMessage | None:
        row = await self.membership.message(message_id)
        if row is None:
            return None
        return records.StoredMessage(
            row.id, row.chat_id, row.person_id, row.text, row.intent, row.case_id
        )

    async def sent_message(
        self, chat_id: int, channel_message_id: str
    ) -> records.StoredMessage | None:
        row = await self.membership.sent_message(chat_id, channel_message_id)
        if row is None:
            return None
        return records.StoredMessage(
            row.id, row.chat_id, row.person_id, row.text, intent=row.intent, case_id=row.case_id
        )

    async def person_by_id(self, person_id: int) -> records.Person | None:
        row = await self.membership.person(person_id)
        return person_record(row) if row is not None else None

    async def chat_by_id(self, chat_id: int) -> records.Chat | None:
        row = await self.membership.chat(chat_id)
        return chat_record(row) if row is not None else None

    async def find_person(self, channel: str, who: str) -> records.Person | None:
        row = await self.membership.find_person(channel, who)
        return person_record(row) if row is not None else None

    async def find_people(self, channel: str, names: Sequence[str]) -> list[records.Person]:
        return [person_record(r) for r in await self.membership.find_people(channel, list(names))]

    async def set_staff_since(self, person_id: int, value: datetime | None) -> None:
        await self.membership.set_staff_since(person_id, value)
        self.store.forget_person(person_id)

    async def has_written_privately(self, person_id: int) -> bool:
        return await self.membership.has_written_privately(person_id)


class StoredAudit:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def audit(
        self,
        actor: str,
        action: str,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await self.store.audit(actor, action, subject, detail)


class StoredCases:
    def __init__(self, store: Store) -> None:
        self.book = Casebook(store)

    async def open_case(self, new: records.NewCase) -> records.Case:
        row = await self.book.open_case(
            kind=new.kind,
            tenant_id=new.tenant_id,
            chat_id=new.chat_id,
            summary=new.summary,
            urgent=new.urgent,
            origin_chat_id=new.origin_chat_id,
            origin_message_id=new.origin_message_id,
            with_link=new.with_link,
            complaint_dates=new.complaint_dates,
            actor_name=new.actor_name,
            now=new.now,
            origin=new.origin,
        )
        return case_record(row)

    async def opened_from(self, origin: str, since: datetime) -> int:
        return await self.book.opened_from(origin, since)

    @staticmethod
    def _one(row: models.Case | Row[Any] | None) -> records.Case | None:
        return case_record(row) if row is not None else None

    async def by_id(self, case_id: int) -> records.Case | None:
        return self._one(await self.book.by_id(case_id))

    async def by_topic(self, thread_id: int) -> records.Case | None:
        return self._one(await self.book.by_topic(thread_id))

    async def by_link(self, token: str) -> records.Case | None:
        return self._one(await self.book.by_link(token))

    async def open_case_of_kind(self, tenant_id: int, kind: str) -> records.Case | None:
        return self._one(await self.book.open_case_of_kind(tenant_id, kind))

    async def current_case(self, tenant_id: int) -> records.Case | None:
        return self._one(await self.book.current_case(tenant_id))

    async def tenant_cases(self, tenant_id: int) -> list[records.Case]:
        return [case_record(r) for r in await self.book.tenant_cases(tenant_id)]

    async def look_ahead(self, tenant_ids: Sequence[int]) -> None:
        await self.book.look_ahead(tenant_ids)

    async def complaints_due(self, by: date) -> list[records.Case]:
        return [case_record(r) for r in await self.book.complaints_due(by)]

    async def change(self, case_id: int, **values: Any) -> None:
        await self.book.change(case_id, **values)

    async def claim(self, case_id: int, staff_id: int, staff_name: str) -> bool:
        return await self.book.claim(case_id, staff_id, staff_name)

    async def release(self, case_id: int, staff_id: int) -> bool:
        return await self.book.release(case_id, staff_id)

    async def hand_over(
        self, case_id: int, holder_id: int | None, staff_id: int, staff_name: str
    ) -> bool:
        return await self.book.hand_over(case_id, holder_id, staff_id, staff_name)

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
        await self.book.log(
            case_id,
            kind,
            actor_kind=actor_kind,
            actor_id=actor_id,
            actor_name=actor_name,
            text=text,
            detail=detail,
        )

    async def timeline(self, case_id: int) -> list[records.CaseEvent]:
        return [
            records.CaseEvent(e.at, e.actor_kind, e.actor_name or "", e.kind, e.text or "")
            for e in await self.book.timeline(case_id)
        ]


class StoredMembers:
    def __init__(self, store: Store) -> None:
        self.membership = Membership(store)

    async def open_request(
        self, chat_id: int, person_id: int, *, now: datetime, answer_by: datetime
    ) -> records.JoinRequest:
        row = await self.membership.open_request(chat_id, person_id, now=now, answer_by=answer_by)
        return request_record(row)

    async def request(self, request_id: int) -> records.JoinRequest | None:
        row = await self.membership.request(request_id)
        return request_record(row) if row is not None else None

    async def look_ahead(self, person_ids: Sequence[int]) -> None:
        await self.membership.look_ahead(person_ids)

    async def current_request(self, person_id: int) -> records.JoinRequest | None:
        row = await self.membership.current_request(person_id)
        return request_record(row) if row is not None else None

    async def change_request(self, request_id: int, **values: Any) -> None:
        await self.membership.change_request(request_id, **values)

    async def move_request(
        self, request_id: int, from_statuses: tuple[str, ...], **values: Any
    ) -> bool:
        return await self.membership.move_request(request_id, from_statuses, **values)

    async def overdue_requests(self, now: datetime) -> list[records.JoinRequest]:
        return [request_record(r) for r in await self.membership.overdue_requests(now)]

    async def member(self, chat_id: int, person_id: int) -> records.GroupMember | None:
        row = await self.membership.member(chat_id, person_id)
        return member_record(row) if row is not None else None

    async def set_member(self, chat_id: int, person_id: int, **values: Any) -> None:
        await self.membership.set_member(chat_id, person_id, **values)

    async def memberships(self, person_id: int) -> list[records.GroupMember]:
        return [member_record(r) for r in await self.membership.memberships(person_id)]

    async def community_chats(self, channel: str) -> list[records.Chat]:
        return [chat_record(r) for r in await self.membership.community_chats(channel)]

    async def messages_since(
        self, chat_id: int, person_id: int, since: datetime, up_to: int | None = None
    ) -> int:
        return await self.membership.messages_since(chat_id, person_id, since, up_to)


class StoredModeration:
    def __init__(self, store: Store) -> None:
        self.log = ModerationLog(store)

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
    ) -> records.ModerationEntry:
        row = await self.log.record(
            action,
            actor_kind=actor_kind,
            chat_id=chat_id,
            person_id=person_id,
            reason=reason,
            actor_id=actor_id,
            actor_name=actor_name,
            until=until,
            state=state,
            message_id=message_id,
            detail=detail,
            at=at,
        )
        return entry_record(row)

    async def get(self, entry_id: int) -> records.ModerationEntry | None:
        row = await self.log.get(entry_id)
        return entry_record(row) if row is not None else None

    async def settle(self, entry_id: int, from_state: str, to_state: str) -> bool:
        return await self.log.settle(entry_id, from_state, to_state)

    async def count(self, person_id: int, action: str) -> int:
        return await self.log.count(person_id, action)

    async def active_restriction(self, chat_id: int, person_id: int, now: datetime) -> bool:
        return await self.log.active_restriction(chat_id, person_id, now) is not None

    async def restrictions_due(self, now: datetime) -> list[records.ModerationEntry]:
        return [entry_record(r) for r in await self.log.restrictions_due(now)]

    async def mark_lifted(self, entry_id: int, now: datetime) -> bool:
        return await self.log.mark_lifted(entry_id, now)

    async def discussions(
        self, chat_id: int, kind: str, since: datetime
    ) -> list[records.Discussion]:
        return [discussion_record(r) for r in await self.log.discussions(chat_id, kind, since)]

    async def save_discussion(self, discussion: records.Discussion) -> records.Discussion:
        return discussion_record(await self.log.save_discussion(discussion_row(discussion)))


class StoredThreads:
    def __init__(self, store: Store) -> None:
        self.book = GroupThreadBook(store)

    async def place(
        self,
        chat_id: int,
        message_id: str,
        *,
        topic: int | None,
        reply_to: str | None,
        at: datetime,
        gap: timedelta,
    ) -> records.GroupThread:
        row = await self.book.place(
            chat_id, message_id, topic=topic, reply_to=reply_to, at=at, gap=gap
        )
        return thread_record(row)

    async def spoke(self, thread_id: int, at: datetime) -> None:
        await self.book.spoke(thread_id, at)

    async def add_case(self, thread_id: int, kind: str, case_id: int) -> None:
        await self.book.add_case(thread_id, kind, case_id)


class StoredRegister:
    def __init__(self, store: Store) -> None:
        self.register = TenancyRegister(store)

    async def references(self) -> list[str]:
        return await self.register.references()

    async def candidates(
        self, references: Sequence[str], postcode: str | None
    ) -> list[records.Tenancy]:
        return [tenancy_record(r) for r in await self.register.candidates(references, postcode)]

    async def near(
        self, reference: str | None, postcode: str | None, within: int
    ) -> list[records.Tenancy]:
        rows = await self.register.near(reference, postcode, within)
        return [tenancy_record(r) for r in rows]


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


def desk_records(store: Store) -> Records:
    """Every port the desk needs, answered by this store."""
    return Records(
        people=StoredPeople(store),
        audit=StoredAudit(store),
        cases=StoredCases(store),
        members=StoredMembers(store),
        moderation=StoredModeration(store),
        register=StoredRegister(store),
        clock=SystemClock(),
        threads=StoredThreads(store),
        hazards=HazardBook(store),
        identity=IdentityChecks(store),
    )
