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
