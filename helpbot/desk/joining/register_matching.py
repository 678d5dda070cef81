"""Matching an applicant's answers against the tenancy register (3.5, 3.6.1): a pure
function of the answers and the candidate tenancies, so a colleague's EXACT / NEAR / NONE
can be checked line by line without a database."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from helpbot.desk.records import Tenancy, edit_distance

TYPO_DISTANCE = 2  # a reference this many characters away may be a typo


@dataclass(frozen=True, slots=True)
class RegisterMatch:
    level: str  # exact, near, none
    note: str  # for colleagues, in the staff group only

    def __str__(self) -> str:
        return f"{self.level.upper()}: {self.note}"


def _name_key(name: str) -> tuple[str, ...]:
    words = re.sub(r"[^\w\s]", " ", name.casefold()).split()
    return (words[0], words[-1]) if words else ()


def distance(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions)."""
    return edit_distance(a, b)


def is_current(tenancy: Tenancy, today: date) -> bool:
    """Current (3.6.1): started, not past its end date, and still in the register (a
    tenancy left out of the latest import has ended, whatever its end date says)."""
    if tenancy.ended_at is not None:
        return False
    return tenancy.start_date <= today and (tenancy.end_date is None or tenancy.end_date >= today)


def match_register(
    tenancies: Sequence[Tenancy],
    *,
    reference: str | None,
    postcode: str | None,
    name: str | None,
    today: date,
) -> RegisterMatch:
    """exact: reference and postcode match a current tenancy and the name is a tenant or
    confirmed occupant on it. near: a current tenancy at that postcode, or with that
    reference give or take a typo (2 characters). none: nothing current that fits."""
    if not reference and not postcode:
        return RegisterMatch("none", "no tenancy reference or postcode was asked for")
    current = [t for t in tenancies if is_current(t, today)]
    key = _name_key(name or "")

    def named(tenancy: Tenancy) -> bool:
        people = [*tenancy.tenant_names, *tenancy.occupant_names]
        return bool(key) and any(_name_key(person) == key for person in people)

    for tenancy in current:
        if tenancy.reference == reference and tenancy.postcode == postcode:
            if named(tenancy):
                return RegisterMatch(
                    "exact",
                    "reference and postcode match a current tenancy, and the name is a tenant "
                    "or confirmed occupant on it",
                )
            return RegisterMatch(
                "near",
                "reference and postcode match a current tenancy, but the name is not on it",
            )
    for tenancy in current:
        if reference and tenancy.reference == reference:
            return RegisterMatch(
                "near", "the reference matches a current tenancy, but the postcode differs"
            )
    for tenancy in current:
        if reference and distance(tenancy.reference, reference) <= TYPO_DISTANCE:
            also = " and the postcode matches" if tenancy.postcode == postcode else ""
            return RegisterMatch(
                "near", f"the reference is close to a current tenancy's (a typo?){also}"
            )
    at_postcode = [t for t in current if postcode and t.postcode == postcode]
    if at_postcode:
        whose = " and the name is on one of them" if any(named(t) for t in at_postcode) else ""
        return RegisterMatch(
            "near", f"{len(at_postcode)} current tenancy(ies) at that postcode{whose}"
        )
    ended = [t for t in tenancies if t.reference == reference and not is_current(t, today)]
    if ended:
        return RegisterMatch("none", "the reference belongs to a tenancy that is not current")
    return RegisterMatch("none", "no current tenancy with that reference or postcode")
