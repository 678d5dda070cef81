"""SQLite without a thread or an async driver: every statement runs at once on the event loop.

aiosqlite hands each call (cursor, execute, fetch, commit...) to a worker thread and
back, over a hundred crossings per update here; under load the thread hand-offs and
the GIL cost more than the queries themselves (profiled: a quarter of the bot's CPU
in ``SimpleQueue.put_nowait`` alone). SQLite on a local file answers our small
queries in microseconds and WAL commits do not wait for the disk, so running them
inline is faster and, with one connection, just as safe.

So the async engine's SQLite dialect here is Python's own ``sqlite3`` module, declared
"async" so that SQLAlchemy's asyncio layer accepts it: a statement then never leaves
the greenlet SQLAlchemy runs it in (no future, no switch back to the loop per call),
which halves what a statement costs (``make benchmark``). Only waiting for the one
pooled connection still awaits (the pool is asyncio's).

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

DRIVER = "helpbot_inline"


class _Ready:
    """An awaitable that is done at once."""

    def __await__(self) -> Generator[Any, None, None]:
        return
        yield


_READY = _Ready()


class InlineSQLiteDialect(SQLiteDialect_pysqlite):
    """pysqlite, run from the asyncio engine without an adapter."""

    driver = DRIVER
    is_async = True
    supports_statement_cache = True

    # SQLAlchemy's AsyncConnection.execute insists that a statement awaited something
    # (to catch a sync driver by mistake): each statement awaits one thing already done.
    def do_execute(self, cursor: Any, statement: Any, parameters: Any, context: Any = None) -> None:
        super().do_execute(cursor, statement, parameters, context)
        _awaited()

    def do_executemany(
        self, cursor: Any, statement: Any, parameters: Any, context: Any = None
    ) -> None:
        super().do_executemany(cursor, statement, parameters, context)
        _awaited()

    def do_execute_no_params(self, cursor: Any, statement: Any, context: Any = None) -> None:
        super().do_execute_no_params(cursor, statement, context)
        _awaited()

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        if cls._is_url_file_db(url):
            return pool.AsyncAdaptedQueuePool
        return pool.StaticPool


def _awaited() -> None:
    if in_greenlet():
        await_(_READY)


registry.register(f"sqlite.{DRIVER}", __name__, "InlineSQLiteDialect")


class InlineCursor(sqlite3.Cursor):
    async def _async_soft_close(self) -> None:
        """What SQLAlchemy's asyncio layer calls on a result's cursor: rows are read
        straight from SQLite whenever they are asked for, so nothing to do."""


class InlineConnection(sqlite3.Connection):
    def cursor(self, factory: Any = InlineCursor) -> Any:
        return super().cursor(factory)


def connect(database: str) -> sqlite3.Connection:
    """``check_same_thread=False``: Alembic's migrations run it from a worker thread."""
    return sqlite3.connect(database, check_same_thread=False, factory=InlineConnection)


def inline_url(url: str) -> tuple[URL, dict[str, Any]]:
    """The URL (whatever its driver, e.g. ``sqlite+aiosqlite``) on this dialect, and the
    engine arguments that open its file."""
    from sqlalchemy import make_url

    parsed = make_url(url).set(drivername=f"sqlite+{DRIVER}")
    database = parsed.database or ":memory:"
    return parsed, {"creator": lambda: connect(database)}
