"""Shared fixtures: real databases (a SQLite file and PostgreSQL), the trained pipeline,
and the fake Telegram Bot API.

PostgreSQL is required: if it cannot be reached the run fails loudly rather than
skipping (the project's CI promise).
"""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest

from helpbot.store.database import upgrade
from helpbot.store.models import Base
from helpbot.store.records import Store
from tests.nlu_fixtures import understanding  # noqa: F401  (session fixture)

PG_ADMIN = os.environ.get("HELPBOT_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")


def _pg_url(database: str) -> str:
    base = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://")
    return f"{base}/{database}"


async def _pg_admin(statement: str) -> None:
    connection = await asyncpg.connect(PG_ADMIN, timeout=10)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    """A fresh PostgreSQL database for this run, migrated to head, dropped at the end."""
    name = f"helpbot_test_{uuid.uuid4().hex[:12]}"
    try:
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
    except (OSError, asyncpg.PostgresError) as error:
        pytest.fail(
            f"PostgreSQL is required for the test suite and could not be reached at "
            f"{PG_ADMIN.split('@')[-1]}: {error}. Start it "
            "(pg_ctlcluster --skip-systemctl-redirect <version> main start).",
            pytrace=False,
        )
    url = _pg_url(name)
    upgrade(url)
    yield url
    asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every store test runs on a SQLite file and on PostgreSQL, both migrated by Alembic."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'helpbot.db'}"
        upgrade(url)
        return url
    return request.getfixturevalue("postgres_database")


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    store = Store.from_url(database_url)
    if store.engine.dialect.name == "postgresql":
        tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
        async with store.engine.begin() as connection:
            await connection.exec_driver_sql(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
    yield store
    await store.close()


@pytest.fixture
async def bot(store: Store, understanding):  # type: ignore[no-untyped-def]  # noqa: F811
    """The whole bot on a real database, talking to the fake Bot API over a webhook."""
    from helpbot.testing.harness import running_bot

    async with running_bot(store, understanding) as running:
        yield running


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The slowest tests start first. On two workers, one of them picked up last (the
    full evaluation, two minutes) held up the end of the run while the other sat idle."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)
