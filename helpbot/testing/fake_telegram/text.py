"""Message text the way the Telegram server treats it, for the fake Bot API.

Telegram does real work on text, and bots trip over it in production:

* offsets and lengths of ``MessageEntity`` are counted in UTF-16 code units;
* it detects entities by itself (``bot_command``, ``mention``, ``url``, ``email``,
  ``hashtag``), in users' messages and in the bot's own;
* ``parse_mode`` HTML / MarkdownV2 / Markdown is parsed on the server, so the Message
  that comes back has plain text plus entities, and malformed markup (an unescaped
  ``<`` or ``.`` from tenant text, a ``<br>``) is a 400 "can't parse entities";
* leading and trailing whitespace is stripped, so "   " is an empty message.

The fake reproduces these so a bot that passes here does not fail on the first real
tenant who types "rent < 500".
"""

from __future__ import annotations

import re
from typing import Any

from helpbot.testing.fake_telegram.markup import (
    EntityParseError,
    TextRejected,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    utf16_len,
)

__all__ = [
    "EntityParseError",
    "TextRejected",
    "detect_entities",
    "format_text",
    "utf16_len",
]

Entity = dict[str, Any]


# --- automatic entity detection ---------------------------------------------------------

_COMMAND_RE = re.compile(r"(?<![\w/@])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b")
_URL_RE = re.compile(
    r"(?<![\w@/])(?:(?:https?://|www\.)[^\s<>\"]+"
    r"|[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.(?:com|org|net|uk|io|co|gov|info|app|dev)\b(?:/[^\s<>\"]*)?)",
    re.IGNORECASE,
)
_MENTION_RE = re.compile(r"(?<![\w@/])@[A-Za-z0-9_]{4,32}(?![\w@])")
_HASHTAG_RE = re.compile(r"(?<![\w#])#(?=\w*[^\W\d])\w+")
_TRAILING_URL_PUNCT = ".,;:!?)'\""

# Entities that own their text: an auto-detected URL inside them is not reported.
_OPAQUE_TYPES = {"code", "pre", "text_link", "text_mention", "custom_emoji", "url", "email"}


def detect_entities(text: str, *, existing: list[Entity] | None = None) -> list[Entity]:
    """Entities Telegram finds in plain text, skipping spans already claimed by ``existing``."""
    claimed: list[tuple[int, int]] = [
        (e["offset"], e["offset"] + e["length"])
        for e in existing or []
        if e.get("type") in _OPAQUE_TYPES or e.get("type") == "bot_command"
    ]
    found: list[Entity] = []

    def overlaps(start: int, end: int) -> bool:
        return any(start < c_end and c_start < end for c_start, c_end in claimed)

    patterns: list[tuple[str, re.Pattern[str]]] = [
        ("bot_command", _COMMAND_RE),
        ("email", _EMAIL_RE),
        ("url", _URL_RE),
        ("mention", _MENTION_RE),
        ("hashtag", _HASHTAG_RE),
    ]
    for kind, pattern in patterns:
        for match in pattern.finditer(text):
            value = match.group(0)
            if kind == "url":
                value = value.rstrip(_TRAILING_URL_PUNCT)
                if not value:
                    continue
            start = utf16_len(text[: match.start()])
            end = start + utf16_len(value)
            if overlaps(start, end):
                continue
            claimed.append((start, end))
            found.append({"type": kind, "offset": start, "length": end - start})
    return found


def _sorted(entities: list[Entity]) -> list[Entity]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


# --- whitespace stripping ---------------------------------------------------------------


def _strip(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Strip outer whitespace as Telegram does, clipping entities to the kept text."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    size = utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, size)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


# --- the one entry point ----------------------------------------------------------------


def format_text(
    text: str,
    *,
    parse_mode: str | None = None,
    entities: list[Entity] | None = None,
    detect: bool = True,
) -> tuple[str, list[Entity]]:
    """Turn what a client sent into the ``(text, entities)`` the server stores.

    Raises EntityParseError for markup Telegram rejects.
    """
    parsed: list[Entity]
    if entities:
        parsed = [dict(e) for e in entities]
    elif parse_mode and parse_mode.lower() == "html":
        text, parsed = parse_html(text)
    elif parse_mode and parse_mode.lower() == "markdownv2":
        text, parsed = parse_markdown_v2(text)
    elif parse_mode and parse_mode.lower() == "markdown":
        text, parsed = parse_markdown(text)
    elif parse_mode:
        raise TextRejected("Bad Request: unsupported parse_mode")
    else:
        parsed = []
    text, parsed = _strip(text, parsed)
    if detect:
        parsed = parsed + detect_entities(text, existing=parsed)
    return text, _sorted(parsed)
