"""Test support: a fake Telegram Bot API server that the real bot stack talks to.

Imports are lazy so that ``python -m helpbot.testing.fake_telegram`` runs the module
once, as ``__main__``, without a second copy imported through this package.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from helpbot.testing.fake_telegram import (
        SECRET_HEADER,
        ApiCall,
        ApiError,
        FakeTelegram,
        Webhook,
        WebhookDeliveryError,
    )
    from helpbot.testing.fake_telegram_objects import FakeChat, FakeUser

__all__ = [
    "SECRET_HEADER",
    "ApiCall",
    "ApiError",
    "FakeChat",
    "FakeTelegram",
    "FakeUser",
    "Webhook",
    "WebhookDeliveryError",
]

_HOMES = {
    "SECRET_HEADER": "fake_telegram",
    "ApiCall": "fake_telegram",
    "ApiError": "fake_telegram",
    "FakeTelegram": "fake_telegram",
    "Webhook": "fake_telegram",
    "WebhookDeliveryError": "fake_telegram",
    "FakeChat": "fake_telegram_objects",
    "FakeUser": "fake_telegram_objects",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{home}"), name)
