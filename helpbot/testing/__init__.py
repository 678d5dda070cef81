"""Test support: a fake Telegram Bot API server that the real bot stack talks to.

The fake is the package ``helpbot.testing.fake_telegram``; imports here are lazy so
that importing ``helpbot.testing`` (for the harness) costs nothing until used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from helpbot.testing.fake_telegram import (
        SECRET_HEADER,
        ApiCall,
        ApiError,
        FakeChat,
        FakeTelegram,
        FakeTelegramProcess,
        FakeUser,
        Webhook,
        WebhookDeliveryError,
    )

__all__ = [
    "SECRET_HEADER",
    "ApiCall",
    "ApiError",
    "FakeChat",
    "FakeTelegram",
    "FakeTelegramProcess",
    "FakeUser",
    "Webhook",
    "WebhookDeliveryError",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.fake_telegram"), name)
