"""When an exchange is an argument (3.10): pure rules over replies and mentions, no
records, so they can be read and tested alone."""

from __future__ import annotations

from collections.abc import Sequence

from helpbot.desk.ports import Classified
from helpbot.desk.records import SHAL, Exchange

HOSTILE = 0.5  # a message's hostility score from this is counted as hostile
MIN_EXCHANGES = 3  # replies or mentions between the same members within the window
MIN_HOSTILE = 2  # of which at least this many are hostile


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
