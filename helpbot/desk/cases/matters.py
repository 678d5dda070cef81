"""What a tenant's conversation is about: the open *matter* their messages join.

A tenant talks to SHAL about one thing at a time, in their own words, over several
messages; the classifier reads each message alone. So a message does not pick its case
by its own intent (3.12, 3.13: the personal matter, complaints included, is carried on
privately as one thread). The rules:

1. The conversation's current matter is the tenant's most recently active open case
   that lives in this private chat, or that started in a group and has no private chat
   yet (the tenant carries it on here, with or without the group's link).
2. A follow-up joins the current matter, whatever intent the classifier gives it: a
   complaint's details are filed on the complaint, a long ramble on the matter in hand,
   never on an older open case of the kind the classifier guessed.
3. A clearly different urgent matter always starts a new case: an emergency or a
   safeguarding concern while the current matter is not urgent, or an emergency
   naming a hazard the urgent matter in hand is not about. Safety is never filed away
   inside a repair. More of an urgent matter that the model reads as the other urgent
   kind joins it ("I've moved the kids into the front room" after a sagging ceiling,
   "we're all outside now" after a CO alarm): that case is urgent, colleagues already
   have it, and the message still gets its own kind's safety advice. The other kind
   told outright (a safety cue: "I can't do this anymore" after a report of a nan in
   the cold) is a matter of its own.
   A complaint asked for in so many words ("I want to make a formal complaint",
   "I'd like to complain about how this has been handled") while the matter in hand
   is not a complaint is a complaint of its own, on its own clock (the Housing
   Ombudsman's Complaint Handling Code: a stage 1 complaint is logged when the
   resident asks for one); colleagues see the matter it is about beside it.
4. The tenant can say it is something new: "/new", plain words ("new issue", "that's a
   different problem"), or the button under "I've added this to your case". Every
   open matter in the conversation is then set aside (it stays open for colleagues);
   the next case message starts a new case. A case set aside counts again once a
   colleague acts on it (their reply is what the tenant will answer).
5. A resolved or closed case is never joined and never reopened by the bot: a new
   message starts a new matter. Reopening restarts work, and on a complaint it changes
   what the Ombudsman sees, so it is a colleague's decision (/reopen); the new case's
   topic names the recently finished case of the same kind so they can make it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from helpbot.desk.hazards.kinds import hazard_kinds
from helpbot.desk.office import Office
from helpbot.desk.records import Case, Chat
from helpbot.desk.visit import URGENT_INTENTS

# A finished case of the same kind this recent is named to colleagues on the new case.
RECENTLY_FINISHED = timedelta(days=14)
FINISHED_STATUSES = frozenset({"resolved", "closed"})

# "New issue", "another problem: ...", "that's a different problem", "it's a separate
# matter", "new question" — at the start of a message.
_NEW_MATTER = re.compile(
    r"^\W*(?:(?:ok|okay|also|and|but|oh|um|right|sorry)[\s,.!]+)*"
    r"(?:(?:this|that|it|there)(?:'s|’s| is| was)\s+|i have\s+|i've got\s+|i got\s+)?"
    r"(?:a\s+|an\s+|one\s+more\s+)?"
    r"(?:new|different|separate|another|other|unrelated)\s+"
    r"(?:issue|problem|matter|thing|question|query|case|report|complaint)s?\b"
    r"[\s:;,.!\-–—]*",
    re.IGNORECASE,
)
# Left after the words above, this few words is nothing to act on yet.
_MEANINGFUL_WORDS = 3


@dataclass(frozen=True, slots=True)
class NewMatterWords:
    """The tenant said this is something new; ``rest`` is what followed the words."""

    rest: str

    @property
    def only_the_words(self) -> bool:
        return len(self.rest.split()) < _MEANINGFUL_WORDS


def says_new_matter(text: str) -> NewMatterWords | None:
    match = _NEW_MATTER.match(text)
    if match is None:
        return None
    return NewMatterWords(text[match.end() :].strip())


def in_conversation(case: Case, chat: Chat) -> bool:
    """The case lives in this chat, or came from a group and has no private chat yet."""
    return case.chat_id is None or case.chat_id == chat.id


def joinable(case: Case) -> bool:
    """Open, and not set aside (or acted on by a colleague since it was)."""
    if case.status != "open":
        return False
    if case.set_aside_at is None:
        return True
    return case.updated_at is not None and case.updated_at > case.set_aside_at


async def open_matters(office: Office, person_id: int, chat: Chat) -> list[Case]:
    """The tenant's open cases in this conversation, most recently active first."""
    cases = await office.cases.tenant_cases(person_id)
    found = [c for c in cases if c.status == "open" and in_conversation(c, chat)]
    return sorted(found, key=_activity, reverse=True)


async def current_matter(
    office: Office, person_id: int, chat: Chat, known: InHand | None = None
) -> Case | None:
    """The matter the tenant's next message in ``chat`` belongs to, or None. For other
    features too (the repair details dialogue asks about this case). ``known``: what a
    caller looked up earlier in this visit with nothing changed since."""
    if known is not None:
        return known.case
    for case in await open_matters(office, person_id, chat):
        if joinable(case):
            return case
    return None


@dataclass(frozen=True, slots=True)
class InHand:
    """The matter in hand as looked up once for a message, passed on to the features that
    ask again before anything has changed (one query on every message, not three)."""

    case: Case | None


# "I want to make a formal complaint", "I'd like to complain", "this is a complaint",
# "can I complain about ...": asked for in so many words, not dissatisfaction alone
# ("any news? it's been a week" reads as a complaint and is more of the repair).
_ASKS_TO_COMPLAIN = re.compile(
    r"\b(?:formal|official|proper|stage (?:1|one|2|two)) complaint\b|"
    r"\b(?:make|log|raise|file|lodge|put in|submit|open|start)\s+(?:a\s+|an\s+|my\s+)?"
    r"(?:formal\s+|official\s+)?complaint\b|"
    r"\b(?:want|wish|like|going|need|have)\s+to\s+complain\b|"
    r"\b(?:can|could|may|how do)\s+i\s+complain\b|"
    r"\bthis is (?:a|an official|a formal) complaint\b|\bi(?:'m| am) complaining\b",
    re.IGNORECASE,
)


def asks_to_complain(current: Case | None, intent: str, text: str) -> bool:
    """Rule 3, for complaints: asked for in so many words while the matter in hand is
    not a complaint (an outside tester's "I want to make a formal complaint, nobody has
    called me back" was filed as a note on the repair, with no complaint and no clock)."""
    return (
        current is not None
        and current.kind != "complaint"
        and intent == "complaint"
        and _ASKS_TO_COMPLAIN.search(text) is not None
    )


def starts_new_matter(current: Case | None, intent: str, *, by_cue: bool = False) -> bool:
    """Rules 2 and 3: only a clearly different urgent matter leaves the current one.

    Within an urgent matter, the model's reading of the other urgent kind is more of
    it: read alone, "the ambulance is on its way" after a CO alarm is safeguarding, and
    "its 12 Birchwood House, 3rd floor" after "I've moved the kids" is an emergency.
    Opening a case for each split one matter over three cases (make conversations: 22
    splits in the five sets, each the author's single matter). ``by_cue``: the intent
    was told outright (a safety cue), which a different matter of the other kind is."""
    if current is None:
        return True
    if intent in URGENT_INTENTS:
        return not current.urgent or (current.kind != intent and by_cue)
    return False


async def another_hazard(office: Office, current: Case | None, intent: str, text: str) -> bool:
    """Rule 3, for an emergency while an urgent matter is open: a message naming a
    hazard that matter is not about (a gas smell while a mould emergency is open) is a
    different matter, though both read as urgent."""
    if current is None or not current.urgent or intent != "emergency":
        return False
    named = hazard_kinds(text)
    if not named:
        return False
    hazard = await office.records.hazards.hazard(current.id)
    return hazard is not None and hazard.kind not in ("other", *named)


async def set_aside(office: Office, person_id: int, chat: Chat, at: datetime) -> list[Case]:
    """Rule 4: the tenant moves on; every open matter here stays open for colleagues."""
    aside = [c for c in await open_matters(office, person_id, chat) if joinable(c)]
    for case in aside:
        await office.cases.log(case.id, "set_aside", actor_kind="tenant", actor_id=person_id)
        # Both stamps the same, so only a colleague's later action makes it current again.
        await office.cases.change(case.id, set_aside_at=at, updated_at=at)
    return aside


async def recently_finished(office: Office, person_id: int, kind: str, at: datetime) -> Case | None:
    """Rule 5: the tenant's case of this kind resolved or closed lately, for colleagues."""
    for case in await office.cases.tenant_cases(person_id):
        if case.kind != kind or case.status not in FINISHED_STATUSES:
            continue
        if case.updated_at is not None and at - case.updated_at <= RECENTLY_FINISHED:
            return case
    return None


def _activity(case: Case) -> tuple[datetime, int]:
    return (case.updated_at or case.created_at or datetime.min.replace(tzinfo=UTC), case.id)
