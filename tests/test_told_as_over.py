"""Thanks for a danger that is over, beside a danger told now; and the seventeenth pass's
three risk signs, attacked from both sides.

`tests/data/told_as_over_attack.jsonl` was written by a helper who saw neither the code
nor the rules' patterns, only what each rule is for: 30 thank-yous for a danger dealt
with, 30 thank-yous beside a danger now (some soft, some sarcastic), 20 real threats,
photographs and locked food, 20 innocent uses of the same words. It was written after
the first told-as-over rule and before the second; the examples added with the second
were checked against it and no near copy kept.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from helpbot.nlu.spelling import normalise
from helpbot.nlu.training import SafetyCues
from helpbot.nlu.understanding import Understanding

ATTACK = Path(__file__).parent / "data" / "told_as_over_attack.jsonl"
INTENTS_DIR = Path(__file__).resolve().parent.parent / "intents"


def rows(expect: str) -> list[str]:
    lines = ATTACK.read_text(encoding="utf-8").splitlines()
    return [r["text"] for r in map(json.loads, lines) if r["expect"] == expect]


def test_the_attack_has_both_sides_of_each_rule() -> None:
    counts = {e: len(rows(e)) for e in ("not_emergency", "emergency", "risk", "no_risk")}
    assert counts == {"not_emergency": 30, "emergency": 30, "risk": 20, "no_risk": 20}


def test_every_danger_told_now_beside_thanks_is_urgent_or_gets_the_emergency_line(
    understanding: Understanding,
) -> None:
    """The side that matters: 27 of 30 open an emergency, the other 3 still get the
    999 and gas line and a colleague's look."""
    texts = rows("emergency")
    read = understanding.classify_many(texts)
    missed = [t for t, c in zip(texts, read, strict=True) if not _emergency_or_line(c)]
    assert missed == []
    assert sum(c.intent == "emergency" for c in read) >= 25


def test_most_thanks_for_a_danger_dealt_with_open_no_emergency(
    understanding: Understanding,
) -> None:
    """An emergency cue still fires on 2 of them, both telling the time before the
    danger ("Last week the plug was make sparks"), which the rule reads as the time of
    something else (14 did under the first rule). The model's own reading still opens
    14 of the 30 (22 before this pass). A false alarm there costs a colleague's look at
    a thank-you, so the rule errs that way."""
    texts = rows("not_emergency")
    read = understanding.classify_many(texts)
    opened = [t for t, c in zip(texts, read, strict=True) if c.intent == "emergency"]
    assert len(opened) <= 14, opened
    cues = SafetyCues.load(INTENTS_DIR)
    assert len([t for t in texts if "emergency" in cues.matches(normalise(t))]) <= 2


def test_every_real_threat_photograph_or_locked_food_reaches_a_colleague(
    understanding: Understanding,
) -> None:
    texts = rows("risk")
    read = understanding.classify_many(texts)
    assert [
        t
        for t, c in zip(texts, read, strict=True)
        if c.intent != "safeguarding" and "safeguarding" not in c.risk
    ] == []


@pytest.mark.parametrize("text", rows("no_risk"))
def test_the_new_risk_signs_leave_innocent_uses_of_their_words_alone(text: str) -> None:
    """At the cue level; the model's own urgency still flags some of these for a look."""
    cues = SafetyCues.load(INTENTS_DIR)
    marks = ("(school|nursery)", "(pictures|photos", "can'?t eat unless")
    new_signs = [p for p in cues.risk["safeguarding"] if any(m in p.pattern for m in marks)]
    assert len(new_signs) == 3
    assert [p.pattern[:40] for p in new_signs if p.search(normalise(text))] == []


def _emergency_or_line(read: object) -> bool:
    return getattr(read, "intent", "") == "emergency" or "emergency" in getattr(read, "risk", ())
