"""Someone's health or money trouble, told in a public group: "my son's asthma is worse
with the mould", "I'm behind on my rent since the chemo". UK GDPR makes health a special
category, and arrears or debt are as private to a tenant as a bank account (3.12), so
such a post is taken down and moved to a private case like a phone number is.

The desk takes such a post down only when it reads as a matter of a personal nature
(a repair, a complaint, a personal matter): a thank-you "for the card when my husband
was in hospital" stays. Only a disclosure counts: the condition or the trouble close
after someone it belongs to ("I", "my", "my son", "we"). Talk about a topic is not a
disclosure: "mental health week at the centre", "the food bank opens on Tuesdays",
"cancer research coffee morning". Kinds: ``health`` and ``money``; the span is the
words that disclose.
"""

from __future__ import annotations

import re

from helpbot.nlu.personal_data import PersonalDatum

# Someone the words belong to, then up to five words, then the condition or trouble.
_WHOSE = (
    r"\b(?:i|i'm|im|i am|i've|ive|i have|i had|i was|i'd|my|we|we're|we are|"
    r"we've|we have|our (?:son|daughter|child|kids?|baby|boy|girl))\b"
)
_GAP = r"(?:\W+\w+){0,5}?\W+"
_HEALTH = (
    r"cancer|chemo(?:therapy)?|radiotherapy|tumou?r|terminal(?:ly ill)?|dementia|"
    r"alzheimer'?s|depression|depressed|anxiety|panic attacks|bipolar|schizophreni\w*|"
    r"ptsd|mental health|suicidal|self[- ]harm(?:ing)?|hiv|dialysis|a stroke|"
    r"heart attack|heart condition|epilep\w+|seizures|diabet\w+|copd|asthma|"
    r"disabilit(?:y|ies)|disabled(?! (?:parking|access|bays?|toilets?|facilities|ramps?))|"
    r"pregnan(?:t|cy)|miscarriage|autis(?:m|tic)|adhd|"
    r"sectioned|antidepressants|my medication|(?:in|out of) hospital|hospitali[sz]ed|"
    r"had (?:surgery|an operation)|diagnos(?:ed|is)|addiction|alcoholic|rehab|"
    r"multiple sclerosis|(?:have|has|got|with) ms|parkinson'?s|arthritis|fibromyalgia|"
    r"crohn'?s|sickle cell|lupus|wheelchair user|in a wheelchair|mental illness|"
    r"breakdown|overdosed?|eating disorder|anorexi\w*|bulimi\w*"
)
_MONEY = (
    r"arrears|in debt|debts?|behind (?:on|with) (?:my |our |the )?rent|"
    r"can'?t (?:afford|pay) (?:my |our |the )?rent|bailiffs?|debt collectors?|"
    r"eviction notice|food ?banks?|bankrupt(?:cy)?|\biva\b|\bccj\b|"
    r"(?:universal credit|benefits?|uc|pip) (?:has been |have been |was |were |got )?"
    r"(?:stopped|sanctioned|cut)|sanctioned|owe(?! (?:you|u|ya|them) )|owing|skint|"
    r"overdrawn|payday loans?|loan sharks?|on benefits|on universal credit|"
    r"can'?t afford (?:food|to eat|to heat|(?:the )?heating|(?:the )?bills|gas|"
    r"electric(?:ity)?|(?:my |our |the )?rent)"
)
_FOUND = {
    "health": re.compile(rf"{_WHOSE}{_GAP}(?P<what>{_HEALTH})\b", re.IGNORECASE),
    "money": re.compile(rf"{_WHOSE}{_GAP}(?P<what>{_MONEY})\b", re.IGNORECASE),
}
# A disclosure right at the start, with the owner left out: "Behind on rent since...".
_OPENING = {
    "money": re.compile(
        r"^\W*(?:got an? |just got an? )?(?P<what>behind (?:on|with) (?:my |our |the )?rent|"
        r"in debt|ccj|can'?t afford (?:food|to eat|to heat|(?:the )?heating|(?:the )?bills))\b",
        re.IGNORECASE,
    ),
    "health": re.compile(
        r"^\W*(?:(?:just |recently )?(?:been|got|was) )?(?P<what>diagnosed)\b", re.IGNORECASE
    ),
}
# Trouble that is over is not a disclosure to take down: "I finally paid off my rent
# arrears!" (outside review: taken down, and a case opened).
_OVER = re.compile(
    r"\b(?:paid off|paid back|cleared|clear of|free of|no longer|out of|got rid of|"
    r"recovered from|beat|beaten)\b[^.!?]{0,25}$",
    re.IGNORECASE,
)


def find_disclosures(text: str) -> list[PersonalDatum]:
    """Each disclosure, its span being the condition or trouble, in text order."""
    found: set[PersonalDatum] = set()
    for kind, pattern in _FOUND.items():
        for match in pattern.finditer(text):
            if _OVER.search(text[: match.start("what")]):
                continue
            found.add(PersonalDatum(kind, match.start("what"), match.end("what")))
    for kind, pattern in _OPENING.items():
        opening = pattern.match(text)
        if opening is not None:
            found.add(PersonalDatum(kind, opening.start("what"), opening.end("what")))
    return sorted(found, key=lambda d: d.start)
