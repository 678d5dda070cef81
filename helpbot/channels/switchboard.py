"""Routes each action from the outbox to the channel adapter that carries it out.

A tenant on the web chat can have their case worked from the Telegram staff room,
so a colleague's reply must go out on the web, and a staff-room post on Telegram.
"""

from __future__ import annotations

from typing import Protocol

from helpbot.desk.actions import Action
from helpbot.postroom.outbox import STAFF
from helpbot.postroom.outcomes import Delivered, Undeliverable


class Performer(Protocol):
    async def perform(self, action: Action) -> Delivered: ...


class Switchboard:
    def __init__(self) -> None:
        self._channels: dict[str, Performer] = {}
        self._staff_room: str | None = None

    def connect(self, channel: str, performer: Performer, *, staff_room: bool = False) -> None:
        self._channels[channel] = performer
        if staff_room:
            self._staff_room = channel

    async def perform(self, action: Action, channel: str) -> Delivered:
        name = self._staff_room if channel == STAFF else channel
        performer = self._channels.get(name) if name else None
        if performer is None:
            raise Undeliverable(f"no {channel} channel is set up")
        return await performer.perform(action)
