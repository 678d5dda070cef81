"""What a channel adapter reports about one attempt to carry out an action.

Adapters raise these (or return ``Delivered``); the sender decides what happens next,
so every channel gets the same retry and reporting rules.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Delivered:
    external_id: str | None = None  # the platform's message id, when it gave one
    thread_id: int | None = None  # the staff topic it went to, when one was made


class RetryLater(Exception):
    """Not done, and safe to try again: a rate limit (``after`` seconds, as the platform
    asked), a server error, or a request that never left this machine."""

    def __init__(self, reason: str, after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.after = after


class Undeliverable(Exception):
    """Refused for good (the tenant blocked the bot, the chat is gone): do not retry."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class OutcomeUnknown(Exception):
    """The request went out but no answer came back in time: it may have been done.
    Repeating it could send the tenant the same message twice."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


async def record_until_stored(write: Callable[[], Awaitable[Any]], what: str) -> None:
    """Write down something a platform has already done (a message sent, a topic made),
    waiting for the store if it is down: forgetting it would do it again."""
    pause = 0.2
    while True:
        try:
            await write()
            return
        except Exception as error:
            log.warning("could not record %s (%s); retrying", what, type(error).__name__)
            await asyncio.sleep(pause)
            pause = min(5.0, pause * 2)
