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
        self._translated: dict[int, Inbound | str | None] = {}

    def register(self, channel: str, translate: Translate) -> None:
        self.translators[channel] = translate

    async def prepare(self, events: Sequence[Event]) -> None:
        """Before a batch is handled: translate its events once, and let the desk read
        ahead for all of them (the model's pass, the senders' records) instead of one
        by one."""
        if len(self._translated) > KEEP_TRANSLATED:  # left by batches that failed
            self._translated.clear()
        inbounds = []
        for event in events:
            if event.channel == SYSTEM:
                continue
            read = self._translated[event.id] = self._translate(event)
            if isinstance(read, Inbound):
                inbounds.append(read)
        await self.desk.read_ahead(inbounds)

    async def __call__(self, event: Event) -> tuple[Sequence[Action], str]:
        if event.channel == SYSTEM:
            return await self._system(event.payload)
        if event.id in self._translated:
            read = self._translated.pop(event.id)
        else:
            read = self._translate(event)
        if read is None:
            return [], "ignored"
        if isinstance(read, str):
            return [], read
        return await self.desk.handle(read), "done"

    def _translate(self, event: Event) -> Inbound | str | None:
        """The event as the desk reads it; None for one its adapter ignores; or, for one
        that cannot be read, the outcome to record ("no-channel", "malformed")."""
        translate = self.translators.get(event.channel)
        if translate is None:
            return "no-channel"
        try:
            return translate(event.payload)
        except ValueError:
            return "malformed"

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
        if kind == "erased":
            topics = [(int(case), int(thread)) for case, thread in payload.get("topics", [])]
            posts = [str(post) for post in payload.get("posts", [])]
            return self.desk.tenant_erased(topics, posts), "done"
        return [], "malformed"
