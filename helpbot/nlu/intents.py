"""The fixed set of message intents and how the primary one is chosen (TAXONOMY.md)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

# Highest priority first: a message that is both a complaint and an emergency is
# an emergency, so help is never held back behind a complaints process.
INTENTS: tuple[str, ...] = (
    "emergency",
    "safeguarding",
    "complaint",
    "hostile",
    "asb",
    "personal",
    "repair",
    "human",
    "question",
    "smalltalk",
)

# Intents that are never discussed in a community group (3.12, TAXONOMY.md).
PRIVATE_INTENTS: frozenset[str] = frozenset(
    {"complaint", "personal", "asb", "safeguarding", "repair"}
)

# Intents that open (or add to) a case in a private chat.
CASE_INTENTS: frozenset[str] = frozenset(
    {"emergency", "safeguarding", "complaint", "asb", "personal", "repair", "human"}
)


@dataclass(frozen=True, slots=True)
class Classification:
    intent: str
    scores: Mapping[str, float] = field(default_factory=dict)


def primary_intent(scores: Mapping[str, float], thresholds: Mapping[str, float]) -> str:
    """The highest-priority label whose score passes its threshold.

    If none passes, the best-scoring label wins, so every message gets exactly
    one of the ten intents.
    """
    for label in INTENTS:
        if scores.get(label, 0.0) >= thresholds.get(label, 0.5):
            return label
    return max(INTENTS, key=lambda label: scores.get(label, 0.0))
