"""Triage: which category a possible hazard is in, and why, from the tenant's words and
answers; and which clock runs. Pure functions, so every rule is tried alone
(tests/test_hazard_rules.py).

The desk only proposes; a colleague decides (``staff.py``). Until a colleague decides,
the stricter clock runs: a hazard kind under the law is never on a clock below
"significant", and a fact we don't know yet counts the way that makes it stricter.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, replace
from datetime import date

from helpbot.desk.hazards.kinds import label
from helpbot.desk.hazards.reading import AT_RISK
from helpbot.desk.hazards.timetable import (
    COLD_MONTHS,
    EMERGENCY,
    NONE,
    ROUTINE,
    SIGNIFICANT,
    in_force,
    stricter,
)
from helpbot.desk.records import CaseDetails

# Hazards that can do serious harm whoever lives there.
SERIOUS_KINDS = frozenset({"gas_fuel", "electrical", "fire", "structural"})


@dataclass(frozen=True, slots=True)
class Proposal:
    category: str
    reason: str


def who(at_risk: tuple[str, ...]) -> str:
    names = [AT_RISK[key] for key in at_risk if key in AT_RISK]
    if len(names) < 2:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def propose(kind: str | None, emergency: bool, details: CaseDetails, on: date) -> Proposal:
    """The category the desk proposes and the reason, as colleagues read it."""
    if emergency:
        return Proposal(EMERGENCY, f"reported as an emergency ({label(kind)})")
    if kind is None:
        return Proposal(NONE, "no sign of a hazard: an ordinary repair")
    at_risk = details.at_risk
    unknown = not details.household_known and not at_risk
    with_whom = f"{who(at_risk)} at home"
    not_known = "we don't know yet who lives there"
    if kind == "excess_cold":
        cold = on.month in COLD_MONTHS
        season = "in the cold months" if cold else "outside the cold months"
        if cold and at_risk:
            return Proposal(EMERGENCY, f"no heating {season} with {with_whom}")
        if cold and unknown:
            return Proposal(EMERGENCY, f"no heating {season}, and {not_known}")
        if cold or at_risk:
            reason = f"no heating {season}" + (f" with {with_whom}" if at_risk else "")
            return Proposal(SIGNIFICANT, reason)
        if unknown:
            return Proposal(SIGNIFICANT, f"no heating {season}, and {not_known}")
        return Proposal(ROUTINE, f"no heating {season}, nobody at higher risk")
    if kind == "damp_mould":
        if "made_ill" in at_risk:
            # The government's guidance on the regulations: damp and mould that is a
            # significant risk to the health of someone with a respiratory condition is
            # an emergency hazard. Harm already done (a hospital stay, a doctor's word)
            # is that risk, and the reason Awaab's Law exists.
            others = who(tuple(k for k in at_risk if k != "made_ill"))
            home = f", with {others} at home" if others else ""
            return Proposal(EMERGENCY, f"damp and mould already making someone ill{home}")
        found = []
        if at_risk:
            found.append(with_whom)
        if details.size == "large":
            found.append("a large area")
        if details.since == "long":
            found.append("there for weeks or more")
        if found:
            return Proposal(SIGNIFICANT, "damp and mould with " + ", ".join(found))
        missing = [
            name
            for name, gap in (
                ("who lives there", unknown),
                ("how large it is", details.size is None),
                ("how long it has been there", details.since is None),
            )
            if gap
        ]
        if missing:
            return Proposal(
                SIGNIFICANT, "damp and mould; we don't know yet " + " or ".join(missing)
            )
        return Proposal(ROUTINE, "a small, recent patch of damp or mould, nobody at higher risk")
    name = label(kind)
    if kind in SERIOUS_KINDS:
        return Proposal(SIGNIFICANT, f"{name}, which can cause serious harm")
    if at_risk:
        return Proposal(SIGNIFICANT, f"{name} with {with_whom}")
    if kind == "water_leak" and (details.size == "large" or details.since == "long"):
        return Proposal(SIGNIFICANT, f"{name} that is large or has gone on for weeks")
    if unknown:
        return Proposal(SIGNIFICANT, f"{name}, and {not_known}")
    return Proposal(ROUTINE, f"{name}, nobody at higher risk")


def clock_for(kind: str, proposed: str, confirmed: str | None, aware_on: date) -> str | None:
    """The timetable that runs: a colleague's decision, or until then the stricter of the
    proposal and "significant" for any hazard kind; None where the law sets no clock
    (a routine repair, or a kind not yet in force on the day we became aware)."""
    category = confirmed or (stricter(proposed, SIGNIFICANT) if proposed != NONE else NONE)
    if category in (EMERGENCY, SIGNIFICANT) and in_force(kind, category, aware_on):
        return category
    return None


def settled(kind: str | None, emergency: bool, details: CaseDetails, on: date) -> bool:
    """Whether an answer still to come could change the clock: if not, the tenant can be
    told the plan now."""
    if kind is None:
        return True
    households = (
        [details]
        if details.household_known or details.at_risk
        else [
            replace(details, at_risk=("over_65", "baby"), household_known=True),
            replace(details, at_risk=(), household_known=True),
        ]
    )
    sizes = [details.size] if details.size else ["large", "small"]
    sinces = [details.since] if details.since else ["long", "recent"]
    clocks = {
        clock_for(
            kind, propose(kind, emergency, replace(d, size=s, since=w), on).category, None, on
        )
        for d, s, w in itertools.product(households, sizes, sinces)
    }
    return len(clocks) == 1
