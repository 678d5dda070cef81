"""Text from outside made safe to store and show: no NUL or other control characters
(PostgreSQL refuses NUL in text), and no lone surrogates (they cannot be encoded)."""

from __future__ import annotations

import dataclasses
import re

from helpbot.desk.events import ChatRef, Inbound, Person

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")


def clean(text: str) -> str:
    return _SURROGATE.sub("\ufffd", _CONTROL.sub("", text))


def clean_optional(text: str | None) -> str | None:
    return None if text is None else clean(text)


def clean_inbound(event: Inbound) -> Inbound:
    """Every string a person could have typed, cleaned; everything else as it was."""
    sender: Person = dataclasses.replace(
        event.sender,
        first_name=clean(event.sender.first_name),
        username=clean_optional(event.sender.username),
    )
    chat: ChatRef = dataclasses.replace(event.chat, title=clean_optional(event.chat.title))
    return dataclasses.replace(
        event,
        sender=sender,
        chat=chat,
        text=clean(event.text),
        command_args=clean(event.command_args),
        callback_data=clean_optional(event.callback_data),
        mentions=tuple(clean(m) for m in event.mentions),
    )
