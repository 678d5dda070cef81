"""What the desk reads in a tenant's words about a repair: which room, how large, how
long, who lives there, whether they can send a photo. Plain patterns, no model: each
reading is shown to colleagues next to the tenant's own words, and an answer the
patterns cannot read is still kept as the tenant wrote it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Who is at higher risk from a hazard (the HHSRS's vulnerable groups, and the
# regulations' duty to consider the household): label as colleagues read it.
AT_RISK: dict[str, str] = {
    "baby": "a baby or young child",
    "child": "a child",
    "over_65": "someone over 65",
    "pregnant": "someone who is pregnant",
    "health": "someone with a health condition",
    "disability": "someone with a disability",
    "made_ill": "someone it is already making ill",
}

_AT_RISK_WORDS: dict[str, re.Pattern[str]] = {
    "baby": re.compile(
        r"\b(bab(y|ies)|newborn|new born|infant|toddler|\d{1,2} ?(months?|mths?|weeks?) old|"
        r"cots?|cot ?beds?|moses baskets?|nappy|nappies)\b",
        re.I,
    ),
    "child": re.compile(r"\b(child|children|kids?|grandchild\w*)\b", re.I),
    "over_65": re.compile(
        r"\b(elderly|pensioners?|oap|old age|in (his|her|my|their) (70|80|90)s)\b", re.I
    ),
    "pregnant": re.compile(r"\b(pregnant|expecting a baby)\b", re.I),
    "health": re.compile(
        r"\b(asthma\w*|copd|lung\w*|breathing|respiratory|bronchitis|heart|diabet\w*|"
        r"cancer|chemo\w*|immun\w*|ill|illness|unwell|(health|medical|long[- ]term) "
        r"condition|disease|medical|"
        r"oxygen|dementia|frail|mental health)\b",
        re.I,
    ),
    "disability": re.compile(
        r"\b(disab\w*|wheelchair|mobility|blind|deaf|carer|bed ?bound|housebound)\b", re.I
    ),
}
# Harm already done, in the household's words: a hospital stay, a doctor linking it to
# the home, breathing trouble. Awaab's Law's guidance gives damp and mould that is a
# significant risk to the health of someone with a respiratory condition as an example of
# an emergency hazard (triage.py); a baby in hospital with her chest is that.
_MADE_ILL = re.compile(
    r"\b(hospital\w*|a ?& ?e|admitted|ambulance|chest infections?|bronchiolitis|"
    r"pneumonia|wheez\w*|asthma attacks?|inhalers?|nebuli[sz]er|struggl\w* to breathe|"
    r"can'?t breathe|(breathing|chest) (problems?|trouble|issues?|is bad|worse|got worse)|"
    r"(doctor|gp|health visitor|nurse|consultant)s? (said|says|asked|thinks?|told|blames?|"
    r"reckons?|wrote|letter)|(making|made|make) (him|her|them|us|me|my \w+|the \w+) "
    r"(ill|sick|poorly|bad)|(ill|sick|poorly|coughing|cough) (from|because of|with) "
    r"(it|the (mould|mold|damp)))\b",
    re.I,
)
# The words before an age: "is 89", "I'm 70", "she's 89", "my nan's 91".
_AGE_OF = (
    r"is|are|am|i'?m|aged?|age of|(?:she|he|mum|dad|nan|nana|nanna|gran|granny|"
    r"grandma|grandad|granddad|grandpa|mother|father|husband|wife|son|daughter)['’]?s"
)
_AGE = re.compile(
    rf"\b(?:{_AGE_OF})\s+(\d{{1,3}})(?=\s*(?:$|[.,;!?)]|and\b|now\b|"
    r"next\b|years?\b|yrs?\b|yo\b|months?\b|mths?\b))|"
    r"\b(\d{1,3})[\s-]*(?:years?|yrs?|months?|mths?|weeks?)[\s-]*old\b|"
    r"\b(\d{1,3}) ?(?:yo|y/o)\b",
    re.I,
)
_IN_MONTHS = re.compile(r"^\s*(months?|mths?|weeks?)\b", re.I)
_NOBODY_AT_RISK = re.compile(
    r"^\W*(no|nope|none|nobody|no one|no-one|neither|n/a)\b|\b(just|only) (me|us|adults?)\b|"
    r"\blive (on my own|alone|by myself)\b|\bnone of (those|them|that|these)\b|"
    r"\b(me|myself) and my (partner|husband|wife|boyfriend|girlfriend|flatmate)\b|"
    r"\bno(body| one)? (at risk|vulnerable|like that)\b|\ball (adults|healthy)\b",
    re.I,
)

_LARGE = re.compile(
    r"\b(large|big|huge|massive|whole|entire|all over|everywhere|spreading|spread|"
    r"most of|covered|covering|several|(\d+|two|three|four) (walls|rooms)|"
    r"(\d+(\.\d+)?|a|one|two|three) ?(square )?(metres?|meters?|m2|sq ?m))\b",
    re.I,
)
_SMALL = re.compile(
    r"\b(small|tiny|little|bit of|size of a (coin|plate|hand|saucer|fist)|few spots|"
    r"(a|one) (spot|patch|corner))\b",
    re.I,
)
_LONG = re.compile(
    r"\b(\d+|a|few|couple of|several|many)[ -](weeks?|months?|years?)\b(?![\s-]*old)|"
    r"\b(for|over|in) (weeks|months|years)\b|"
    r"\b(ages|long time|always|for ever|forever|since (last )?(jan|feb|mar|apr|may|jun|jul|"
    r"aug|sep|oct|nov|dec|winter|summer|spring|autumn|christmas|we moved))\w*",
    re.I,
)
_RECENT = re.compile(
    r"\b(today|yesterday|this morning|last night|tonight|just (started|noticed|happened)|"
    r"(\d+|a|few|couple of) (days?|hours?)|since (monday|tuesday|wednesday|thursday|"
    r"friday|saturday|sunday))\b",
    re.I,
)

ROOMS: dict[str, re.Pattern[str]] = {
    "kitchen": re.compile(r"\bkitchen", re.I),
    "bathroom": re.compile(r"\b(bathroom|shower room|wet room)\b", re.I),
    "toilet": re.compile(r"\b(toilet|wc|loo)\b", re.I),
    "bedroom": re.compile(r"\b(bedroom|bed room|box room|nursery|(kids|baby)'?s? room)\b", re.I),
    "living room": re.compile(r"\b(living room|lounge|front room|sitting room)\b", re.I),
    "dining room": re.compile(r"\bdining room\b", re.I),
    "hall or stairs": re.compile(r"\b(hall|hallway|landing|stairs|staircase)\b", re.I),
    "loft": re.compile(r"\b(loft|attic)\b", re.I),
    "utility room": re.compile(r"\butility\b", re.I),
    "whole home": re.compile(r"\b(whole|every|all (the|my)?) ?(flat|house|home|rooms?)\b", re.I),
}

_ACCESS = re.compile(
    r"\b(any ?time|whenever|mornings?|afternoons?|evenings?|weekdays?|weekends?|"
    r"(mon|tues|wednes|thurs|fri|satur|sun)days?|after \d|before \d|\d ?(am|pm)|"
    r"all day|(at|be) home|i'?m (in|home|here|around)|i am (in|home|here)|now|today|"
    r"tomorrow|key|neighbour|at work|not in|out)\b",
    re.I,
)
_NO = re.compile(
    r"^\W*(no|nope|nah|can'?t|cannot|not (really|now|able)|i can'?t|don'?t have)\b", re.I
)
_YES = re.compile(r"^\W*(yes|yeah|yep|sure|ok|okay|will do|i can)\b", re.I)


@dataclass(frozen=True, slots=True)
class Household:
    """Who lives there, as far as the words tell: ``at_risk`` names who is at higher
    risk; ``known`` is False when the words say nothing either way."""

    at_risk: tuple[str, ...] = ()
    known: bool = False


def household(text: str) -> Household:
    found = [key for key, pattern in _AT_RISK_WORDS.items() if pattern.search(text)]
    for match in _AGE.finditer(text):
        number = next(group for group in match.groups() if group)
        age = int(number)
        after = match.group(0)[match.group(0).index(number) + len(number) :]
        in_months = _IN_MONTHS.match(after) or _IN_MONTHS.match(text[match.end() :])
        if in_months or age < 5:
            found.append("baby")
        elif age < 14:
            found.append("child")
        elif 65 <= age <= 120:
            found.append("over_65")
    if _MADE_ILL.search(text):
        found.append("made_ill")
    at_risk = tuple(key for key in AT_RISK if key in found)
    if at_risk:
        return Household(at_risk, known=True)
    return Household((), known=bool(_NOBODY_AT_RISK.search(text)))


def size(text: str) -> str | None:
    """ "large" or "small", or None when the words don't say."""
    if _LARGE.search(text):
        return "large"
    if _SMALL.search(text):
        return "small"
    return None


# An age told with its unit ("he's 8 months", "she is 3 weeks"): not how long it has
# been there (found walking the fake Bot API: a baby's age answered "how long?").
_AGE_IN_UNITS = re.compile(
    rf"\b(?:{_AGE_OF}|baby['’]?s)\s+\d{{1,3}}\s*(?:months?|mths?|weeks?|years?|yrs?)\b",
    re.I,
)


def how_long(text: str) -> str | None:
    """ "long" (weeks or more) or "recent" (days), or None when the words don't say."""
    text = _AGE_IN_UNITS.sub(" ", text)
    if _LONG.search(text):
        return "long"
    if _RECENT.search(text):
        return "recent"
    return None


def room(text: str) -> str | None:
    return next((name for name, pattern in ROOMS.items() if pattern.search(text)), None)


def access(text: str) -> bool:
    """Whether the words say when someone can get in."""
    return bool(_ACCESS.search(text))


# When someone is in, said outright: not "now" or "today" alone, which answer other
# questions too ("I'll take one now").
_WHEN_IN = re.compile(
    r"\b(any ?time|whenever|mornings?|afternoons?|evenings?|weekdays?|weekends?|"
    r"(mon|tues|wednes|thurs|fri|satur|sun)days?|after \d|before \d|\d ?(am|pm)|"
    r"all day|most days|(at|be) home|i'?m (in|home|here|around)|i am (in|home|here)|"
    r"at work|not in)\b",
    re.I,
)


def says_when_in(text: str) -> bool:
    return bool(_WHEN_IN.search(text))


def yes_or_no(text: str) -> bool | None:
    if _NO.search(text):
        return False
    if _YES.search(text):
        return True
    return None
