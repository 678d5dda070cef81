"""Engine and sessions. SQLite is tuned for one writer path (WAL), as measured in DESIGN.md."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import CursorResult, Result, event
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlalchemy.pool import StaticPool

from helpbot.store.inline_sqlite import creator

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def rows_changed(result: Result[Any]) -> int:
    """How many rows an UPDATE changed: a conditional update that changed one row won."""
    assert isinstance(result, CursorResult)
    return int(result.rowcount)


# PostgreSQL's codes for a transaction it failed to break a cycle of waits (deadlock) or
# could not serialise: nothing of it was done, and doing it again is the remedy.
RETRYABLE = frozenset({"40P01", "40001"})


def deadlocked(error: BaseException) -> bool:
    """Whether the database failed this transaction to break a deadlock (or a
    serialisation failure): nothing of it was written, so it may simply be run again."""
    return isinstance(error, DBAPIError) and getattr(error.orig, "sqlstate", None) in RETRYABLE


def _tune_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def create_engine(url: str) -> AsyncEngine:
    """An async engine; an in-memory SQLite URL shares one connection so tables persist.

    hide_parameters keeps bound values (tenants' words) out of SQLAlchemy's error
    messages and logs, so a failing insert never leaks into a log line (Privacy)."""
    if url.startswith("sqlite"):
        in_memory = url.endswith("://") or ":memory:" in url
        # One connection: SQLite allows one writer at a time, and many connections
        # contending for the lock spend their time in busy-wait back-off (one
        # writer path, DESIGN.md). Work is still concurrent; commits queue here.
        kwargs: dict[str, Any] = {"pool_size": 1, "max_overflow": 0, "pool_timeout": 60}
        if in_memory:
            kwargs = {"poolclass": StaticPool}
        engine = create_async_engine(url, hide_parameters=True, **creator(url), **kwargs)
        event.listen(engine.sync_engine, "connect", _tune_sqlite)
        return engine
    return create_async_engine(
        url, pool_size=10, max_overflow=10, pool_pre_ping=False, hide_parameters=True
    )


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker:  # type: ignore[type-arg]
    return async_sessionmaker(engine, expire_on_commit=False)


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Apply migrations. Runs its own event loop, so call it from a thread inside async code."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)
