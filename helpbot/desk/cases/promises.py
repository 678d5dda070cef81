"""What the bot tells a tenant will happen next: only what will (issue 12, 3.9 honest).

With a staff room, colleagues see a new case at once in its topic and reply in the
tenant's chat. Without one (the default ``make run``) a case is kept where the staff
console lists it, but nobody is alerted and nobody can reply in the chat: the tenant
is told so, and told to call, never "I've alerted our team". Where the office hours
are set (HELPBOT_OFFICE_HOURS), a message outside them says the office is closed and,
for an urgent matter, gives the out-of-hours line. The policy gives no hours, so
without the setting the bot says nothing about them.

The first reply to a new matter is the intent's own words (advice, what it is), the
safeguarding helplines for that message (safety/signposts.py), then what happens next.
"""

from __future__ import annotations

from datetime import datetime

from helpbot.desk.hazards.kinds import hazard_kinds
from helpbot.desk.office import Office
from helpbot.desk.safety.signposts import signposts
from helpbot.desk.settings import DeskSettings
from helpbot.desk.visit import URGENT_INTENTS
from helpbot.working_days import LONDON, is_working_day


def office_open(settings: DeskSettings, at: datetime) -> bool | None:
    """Whether the office is open at ``at`` (working days, UK time); None if unknown."""
    hours = settings.office_hours
    if hours is None:
        return None
    local = at.astimezone(LONDON)
    if not is_working_day(local.date()):
        return False
    opens, closes = hours
    return opens <= local.time().replace(tzinfo=None) < closes


def next_step(office: Office, intent: str, at: datetime, *, verified: bool = False) -> str:
    """One honest line: who will see this, and when, given the settings.

    ``verified``: the tenant passed the identity check, so a colleague can talk about
    their account (a personal matter)."""
    say = office.say
    settings = office.settings
    phone = settings.out_of_hours_phone
    closed = office_open(settings, at) is False
    if intent in URGENT_INTENTS:
        if not settings.staff_room:
            return say("next", "urgent_unseen", phone=phone)
        return say("next", "urgent_told_closed" if closed else "urgent_told", phone=phone)
    if not settings.staff_room:
        return say("next", "kept_only")
    key = "reply"
    if intent == "personal":
        key = "account_reply" if verified else "reply_may_check"
    return say("next", f"{key}_closed" if closed else key)


# An emergency naming only these is about the cold (no heating, no hot water), not gas,
# fire or electrics.
COLD_ONLY = frozenset({"excess_cold", "sanitation"})


def advice(office: Office, intent: str, text: str) -> str:
    """The intent's own words; for safeguarding, the helplines this message needs; for
    an emergency that names only damp and mould, or only the cold, advice about that
    rather than gas, fire and electrics (Awaab's Law: each may still be an emergency
    hazard; found walking the web chat: an 89-year-old with no heating got the gas
    advice)."""
    kinds = set(hazard_kinds(text)) if intent == "emergency" else set()
    if kinds == {"damp_mould"}:
        return office.say("intents", "emergency_damp")
    if "excess_cold" in kinds and kinds <= COLD_ONLY:
        return office.say("intents", "emergency_cold")
    said = office.say("intents", intent)
    if intent == "safeguarding":
        said = "\n".join((said, signposts(office.say, text), office.say("next", "private")))
    return said


def reminder(office: Office, intent: str, text: str, hazard: str | None = None) -> str:
    """One line of the advice, for more of an urgent matter whose advice was given lately
    (cases/tenant_thread.py): the line for the hazards ``text`` names and the case's own
    ``hazard`` kind, as ``advice`` chooses (a nan in the cold is not told about gas)."""
    key = f"urgent_reminder_{intent}"
    if intent == "emergency":
        kinds = set(hazard_kinds(text)) | ({hazard} if hazard and hazard != "other" else set())
        if kinds == {"damp_mould"}:
            key = "urgent_reminder_emergency_damp"
        elif "excess_cold" in kinds and kinds <= COLD_ONLY:
            key = "urgent_reminder_emergency_cold"
    return office.say("cases", key)


def first_reply(
    office: Office, intent: str, text: str, at: datetime, *, verified: bool = False
) -> str:
    """A new matter's reply: advice, then what happens next."""
    return f"{advice(office, intent, text)}\n\n{next_step(office, intent, at, verified=verified)}"
