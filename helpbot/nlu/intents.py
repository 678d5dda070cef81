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

# Not one of the ten: the bot could not tell what the message is (gibberish, emoji
# only, off-topic chatter, template strings like "{0} {name!r}", or no intent scored
# well enough). The desk says so and offers a person in private, and says nothing in
# a group; it never opens a case, least of all an urgent one, on a guess.
UNCLEAR = "unclear"
# Every label the model scores: the ten intents plus unclear.
LABELS: tuple[str, ...] = (*INTENTS, UNCLEAR)
SAFETY_LABELS: tuple[str, ...] = ("emergency", "safeguarding")
# The urgent detector's output (not a label of its own): the calibrated probability that
# a message is emergency *or* safeguarding, from an output of the bag of words trained
# on urgent against everything else (hard negatives included) mixed with the embedding
# reader's P(emergency) + P(safeguarding). Signs of danger that the two urgent labels
# share ("she's 87", "freezing", "scared") add up here instead of being split in two.
URGENT = "urgent"

# Below this calibrated probability the best non-urgent intent is a guess: unclear.
UNSURE_BELOW = 0.35


def urgent_score(scores: Mapping[str, float]) -> float:
    """The probability that a message is urgent at all: emergency plus safeguarding.
    The safety net's threshold is trained on it, and the desk's net reads the same."""
    return sum(float(scores.get(label, 0.0)) for label in SAFETY_LABELS)


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
    """What a message is.

    ``scores`` are calibrated probabilities (they are what the decision compares with
    each label's threshold); ``why`` says what decided it (a safety cue, the model,
    a sentence of a long message, or that nothing scored well enough); ``risk`` names
    the safety labels with a sign of risk that did *not* become the intent, for the
    desk's safety net (a safety line in the reply and a colleague told).
    """

    intent: str
    scores: Mapping[str, float] = field(default_factory=dict)
    why: str = ""
    risk: tuple[str, ...] = ()
    # Where the risk signs came from: "model" (P(urgent) reached the safety net's
    # threshold), "cue" (only a broad *_risk phrase such as "scared" or "fire"), or both.
    risk_source: str = ""
    # The urgent detector's calibrated probability that the message is urgent at all.
    urgent: float = 0.0
    # The language of a message plainly not in English ("pl", "ar"; nlu/other_languages):
    # the model did not read it. "" for English.
    language: str = ""
    language_name: str = ""  # for colleagues: "Polish"
    # False when the intent is only the best guess, below its own threshold (nothing
    # passed one): the desk takes such a guess at a question after a matter just raised
    # as more of that matter.
    sure: bool = True


def primary_intent(
    scores: Mapping[str, float], thresholds: Mapping[str, float], urgent: float | None = None
) -> str:
    """The highest-priority intent whose calibrated score passes its threshold.

    Emergency and safeguarding come first: either label passing its own threshold, or
    the urgent detector (``urgent``) passing its threshold, which picks the likelier of
    the two. Then a message the model reads as unclear
    (its ``unclear`` score passes that threshold and beats every intent) is unclear.
    Otherwise the priority order of TAXONOMY.md applies. If nothing passes, the best
    non-urgent intent is used when its probability is at least ``UNSURE_BELOW``; else
    the message is unclear. An urgent label never wins by default: a guess is not
    enough to open an urgent case.
    """
    for label in SAFETY_LABELS:
        if scores.get(label, 0.0) >= thresholds.get(label, 0.5):
            return label
    if urgent is not None and urgent >= thresholds.get(URGENT, 2.0):
        return max(SAFETY_LABELS, key=lambda label: scores.get(label, 0.0))
    unclear = scores.get(UNCLEAR, 0.0)
    if unclear >= thresholds.get(UNCLEAR, 0.5) and unclear >= max(
        scores.get(label, 0.0) for label in INTENTS
    ):
        return UNCLEAR
    for label in INTENTS:
        if label in SAFETY_LABELS:
            continue
        if scores.get(label, 0.0) >= thresholds.get(label, 0.5):
            return label
    calm = [label for label in INTENTS if label not in SAFETY_LABELS]
    best = max(calm, key=lambda label: scores.get(label, 0.0))
    return best if scores.get(best, 0.0) >= UNSURE_BELOW else UNCLEAR
