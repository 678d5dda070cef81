"""UK GDPR for tenants' data: a subject-access export, erasure, and the retention sweep.

Erasure and retention remove what identifies a person or what they said (message text,
names, handles, raw channel payloads, answers to join questions) and keep the case facts
the Housing Ombudsman may ask about: the kind, status, stage, the dates and deadlines,
and who on the staff did what, when. That an erasure happened is itself recorded.
"""

from __future__ import annotations

import asyncio
import html
import io
import json
import logging
import uuid
import zipfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import String, cast, delete, select, update

from helpbot.store import models
from helpbot.store.database import deadlocked, rows_changed
from helpbot.store.records import Store

ERASED = "[erased]"
T = TypeVar("T")
log = logging.getLogger(__name__)


def _plain(row: Any, *skip: str) -> dict[str, Any]:
    """A row as JSON-ready data."""
    found: dict[str, Any] = {}
    for column in row.__table__.columns:
        if column.key in skip:
            continue
        value = getattr(row, column.key)
        if isinstance(value, datetime | date):
            value = value.isoformat()
        found[column.key] = value
    return found


@dataclass
class SweepCounts:
    """What a retention sweep did (or, dry, would do)."""

    cases_anonymised: int = 0
    messages_blanked: int = 0
    raw_events_deleted: int = 0
    outbox_items_deleted: int = 0
    removed_posts_blanked: int = 0
    dry_run: bool = False

    def lines(self) -> list[str]:
        verb = "would be" if self.dry_run else "were"
        return [
            f"closed cases anonymised: {self.cases_anonymised} {verb} changed",
            f"case messages blanked: {self.messages_blanked}",
            f"raw channel payloads deleted: {self.raw_events_deleted}",
            f"sent-message payloads deleted: {self.outbox_items_deleted}",
            f"group posts removed for personal data, text blanked: {self.removed_posts_blanked}",
        ]


@dataclass
class ErasureCounts:
    messages: int = 0
    cases: int = 0
    case_events: int = 0
    raw_events: int = 0
    join_requests: int = 0
    extra: dict[str, int] = field(default_factory=dict)


def _mentions_user(payload: Any, external_id: str) -> bool:
    """Whether a raw platform payload is from or about this user (a ``from`` or ``user``
    object with their id), so only their updates lose their payload."""
    if isinstance(payload, dict):
        for key in ("from", "user", "from_user"):
            who = payload.get(key)
            if isinstance(who, dict) and str(who.get("id")) == external_id:
                return True
        return any(_mentions_user(v, external_id) for v in payload.values())
    if isinstance(payload, list):
        return any(_mentions_user(v, external_id) for v in payload)
    return False


DEADLOCK_TRIES = 5


async def _again_if_deadlocked(work: Callable[[], Awaitable[T]]) -> T:
    """The sweep and an erasure each update many rows in one transaction, in their own
    order, while workers' batches hold their tenants' cases locked (read ahead, on
    PostgreSQL) and may then need a row the sweep holds: PostgreSQL fails one of the two
    to break the wait. A batch is redone by its worker; this is the remedy here, so an
    admin's button or the daily run does not fail for it (tests/test_attack_lock.py)."""
    for attempt in range(1, DEADLOCK_TRIES + 1):
        try:
            return await work()
        except Exception as error:
            if attempt == DEADLOCK_TRIES or not deadlocked(error):
                raise
            log.info("privacy work deadlocked with other work; again (%d)", attempt)
            await asyncio.sleep(0.05 * attempt)
    raise AssertionError("unreachable")


class Privacy:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = store.sessions

    # -- subject access -------------------------------------------------------------

    async def subject_access(self, person_id: int) -> dict[str, Any] | None:
        """Everything held about one person: their identity, messages (theirs and ours to
        them), cases with their history and consents, join requests, memberships and
        moderation entries. Nothing about anyone else's messages."""
        async with self.sessions() as session:
            person = await session.get(models.Person, person_id)
            if person is None:
                return None
            chats = await self._private_chats(session, person)
            cases = list(
                await session.scalars(select(models.Case).where(models.Case.tenant_id == person.id))
            )
            case_ids = [c.id for c in cases]
            theirs = list(
                await session.scalars(
                    select(models.Message)
                    .where(models.Message.person_id == person.id)
                    .order_by(models.Message.id)
                )
            )
            ours = list(
                await session.scalars(
                    select(models.Message)
                    .where(
                        models.Message.chat_id.in_(chats),
                        models.Message.direction == "out",
                    )
                    .order_by(models.Message.id)
                )
            )
            events = list(
                await session.scalars(
                    select(models.CaseEvent)
                    .where(models.CaseEvent.case_id.in_(case_ids))
                    .order_by(models.CaseEvent.id)
                )
            )
            requests = list(
                await session.scalars(
                    select(models.JoinRequest).where(models.JoinRequest.person_id == person.id)
                )
            )
            members = list(
                await session.scalars(
                    select(models.GroupMember).where(models.GroupMember.person_id == person.id)
                )
            )
            moderation = list(
                await session.scalars(
                    select(models.ModerationAction).where(
                        models.ModerationAction.person_id == person.id
                    )
                )
            )
            details = list(
                await session.scalars(
                    select(models.CaseDetail).where(models.CaseDetail.case_id.in_(case_ids))
                )
            )
            hazards = list(
                await session.scalars(
                    select(models.Hazard).where(models.Hazard.case_id.in_(case_ids))
                )
            )
        refs = {c.id: c.ref for c in cases}
        return {
            "person": _plain(person),
            "messages_from_you": [_plain(m) for m in theirs],
            "messages_to_you": [_plain(m) for m in ours],
            "cases": [_plain(c, "link_token", "origin") for c in cases],
            "case_history": [_plain(e) | {"case_ref": refs.get(e.case_id)} for e in events],
            "consents": [
                {
                    "case_ref": c.ref,
                    "publication_text": c.publication_text,
                    "consent": c.publication_consent,
                    "at": c.publication_consent_at.isoformat()
                    if c.publication_consent_at
                    else None,
                }
                for c in cases
                if c.publication_consent
            ],
            "join_requests": [_plain(r) for r in requests],
            "group_memberships": [_plain(m) for m in members],
            "moderation": [_plain(m) for m in moderation],
            "repair_details": [_plain(d) | {"case_ref": refs.get(d.case_id)} for d in details],
            "hazards": [_plain(h) | {"case_ref": refs.get(h.case_id)} for h in hazards],
        }

    async def subject_access_zip(self, person_id: int) -> bytes | None:
        """The export as a ZIP: one JSON file per part and a readable index.html."""
        data = await self.subject_access(person_id)
        if data is None:
            return None
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, part in data.items():
                archive.writestr(f"{name}.json", json.dumps(part, indent=2, ensure_ascii=False))
            archive.writestr("index.html", _readable(data))
        return buffer.getvalue()

    # -- erasure --------------------------------------------------------------------

    async def erase(self, person_id: int, *, actor: str) -> ErasureCounts | None:
        """Remove one person's personal data; keep the non-personal case facts; record
        that it happened (who asked for it, when, how much went), never what. Run again
        if PostgreSQL fails it to break a deadlock (see ``_again_if_deadlocked``)."""
        return await _again_if_deadlocked(lambda: self._erase(person_id, actor=actor))

    async def _erase(self, person_id: int, *, actor: str) -> ErasureCounts | None:
        counts = ErasureCounts()
        async with self.store.unit() as session:
            person = await session.get(models.Person, person_id)
            if person is None:
                return None
            external_id, channel = person.external_id, person.channel
            chats = await self._private_chats(session, person)
            case_ids = list(
                await session.scalars(
                    select(models.Case.id).where(models.Case.tenant_id == person.id)
                )
            )
            counts.cases = len(case_ids)
            counts.messages += await self._out_of_staff_room(session, person.id, case_ids)
            counts.messages += await self._blank_messages(
                session,
                (models.Message.person_id == person.id)
                | models.Message.chat_id.in_(chats)
                | models.Message.case_id.in_(case_ids),
            )
            counts.case_events = await self._anonymise_cases(session, case_ids)
            counts.raw_events = await self._forget_raw(session, channel, external_id, chats)
            counts.raw_events += await self._forget_console_events(session, case_ids)
            result = await session.execute(
                update(models.JoinRequest)
                .where(models.JoinRequest.person_id == person.id)
                .values(answers={}, register_note=None)
            )
            counts.join_requests = rows_changed(result)
            # A request still open has nothing left to decide on: it is withdrawn, and
            # leaves the console's list of requests to approve.
            await session.execute(
                update(models.JoinRequest)
                .where(
                    models.JoinRequest.person_id == person.id,
                    models.JoinRequest.status.in_(("asking", "rules", "review")),
                )
                .values(status="withdrawn", decided_at=models.utcnow())
            )
            await session.execute(
                update(models.ModerationAction)
                .where(models.ModerationAction.person_id == person.id)
                .values(detail={})
            )
            person.first_name = ERASED
            person.username = None
            person.tenancy_ref = None
            person.tenancy_verified_at = None
            await session.execute(
                delete(models.IdentityCheck).where(models.IdentityCheck.person_id == person.id)
            )
            person.external_id = f"erased-{person.id}"
            session.add(
                models.AuditEvent(
                    actor=actor,
                    action="privacy_erasure",
                    subject=f"person:{person.id}",
                    detail={
                        "messages": counts.messages,
                        "cases": counts.cases,
                        "case_events": counts.case_events,
                        "raw_events": counts.raw_events,
                    },
                )
            )
        self.store._people.clear()
        return counts

    async def _out_of_staff_room(self, session: Any, person_id: int, case_ids: list[int]) -> int:
        """The cases' topics, their main-chat posts and the notices about the person
        (a safety check, a join request, a held post) in the Telegram staff group still
        hold the tenant's words: an event in the same transaction has the desk delete
        them (desk/cases/erasure.py), so an erasure that commits is carried out even if
        the process stops right after. Our copies of everything said in those topics
        (colleagues' notes too) are blanked; the cases forget their topics."""
        staff_chats = select(models.Chat.id).where(models.Chat.kind == "staff")
        topics = [
            [case_id, thread]
            for case_id, thread in await session.execute(
                select(models.Case.id, models.Case.staff_topic_id).where(
                    models.Case.id.in_(case_ids), models.Case.staff_topic_id.is_not(None)
                )
            )
        ]
        posts = list(
            await session.scalars(
                select(models.Message.channel_message_id).where(
                    models.Message.chat_id.in_(staff_chats),
                    models.Message.direction == "out",
                    models.Message.channel_message_id.is_not(None),
                    (models.Message.case_id.in_(case_ids) & models.Message.thread_id.is_(None))
                    | (models.Message.person_id == person_id),
                )
            )
        )
        blanked = 0
        if topics:
            threads = [thread for _, thread in topics]
            blanked = await self._blank_messages(
                session,
                models.Message.chat_id.in_(staff_chats) & models.Message.thread_id.in_(threads),
            )
            await session.execute(
                update(models.Case).where(models.Case.id.in_(case_ids)).values(staff_topic_id=None)
            )
        if topics or posts:
            session.add(
                models.InboxEvent(
                    channel="system",
                    event_key=f"erased:{person_id}:{uuid.uuid4().hex}",
                    conversation="system:privacy",
                    payload={"kind": "erased", "topics": topics, "posts": posts},
                )
            )
        return blanked

    async def _private_chats(self, session: Any, person: models.Person) -> list[int]:
        """The person's one-to-one chats with us: their own chat and their cases' threads."""
        found = set(
            await session.scalars(
                select(models.Chat.id).where(
                    models.Chat.channel == person.channel,
                    models.Chat.external_id == person.external_id,
                    models.Chat.kind == "private",
                )
            )
        )
        found |= {
            chat_id
            for chat_id in await session.scalars(
                select(models.Case.chat_id).where(models.Case.tenant_id == person.id)
            )
            if chat_id is not None
        }
        return sorted(found)

    async def _blank_messages(self, session: Any, where: Any) -> int:
        ids = list(
            await session.scalars(select(models.Message.id).where(where, models.Message.text != ""))
        )
        if not ids:
            return 0
        await session.execute(
            update(models.Message).where(models.Message.id.in_(ids)).values(text="")
        )
        await session.execute(
            update(models.OutboxItem)
            .where(
                models.OutboxItem.message_id.in_(ids),
                models.OutboxItem.status.notin_(("pending", "sending")),
            )
            .values(payload={})
        )
        return len(ids)

    async def _anonymise_cases(self, session: Any, case_ids: list[int]) -> int:
        if not case_ids:
            return 0
        await session.execute(
            update(models.Case)
            .where(models.Case.id.in_(case_ids))
            .values(
                summary="",
                resolution=None,
                publication_text=None,
                extension_reason=None,
                link_token=None,
                origin=None,
            )
        )
        result = await session.execute(
            update(models.CaseEvent)
            .where(models.CaseEvent.case_id.in_(case_ids))
            .values(text="", detail={})
        )
        await session.execute(
            update(models.CaseEvent)
            .where(models.CaseEvent.case_id.in_(case_ids), models.CaseEvent.actor_kind == "tenant")
            .values(actor_name="")
        )
        # A repair's answers and its hazard's words (who lives there, findings, the
        # written summary); the kind, category and dates stay for the reports.
        await session.execute(
            update(models.CaseDetail)
            .where(models.CaseDetail.case_id.in_(case_ids))
            .values(answers={}, facts={})
        )
        await session.execute(
            update(models.Hazard)
            .where(models.Hazard.case_id.in_(case_ids))
            .values(
                reason="",
                confirmed_reason="",
                at_risk=[],
                findings="",
                summary="",
                works_later="",
                alternative="",
            )
        )
        await session.execute(
            update(models.HazardStep).where(models.HazardStep.case_id.in_(case_ids)).values(note="")
        )
        return int(result.rowcount or 0)

    async def _forget_raw(
        self, session: Any, channel: str, external_id: str, chats: list[int]
    ) -> int:
        """Raw payloads from or about the person: their private conversations whole, and
        in groups only the updates they sent."""
        conversations = [
            f"{c.channel}:{c.external_id}"
            for c in await session.scalars(select(models.Chat).where(models.Chat.id.in_(chats)))
        ]
        event = models.InboxEvent
        forgotten = 0
        if conversations:
            result = await session.execute(
                update(event)
                .where(event.conversation.in_(conversations), event.status == "done")
                .values(payload={})
            )
            forgotten += int(result.rowcount or 0)
        candidates = await session.scalars(
            select(event).where(
                event.channel == channel,
                event.status == "done",
                cast(event.payload, String).contains(external_id),
            )
        )
        for row in candidates:
            if _mentions_user(row.payload, external_id):
                row.payload = {}
                forgotten += 1
        return forgotten

    async def _forget_console_events(self, session: Any, case_ids: list[int]) -> int:
        """Colleagues' console actions on the person's cases (a reply to them, a note
        about them) as the inbox stored them."""
        if not case_ids:
            return 0
        wanted = set(case_ids)
        event = models.InboxEvent
        forgotten = 0
        for row in await session.scalars(
            select(event).where(event.channel == "console", event.status == "done")
        ):
            if isinstance(row.payload, dict) and row.payload.get("case_id") in wanted:
                row.payload = {}
                forgotten += 1
        return forgotten

    # -- retention ------------------------------------------------------------------

    async def sweep(
        self,
        now: datetime,
        *,
        closed_case_days: int,
        raw_days: int,
        dry_run: bool = False,
    ) -> SweepCounts:
        """Anonymise cases closed longer ago than the limit, delete raw payloads older
        than theirs, and blank group posts deleted for containing personal data. Run
        again if PostgreSQL fails it to break a deadlock (see ``_again_if_deadlocked``)."""
        return await _again_if_deadlocked(
            lambda: self._sweep(
                now, closed_case_days=closed_case_days, raw_days=raw_days, dry_run=dry_run
            )
        )

    async def _sweep(
        self,
        now: datetime,
        *,
        closed_case_days: int,
        raw_days: int,
        dry_run: bool,
    ) -> SweepCounts:
        counts = SweepCounts(dry_run=dry_run)
        case_cutoff = now - timedelta(days=closed_case_days)
        raw_cutoff = now - timedelta(days=raw_days)
        event, item = models.InboxEvent, models.OutboxItem
        async with self.store.unit() as session:
            done_already = select(models.CaseEvent.case_id).where(
                models.CaseEvent.kind == "anonymised"
            )
            old_cases = list(
                await session.scalars(
                    select(models.Case.id).where(
                        models.Case.status == "closed",
                        models.Case.closed_at < case_cutoff,
                        models.Case.id.notin_(done_already),
                    )
                )
            )
            counts.cases_anonymised = len(old_cases)
            old_events = select(event.id).where(
                event.status != "pending", event.finished_at < raw_cutoff
            )
            old_items = select(item.id).where(
                item.status.notin_(("pending", "sending")), item.finished_at < raw_cutoff
            )
            counts.raw_events_deleted = len(list(await session.scalars(old_events)))
            counts.outbox_items_deleted = len(list(await session.scalars(old_items)))
            removed = await self._removed_posts(session)
            counts.removed_posts_blanked = len(removed)
            with_text = select(models.Message.id).where(
                models.Message.case_id.in_(old_cases), models.Message.text != ""
            )
            counts.messages_blanked = len(list(await session.scalars(with_text)))
            if dry_run:
                return counts
            await self._blank_messages(session, models.Message.case_id.in_(old_cases))
            await self._anonymise_cases(session, old_cases)
            for case_id in old_cases:
                session.add(
                    models.CaseEvent(
                        case_id=case_id,
                        at=now,
                        actor_kind="system",
                        kind="anonymised",
                        detail={"after_days": closed_case_days},
                    )
                )
            await session.execute(delete(event).where(event.id.in_(old_events)))
            await session.execute(delete(item).where(item.id.in_(old_items)))
            if removed:
                await self._blank_messages(session, models.Message.id.in_(removed))
            session.add(
                models.AuditEvent(
                    actor="system",
                    action="retention_sweep",
                    detail={
                        "cases": counts.cases_anonymised,
                        "raw_events": counts.raw_events_deleted,
                        "outbox_items": counts.outbox_items_deleted,
                        "removed_posts": counts.removed_posts_blanked,
                    },
                )
            )
        return counts

    async def _removed_posts(self, session: Any) -> list[int]:
        """Group messages the bot deleted for containing personal data that still have
        their text stored (and their raw payloads, which go with them here)."""
        audits = await session.scalars(
            select(models.AuditEvent).where(models.AuditEvent.action == "removed_personal_data")
        )
        found: list[int] = []
        for entry in audits:
            channel, _, chat = (entry.subject or "").partition(":")
            message_id = (entry.detail or {}).get("message_id")
            if not chat or message_id is None:
                continue
            # The post and any edits of it (an edit can be what added the details).
            rows = await session.scalars(
                select(models.Message.id)
                .join(models.Chat, models.Chat.id == models.Message.chat_id)
                .where(
                    models.Chat.channel == channel,
                    models.Chat.external_id == chat,
                    models.Message.channel_message_id == str(message_id),
                    models.Message.direction == "in",
                    models.Message.text != "",
                )
            )
            ids = list(rows)
            if ids:
                found.extend(ids)
                for raw in await session.scalars(
                    select(models.InboxEvent).where(
                        models.InboxEvent.conversation == f"{channel}:{chat}",
                        cast(models.InboxEvent.payload, String).contains(str(message_id)),
                    )
                ):
                    body = raw.payload.get("message") or raw.payload.get("edited_message") or {}
                    if str(body.get("message_id")) == str(message_id):
                        raw.payload = {}
        return found


def _readable(data: dict[str, Any]) -> str:
    """The export as one page a person can read without tools; every value escaped."""
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<title>Your data held by SHAL</title></head><body>",
        "<h1>Your data held by SHAL</h1>",
        "<p>This is everything the SHAL helpdesk holds about you. The JSON files in this "
        "archive hold the same, for other programs.</p>",
    ]
    for name, part in data.items():
        parts.append(f"<h2>{html.escape(name.replace('_', ' ').capitalize())}</h2>")
        rows = part if isinstance(part, list) else [part]
        if not rows:
            parts.append("<p>None.</p>")
            continue
        for row in rows:
            parts.append("<dl>")
            for key, value in row.items():
                if value in (None, "", {}, []):
                    continue
                shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
                parts.append(f"<dt>{html.escape(str(key))}</dt><dd>{html.escape(shown)}</dd>")
            parts.append("</dl>")
    parts.append("</body></html>")
    return "\n".join(parts)
