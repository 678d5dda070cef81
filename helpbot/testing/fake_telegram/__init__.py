"""A fake Telegram Bot API server on 127.0.0.1, for tests, benchmarks and the demo.

Telegram cannot be reached from the build machine, so the bot talks to this server
through python-telegram-bot's real HTTP stack (``Bot(token, base_url=tg.base_url)``).
Everything the fake answers follows the Bot API's JSON shapes exactly, so the same
bot runs against real Telegram unchanged; where Telegram has a rule bots get wrong
(forum thread ids, "message is not modified", can't-initiate-conversation, the
default ``allowed_updates`` leaving out ``chat_member``) the fake enforces it.

It records every call (``tg.calls``), injects updates (``tg.private_message(...)``
and friends, delivered by webhook or ``getUpdates``), and injects faults: 429 with
``retry_after``, 5xx, slow and held answers, by count or for a time window.

In a test::

    async with FakeTelegram() as tg: ...

In its own process (benchmarks, crash tests)::

    python -m helpbot.testing.fake_telegram --port 0   # prints its base_url
    async with FakeTelegramProcess() as fake: ...       # the same, from Python

``fake.py`` shows how the parts fit: ``world``, ``media``, ``builders``, ``methods/``,
``faults``, ``calls``, ``polling``, ``delivery``, ``server``, ``control``, ``cli``,
``process``; ``text`` and ``markup`` treat message text as Telegram's server does.
"""

from __future__ import annotations

from helpbot.testing.fake_telegram.calls import ApiCall
from helpbot.testing.fake_telegram.delivery import (
    SECRET_HEADER,
    DeliveryReport,
    Webhook,
    WebhookDeliveryError,
)
from helpbot.testing.fake_telegram.errors import THREAD_NOT_FOUND, ApiError
from helpbot.testing.fake_telegram.fake import FakeTelegram
from helpbot.testing.fake_telegram.faults import SENDING_METHODS, Fault
from helpbot.testing.fake_telegram.objects import FakeChat, FakeUser
from helpbot.testing.fake_telegram.process import FakeTelegramProcess

__all__ = [
    "SECRET_HEADER",
    "SENDING_METHODS",
    "THREAD_NOT_FOUND",
    "ApiCall",
    "ApiError",
    "DeliveryReport",
    "FakeChat",
    "FakeTelegram",
    "FakeTelegramProcess",
    "FakeUser",
    "Fault",
    "Webhook",
    "WebhookDeliveryError",
    "main",
]


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m helpbot.testing.fake_telegram``."""
    from helpbot.testing.fake_telegram.cli import main as cli_main

    return cli_main(argv)
