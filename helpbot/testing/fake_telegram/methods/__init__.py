"""The Bot API methods, one module per area; ``method_table`` joins them into one table."""

from __future__ import annotations

from helpbot.testing.fake_telegram.delivery import Delivery
from helpbot.testing.fake_telegram.media import Media
from helpbot.testing.fake_telegram.methods.bot import BotSettings
from helpbot.testing.fake_telegram.methods.editing import Editing
from helpbot.testing.fake_telegram.methods.forum import ForumTopics
from helpbot.testing.fake_telegram.methods.members import Members
from helpbot.testing.fake_telegram.methods.messages import Sending
from helpbot.testing.fake_telegram.methods.webhook import WebhookMethods
from helpbot.testing.fake_telegram.params import Handler
from helpbot.testing.fake_telegram.world import World

__all__ = ["MethodTable"]


class MethodTable:
    """Bot API method name (as documented) -> handler, looked up case-insensitively."""

    def __init__(self, world: World, media: Media, delivery: Delivery) -> None:
        self.settings = BotSettings(world)
        areas = (
            self.settings,
            Sending(world, media),
            Editing(world),
            ForumTopics(world),
            Members(world),
            WebhookMethods(delivery),
        )
        self._by_lower: dict[str, tuple[str, Handler]] = {}
        for area in areas:
            for name, handler in area.table().items():
                if name.lower() in self._by_lower:
                    raise RuntimeError(f"{name} is defined by two areas")
                self._by_lower[name.lower()] = (name, handler)

    def canonical(self, method: str) -> str:
        """The documented spelling of ``method`` (unknown names are returned unchanged)."""
        entry = self._by_lower.get(method.lower())
        return entry[0] if entry else method

    def get(self, method: str) -> Handler | None:
        entry = self._by_lower.get(method.lower())
        return entry[1] if entry else None

    def names(self) -> list[str]:
        return sorted(name for name, _ in self._by_lower.values())
