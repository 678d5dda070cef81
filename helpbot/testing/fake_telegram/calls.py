"""What the bot did: every API call recorded, the messages it sent, and ways to wait.

Tests read counters here rather than poking at state (``sent_count(chat_id)``,
``call_count("sendMessage", ok=False)``), and the ``wait_for*`` helpers explain on
timeout what the bot did call, which is usually the quickest route to the bug.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from helpbot.testing.fake_telegram.world import World

__all__ = ["ApiCall", "CallLog"]

JSON = dict[str, Any]

log = logging.getLogger("helpbot.testing.fake_telegram")


@dataclass
class ApiCall:
    """One request the bot made. ``failed_with`` is the HTTP status of an error answer.

    ``delayed``: seconds waited before performing it; ``held``: seconds its answer was
    held after performing it.
    """

    method: str
    params: dict[str, Any]
    at: float
    failed_with: int | None = None
    description: str | None = None
    result: Any = None
    delayed: float = 0.0
    held: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failed_with is None

    def brief(self) -> str:
        """One line for failure messages: method, the telling params, the outcome."""
        keys = ("chat_id", "message_thread_id", "text", "caption", "name", "message_id", "user_id")
        shown = []
        for key in keys:
            if key in self.params:
                value = repr(self.params[key])
                shown.append(f"{key}={value[:60] + '...' if len(value) > 60 else value}")
        outcome = f" -> {self.failed_with} {self.description}" if self.failed_with else ""
        return f"{self.method}({', '.join(shown)}){outcome}"


class CallLog:
    """Recorded calls, sent-message snapshots (``world.sent``) and the waits over them."""

    def __init__(self, world: World, canonical: Callable[[str], str] = str) -> None:
        self.world = world
        self.canonical = canonical
        #: Every API call, in the order it took effect (or failed).
        self.calls: list[ApiCall] = []
        #: Called with each ApiCall as it is recorded (the CLI prints them).
        self.on_call: Callable[[ApiCall], None] | None = None
        self._event = asyncio.Event()

    def reset_event(self) -> None:
        """A fresh event: the fake may be started again under another event loop."""
        self._event = asyncio.Event()

    def record(self, call: ApiCall) -> None:
        self.calls.append(call)
        log.debug("fake telegram: %s", call.brief())
        if self.on_call is not None:
            self.on_call(call)
        self._event.set()
        self._event = asyncio.Event()

    # --- reading ----------------------------------------------------------------------------

    def calls_to(self, method: str) -> list[ApiCall]:
        """All recorded calls to ``method`` (case-insensitive, like the API), failed ones too."""
        name = self.canonical(method)
        return [call for call in self.calls if call.method == name]

    def call_count(self, method: str, *, ok: bool | None = None) -> int:
        """How many calls to ``method`` were recorded (``ok=True``/``False``: only those)."""
        return sum(1 for call in self.calls_to(method) if ok is None or call.ok == ok)

    def sent_messages(
        self, chat_id: int | None = None, *, thread_id: int | None = None
    ) -> list[JSON]:
        """Messages the bot sent (sendMessage, send<Media>, copy/forwardMessage) as returned.

        Snapshots at send time; ``tg.message(chat_id, message_id)`` gives the current state.
        A reply keyboard (non-inline) is not part of a Message: see the call's params.
        """
        return [copy.deepcopy(message) for message in self._sent(chat_id, thread_id)]

    def sent_count(self, chat_id: int | None = None, *, thread_id: int | None = None) -> int:
        """How many messages the bot sent (to ``chat_id``, in ``thread_id``)."""
        return len(self._sent(chat_id, thread_id))

    def counts(self) -> JSON:
        """Every counter at once (``GET /_fake/counts``): calls by method and outcome,
        messages sent by chat."""
        by_method: dict[str, dict[str, int]] = {}
        for call in self.calls:
            entry = by_method.setdefault(call.method, {"ok": 0, "failed": 0})
            entry["ok" if call.ok else "failed"] += 1
        sent = Counter(str(message["chat"]["id"]) for message in self.world.sent)
        return {
            "calls": by_method,
            "calls_total": len(self.calls),
            "sent": dict(sent),
            "sent_total": len(self.world.sent),
        }

    def clear_calls(self) -> None:
        """Forget recorded calls and sent-message snapshots (state such as topics stays)."""
        self.calls.clear()
        self.world.sent.clear()

    def describe_calls(self, last: int = 40) -> str:
        """Readable list of recent calls, runs of getUpdates collapsed."""
        lines: list[str] = []
        polls = 0
        for call in self.calls[-last:]:
            if call.method == "getUpdates" and call.ok and not call.result:
                polls += 1
                continue
            if polls:
                lines.append(f"  getUpdates (empty) x{polls}")
                polls = 0
            lines.append("  " + call.brief())
        if polls:
            lines.append(f"  getUpdates (empty) x{polls}")
        header = f"Calls so far ({len(self.calls)}, last {min(last, len(self.calls))} shown):"
        return "\n".join([header, *lines]) if lines else "No API calls were made."

    # --- waiting ----------------------------------------------------------------------------

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline in seconds is the helper's contract
    ) -> list[ApiCall]:
        """Wait until ``count`` recorded calls to ``method`` match; returns all matches.

        Calls already recorded count (use ``clear_calls()`` first to wait for new ones).
        On timeout raises AssertionError listing what the bot did call.
        """
        name = self.canonical(method)

        def matching() -> list[ApiCall]:
            return [
                c for c in self.calls if c.method == name and (predicate is None or predicate(c))
            ]

        found: list[ApiCall] | None = await self._wait(
            lambda: matching() if len(matching()) >= count else None, timeout
        )
        if found is None:
            got = matching()
            what = f"{count} x {name}" + (" matching the predicate" if predicate else "")
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; {len(got)} matched.\n"
                + self.describe_calls()
            )
        return found

    async def wait_for_sent(
        self,
        chat_id: int | None = None,
        *,
        predicate: Callable[[JSON], bool] | None = None,
        count: int = 1,
        thread_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - as wait_for
    ) -> list[JSON]:
        """Wait until the bot has sent ``count`` messages (to ``chat_id``) matching."""

        def matching() -> list[JSON]:
            return [
                m
                for m in self.sent_messages(chat_id, thread_id=thread_id)
                if predicate is None or predicate(m)
            ]

        found: list[JSON] | None = await self._wait(
            lambda: matching() if len(matching()) >= count else None, timeout
        )
        if found is None:
            where = "" if chat_id is None else f" to chat {chat_id}"
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} sent message(s){where}; "
                f"{len(matching())} matched.\n" + self.describe_calls()
            )
        return found

    async def _wait(self, check: Callable[[], Any], seconds: float) -> Any:
        """Re-run ``check`` after every recorded call until it returns non-None."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            event = self._event
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _sent(self, chat_id: int | None, thread_id: int | None) -> list[JSON]:
        return [
            message
            for message in self.world.sent
            if (chat_id is None or message["chat"]["id"] == chat_id)
            and (thread_id is None or message.get("message_thread_id") == thread_id)
        ]
