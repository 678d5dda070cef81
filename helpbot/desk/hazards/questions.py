"""The few questions the desk asks about a repair, which ones for which kind of hazard,
and how a tenant's words fill them in. Questions that can change the hazard's category
come first; a question is asked once, and never when the case already has the answer
(issue 12: "it never asks again for what it has").
"""

from __future__ import annotations

from dataclasses import replace

from helpbot.desk.hazards import reading
from helpbot.desk.records import CaseDetails

HOUSEHOLD = "household"
EXTENT = "extent"
SINCE = "since"
ROOM = "room"
PHOTO = "photo"
ACCESS = "access"
ACCESS_NOW = "access_now"
QUESTIONS = (HOUSEHOLD, EXTENT, SINCE, ROOM, PHOTO, ACCESS, ACCESS_NOW)

# How colleagues see each answer in the staff topic and the console.
LABELS = {
    HOUSEHOLD: "Who lives there",
    EXTENT: "How large and how long",
    SINCE: "How long",
    ROOM: "Room",
    PHOTO: "Photo",
    ACCESS: "Access",
    ACCESS_NOW: "Access",
}

# Which questions, in order, for each kind of report.
BY_KIND: dict[str, tuple[str, ...]] = {
    "damp_mould": (HOUSEHOLD, EXTENT, ROOM, PHOTO, ACCESS),
    "excess_cold": (HOUSEHOLD, SINCE, ACCESS),
    "sanitation": (HOUSEHOLD, SINCE, ACCESS),
    "excess_heat": (HOUSEHOLD, ROOM, ACCESS),
    "water_leak": (EXTENT, ROOM, PHOTO, HOUSEHOLD, ACCESS),
    "hygiene_pests": (HOUSEHOLD, ROOM, PHOTO, ACCESS),
}
HAZARD_QUESTIONS = (HOUSEHOLD, ROOM, PHOTO, ACCESS)  # any other hazard kind
REPAIR_QUESTIONS = (ROOM, ACCESS)  # an ordinary repair: where, and when we can come
EMERGENCY_QUESTIONS = (ACCESS_NOW,)  # the advice comes first; one question at most


def questions_for(kind: str | None, emergency: bool) -> tuple[str, ...]:
    if emergency:
        return EMERGENCY_QUESTIONS
    if kind is None:
        return REPAIR_QUESTIONS
    return BY_KIND.get(kind, HAZARD_QUESTIONS)


def has_answer(details: CaseDetails, question: str) -> bool:
    """Asked before, or already told in the tenant's own words."""
    if question in details.asked or question in details.answers:
        return True
    if question == HOUSEHOLD:
        return details.household_known or bool(details.at_risk)
    if question == EXTENT:
        return details.size is not None and details.since is not None
    if question == SINCE:
        return details.since is not None
    if question == ROOM:
        return details.room is not None
    if question == PHOTO:
        return details.photo is not None
    if question == ACCESS_NOW:
        return ACCESS in details.answers
    return False


def next_question(details: CaseDetails, kind: str | None, emergency: bool) -> str | None:
    return next((q for q in questions_for(kind, emergency) if not has_answer(details, q)), None)


def read_words(details: CaseDetails, text: str) -> CaseDetails:
    """Fill in what the tenant's words tell that the case does not have yet."""
    if not text.strip():
        return details
    home = reading.household(text)
    at_risk = tuple(dict.fromkeys(details.at_risk + home.at_risk))
    return replace(
        details,
        at_risk=at_risk,
        household_known=details.household_known or home.known or bool(at_risk),
        room=details.room or reading.room(text),
        size=details.size or reading.size(text),
        since=details.since or reading.how_long(text),
    )


def take_answer(details: CaseDetails, question: str, text: str, *, photo: bool) -> CaseDetails:
    """The tenant's reply to ``question`` is its answer, in their words: kept even when
    the desk can read nothing in it, so it is not asked again."""
    details = read_words(details, text)
    answers = dict(details.answers)
    if question == PHOTO:
        said = True if photo else reading.yes_or_no(text)
        details = replace(details, photo=said if said is not None else details.photo)
        answers[PHOTO] = "sent" if photo else (text.strip() or "-")
    elif question == HOUSEHOLD:
        answers[HOUSEHOLD] = text.strip()
        if reading.yes_or_no(text) is False and not details.at_risk:
            details = replace(details, household_known=True)
    else:
        key = ACCESS if question == ACCESS_NOW else question
        answers[key] = text.strip() or ("photo sent" if photo else "-")
    return replace(details, answers=answers, pending=None)


def reading_of(details: CaseDetails, question: str) -> str:
    """What the desk read in an answer, for colleagues beside the tenant's words."""
    if question == HOUSEHOLD:
        if details.at_risk:
            return "at higher risk: " + ", ".join(reading.AT_RISK[k] for k in details.at_risk)
        return "nobody at higher risk" if details.household_known else "not clear"
    if question in (EXTENT, SINCE):
        parts = [f"size: {details.size or 'not clear'}"] if question == EXTENT else []
        parts.append(f"how long: {details.since or 'not clear'}")
        return ", ".join(parts)
    if question == ROOM:
        return details.room or "not clear"
    if question == PHOTO:
        return {True: "yes", False: "no", None: "not clear"}[details.photo]
    return ""
