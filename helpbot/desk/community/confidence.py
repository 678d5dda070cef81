"""When the bot is sure enough to act in public (3.9, 3.12).

A message in a community group is read by a classifier trained mostly on what tenants
write to SHAL, not on neighbours chatting, so on ordinary chat it often guesses
("when is the communal garden day?" scores 0.61 for anti-social behaviour). A public
reply on a guess is a small embarrassment for SHAL, and a case opened on a guess is
work for nobody. So in a group the bot acts only on a reading it is sure of: the
calibrated score of the message's intent is at least ``GROUP_SURE``. Real reports,
complaints and emergencies score 0.94 or more; in the neighbourly chat written for
the group week test (tests/group_week.py) no message that would need action scores
above 0.87.
"""

from __future__ import annotations

from helpbot.desk.hazards.kinds import hazard_kind
from helpbot.desk.ports import Classified

GROUP_SURE = 0.9  # the calibrated probability of the intent, at least this to act in public
# A repair or a complaint that names a hazard (mould, no heating, exposed wires...) is
# acted on from a lower bar: under Awaab's Law the clock starts when a tenant tells us,
# in a group too, so a missed hazard costs more than one public reply. (A complaint:
# "damp and mould in the bedroom for 2 months and nobody has come" scored 0.89 after the
# ninth pass's retraining and went unanswered in the group week.)
HAZARD_SURE = 0.6
HAZARD_INTENTS = frozenset({"repair", "complaint"})
UNCLEAR = "unclear"


def sure(classification: Classified | None, text: str = "") -> bool:
    """Sure enough of this reading to act on it in public (or open a case from a group)."""
    if classification is None or classification.intent == UNCLEAR:
        return False
    score = float(classification.scores.get(classification.intent, 0.0))
    if score >= GROUP_SURE:
        return True
    return (
        classification.intent in HAZARD_INTENTS and score >= HAZARD_SURE and bool(hazard_kind(text))
    )
