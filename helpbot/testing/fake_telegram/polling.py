"""The getUpdates side of delivery: updates wait in a queue until the bot confirms them.

As on Telegram, an update stays pending until a later ``offset`` confirms it, a new
long poll ends the previous one with 409 Conflict, and the update types the bot did
not ask for in ``allowed_updates`` are never queued for it.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpbot.testing.fake_telegram.errors import STATUS_DESCRIPTIONS, ApiError
from helpbot.testing.fake_telegram.params import int_param

__all__ = ["NOT_DELIVERED_BY_DEFAULT", "UPDATE_TYPES", "UpdateQueue", "allowed"]

JSON = dict[str, Any]

#: Update types Telegram withholds unless allowed_updates asks for them explicitly.
NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)


def _update_type(update: Any) -> str | None:
    if isinstance(update, dict):
        for key in update:
            if key != "update_id":
                return str(key)
    return None


def allowed(update: Any, allowed_updates: list[str] | None) -> bool:
    """Whether Telegram would deliver ``update`` to a bot that asked for ``allowed_updates``."""
    kind = _update_type(update)
    if kind is None:
        return True
    if not allowed_updates:
        return kind not in NOT_DELIVERED_BY_DEFAULT
    return kind in allowed_updates


@dataclass
class _Queued:
    update: JSON
    forced: bool = False  # deliver_again: returned once even if already confirmed


class UpdateQueue:
    """Pending updates for getUpdates, and the long poll over them."""

    def __init__(self, describe_calls: Callable[[], str] = str) -> None:
        self._describe_calls = describe_calls
        self._entries: list[_Queued] = []
        self._allowed: list[str] | None = None
        self._generation = 0
        self._event = asyncio.Event()
        self._closed = False

    def open(self) -> None:
        self._closed = False
        self._event = asyncio.Event()

    def close(self) -> None:
        """Pending long polls return at once (empty)."""
        self._closed = True
        self._notify()

    def add(self, update: JSON, *, forced: bool = False) -> None:
        self._entries.append(_Queued(copy.deepcopy(update), forced))
        self._notify()

    def clear(self) -> None:
        self._entries.clear()
        self._notify()

    def __len__(self) -> int:
        return len(self._entries)

    @property
    def pending(self) -> list[JSON]:
        """Updates queued for getUpdates and not yet confirmed by the bot."""
        return [copy.deepcopy(entry.update) for entry in self._entries]

    async def wait_until_confirmed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has fetched and confirmed (offset) every queued update."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._entries:
            event = self._event
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"{len(self._entries)} update(s) still unconfirmed after {timeout}s "
                    "(is the bot polling?)\n" + self._describe_calls()
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    async def get_updates(self, params: JSON) -> list[JSON]:
        """The getUpdates method (the caller has checked no webhook is set)."""
        offset = int_param(params, "offset", 0) or 0
        limit = min(max(int_param(params, "limit", 100) or 100, 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if params.get("allowed_updates") is not None:
            self._allowed = list(params["allowed_updates"])
        self._generation += 1
        generation = self._generation
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._event
            batch = self._take_batch(limit)
            if batch or self._closed:
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
            if generation != self._generation:
                raise ApiError(409, STATUS_DESCRIPTIONS[409])

    def _notify(self) -> None:
        self._event.set()
        self._event = asyncio.Event()

    def _confirm(self, offset: int) -> None:
        before = len(self._entries)
        if offset < 0:
            self._entries = self._entries[offset:]
        elif offset:
            self._entries = [
                entry
                for entry in self._entries
                if entry.forced
                or not isinstance(entry.update.get("update_id"), int)
                or entry.update["update_id"] >= offset
            ]
        if len(self._entries) != before:
            self._notify()

    def _take_batch(self, limit: int) -> list[JSON]:
        """Up to ``limit`` deliverable updates; they stay queued until confirmed by offset.

        Exceptions, returned once and dropped: deliver_again duplicates, and updates
        without an integer update_id (they can never be confirmed).
        """
        batch: list[_Queued] = []
        keep: list[_Queued] = []
        for entry in self._entries:
            if not allowed(entry.update, self._allowed):
                continue  # not an allowed type: Telegram would never have queued it
            taken = len(batch) < limit
            if taken:
                batch.append(entry)
            once = entry.forced or not isinstance(entry.update.get("update_id"), int)
            if not (taken and once):
                keep.append(entry)
        changed = len(keep) != len(self._entries)
        self._entries = keep
        if changed:
            self._notify()
        batch.sort(key=lambda e: e.update.get("update_id", 0))
        return [copy.deepcopy(entry.update) for entry in batch]
