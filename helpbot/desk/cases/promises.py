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

from helpbot.desk.hazards.kinds import emergency_variant, hazard_kinds
from helpbot.desk.office import Office
from helpbot.desk.safety.signposts import kinds_of, signposts
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


OPENING_HOURS = "opening-hours"  # the knowledge base's entry for the question


def opening_hours(office: Office, at: datetime) -> str | None:
    """The office's hours as the operator set them (HELPBOT_OFFICE_HOURS), and whether
    it is open now; None when they are not set (the bot then never claims any)."""
    settings = office.settings
    if settings.office_hours is None:
        return None
    opens, closes = settings.office_hours
    return office.say(
        "intents",
        "opening_hours",
        opens=f"{opens:%H:%M}",
        closes=f"{closes:%H:%M}",
        now="open" if office_open(settings, at) else "closed",
        phone=settings.out_of_hours_phone,
    )


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


def advice(office: Office, intent: str, text: str) -> str:
    """The intent's own words; for safeguarding, the helplines this message needs; for
    an emergency that names only damp and mould, or only the cold, advice about that
    rather than gas, fire and electrics (Awaab's Law: each may still be an emergency
    hazard; found walking the web chat: an 89-year-old with no heating got the gas
    advice)."""
    if intent == "emergency":
        return office.say("intents", f"emergency{emergency_variant(set(hazard_kinds(text)))}")
    said = office.say("intents", intent)
    if intent == "safeguarding":
        said = "\n".join((said, signposts(office.say, text), office.say("next", "private")))
    return said


def reminder(office: Office, intent: str, text: str, hazard: str | None = None) -> str:
    """One line of the advice, for more of an urgent matter whose advice was given lately
    (cases/tenant_thread.py): for an emergency, the line for the hazards ``text`` names
    and the case's own ``hazard`` kind (a nan in the cold is not told about gas); for
    safeguarding, 999 and Samaritans plus the helplines this message's own words call
    for, which are new, not a repeat (a child at risk, then "my partner hits me": the
    domestic abuse helpline)."""
    say = office.say
    if intent == "emergency":
        kinds = set(hazard_kinds(text)) | ({hazard} if hazard and hazard != "other" else set())
        return say("cases", f"urgent_reminder_emergency{emergency_variant(kinds)}")
    line = say("cases", f"urgent_reminder_{intent}")
    if intent == "safeguarding":
        # The reminder already gives Samaritans.
        kinds_named = [kind for kind in kinds_of(text) if kind != "suicide"]
        line = "\n".join((line, *(say("safeguarding", kind) for kind in kinds_named)))
    return line


def first_reply(
    office: Office, intent: str, text: str, at: datetime, *, verified: bool = False
) -> str:
    """A new matter's reply: advice, then what happens next."""
    return f"{advice(office, intent, text)}\n\n{next_step(office, intent, at, verified=verified)}"
