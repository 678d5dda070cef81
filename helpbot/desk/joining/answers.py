"""Whether an applicant's answer to a joining question can be used (3.6.2): pure rules,
no records."""

from __future__ import annotations

import re

from helpbot.desk.group_rules import JoinQuestion
from helpbot.desk.records import normalise_postcode, normalise_reference

STRUCTURED_KINDS = frozenset({"postcode", "tenancy_ref"})
_NAME = re.compile(r"^[^\W\d_][^\W\d_ '.-]*(?:[ '.-]+[^\W\d_]+)*\.?$")
_REFERENCE = re.compile(r"^[A-Z0-9/-]{3,32}$")
_REFUSALS = frozenset({"no", "skip", "pass", "none", "n/a", "na", "-", "?", "dont know"})


def check_answer(question: JoinQuestion, text: str) -> str | None:
    """The answer as it will be stored, or None if it is not a usable answer."""
    answer = " ".join(text.split())
    if not answer or answer.lower().strip(".!'’") in _REFUSALS or len(answer) > 200:
        return None
    if question.kind == "postcode":
        return normalise_postcode(answer)
    if question.kind == "tenancy_ref":
        reference = normalise_reference(answer)
        has_digit = any(ch.isdigit() for ch in reference)
        return reference if _REFERENCE.match(reference) and has_digit else None
    if question.kind == "name":
        return answer if len(answer) >= 2 and _NAME.match(answer) else None
    return answer if len(answer.split()) >= 2 else None
