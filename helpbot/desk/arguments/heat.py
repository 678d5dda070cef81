"""When an exchange is an argument (3.10): pure rules over replies and mentions, no
records, so they can be read and tested alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from helpbot.desk.ports import Classified
from helpbot.desk.records import SHAL, Exchange

HOSTILE = 0.5  # a message's hostility score from this is counted as hostile
MIN_EXCHANGES = 3  # replies or mentions between the same members within the window
MIN_HOSTILE = 2  # of which at least this many are hostile
# One member alone (3.10): the classifier also gives friendly chat a high hostile score
# now and then, so only messages that read as clearly hostile count, and it takes
# several from the same member within the hour (one friendly slip never adds up).
LONE_HEAT = 0.9
# Once the others are clearly hostile, one that reads a little less still counts: after
# the seventeenth pass's retraining "what a pathetic excuse for a housing officer you
# are" read 0.89, the third of three insults at a colleague. Over every evaluation set,
# 3 of 13,353 messages that are not hostile read 0.85 or more (1 read 0.9).
LONE_FLOOR = 0.85
LONE_MESSAGES = 3
LONE_WINDOW = timedelta(hours=1)


def hostility(classification: Classified | None) -> float:
    """How hostile one message reads: the classifier's hostile score (not its primary
    label, which a short, plain message can get by default). One message alone never
    makes an argument."""
    if classification is None:
        return 0.0
    return float(classification.scores.get("hostile", 0.0))


def is_heated(exchanges: Sequence[Exchange]) -> bool:
    """An argument: members replying to (or mentioning) each other, both ways, at least
    MIN_EXCHANGES times in the window, at least MIN_HOSTILE of them hostile, and the
    latest hostile too (it is getting worse, not calming down). Hostility aimed at SHAL
    needs no back-and-forth: the bot never answers it, so two hostile messages do."""
    if not exchanges:
        return False
    latest = exchanges[-1]
    hostile = [e for e in exchanges if e.heat >= HOSTILE]
    if latest.heat < HOSTILE or len(hostile) < MIN_HOSTILE:
        return False
    if latest.target == SHAL:
        return True
    directions = {(e.sender, e.target) for e in exchanges}
    back = (latest.target, latest.sender) in directions
    return back and len(exchanges) >= MIN_EXCHANGES


def is_sustained(exchanges: Sequence[Exchange]) -> bool:
    """One member's sustained hostility, at SHAL, a colleague, another member or no one
    in particular: at least LONE_MESSAGES hostile messages (LONE_FLOOR) in the window,
    the latest one of them, and all but one of them clearly so (LONE_HEAT). Nobody has
    to answer back."""
    if not exchanges or exchanges[-1].heat < LONE_FLOOR:
        return False
    hostile = [e.heat for e in exchanges if e.heat >= LONE_FLOOR]
    clearly = [heat for heat in hostile if heat >= LONE_HEAT]
    return len(hostile) >= LONE_MESSAGES and len(clearly) >= LONE_MESSAGES - 1
