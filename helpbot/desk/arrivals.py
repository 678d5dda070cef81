"""When each private chat's last messages arrived, as this process saw them: a first
look before the private-chat flood check (cases/private_flood.py) asks the database.
A tenant writes a message every half a minute or so, so the database is asked only
for a chat this process saw send many in the last minute; with several workers each
sees part of a flood, so the bar here is a fraction of the limit itself."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

KEEP_CHATS = 10_000  # forgotten all at once past this: it is only a first look


@dataclass(slots=True)
class Arrivals:
    _times: dict[int, deque[datetime]] = field(default_factory=dict)

    def seen(self, chat_id: int, at: datetime, window: timedelta) -> int:
        """Note a message in ``chat_id`` at ``at``; how many this process saw in the
        ``window`` up to it (itself included)."""
        if len(self._times) > KEEP_CHATS:
            self._times.clear()
        times = self._times.setdefault(chat_id, deque())
        times.append(at)
        while times and at - times[0] > window:
            times.popleft()
        return len(times)
