"""The web chat's light identity check, before anything about a tenant's own account.

A web visitor is only a cookie: anyone can type "what's my rent balance?". So before
a personal matter (a tenant's own home or account, 3.12) goes further, the bot asks
for the tenancy number and postcode, checks them against the register of current
tenancies (3.6.1) and keeps the verified link on the person, where colleagues see it
in the console. Until then it says plainly what it can do without one (questions,
repairs, complaints) and never promises "a colleague who can see your account".

Guessing is slowed down: a few wrong tries an hour per visitor and per address, then
the check waits. Someone with many addresses is slowed down too: after a few dozen
wrong tries in an hour from everyone together the check waits for everyone, and
colleagues are told once, since a tenant can always be checked by phone.

Nothing typed is ever said back, logged or passed on: the tries are counted as matched
or not, the message stays in the tenant's own history only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from helpbot.desk.actions import Action, StaffNotice
from helpbot.desk.cases.matters import current_matter
from helpbot.desk.cases.promises import next_step
from helpbot.desk.cases.topics import to_topic
from helpbot.desk.complaints_clock import local_day
from helpbot.desk.office import Office
from helpbot.desk.records import Tenancy, normalise_postcode, normalise_reference
from helpbot.desk.staff_topics import WEB_CHAT_TOPIC
from helpbot.desk.visit import Visit, reply, sender_actor

# Channels whose people are anonymous until checked (Telegram and Messenger accounts
# are a person's own; the web chat is a browser).
CHECKED_CHANNELS = frozenset({"web"})
WRONG_TRIES = 3
WINDOW = timedelta(hours=1)
# From everyone together: far above what tenants mistyping produce in an hour.
WRONG_TRIES_EVERYWHERE = 30
# An answer is a short message: the number, the postcode and a few words around them.
_MOST_WORDS = 12
_MOST_WORDS_WITH_LETTERS = 40
_POSTCODE = re.compile(r"\b([A-Z]{1,2}[0-9][A-Z0-9]?) ?([0-9][A-Z]{2})\b", re.IGNORECASE)
# "t100 001", "T100001 " typed in groups: the digit groups of one reference joined.
_SPLIT_DIGITS = re.compile(r"(?<![\w/-])([A-Z]{1,4}-?\d{1,6}) (\d{3})(?![\w/-])", re.IGNORECASE)
_SPACED_REFERENCE = re.compile(r"(?<![\w/-])([A-Z]{1,4}-?) +(\d{3,12})(?![\w/-])", re.IGNORECASE)
_REFERENCE = re.compile(r"(?<![\w/-])([A-Z0-9][A-Z0-9/-]{2,31})(?![\w/-])", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Answer:
    """A tenancy number and a postcode, as typed (never shown or logged)."""

    reference: str
    postcode: str


# Words around a tenancy number and postcode that say nothing more ("my tenancy number
# is ... and postcode ...", "hi, here are my details").
_FILLER = frozenset(
    "a account address am and are at check checked code detail details for from here hi "
    "hello i i'm im is it it's its me my name no number of on please post postcode ref "
    "reference tenancy thank thanks the this to you your yes ok okay sure".split()
)


def says_more(text: str, given: Answer) -> bool:
    """Whether a message holding the check's answer also says something else ("my
    boiler at TA6 3AB is broken, tenancy T100001"): that is a report too, never
    only an answer (outside review: the boiler was lost)."""
    found = _POSTCODE.search(text)
    rest = text if found is None else text[: found.start()] + " " + text[found.end() :]
    words = re.findall(r"[a-z']+", rest.lower())
    reference = given.reference.lower()
    return sum(1 for w in words if w not in _FILLER and w not in reference) >= 2


# Words before a number that are not a reference's letters ("my number is 100001").
_NOT_LETTERS = frozenset(
    "a am an as at be by do flat go he if in is it me my no of on or room so to unit up "
    "us we apt block house number ref".split()
)


def _joined(match: re.Match[str]) -> str:
    letters = match.group(1)
    if letters.rstrip("-").lower() in _NOT_LETTERS:
        return match.group(0)
    return letters + match.group(2)


def read_answer(text: str) -> Answer | None:
    """A message holding a postcode and a tenancy number, or None: a short one, or a
    longer one whose number has letters as a tenancy number does ("I'm behind on my
    rent and need a payment plan. T100001 TA6 3AB"), not any number at all."""
    words = len(text.split())
    if words > _MOST_WORDS_WITH_LETTERS:
        return None
    found = _POSTCODE.search(text)
    if found is None:
        return None
    postcode = normalise_postcode(found.group(0))
    rest = text[: found.start()] + " " + text[found.end() :]
    # "T 100001": letters and digits typed apart are one reference (outside review).
    rest = _SPACED_REFERENCE.sub(_joined, rest)
    rest = _SPLIT_DIGITS.sub(r"\1\2", rest)
    if postcode is None:
        return None
    found_references = [normalise_reference(m.group(1)) for m in _REFERENCE.finditer(rest)]
    numbers = [r for r in found_references if sum(ch.isdigit() for ch in r) >= 3]
    if not numbers:
        return None
    # "flat 123 ... T100001": a reference with letters beats a bare number, then length.
    best = max(numbers, key=lambda r: (any(ch.isalpha() for ch in r), len(r)))
    if words > _MOST_WORDS and not any(ch.isalpha() for ch in best):
        return None
    return Answer(best, postcode)


async def needs_check(office: Office, visit: Visit) -> bool:
    """A visitor on an anonymous channel who has not passed the check."""
    if visit.inbound.channel not in CHECKED_CHANNELS:
        return False
    return await office.records.identity.verified_tenancy(visit.person.id) is None


async def is_verified(office: Office, visit: Visit) -> bool:
    return await office.records.identity.verified_tenancy(visit.person.id) is not None


def ask(office: Office) -> str:
    return office.say("identity", "ask")


async def ask_if_open(office: Office, visit: Visit) -> str:
    """The request for the details, or, while the check is paused for this visitor or
    for everyone, what to do instead: never "send your tenancy number" straight after
    "I can't check tenancy details here just now" (outside review)."""
    paused = await _paused(office, visit)
    return office.say("identity", paused) if paused is not None else ask(office)


async def _paused(office: Office, visit: Visit) -> str | None:
    """Why the check waits now ("too_many": this visitor or address; "paused":
    everyone), or None."""
    inbound = visit.inbound
    since = inbound.received_at - WINDOW
    identity = office.records.identity
    if await identity.wrong_tries(visit.person.id, inbound.origin, since) >= WRONG_TRIES:
        return "too_many"
    if await identity.wrong_tries_everywhere(since) >= WRONG_TRIES_EVERYWHERE:
        return "paused"
    return None


async def answer_if_given(office: Office, visit: Visit) -> tuple[list[Action], bool] | None:
    """The visitor's answer to the check, checked, and whether the message says more
    than the answer (the caller then handles it as usual too); None if it holds none."""
    if visit.inbound.channel not in CHECKED_CHANNELS:
        return None
    given = read_answer(visit.inbound.text)
    if given is None or not await needs_check(office, visit):
        return None
    more = says_more(visit.inbound.text, given)
    paused = await _paused(office, visit)
    if paused is None:
        return await check(office, visit, given, more=more), more
    if more:
        # The rest of the message goes on, and says the check waits (ask_if_open) if it
        # needs one: said once, not twice.
        return [], True
    everyone = paused == "paused"
    why = "identity_check_paused_everywhere" if everyone else "identity_check_paused"
    await office.audit(sender_actor(visit.inbound), why)
    return [reply(visit.inbound, office.say("identity", paused))], False


async def check(office: Office, visit: Visit, given: Answer, *, more: bool = False) -> list[Action]:
    """The details checked against the register, the check not being paused.
    ``more``: the message goes on to be handled as usual, which says what happens
    next; the check's reply is then only whether the details matched."""
    inbound = visit.inbound
    identity = office.records.identity
    at = inbound.received_at
    say = office.say
    matched = await _matches(office, given, visit)
    await identity.record_try(visit.person.id, inbound.origin, matched=matched, at=at)
    # Whether it matched, never what was typed (Privacy).
    await office.audit(sender_actor(inbound), "identity_check", detail={"matched": matched})
    if not matched:
        answer: list[Action] = [reply(inbound, say("identity", "no_match"))]
        if await identity.wrong_tries_everywhere(at - WINDOW) == WRONG_TRIES_EVERYWHERE:
            # The try that reached the limit: told once, not on every paused try after.
            notice = say("staff", "identity_checks_paused", count=WRONG_TRIES_EVERYWHERE)
            answer.append(StaffNotice(WEB_CHAT_TOPIC, notice))
        return answer
    await identity.verify(visit.person.id, given.reference, at)
    if more:
        return [reply(inbound, say("identity", "matched"))]
    matter = await current_matter(office, visit.person.id, visit.chat)
    if matter is None:
        text = f"{say('identity', 'matched')} {say('identity', 'what_now')}"
        return [reply(inbound, text)]
    await office.cases.log(
        matter.id, "identity_checked", actor_kind="tenant", actor_id=visit.person.id
    )
    then = next_step(office, matter.kind, at, verified=True)
    text = f"{say('identity', 'matched')} {then}"
    actions: list[Action] = [reply(inbound, text, case_id=matter.id)]
    return actions + to_topic(office, matter, say("staff", "identity_checked"))


async def _matches(office: Office, given: Answer, visit: Visit) -> bool:
    """A current tenancy with this number at exactly this postcode. The number is
    compared as typed apart from punctuation ("t-100001" is T100001), and a number
    typed without its letters ("100001") is compared by its digits: the postcode must
    match exactly either way, so a guess is no easier."""
    today = local_day(visit.inbound.received_at)
    found = await office.register.candidates([given.reference], given.postcode)
    typed = _alphanumeric(given.reference)
    return any(
        t.postcode == given.postcode
        and _current(t, today)
        and (
            _alphanumeric(t.reference) == typed
            or (typed.isdigit() and "".join(filter(str.isdigit, t.reference)) == typed)
        )
        for t in found
    )


def _alphanumeric(reference: str) -> str:
    return "".join(ch for ch in reference.upper() if ch.isalnum())


def _current(tenancy: Tenancy, today: date) -> bool:
    return tenancy.start_date <= today and (tenancy.end_date is None or tenancy.end_date >= today)
