"""Awaab's Law rule by rule, without a database or a chat: what the desk reads in a
tenant's words, the category it proposes, the clock that runs and each deadline worked
out by hand on a calendar, and the reading age of what tenants are told."""

from __future__ import annotations

import re
import tomllib
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
import textstat

from helpbot.desk.group_rules import DEFAULT_INTENTS_DIR
from helpbot.desk.hazards import reading
from helpbot.desk.hazards.clock import is_due_soon, is_missed, merged_steps, met, schedule
from helpbot.desk.hazards.kinds import hazard_kind
from helpbot.desk.hazards.questions import next_question, read_words, take_answer
from helpbot.desk.hazards.timetable import PHASES, in_force
from helpbot.desk.hazards.triage import clock_for, propose, settled
from helpbot.desk.records import CaseDetails, Hazard, HazardStep


def details(text: str = "", **values: object) -> CaseDetails:
    return read_words(CaseDetails(1, **values), text)  # type: ignore[arg-type]


WINTER = date(2025, 12, 10)
SUMMER = date(2026, 7, 14)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("my kitchen tap is dripping", None),
        ("the light in my hallway has stopped working", None),
        ("black mould in the bedroom", "damp_mould"),
        ("condensation on all the windows and damp walls", "damp_mould"),
        ("my boiler has broken and there's no heating", "excess_cold"),
        ("the gas boiler has packed up", "excess_cold"),
        ("no hot water since Monday", "sanitation"),
        ("a leak under the sink", "water_leak"),
        ("a leak from the roof and now mould on the ceiling", "damp_mould"),
        ("sparks coming from the socket", "electrical"),
        ("the banister on the stairs is loose", "falls"),
        ("there are mice in the kitchen", "hygiene_pests"),
        ("the smoke alarm is not working", "fire"),
        ("I can smell gas", "gas_fuel"),
        # Conversation set 3: the heating named early, the failure at the end.
        (
            "my nan's heating is a bit weak but... now it's stopped working altogether",
            "excess_cold",
        ),
        ("it's minus 4 tonight", "excess_cold"),
        ("I can see my breath in the lounge", "excess_cold"),
        ("the bedroom is 12 degrees inside", "excess_cold"),
        ("my nan's heating is a bit weak", None),
        ("our heating bill went up", None),
    ],
)
def test_the_kind_of_hazard_is_read_from_the_tenants_words(text: str, kind: str | None) -> None:
    assert hazard_kind(text) == kind


@pytest.mark.parametrize(
    ("text", "at_risk", "known"),
    [
        ("my baby is 4 months old", ("baby",), True),
        ("my mum is 90", ("over_65",), True),
        ("I'm 70 and live alone", ("over_65",), True),
        ("my 90-year-old mother lives with me", ("over_65",), True),
        ("we have a 3 year old", ("baby",), True),
        ("my daughter is 10.", ("child",), True),
        ("my son has asthma", ("health",), True),
        ("my husband uses a wheelchair", ("disability",), True),
        ("just me and my partner", (), True),
        ("no", (), True),
        ("none of those", (), True),
        ("the mould is 2 metres wide", (), False),  # a size, not an age
        ("it's been there 2 years", (), False),
        ("me and my son", (), False),  # says nothing either way
        ("she's 89", ("over_65",), True),
        ("black mould behind my daughter's cot", ("baby",), True),
        ("the mould is by the apricot tree", (), False),
        ("my nan's 91 and lives alone", ("over_65",), True),
        ("it's 2 rooms", (), False),
        ("it's 4 Harbour Mews", (), False),
        # Harm already done (Awaab's Law's emergency example for damp and mould).
        ("the GP said it's the damp", ("made_ill",), True),
        (
            "she's 7 months and has been in hospital twice with her chest",
            ("baby", "made_ill"),
            True,
        ),
        ("his asthma attacks are worse since the mould", ("health", "made_ill"), True),
        ("we are all coughing from the mould", ("made_ill",), True),
    ],
)
def test_who_lives_there_is_read_without_mistaking_sizes_for_ages(
    text: str, at_risk: tuple[str, ...], known: bool
) -> None:
    assert reading.household(text) == reading.Household(at_risk, known)


def test_how_large_and_how_long() -> None:
    assert reading.size("all over the wall") == "large"
    assert reading.size("about a metre") == "large"
    assert reading.size("a small patch in the corner") == "small"
    assert reading.how_long("it's been there 3 months") == "long"
    assert reading.how_long("for months") == "long"
    assert reading.how_long("since yesterday") == "recent"
    assert reading.how_long("my baby is 4 months old") is None  # an age, not a duration
    assert reading.how_long("he's 8 months and he's been in hospital") is None
    assert reading.how_long("she is 3 weeks, it's been there 2 months") == "long"
    assert reading.how_long("it has been 8 months") == "long"


def test_mould_with_a_baby_is_significant() -> None:
    proposal = propose("damp_mould", False, details("my baby is 4 months old"), SUMMER)
    assert proposal.category == "significant"
    assert "a baby or young child at home" in proposal.reason


def test_mould_already_making_someone_ill_is_an_emergency() -> None:
    proposal = propose(
        "damp_mould", False, details("my baby has been in hospital with her chest"), SUMMER
    )
    assert proposal.category == "emergency"
    assert proposal.reason == (
        "damp and mould already making someone ill, with a baby or young child at home"
    )
    # At risk but not (yet) harmed: significant, as before.
    assert propose("damp_mould", False, details("my son has asthma"), SUMMER).category == (
        "significant"
    )


def test_a_small_recent_patch_with_nobody_at_risk_is_routine_but_runs_the_stricter_clock() -> None:
    known = details("a small patch since yesterday, just me")
    proposal = propose("damp_mould", False, known, SUMMER)
    assert proposal.category == "routine"
    # Until a colleague decides, a hazard kind under the law runs "significant".
    assert clock_for("damp_mould", proposal.category, None, SUMMER) == "significant"
    assert clock_for("damp_mould", proposal.category, "routine", SUMMER) is None
    # What is not known yet counts the stricter way.
    assert propose("damp_mould", False, details("a small patch"), SUMMER).category == (
        "significant"
    )


@pytest.mark.parametrize(
    ("text", "on", "category"),
    [
        ("my mum is 90", WINTER, "emergency"),
        ("there's a newborn here", WINTER, "emergency"),
        ("", WINTER, "emergency"),  # nobody known yet: the stricter way
        ("just me", WINTER, "significant"),
        ("my mum is 90", SUMMER, "significant"),
        ("just me", SUMMER, "routine"),
    ],
)
def test_no_heating_is_an_emergency_in_the_cold_months_for_someone_at_risk(
    text: str, on: date, category: str
) -> None:
    assert propose("excess_cold", False, details(text), on).category == category


def test_an_emergency_message_is_an_emergency_hazard_of_any_kind() -> None:
    proposal = propose("gas_fuel", True, details(), SUMMER)
    assert proposal.category == "emergency"
    assert clock_for("gas_fuel", "emergency", None, date(2025, 11, 1)) == "emergency"


def test_an_ordinary_repair_is_not_a_hazard_and_has_no_clock() -> None:
    proposal = propose(None, False, details("my kitchen tap is dripping"), SUMMER)
    assert proposal.category == "none"
    assert clock_for("other", "none", None, SUMMER) is None


def test_hazard_kinds_come_under_the_clock_by_date() -> None:
    # Phase 1 from 27 October 2025: damp and mould, and every emergency.
    assert not in_force("damp_mould", "significant", date(2025, 10, 26))
    assert in_force("damp_mould", "significant", date(2025, 10, 27))
    assert in_force("falls", "emergency", date(2025, 10, 27))
    # Excess cold that is significant but not an emergency waits for its phase.
    assert not in_force("excess_cold", "significant", date(2025, 12, 1))
    assert in_force("excess_cold", "significant", PHASES[1].starts)
    assert not in_force("intruders", "significant", PHASES[1].starts)
    assert in_force("intruders", "significant", PHASES[2].starts)
    assert not in_force("damp_mould", "routine", date(2026, 1, 5))
    assert clock_for("excess_cold", "significant", None, date(2025, 12, 1)) is None


def hazard(clock: str, aware: datetime, *steps: HazardStep, works_later: str = "") -> Hazard:
    return Hazard(
        1, "damp_mould", aware, clock, "", clock=clock, steps=steps, works_later=works_later
    )


def test_significant_deadlines_skip_good_friday_easter_monday_and_the_weekend() -> None:
    # Aware Tue 24 Mar 2026: Wed 25 (1) ... Thu 2 Apr (7), Fri 3 Good Friday, weekend,
    # Mon 6 Easter Monday, Tue 7 (8), Wed 8 (9), Thu 9 (10).
    aware = datetime(2026, 3, 24, 10, 0, tzinfo=UTC)
    assert schedule(hazard("significant", aware)) == {"investigate": (None, date(2026, 4, 9))}
    # Investigated Thu 2 Apr: Tue 7 (1), Wed 8 (2), Thu 9 (3); Fri 10 (4), Mon 13 (5).
    done = HazardStep("investigate", None, date(2026, 4, 9), datetime(2026, 4, 2, 15, tzinfo=UTC))
    due = schedule(hazard("significant", aware, done))
    assert due["summary"] == (None, date(2026, 4, 9))
    assert due["make_safe"] == (None, date(2026, 4, 13))
    assert due["works"] == (None, date(2026, 4, 13))
    # Further work that cannot reasonably begin in time: 12 weeks from the investigation.
    later = schedule(hazard("significant", aware, done, works_later="scaffolding"))
    assert later["works"] == (None, date(2026, 6, 25))


def test_christmas_and_new_year_bank_holidays_are_skipped() -> None:
    # Aware Tue 23 Dec 2025 at 23:30 GMT: still the 23rd in England.
    aware = datetime(2025, 12, 23, 23, 30, tzinfo=UTC)
    # Wed 24 (1), Mon 29 (2), Tue 30 (3), Wed 31 (4), Fri 2 Jan (5) ... Fri 9 Jan (10).
    assert schedule(hazard("significant", aware))["investigate"] == (None, date(2026, 1, 9))


def test_an_emergency_is_due_24_hours_after_we_became_aware_across_the_clock_change() -> None:
    # 01:30 BST on Sunday 25 Oct 2026, the night the clocks go back: 24 real hours.
    aware = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    due = schedule(hazard("emergency", aware))
    deadline = datetime(2026, 10, 26, 0, 30, tzinfo=UTC)
    assert due == {"investigate": (deadline, None), "make_safe": (deadline, None)}
    steps = merged_steps(hazard("emergency", aware), aware)
    # The notice that opens an emergency is its warning; it is not warned again.
    assert all(step.warned_at == aware for step in steps)


def test_due_soon_missed_and_met() -> None:
    step = HazardStep("investigate", None, date(2026, 4, 13))
    # Fri 10 Apr: Mon 13 is the next working day.
    assert is_due_soon(step, datetime(2026, 4, 10, 9, tzinfo=UTC))
    assert not is_due_soon(step, datetime(2026, 4, 9, 9, tzinfo=UTC))
    assert not is_missed(step, datetime(2026, 4, 13, 22, 59, tzinfo=UTC))  # 23:59 BST
    assert is_missed(step, datetime(2026, 4, 13, 23, 1, tzinfo=UTC))  # 00:01 BST Tuesday
    on_day = HazardStep("summary", None, date(2026, 4, 13), datetime(2026, 4, 13, 16, tzinfo=UTC))
    assert met(on_day) is True
    late = HazardStep("summary", None, date(2026, 4, 13), datetime(2026, 4, 14, 8, tzinfo=UTC))
    assert met(late) is False
    assert met(step) is None


def test_a_question_is_never_asked_when_the_words_already_answer_it() -> None:
    known = details("black mould all over the bedroom wall for months, my son has asthma")
    assert next_question(known, "damp_mould", False) == "photo"
    answered = take_answer(known, "photo", "no sorry", photo=False)
    assert answered.photo is False
    assert next_question(answered, "damp_mould", False) == "access"
    # An answer the desk cannot read is still the answer: it is not asked again.
    unread = take_answer(details(), "household", "why do you need to know", photo=False)
    assert unread.answers["household"] == "why do you need to know"
    assert not unread.household_known
    assert next_question(replace_asked(unread, "household"), "damp_mould", False) == "extent"


def replace_asked(value: CaseDetails, *asked: str) -> CaseDetails:
    return replace(value, asked=(*value.asked, *asked))


def test_the_plan_waits_for_an_answer_that_could_change_the_clock() -> None:
    # No heating in winter, nobody known yet: the answer decides emergency or not.
    assert not settled("excess_cold", False, details(), WINTER)
    assert settled("excess_cold", False, details("my mum is 90"), WINTER)
    # Damp and mould runs "significant" whatever the answers: tell the plan at once.
    assert settled("damp_mould", False, details(), WINTER)
    assert settled(None, False, details(), WINTER)


TENANT_SECTIONS = ("hazards",)
SAMPLE = {
    "ref": "SHAL-00042",
    "due": "Thursday 9 April",
    "summary_days": "3",
    "plan": "We will come and check this by Thursday 9 April.",
    "findings": "Black mould on the wall from a broken fan.",
    "dates": "We will make your home safe by Monday 13 April.\n",
    "what": "make your home safe by Monday 13 April",
    "kind": "repair",
    "within": "24 hours",
    "phone": "01278 444344",
}


def _grade(text: str, monkeypatch: pytest.MonkeyPatch) -> float:
    # textstat is pinned (pyproject) to a release that counts syllables offline.
    return float(textstat.flesch_kincaid_grade(text))


def test_what_tenants_are_told_about_hazards_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    with (DEFAULT_INTENTS_DIR / "replies.toml").open("rb") as handle:
        wording = tomllib.load(handle)
    templates = [(f"hazards.{k}", v) for k, v in wording["hazards"].items()]
    templates.append(("intents.repair", wording["intents"]["repair"]))
    for key, template in templates:
        text = template.format(**{name: SAMPLE[name] for name in re.findall(r"{(\w+)}", template)})
        assert _grade(text, monkeypatch) <= 6, key
        assert not re.search(r"\(?\b\d+\.\d+(\.\d+)?\)?|policy|regulation", text, re.I), key


def test_the_reading_age_check_can_fail(monkeypatch: pytest.MonkeyPatch) -> None:
    hard = (
        "Notwithstanding the aforementioned considerations, the investigation's "
        "determinations regarding remediation necessitate comprehensive consultation."
    )
    assert _grade(hard, monkeypatch) > 6


@pytest.mark.parametrize(
    ("text", "damp_advice"),
    [
        ("There's black mould all over my bedroom wall and it's getting worse", True),
        ("mould everywhere and water pouring through the light fitting", False),
        ("damp in the hall and I can smell gas", False),
    ],
)
def test_an_emergency_about_damp_and_mould_alone_gets_advice_about_damp_not_gas(
    text: str, damp_advice: bool
) -> None:
    """The gas, fire and electrics advice is for those; mould read as an emergency gets
    advice about mould (and still runs on the emergency clock until a colleague
    decides)."""
    from types import SimpleNamespace

    from helpbot.desk.cases.promises import advice
    from helpbot.desk.wording import Wording

    office = SimpleNamespace(say=Wording.load(DEFAULT_INTENTS_DIR))
    said = advice(office, "emergency", text)  # type: ignore[arg-type]
    assert ("Damp and mould can harm your health" in said) is damp_advice
    assert ("0800 111 999" in said) is not damp_advice


@pytest.mark.parametrize(
    ("text", "cold_advice"),
    [
        ("my mum is 89 and her heating has been off for two days, it's freezing", True),
        ("no heating and no hot water and my baby is 3 weeks old", True),
        ("the boiler's broken, it's freezing and I can smell gas", False),
    ],
)
def test_an_emergency_about_the_cold_alone_gets_advice_about_keeping_warm_not_gas(
    text: str, cold_advice: bool
) -> None:
    """Excess cold for someone very old, very young or ill is an emergency hazard: the
    advice is about keeping them warm and when to call 999 or 111; a gas smell with it
    still gets the gas advice."""
    from types import SimpleNamespace

    from helpbot.desk.cases.promises import advice
    from helpbot.desk.wording import Wording

    office = SimpleNamespace(say=Wording.load(DEFAULT_INTENTS_DIR))
    said = advice(office, "emergency", text)  # type: ignore[arg-type]
    assert ("Keep them in one warm room" in said) is cold_advice
    assert ("0800 111 999" in said) is not cold_advice
