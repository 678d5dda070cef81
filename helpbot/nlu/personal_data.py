"""Finds personal data in a message so it is never repeated in public or in logs.

Policy 3.12 keeps personal matters private; the bot also must not copy a
tenant's phone number or bank details into a group or a log line. Detection is
rule-based (spaCy ``Matcher`` token patterns on a blank English tokenizer), so it
works before any model is trained and costs microseconds.

Kinds and the formats recognised:

- ``postcode``: UK postcodes, any case, with or without the space: "TA6 4SY", "ta64sy".
- ``phone``: UK numbers starting 0 or +44, as one run of digits or in the usual
  groups: "01278 444344", "0117 496 0123", "07700 900123", "+44 7700 900123",
  "(01278) 444344", "07700-900-123".
- ``email``: anything spaCy's ``LIKE_EMAIL`` accepts.
- ``tenancy_ref``: SHAL references: "T" plus 6 digits ("T123456"), "SHAL-" plus
  4-8 digits ("SHAL-12345"), or a 4-10 character code containing a digit right after
  "ref", "reference", "tenancy number/ref" or "rent account" ("tenancy ref 20931").
- ``account_number``: any other standalone 8-digit number (rent and bank
  accounts are both 8 digits and both private).
- ``sort_code``: "12-34-56", or "12 34 56" right after "sort code".
- ``date_of_birth``: a date after "DOB", "d.o.b", "date of birth" or "born (on)":
  "12/03/1985", "12.03.85", "3 March 1985", "3rd of March, 1985", "March 3 1985".
  A date without such words is not treated as personal ("the engineer came on 12/03").
- ``ni_number``: National Insurance numbers, "QQ 12 34 56 C", "QQ123456C".

Not personal: "flat 12", "I waited 3 weeks", "£450", job numbers without a "ref" word.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import spacy
from spacy.language import Language
from spacy.matcher import Matcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans


@dataclass(frozen=True, slots=True)
class PersonalDatum:
    kind: str
    start: int  # character offsets into the original text
    end: int


def _re(pattern: str) -> dict[str, dict[str, str]]:
    return {"TEXT": {"REGEX": pattern}}


MONTHS = (
    r"(?i)^(jan(uary)?|feb(ruary)?|mar(ch)?|apr(il)?|may|june?|july?|aug(ust)?"
    r"|sep(t(ember)?)?|oct(ober)?|nov(ember)?|dec(ember)?)$"
)
NUMERIC_DATE = r"^\d{1,2}[/.-]\d{1,2}[/.-](\d{2}|\d{4})$"
DAY = r"(?i)^\d{1,2}(st|nd|rd|th)?$"
YEAR = r"^(19|20)\d{2}$"

# Words that introduce a date of birth; trimmed off the reported span.
DOB_LEAD = {"dob", "d.o.b", "d.o.b.", "date", "of", "birth", "born", "on", ":", "-", "is", "."}
REF_LEAD = {
    "ref",
    "reference",
    "tenancy",
    "number",
    "no",
    "no.",
    "rent",
    "account",
    ":",
    "-",
    "#",
    ".",
}

OPTIONAL_PUNCT = {"TEXT": {"IN": [":", "-", "."]}, "OP": "?"}
REF_CODE = {"TEXT": {"REGEX": r"^(?=.*\d)[A-Za-z0-9/-]{4,10}$"}}
DATE_FORMS: list[list[dict[str, object]]] = [
    [_re(NUMERIC_DATE)],
    [_re(DAY), {"LOWER": "of", "OP": "?"}, _re(MONTHS), {"TEXT": ",", "OP": "?"}, _re(YEAR)],
    [_re(MONTHS), _re(DAY), {"TEXT": ",", "OP": "?"}, _re(YEAR)],
]
DOB_LEADS: list[list[dict[str, object]]] = [
    [{"LOWER": {"IN": ["dob", "d.o.b", "d.o.b."]}}, {"TEXT": ".", "OP": "?"}, OPTIONAL_PUNCT],
    [{"LOWER": "date"}, {"LOWER": "of"}, {"LOWER": "birth"}, OPTIONAL_PUNCT],
    [{"LOWER": "born"}, {"LOWER": "on", "OP": "?"}],
]

PATTERNS: dict[str, list[list[dict[str, object]]]] = {
    "email": [[{"LIKE_EMAIL": True}]],
    "postcode": [
        [_re(r"(?i)^[A-Z]{1,2}\d[A-Z\d]?$"), _re(r"(?i)^\d[A-Z]{2}$")],
        [_re(r"(?i)^[A-Z]{1,2}\d[A-Z\d]?\d[A-Z]{2}$")],
    ],
    "phone": [
        [_re(r"^(\+44|0044|0)\d{9,10}$")],
        [_re(r"^(\+44|0)\d{2,4}$"), _re(r"^\d{3,4}$"), _re(r"^\d{3,4}$")],
        [_re(r"^(\+44|0)\d{2,4}$"), _re(r"^\d{5,8}$")],
        [{"TEXT": "("}, _re(r"^0\d{3,4}$"), {"TEXT": ")"}, _re(r"^\d{5,7}$")],
        [_re(r"^0\d{3,4}$"), {"TEXT": "-"}, _re(r"^\d{3}$"), {"TEXT": "-"}, _re(r"^\d{3,4}$")],
        [_re(r"^\+?44$"), _re(r"^\(?0?\)?\d{2,4}$"), _re(r"^\d{3,8}$"), _re(r"^\d{3,4}$")],
        [_re(r"^\+?44$"), _re(r"^\(?0?\)?\d{2,4}$"), _re(r"^\d{5,8}$")],
    ],
    "tenancy_ref": [
        [_re(r"(?i)^t\d{6}$")],
        [_re(r"(?i)^shal-?\d{4,8}$")],
        [{"LOWER": "shal"}, {"TEXT": "-"}, _re(r"^\d{4,8}$")],
        [
            {"LOWER": {"IN": ["ref", "reference"]}},
            {"LOWER": {"IN": ["number", "no", "no."]}, "OP": "?"},
            OPTIONAL_PUNCT,
            REF_CODE,
        ],
        [
            {"LOWER": "tenancy"},
            {"LOWER": {"IN": ["ref", "reference", "number", "no", "no."]}},
            OPTIONAL_PUNCT,
            REF_CODE,
        ],
        [
            {"LOWER": "rent"},
            {"LOWER": "account"},
            {"LOWER": {"IN": ["number", "no", "ref"]}, "OP": "?"},
            OPTIONAL_PUNCT,
            REF_CODE,
        ],
    ],
    "account_number": [[_re(r"^\d{8}$")]],
    "sort_code": [
        [_re(r"^\d{2}-\d{2}-\d{2}$")],
        [_re(r"^\d{2}$"), {"TEXT": "-"}, _re(r"^\d{2}$"), {"TEXT": "-"}, _re(r"^\d{2}$")],
        [
            {"LOWER": "sort"},
            {"LOWER": "code"},
            OPTIONAL_PUNCT,
            _re(r"^\d{2}$"),
            _re(r"^\d{2}$"),
            _re(r"^\d{2}$"),
        ],
        [{"LOWER": "sort"}, {"LOWER": "code"}, OPTIONAL_PUNCT, _re(r"^\d{6}$")],
    ],
    "date_of_birth": [lead + date for lead in DOB_LEADS for date in DATE_FORMS],
    "ni_number": [
        [_re(r"(?i)^[A-Z]{2}\d{6}[A-D]$")],
        [
            _re(r"(?i)^[A-Z]{2}$"),
            _re(r"^\d{2}$"),
            _re(r"^\d{2}$"),
            _re(r"^\d{2}$"),
            _re(r"(?i)^[A-D]$"),
        ],
        [_re(r"(?i)^[A-Z]{2}\d{6}$"), _re(r"(?i)^[A-D]$")],
        [_re(r"(?i)^[A-Z]{2}$"), _re(r"^\d{6}$"), _re(r"(?i)^[A-D]$")],
    ],
}
# Context words to trim from the front of a match so only the datum is redacted.
LEADS = {
    "date_of_birth": DOB_LEAD,
    "tenancy_ref": REF_LEAD,
    "sort_code": {"sort", "code", ":", "-", "."},
}
# When matches overlap, the more specific kind wins over the longer span.
PRIORITY = {
    "email": 0,
    "ni_number": 1,
    "date_of_birth": 2,
    "sort_code": 3,
    "tenancy_ref": 4,
    "phone": 5,
    "postcode": 6,
    "account_number": 7,
}


def build_matcher(nlp: Language) -> Matcher:
    """A Matcher holding every personal-data pattern, keyed by kind."""
    matcher = Matcher(nlp.vocab, validate=True)
    for kind, patterns in PATTERNS.items():
        matcher.add(kind, patterns)
    return matcher


def _trim(span: Span, kind: str) -> Span:
    lead = LEADS.get(kind, set())
    start = span.start
    while start < span.end - 1 and span.doc[start].lower_ in lead:
        start += 1
    return Span(span.doc, start, span.end, label=span.label_)


def find_in_doc(doc: Doc, matcher: Matcher) -> list[PersonalDatum]:
    """Personal data in a tokenized doc, non-overlapping, in text order."""
    spans: list[Span] = []
    for match_id, start, end in matcher(doc):
        kind = doc.vocab.strings[match_id]
        spans.append(_trim(Span(doc, start, end, label=kind), kind))
    # Prefer the more specific kind, then the longer span, when spans overlap.
    spans.sort(key=lambda s: (PRIORITY[s.label_], -(s.end - s.start), s.start))
    chosen: list[Span] = []
    taken: set[int] = set()
    for span in spans:
        tokens = set(range(span.start, span.end))
        if tokens & taken:
            continue
        chosen.append(span)
        taken |= tokens
    chosen = filter_spans(chosen)
    return [PersonalDatum(s.label_, s.start_char, s.end_char) for s in chosen]


@lru_cache(maxsize=1)
def _blank() -> tuple[Language, Matcher]:
    nlp = spacy.blank("en")
    return nlp, build_matcher(nlp)


def find_personal_data(text: str) -> list[PersonalDatum]:
    """Personal data in ``text`` with character offsets; needs no trained model."""
    if not text or not text.strip():
        return []
    nlp, matcher = _blank()
    return find_in_doc(nlp.make_doc(text), matcher)


def redact(text: str) -> str:
    """``text`` with every personal datum replaced by ``[kind]``, safe for logs."""
    out = text
    for datum in sorted(find_personal_data(text), key=lambda d: d.start, reverse=True):
        out = f"{out[: datum.start]}[{datum.kind}]{out[datum.end :]}"
    return out
