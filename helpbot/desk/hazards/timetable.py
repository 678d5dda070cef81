"""Awaab's Law in one table: every number the hazard clock uses, so the clock can follow
the law when it changes by editing this file alone (docs/awaabs-law.md says where each
figure comes from).

Source: the Hazards in Social Housing (Prescribed Requirements) (England) Regulations
2025, made under section 10A of the Landlord and Tenant Act 1985 (inserted by the Social
Housing (Regulation) Act 2023), in force from 27 October 2025, and the government's
guidance for social landlords on them. Working days skip weekends and England and Wales
bank holidays and are counted from the day after (``helpbot.working_days``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

# The categories, strictest first. "routine" is a hazard kind at a level that needs no
# urgent action; "none" is not a hazard at all (a dripping tap).
EMERGENCY = "emergency"
SIGNIFICANT = "significant"
ROUTINE = "routine"
NONE = "none"
CATEGORIES = (EMERGENCY, SIGNIFICANT, ROUTINE, NONE)

# The steps of a hazard's clock, in the order they happen.
INVESTIGATE = "investigate"
MAKE_SAFE = "make_safe"  # emergency: make safe; significant: the safety work
SUMMARY = "summary"  # the written summary of the investigation's findings
WORKS = "works"  # supplementary preventative work begun
STEPS = (INVESTIGATE, MAKE_SAFE, SUMMARY, WORKS)


@dataclass(frozen=True, slots=True)
class Timescale:
    """How long a step may take, and from when: ``hours`` from becoming aware, or
    ``working_days`` after the investigation ended (or after becoming aware, for the
    investigation itself)."""

    hours: int | None = None
    working_days: int | None = None
    after: str = "aware"  # "aware" or "investigated"


# Emergency hazard: investigate and make safe within 24 hours of becoming aware.
# Significant hazard: investigate within 10 working days of becoming aware; written
# summary within 3 working days of the investigation ending; safety work within 5
# working days of it ending; supplementary preventative work begun within 5 working
# days of it ending.
TIMESCALES: dict[str, dict[str, Timescale]] = {
    EMERGENCY: {
        INVESTIGATE: Timescale(hours=24),
        MAKE_SAFE: Timescale(hours=24),
    },
    SIGNIFICANT: {
        INVESTIGATE: Timescale(working_days=10),
        SUMMARY: Timescale(working_days=3, after="investigated"),
        MAKE_SAFE: Timescale(working_days=5, after="investigated"),
        WORKS: Timescale(working_days=5, after="investigated"),
    },
}

# Supplementary preventative work that cannot reasonably be begun in 5 working days:
# begun as soon as reasonably practicable and within 12 weeks of the investigation.
WORKS_LONG_STOP = timedelta(weeks=12)


@dataclass(frozen=True, slots=True)
class Phase:
    """From ``starts``, these hazard kinds are under the clock (emergencies of any kind
    are from the first phase)."""

    starts: date
    kinds: frozenset[str]
    every_emergency: bool = False


# Phase 1 (27 October 2025): damp and mould, and every emergency hazard.
# Phase 2 (2026) and phase 3 (2027): the government has said "in 2026" and "in 2027";
# the days below are SHAL's assumption until the commencement regulations name them.
PHASES = (
    Phase(date(2025, 10, 27), frozenset({"damp_mould"}), every_emergency=True),
    Phase(
        date(2026, 10, 27),
        frozenset(
            {
                "excess_cold",
                "excess_heat",
                "falls",
                "structural",
                "fire",
                "electrical",
                "hygiene_pests",
                "food_safety",
                "sanitation",
            }
        ),
    ),
    # The rest of the Housing Health and Safety Rating System, except crowding and space.
    Phase(date(2027, 10, 27), frozenset({"water_leak", "gas_fuel", "intruders", "other"})),
)

# SHAL's practice, not the regulations: the months in which losing heating is treated
# as an emergency for a household with someone at higher risk from cold.
COLD_MONTHS = frozenset({10, 11, 12, 1, 2, 3, 4})

# When a step due by a day (not an hour) is brought to colleagues: from this hour on a
# working day, so the staff room is not woken at midnight. Emergency steps, counted in
# hours, are brought at any hour.
OFFICE_HOUR = 9


def stricter(first: str, second: str) -> str:
    """The stricter of two categories (emergency before significant before routine)."""
    return min(first, second, key=CATEGORIES.index)


def in_force(kind: str, category: str, on: date) -> bool:
    """Whether the clock applies to a hazard of this kind and category on this day."""
    for phase in PHASES:
        if on < phase.starts:
            continue
        if category == EMERGENCY and phase.every_emergency:
            return True
        if kind in phase.kinds:
            return category in (EMERGENCY, SIGNIFICANT)
    return False


def starts_on(kind: str) -> date | None:
    """The day the clock starts for significant hazards of this kind."""
    return next((phase.starts for phase in PHASES if kind in phase.kinds), None)
