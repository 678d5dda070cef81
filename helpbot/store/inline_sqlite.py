"""SQLite without aiosqlite's thread: every call runs at once on the event loop.

aiosqlite hands each call (cursor, execute, fetch, commit...) to a worker thread and
back, over a hundred crossings per update here; under load the thread hand-offs and
the GIL cost more than the queries themselves (profiled: a quarter of the bot's CPU
in ``SimpleQueue.put_nowait`` alone). SQLite on a local file answers our small
queries in microseconds and WAL commits do not wait for the disk, so running them
inline is faster and, with one connection, just as safe. The catch: a query that
waits (another process holding the write lock, up to busy_timeout) holds up the loop,
which is acceptable for the embedded single-process default; PostgreSQL serves more.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite


class _RunAtOnce:
    """Stands in for aiosqlite's queue to its worker thread: runs each call now."""

    def put_nowait(self, item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:
            if future is not None and not future.done():
                future.set_exception(error)
            return
        if future is not None and not future.done():
            future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunAtOnce()  # type: ignore[assignment]

    def __await__(self) -> Any:
        return self._connect().__await__()  # no thread to start


def creator(database: str) -> Callable[[], InlineConnection]:
    """For ``create_async_engine(..., async_creator=creator(path))``."""

    def connect() -> InlineConnection:
        return InlineConnection(lambda: sqlite3.connect(database, check_same_thread=False))

    return connect
