"""Fault injection: what Telegram does to a bot on a bad day.

Every fault is one ``Fault`` rule in a ``FaultPlan``, limited by a count, a time
window, or both:

* ``error``: answer with an error instead of performing the call (429 with
  ``parameters.retry_after``, which PTB raises as RetryAfter; 5xx, NetworkError);
* ``delay``: wait before performing the call (a slow round trip: the call takes effect
  late, or never if the client gave up and the test stops the fake);
* ``hold``: perform the call, record it, then hold the answer (Telegram answering
  late: a client with a shorter read timeout sees TimedOut although its message *was*
  sent, which is how a blind retry doubles a message).

A rule with ``methods=None`` applies to every method except getUpdates (which a test
names explicitly when it means it), so a storm does not starve a polling bot unasked.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Literal

from helpbot.testing.fake_telegram.errors import ApiError, describe_status

__all__ = ["SENDING_METHODS", "Fault", "FaultPlan"]

JSON = dict[str, Any]
Kind = Literal["error", "delay", "hold"]
Match = Callable[[JSON], bool]

#: Calls that create a message: the ones whose lost answer can double a message.
SENDING_METHODS = (
    "sendMessage",
    "sendPhoto",
    "sendDocument",
    "sendVoice",
    "sendSticker",
    "copyMessage",
    "forwardMessage",
)


@dataclass(eq=False)
class Fault:
    """One rule. ``hits`` counts the calls it changed; ``count`` what it may still change."""

    kind: Kind
    name: str
    methods: frozenset[str] | None = None
    status: int = 0
    description: str | None = None
    #: 429 only: parameters.retry_after; None means "until the window ends" (at least 1).
    retry_after: int | None = None
    #: delay or hold, in seconds.
    seconds: float = 0.0
    count: int | None = None
    starts: float = -math.inf
    ends: float = math.inf
    match: Match | None = None
    hits: int = 0

    def applies(self, method: str, params: JSON, now: float) -> bool:
        if self.count is not None and self.count <= 0:
            return False
        if not self.starts <= now < self.ends:
            return False
        if self.methods is None:
            if method == "getUpdates":
                return False
        elif method not in self.methods:
            return False
        return self.match is None or bool(self.match(params))

    def spent(self, now: float) -> bool:
        return now >= self.ends or (self.count is not None and self.count <= 0)

    def error(self, now: float) -> ApiError:
        retry_after = self.retry_after
        if retry_after is None:
            retry_after = max(1, math.ceil(self.ends - now)) if math.isfinite(self.ends) else 1
        description = self.description or describe_status(self.status, retry_after)
        parameters = {"retry_after": retry_after} if self.status == 429 else None
        return ApiError(self.status, description, parameters)

    def to_json(self, now: float) -> JSON:
        """What GET /_fake/faults shows: the rule, and seconds until it starts / ends."""
        shown: JSON = {
            "kind": self.kind,
            "name": self.name,
            "methods": sorted(self.methods) if self.methods is not None else None,
            "hits": self.hits,
            "count": self.count,
            "active": self.starts <= now < self.ends,
            "starts_in": max(0.0, self.starts - now) if math.isfinite(self.starts) else 0.0,
            "ends_in": self.ends - now if math.isfinite(self.ends) else None,
        }
        if self.kind == "error":
            shown.update(status=self.status, retry_after=self.retry_after)
        else:
            shown["seconds"] = self.seconds
        return shown


class FaultPlan:
    """The faults in force. ``canonical`` maps a method name to the API's spelling."""

    def __init__(
        self,
        canonical: Callable[[str], str] = str,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.canonical = canonical
        #: Seconds for windows; tests may replace it to move time without sleeping.
        self.monotonic = monotonic
        self.faults: list[Fault] = []
        #: Seconds added to every call but getUpdates (``latency``).
        self.round_trip = 0.0
        self._closing = asyncio.Event()

    # --- count-limited (as before time windows existed) -----------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        *,
        description: str | None = None,
        match: Match | None = None,
    ) -> Fault:
        """Answer the next ``count`` calls to ``method`` ("*": any but getUpdates) with an error.

        429 carries ``parameters.retry_after`` (PTB raises RetryAfter); 5xx give NetworkError.
        ``match`` narrows it to calls whose params satisfy it (e.g. one chat).
        """
        methods = None if method == "*" else (method,)
        return self._add(
            "error",
            "fail_next",
            methods,
            status=status,
            retry_after=retry_after,
            description=description,
            count=count,
            match=match,
        )

    def delay_next(
        self, method: str, seconds: float, count: int = 1, *, match: Match | None = None
    ) -> Fault:
        """Hold the next ``count`` calls to ``method`` for ``seconds`` *before* performing them.

        The call still takes effect afterwards, as on Telegram: a client that timed out
        may find its message was sent after all.
        """
        methods = None if method == "*" else (method,)
        return self._add("delay", "delay_next", methods, seconds=seconds, count=count, match=match)

    # --- time windows -----------------------------------------------------------------------

    def storm(
        self,
        status: int = 429,
        retry_after: int | None = 5,
        seconds: float = 35.0,
        methods: Iterable[str] | None = None,
        *,
        start_in: float = 0.0,
        match: Match | None = None,
    ) -> Fault:
        """For ``seconds``, answer every matching call with 429 and ``retry_after``.

        A client that honours retry_after keeps meeting 429 until the window ends, so a
        storm longer than a sender's cap on waiting (say 30 s) tests that nothing is
        dropped. ``retry_after=None`` tells the client the seconds left in the storm.
        """
        return self._add(
            "error",
            "storm",
            methods,
            status=status,
            retry_after=retry_after,
            window=seconds,
            start_in=start_in,
            match=match,
        )

    def outage(
        self,
        status: int = 500,
        seconds: float = 10.0,
        methods: Iterable[str] | None = None,
        *,
        start_in: float = 0.0,
        description: str | None = None,
        match: Match | None = None,
    ) -> Fault:
        """For ``seconds``, answer every matching call with ``status`` (PTB: NetworkError)."""
        return self._add(
            "error",
            "outage",
            methods,
            status=status,
            description=description,
            window=seconds,
            start_in=start_in,
            match=match,
        )

    def hold(
        self,
        seconds: float,
        methods: Iterable[str] | None = SENDING_METHODS,
        *,
        count: int | None = None,
        window: float | None = None,
        start_in: float = 0.0,
        match: Match | None = None,
    ) -> Fault:
        """Perform matching calls at once but answer them ``seconds`` later.

        The message is recorded as sent when the call arrives; only the answer is late
        (calls that fail are answered at once). Limited by ``count`` calls and/or a
        ``window`` of seconds; with neither, until cleared.
        """
        return self._add(
            "hold",
            "hold",
            methods,
            seconds=seconds,
            count=count,
            window=window,
            start_in=start_in,
            match=match,
        )

    def latency(self, seconds: float) -> None:
        """Add a simulated round trip of ``seconds`` to every call but getUpdates.

        A setting of the network rather than a fault: ``clear()`` leaves it; set 0 to end.
        """
        if seconds < 0:
            raise ValueError("latency must not be negative")
        self.round_trip = float(seconds)

    # --- managing the plan ------------------------------------------------------------------

    def clear(self) -> None:
        self.faults.clear()

    def remove(self, fault: Fault) -> None:
        with contextlib.suppress(ValueError):
            self.faults.remove(fault)

    def take_error(self, method: str, params: JSON) -> ApiError | None:
        """The error the first matching error rule gives this call, if any (counts a hit)."""
        now = self.monotonic()
        for fault in self._matching("error", method, params, now):
            return fault.error(now)
        return None

    def take_seconds(self, kind: Literal["delay", "hold"], method: str, params: JSON) -> float:
        """Total delay (or hold) the matching rules add to this call (each counts a hit)."""
        now = self.monotonic()
        total = sum(fault.seconds for fault in self._matching(kind, method, params, now))
        if kind == "delay" and method != "getUpdates":
            total += self.round_trip
        return total

    def to_json(self) -> list[JSON]:
        now = self.monotonic()
        self._prune(now)
        return [fault.to_json(now) for fault in self.faults]

    async def sleep(self, seconds: float) -> None:
        """Sleep that ends early when the fake stops, so no answer outlives the server."""
        if seconds > 0 and not self._closing.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), seconds)

    def open(self) -> None:
        self._closing = asyncio.Event()

    def close(self) -> None:
        self._closing.set()

    def from_json(self, body: JSON) -> JSON:
        """Add a fault from a control request (``{"kind": "storm", "seconds": 35, ...}``);
        returns how GET /_fake/faults shows it.

        ``kind`` names one of fail_next, delay_next, storm, outage, hold, latency; the
        other keys are that method's keyword arguments, plus ``chat_id`` to narrow the
        fault to calls for one chat.
        """
        options = dict(body)
        kind = options.pop("kind", None)
        if kind == "latency":
            if set(options) != {"seconds"}:
                raise ValueError('latency takes only "seconds"')
            self.latency(float(options["seconds"]))
            return {"kind": "delay", "name": "latency", "seconds": self.round_trip}
        adders: dict[str, Callable[..., Fault]] = {
            "fail_next": self.fail_next,
            "delay_next": self.delay_next,
            "storm": self.storm,
            "outage": self.outage,
            "hold": self.hold,
        }
        if kind not in adders:
            raise ValueError(f'"kind" must be one of {sorted([*adders, "latency"])}')
        if "chat_id" in options:
            chat_id = options.pop("chat_id")
            options["match"] = lambda params: params.get("chat_id") == chat_id
        if isinstance(options.get("methods"), list):
            options["methods"] = tuple(options["methods"])
        try:
            fault = adders[kind](**options)
        except TypeError as error:
            raise ValueError(f"bad options for {kind}: {error}") from None
        return fault.to_json(self.monotonic())

    # --- internals ----------------------------------------------------------------------------

    def _add(
        self,
        kind: Kind,
        name: str,
        methods: Iterable[str] | None,
        *,
        status: int = 0,
        retry_after: int | None = None,
        description: str | None = None,
        seconds: float = 0.0,
        count: int | None = None,
        window: float | None = None,
        start_in: float = 0.0,
        match: Match | None = None,
    ) -> Fault:
        if kind == "error" and not 400 <= status <= 599:
            raise ValueError(f"an injected error needs a 4xx or 5xx status, not {status}")
        if seconds < 0 or start_in < 0 or (window is not None and window <= 0):
            raise ValueError("seconds, start_in and window must not be negative")
        if isinstance(methods, str):
            methods = (methods,)
        now = self.monotonic()
        starts = now + start_in if start_in or window is not None else -math.inf
        fault = Fault(
            kind=kind,
            name=name,
            methods=frozenset(map(self.canonical, methods)) if methods is not None else None,
            status=status,
            description=description,
            retry_after=retry_after,
            seconds=float(seconds),
            count=count,
            starts=starts,
            ends=starts + window if window is not None else math.inf,
            match=match,
        )
        self.faults.append(fault)
        return fault

    def _matching(self, kind: Kind, method: str, params: JSON, now: float) -> Iterable[Fault]:
        self._prune(now)
        for fault in list(self.faults):
            if fault.kind == kind and fault.applies(method, params, now):
                fault.hits += 1
                if fault.count is not None:
                    fault.count -= 1
                yield fault

    def _prune(self, now: float) -> None:
        self.faults = [fault for fault in self.faults if not fault.spent(now)]
