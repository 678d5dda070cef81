"""Routes the desk's actions to the channel that must carry them out.

A tenant on the web chat can have their case worked from the Telegram staff room,
so a colleague's reply must go out on the web, and a staff-room post on Telegram.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Protocol

from helpbot.desk.actions import (
    Action,
    AnswerButton,
    DeleteMessage,
    MemberAction,
    PostToStaff,
    SendText,
    SetTopicOpen,
    StaffNotice,
)

log = logging.getLogger(__name__)


class Performer(Protocol):
    async def perform(self, action: Action) -> None: ...


class Switchboard:
    def __init__(self) -> None:
        self._channels: dict[str, Performer] = {}
        self._staff_room: str | None = None

    def connect(self, channel: str, performer: Performer, *, staff_room: bool = False) -> None:
        self._channels[channel] = performer
        if staff_room:
            self._staff_room = channel

    async def execute(self, actions: Iterable[Action], *, origin: str) -> None:
        """Carry out actions in order; one that no channel can carry is logged, not raised."""
        for action in actions:
            channel = self._route(action, origin)
            performer = self._channels.get(channel) if channel else None
            if performer is None:
                log.warning("no channel for %s (wanted %s)", type(action).__name__, channel)
                continue
            await performer.perform(action)

    def _route(self, action: Action, origin: str) -> str | None:
        if isinstance(action, SendText | DeleteMessage):
            return action.chat.channel
        if isinstance(action, MemberAction):
            return action.chat.channel
        if isinstance(action, PostToStaff | SetTopicOpen | StaffNotice):
            return self._staff_room
        if isinstance(action, AnswerButton):
            return origin
        return None
