"""The kinds of hazard a repair report may be, after the Housing Health and Safety Rating
System's hazard profiles, and the words that point to each. A report matching none of
them is an ordinary repair (a dripping tap), with no hazard clock.

Read from the tenant's own words, so the patterns lean towards a false alarm: a
colleague confirms or changes the kind and category (``staff.py``).
"""

from __future__ import annotations

import re

# Label as colleagues and tenants read it; most specific first, because the first kind
# found is the case's hazard (a leak that has caused mould is damp and mould).
KINDS: dict[str, str] = {
    "gas_fuel": "gas or carbon monoxide",
    "electrical": "electrical danger",
    "fire": "fire safety",
    "structural": "structural danger",
    "damp_mould": "damp and mould",
    "excess_cold": "no heating",
    "sanitation": "no hot water or no working toilet",
    "excess_heat": "overheating",
    "water_leak": "a leak",
    "falls": "a fall risk",
    "hygiene_pests": "pests",
    "intruders": "a home that cannot be locked",
    "food_safety": "no way to cook or store food",
    "other": "a hazard",
}

_SIGNS: dict[str, str] = {
    "gas_fuel": r"smell\w* (of )?gas|gas (smell|leak)|carbon monoxide|\bco alarm|fumes",
    "electrical": (
        r"spark|exposed wir|bare wir|live wire|electric shock|shock from|socket.{0,20}"
        r"(burn|melt|scorch|smok|hanging)|burning smell|fuse.{0,20}(trip|blow)|"
        r"trip switch|no (power|electric)|electrics?.{0,20}(wet|water)"
    ),
    "fire": (
        r"smoke (alarm|detector).{0,30}(not|n't|broken|missing|beep)|fire door|"
        r"fire alarm.{0,30}(not|n't|broken)|on fire|fire (in|started|broke)|"
        r"smoke (coming|pouring|everywhere|from)"
    ),
    "structural": (
        r"ceiling.{0,30}(collaps|fall|sag|cav|com(e|ing) down|bow)|"
        r"(wall|roof|floor|chimney).{0,30}(collaps|crumbl|giv(e|ing) way|cav)|"
        r"\b(big|large|huge|wide|deep) cracks?\b|cracks?.{0,20}(wall|ceiling).{0,20}"
        r"(bigger|grow|wid)|subsiden|roof.{0,20}(fall|off|hole)"
    ),
    "damp_mould": r"\bdamp|mou?ld|condensation|black spots|mildew|fung",
    "excess_cold": (
        r"no heat|heating.{0,30}(not|n't|broken|off|stopped|fail|gone)|"
        r"boiler.{0,30}(not|n't|broken|off|stopped|fail|gone|packed)|"
        r"radiators?.{0,30}(cold|not|n't)|(freezing|so cold).{0,30}(flat|house|home)|"
        r"(broken|no|dead) boiler|"
        # Said loosely, or with the heating named early in a long sentence ("my nan's
        # heating is a bit weak ... now it's stopped working altogether"), or only the
        # cold itself ("minus 4 tonight", "I can see my breath", "12 degrees inside").
        r"(heating|boiler|radiators?)\b.{0,80}\b(stopped|not working|packed|conked|died|"
        r"cut(s|ting)? out|gone off|broken|not (coming|come) on|"
        r"doesn'?t (seem to )?(come|work))|"
        r"\bminus ?\d+\b.{0,20}(tonight|outside|overnight|degrees)|"
        r"can see (my|her|his|our|their) breath|"
        r"\b([0-9]|1[0-5]) ?(degrees|°c?)\b.{0,12}\b(in|inside|indoors)\b"
    ),
    "sanitation": (
        r"no hot water|hot water.{0,30}(not|n't|off|stopped|gone)|"
        r"toilet.{0,30}(not|n't|block|broken|overflow)|sewage|drains?.{0,20}block"
    ),
    "excess_heat": r"overheat|too hot|boiling hot|unbearabl\w* hot",
    "water_leak": (
        r"leak|water.{0,30}(coming|pouring|dripping) (in|through|from the ceiling)|"
        r"burst pipe|flood"
    ),
    "falls": (
        r"(stair|step|banister|handrail|hand rail).{0,30}(broken|loose|missing|rotten|"
        r"collaps|wobbl)|trip hazard|(floor|floorboard).{0,20}(rotten|hole|uneven|loose)|"
        r"window.{0,30}(restrictor|won't close|falls? open)"
    ),
    "hygiene_pests": r"\brats?\b|\bmice\b|\bmouse\b|cockroach|bed ?bugs|infest|vermin",
    "intruders": (
        r"(front|back) door.{0,30}(won't|doesn't|can't|not) (lock|shut|close)|"
        r"lock.{0,20}broken|broken.{0,20}lock|can't lock"
    ),
    "food_safety": r"(cooker|oven|fridge|kitchen).{0,30}(unusable|dangerous)",
}
_COMPILED = {kind: re.compile(pattern, re.I) for kind, pattern in _SIGNS.items()}


def hazard_kinds(text: str) -> list[str]:
    """Every hazard kind the words point to, most specific first (may be empty)."""
    return [kind for kind, pattern in _COMPILED.items() if pattern.search(text)]


def hazard_kind(text: str) -> str | None:
    """The one kind the case is filed under, or None for an ordinary repair."""
    found = hazard_kinds(text)
    return found[0] if found else None


def label(kind: str | None) -> str:
    return KINDS.get(kind or "other", kind or "a hazard")


# An emergency naming only these is about the cold (no heating, no hot water), not gas,
# fire or electrics.
COLD_ONLY = frozenset({"excess_cold", "sanitation"})


def emergency_variant(kinds: set[str]) -> str:
    """ "_damp" for an emergency naming only damp and mould, "_cold" for one naming only
    the cold, "" otherwise: the advice (its one-line reminder, and the safety net's
    line) is then about that rather than gas, fire and electrics."""
    if kinds == {"damp_mould"}:
        return "_damp"
    if "excess_cold" in kinds and kinds <= COLD_ONLY:
        return "_cold"
    return ""
