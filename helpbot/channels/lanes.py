"""Concurrency across chats, order within a chat.

With a ~50 ms Telegram round trip, one-at-a-time processing caps at ~18
updates/s (DESIGN.md); but two messages from one tenant must be answered in order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable


class ChatLanes:
    def __init__(self, max_concurrent: int = 64) -> None:
        self._tails: dict[str, asyncio.Task[None]] = {}
        self._limit = asyncio.Semaphore(max_concurrent)
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, lane: str, work: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        previous = self._tails.get(lane)

        async def run() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            async with self._limit:
                await work()

        task = asyncio.get_running_loop().create_task(run())
        self._tails[lane] = task
        self._tasks.add(task)

        def done(finished: asyncio.Task[None]) -> None:
            self._tasks.discard(finished)
            if self._tails.get(lane) is finished:
                del self._tails[lane]

        task.add_done_callback(done)
        return task

    async def drain(self) -> None:
        """Wait until every submitted piece of work has finished."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    def __len__(self) -> int:
        return len(self._tasks)
