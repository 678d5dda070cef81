"""How a case appears to colleagues: its topic in the staff group, named without personal
data, and the notes posted there (3.12)."""

from __future__ import annotations

from datetime import date

from helpbot.desk.actions import Action, PostToStaff, split_long_text
from helpbot.desk.office import Office
from helpbot.desk.ports import Understanding
from helpbot.desk.records import Case

# Room for the adapter's own lines (a link to the group message) under Telegram's cap.
STAFF_NOTE_LENGTH = 4000
KIND_NAMES = {
    "emergency": "emergency",
    "safeguarding": "safeguarding concern",
    "complaint": "complaint",
    "asb": "anti-social behaviour report",
    "personal": "tenancy or account query",
    "repair": "repair",
    "human": "request to talk to a person",
}
# Capitalised words that are never a person or a street: kept, so a topic reads "since
# Monday", not "since [name]". Months that are also first names (April, May, June,
# August) are still masked.
_NOT_NAMES = frozenset(
    {"I", "I'm", "I've", "I'd", "I'll", "SHAL", "OK", "TV"}
    | {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
    | {"January", "February", "March", "July", "September", "October", "November", "December"}
    | {"Christmas", "Easter"}
)


def day(value: date | None) -> str:
    return f"{value:%a %d %b %Y}" if value else "-"


def staff_note(text: str) -> str:
    """A note for the staff group, cut at a word so it fits with the adapter's lines."""
    return split_long_text(text, STAFF_NOTE_LENGTH)[0]


def redact(text: str, understanding: Understanding) -> str:
    """``text`` with every personal datum replaced by ``[kind]``: fit for a topic name."""
    out = text
    found = understanding.find_personal_data(text)
    for datum in sorted(found, key=lambda d: d.start, reverse=True):
        out = f"{out[: datum.start]}[{datum.kind}]{out[datum.end :]}"
    return out


def case_summary(text: str, understanding: Understanding) -> str:
    """A short summary for staff topic names: personal data removed, capitalised words
    after the first (most often names of people and streets) masked, first words only."""
    words = redact(" ".join(text.split()), understanding).split()[:8]
    masked = [
        "[name]" if i and word[:1].isupper() and word.strip(".,!?") not in _NOT_NAMES else word
        for i, word in enumerate(words)
    ]
    summary = " ".join(masked)
    return summary if len(summary) <= 60 else summary[:57] + "..."


def topic_name(case: Case) -> str:
    """Topic names: reference, intent, non-personal summary (Telegram allows 128 chars)."""
    return f"{case.ref} · {case.kind} · {case.summary}"[:128]


def to_topic(office: Office, case: Case, text: str) -> list[Action]:
    """A note in the case's topic, when there is a staff room."""
    if not office.settings.staff_room:
        return []
    return [PostToStaff(case.id, topic_name(case), case.staff_topic_id, text=staff_note(text))]


def new_case_header(office: Office, case: Case, origin: str) -> str:
    deadlines = "n/a"
    if case.kind == "complaint" and case.acknowledge_by and case.respond_by:
        deadlines = (
            f"acknowledge by {case.acknowledge_by:%a %d %b %Y}, "
            f"respond by {case.respond_by:%a %d %b %Y}"
        )
    return office.say(
        "staff",
        "new_case",
        kind=KIND_NAMES.get(case.kind, case.kind),
        ref=case.ref,
        urgent=" ⚠️ URGENT" if case.urgent else "",
        origin=origin,
        deadlines=deadlines,
    )
