"""SQLite without a thread or an async driver: every statement runs at once on the event loop.

The bot's URLs say ``sqlite+aiosqlite``, but in this process that name is served by the
dialect below, not by the aiosqlite package. aiosqlite hands each call (cursor,
execute, fetch, commit...) to a worker thread and back, over a hundred crossings per
update here; under load the thread hand-offs and the GIL cost more than the queries
themselves (profiled: a quarter of the bot's CPU in ``SimpleQueue.put_nowait`` alone).
SQLite on a local file answers our small queries in microseconds and WAL commits do not
wait for the disk, so running them inline is faster and, with one connection, just as
safe.

So the async engine's SQLite dialect here is Python's own ``sqlite3`` module, declared
"async" so that SQLAlchemy's asyncio layer accepts it: a statement then never leaves
the greenlet SQLAlchemy runs it in (no future, no switch back to the loop per call),
a quarter less CPU per statement than aiosqlite run inline (``make benchmark``). Only
waiting for the one pooled connection still really awaits (the pool is asyncio's).

The catch: a query that waits (another process holding the write lock, up to
busy_timeout) holds up the loop, which is acceptable for the embedded single-process
default; PostgreSQL serves more.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Generator
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.util.concurrency import await_, in_greenlet


class _Ready:
    """An awaitable that is done at once."""

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield


_READY = _Ready()


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, run from the asyncio engine without an adapter."""

    driver = "aiosqlite"  # the name the bot's URLs use (see registry.register below)
    is_async = True
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool


def _awaited() -> None:
    if in_greenlet():
        await_(_READY)


# The bot's SQLite URLs say ``sqlite+aiosqlite`` (settings, tests, operators' .env files):
# in this process that name means this dialect.
registry.register("sqlite.aiosqlite", __name__, "InlineSQLiteDialect")


class InlineCursor(sqlite3.Cursor):
    # SQLAlchemy's AsyncConnection.execute insists that a statement awaited something
    # (to catch a sync driver by mistake): each statement awaits one thing already done.
    def execute(self, sql: str, parameters: Any = (), /) -> InlineCursor:
        super().execute(sql, parameters)
        _awaited()
        return self

    def executemany(self, sql: str, parameters: Any, /) -> InlineCursor:
        super().executemany(sql, parameters)
        _awaited()
        return self

    async def _async_soft_close(self) -> None:
        """What SQLAlchemy's asyncio layer calls on a result's cursor: rows are read
        straight from SQLite whenever they are asked for, so nothing to do."""


class InlineConnection(sqlite3.Connection):
    def cursor(self, factory: Any = InlineCursor) -> Any:
        return super().cursor(factory)


def connect(database: str) -> sqlite3.Connection:
    """``check_same_thread=False``: Alembic's migrations run it from a worker thread."""
    return sqlite3.connect(database, check_same_thread=False, factory=InlineConnection)


def creator(url: str) -> dict[str, Any]:
    """The engine argument that opens the URL's file (or memory) with this module."""
    from sqlalchemy import make_url

    database = make_url(url).database or ":memory:"
    return {"creator": lambda: connect(database)}
