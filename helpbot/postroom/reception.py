"""Reception: turns one stored event into the desk's work.

Channel events are translated by their adapter (pure translation, no policy); the
postroom's own events (the clock's ticks, delivery failures) are read here. Either
way the desk decides, inside the worker's unit of work.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from typing import Any

from helpbot.desk.actions import Action
from helpbot.desk.events import Inbound
from helpbot.desk.front_desk import Desk
from helpbot.postroom.inbox import Event

SYSTEM = "system"
KEEP_TRANSLATED = 1024
Translate = Callable[[dict[str, Any]], Inbound | None]


class Reception:
    def __init__(self, desk: Desk, translators: dict[str, Translate] | None = None) -> None:
        self.desk = desk
        self.translators: dict[str, Translate] = dict(translators or {})
        # Events translated by ``prepare`` for the batch in hand, by event id.
        self._translated: dict[int, Inbound | None] = {}

    def register(self, channel: str, translate: Translate) -> None:
        self.translators[channel] = translate

    def prepare(self, events: Sequence[Event]) -> None:
        """Before a batch is handled: translate its events once, and let the desk read
        their words in one pass of the model instead of one pass each."""
        if len(self._translated) > KEEP_TRANSLATED:  # left by batches that failed
            self._translated.clear()
        inbounds = []
        for event in events:
            translate = self.translators.get(event.channel)
            if translate is None:
                continue
            try:
                inbound = translate(event.payload)
            except ValueError:
                continue  # handled (as malformed) by __call__
            self._translated[event.id] = inbound
            if inbound is not None:
                inbounds.append(inbound)
        self.desk.read_ahead(inbounds)

    async def __call__(self, event: Event) -> tuple[Sequence[Action], str]:
        if event.channel == SYSTEM:
            return await self._system(event.payload)
        if event.id in self._translated:
            inbound = self._translated.pop(event.id)
        else:
            translate = self.translators.get(event.channel)
            if translate is None:
                return [], "no-channel"
            try:
                inbound = translate(event.payload)
            except ValueError:
                return [], "malformed"
        if inbound is None:
            return [], "ignored"
        return await self.desk.handle(inbound), "done"

    async def _system(self, payload: dict[str, Any]) -> tuple[Sequence[Action], str]:
        kind = payload.get("kind")
        if kind == "sweep":
            at = datetime.fromisoformat(payload["at"])
            return [*await self.desk.community_sweep(at), *await self.desk.hazard_watch(at)], "done"
        if kind == "reminders":
            return await self.desk.complaint_reminders(date.fromisoformat(payload["day"])), "done"
        if kind == "delivery_failed":
            actions = await self.desk.delivery_failed(
                payload.get("case_id"),
                payload.get("author"),
                str(payload.get("status")),
                str(payload.get("reason")),
            )
            return actions, "done"
        return [], "malformed"
