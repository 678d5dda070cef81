"""The store keeps every delivery, message and audit event, the same on SQLite and
PostgreSQL (each test runs on both)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select, text

from helpbot.desk.events import ChatKind, ChatRef, Content, Inbound, Person
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.membership import Membership
from helpbot.store.records import Store
from tests.conftest import _pg_admin, _pg_url

TENANT = Person(channel="telegram", external_id="1001", first_name="Ann")
COLLEAGUE_A = Person(channel="telegram", external_id="9001", first_name="Priya")
COLLEAGUE_B = Person(channel="telegram", external_id="9002", first_name="Tom")
PRIVATE = ChatRef(channel="telegram", external_id="1001", kind=ChatKind.PRIVATE)


async def test_the_same_tenant_arriving_many_times_at_once_is_one_person(store: Store) -> None:
    rows = await asyncio.gather(*(store.person(TENANT) for _ in range(20)))
    assert len({row.id for row in rows}) == 1
    async with store.sessions() as session:
        assert await session.scalar(select(func.count(models.Person.id))) == 1


async def test_a_conversation_is_kept_in_order_with_times_in_utc(store: Store) -> None:
    person = await store.person(TENANT)
    chat = await store.chat(PRIVATE)
    said = Inbound(
        chat=PRIVATE,
        sender=TENANT,
        content=Content.TEXT,
        text="My boiler is broken",
        message_id="5",
        received_at=datetime(2026, 11, 24, 9, 30, tzinfo=UTC),
    )
    await store.record_inbound(said, "repair", chat_id=chat.id, person_id=person.id)
    reply = await store.outbound_row(
        PRIVATE,
        "Thanks for reporting this.",
        intent="repair",
        channel_message_id="6",
        status="sent",
    )
    await store.add_messages([reply])
    history = await store.chat_history(PRIVATE)
    assert [(m.direction, m.text, m.intent) for m in history] == [
        ("in", "My boiler is broken", "repair"),
        ("out", "Thanks for reporting this.", "repair"),
    ]
    assert history[0].created_at == datetime(2026, 11, 24, 9, 30, tzinfo=UTC)
    assert history[1].created_at.tzinfo is not None


async def test_staff_actions_are_audited_with_who_and_when(store: Store) -> None:
    await store.audit("staff:telegram:9001", "case_claim", "SHAL-00001", {"args": False})
    trail = await store.audit_trail()
    assert [(e.actor, e.action, e.subject) for e in trail] == [
        ("staff:telegram:9001", "case_claim", "SHAL-00001")
    ]
    assert trail[0].at.tzinfo is not None


async def test_two_colleagues_claiming_at_the_same_moment_gives_one_winner(store: Store) -> None:
    casebook = Casebook(store)
    tenant = await store.person(TENANT)
    a = await store.person(COLLEAGUE_A)
    b = await store.person(COLLEAGUE_B)
    for _ in range(10):
        case = await casebook.open_case(
            kind="complaint", tenant_id=tenant.id, chat_id=None, summary="x", urgent=False
        )
        results = await asyncio.gather(
            casebook.claim(case.id, a.id, "Priya"), casebook.claim(case.id, b.id, "Tom")
        )
        assert sorted(results) == [False, True]
        stored = await casebook.by_id(case.id)
        assert stored is not None
        winner = a.id if results[0] else b.id
        assert stored.assignee_id == winner


async def test_case_references_are_unique_and_readable(store: Store) -> None:
    casebook = Casebook(store)
    tenant = await store.person(TENANT)
    cases = [
        await casebook.open_case(
            kind="repair", tenant_id=tenant.id, chat_id=None, summary="tap", urgent=False
        )
        for _ in range(3)
    ]
    refs = [case.ref for case in cases]
    assert len(set(refs)) == 3
    assert all(ref.startswith("SHAL-") for ref in refs)


def test_db_upgrade_on_an_empty_postgresql_database_creates_every_table() -> None:
    name = f"helpbot_upgrade_{uuid.uuid4().hex[:10]}"
    asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    try:
        env = {**os.environ, "HELPBOT_DATABASE_URL": _pg_url(name)}
        result = subprocess.run(
            [sys.executable, "-m", "helpbot", "db", "upgrade"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert "up to date" in result.stdout

        async def tables() -> set[str]:
            store = Store.from_url(_pg_url(name))
            async with store.engine.connect() as connection:
                rows = await connection.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
                found = {row[0] for row in rows}
            await store.close()
            return found

        assert set(models.Base.metadata.tables) | {"alembic_version"} <= asyncio.run(tables())
    finally:
        asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def test_a_database_error_never_carries_what_the_tenant_wrote(store: Store) -> None:
    person = await store.person(TENANT)
    said = Inbound(
        chat=PRIVATE,
        sender=TENANT,
        content=Content.TEXT,
        text="my account number is 12345678 and my name is Ann Jones",
    )
    try:
        # chat 999999 does not exist: the foreign key refuses the row.
        await store.record_inbound(said, "personal", chat_id=999_999, person_id=person.id)
    except Exception as error:
        message = str(error)
    else:  # pragma: no cover
        raise AssertionError("the insert should have been refused")
    assert "12345678" not in message and "Ann Jones" not in message


async def test_a_batch_read_ahead_gives_each_tenant_what_asking_alone_would(store: Store) -> None:
    """The worker reads a batch's cases and join requests in one statement each: every
    tenant gets exactly what their own look-up returns (newest 20 cases, the newest
    open join request), and a tenant with nothing gets nothing."""
    casebook, membership = Casebook(store), Membership(store)
    ann, bea, cal = [
        await store.person(Person(channel="telegram", external_id=str(n), first_name=name))
        for n, name in ((501, "Ann"), (502, "Bea"), (503, "Cal"))
    ]
    group = await store.chat(
        ChatRef(channel="telegram", external_id="-100", kind=ChatKind.COMMUNITY)
    )
    for n in range(25):
        await casebook.open_case(
            kind="repair", tenant_id=ann.id, chat_id=None, summary=f"job {n}", urgent=False
        )
    await casebook.open_case(
        kind="complaint", tenant_id=bea.id, chat_id=None, summary="late", urgent=False
    )
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    await membership.open_request(group.id, bea.id, now=now, answer_by=now)
    people = [ann.id, bea.id, cal.id]
    alone = {
        p: ([c.id for c in await casebook.tenant_cases(p)], await membership.current_request(p))
        for p in people
    }
    async with store.unit():
        await casebook.look_ahead(people)
        await membership.look_ahead(people)
        for p in people:
            request = await membership.current_request(p)
            expected_cases, expected_request = alone[p]
            assert [c.id for c in await casebook.tenant_cases(p)] == expected_cases
            assert (request and request.id) == (expected_request and expected_request.id)
    assert len(alone[ann.id][0]) == 20 and alone[cal.id] == ([], None)


async def test_a_case_changed_earlier_in_a_batch_is_seen_by_a_later_message(store: Store) -> None:
    """A colleague closes Ann's case, then Ann's own message is handled in the same
    batch: her message must see the case closed, and a request opened in the batch
    must be found, not the rows read ahead before either happened."""
    casebook, membership = Casebook(store), Membership(store)
    ann = await store.person(TENANT)
    group = await store.chat(
        ChatRef(channel="telegram", external_id="-100", kind=ChatKind.COMMUNITY)
    )
    case = await casebook.open_case(
        kind="repair", tenant_id=ann.id, chat_id=None, summary="boiler", urgent=False
    )
    now = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    async with store.unit():
        await casebook.look_ahead([ann.id])
        await membership.look_ahead([ann.id])
        await casebook.change(case.id, status="closed")
        [seen] = await casebook.tenant_cases(ann.id)
        assert seen.status == "closed"
        await membership.open_request(group.id, ann.id, now=now, answer_by=now)
        request = await membership.current_request(ann.id)
        assert request is not None and request.status == "asking"
    # Nothing read ahead outlives its unit.
    async with store.unit():
        await casebook.change(case.id, status="open")
    [again] = await casebook.tenant_cases(ann.id)
    assert again.status == "open"


async def test_replies_written_together_get_their_own_ids_in_order(store: Store) -> None:
    """A batch's reply copies are one statement; each outbox row must point at its own
    copy, so the ids come back in the order the rows were given (on SQLite too, where
    the driver cannot be asked for that order)."""
    await store.person(TENANT)
    rows = [
        await store.outbound_row(
            PRIVATE, f"reply {n}", intent="question", channel_message_id=None, status="sent"
        )
        for n in range(300)  # more than one statement's worth of parameters on SQLite
    ]
    ids = await store.add_messages(rows)
    async with store.sessions() as session:
        stored = dict((await session.execute(select(models.Message.id, models.Message.text))).all())
    assert [stored[i] for i in ids] == [f"reply {n}" for n in range(300)]
