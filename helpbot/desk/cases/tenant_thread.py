"""A tenant's private case thread: what they say joins the matter in hand, or opens a
case for a new one, and everything they send goes to its topic in the staff group
(3.12, 3.13). Which case a message belongs to is decided in ``matters.py``."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from helpbot.desk.actions import Action, Button, PostToStaff, SendText, StaffNotice
from helpbot.desk.buttons import NewMatter
from helpbot.desk.cases import identity_check, other_language
from helpbot.desk.cases.matters import (
    another_hazard,
    asks_to_complain,
    current_matter,
    recently_finished,
    starts_new_matter,
)
from helpbot.desk.cases.promises import advice, first_reply, next_step, reminder
from helpbot.desk.cases.topics import (
    KIND_NAMES,
    case_summary,
    new_case_header,
    staff_note,
    topic_name,
)
from helpbot.desk.complaints_clock import local_day, stage_deadlines
from helpbot.desk.events import Content, Inbound
from helpbot.desk.hazards.dialogue import Talk, on_case_message
from helpbot.desk.office import Office
from helpbot.desk.records import Case, NewCase
from helpbot.desk.safety.signposts import for_colleagues
from helpbot.desk.staff_topics import WEB_CHAT_TOPIC
from helpbot.desk.visit import URGENT_INTENTS, Visit, reply

RELAYED = frozenset({Content.PHOTO, Content.DOCUMENT, Content.VOICE, Content.VIDEO})
# An urgent matter active this recently had its advice given in this conversation: more
# of it gets one line of the advice, not all of it again.
ADVICE_FRESH = timedelta(hours=2)


async def case_message(
    office: Office, visit: Visit, intent: str, *, own_matter: bool = False, follow_up: bool = False
) -> list[Action]:
    """A case matter joins the tenant's current matter whatever its intent, or opens a
    new case (a first matter, or a clearly different urgent one: matters.py); the
    tenant is told which case it went to. ``own_matter``: the desk knows this is a new
    matter (a complaint about a missed hazard step is its own case, on its own clock).
    ``follow_up``: a message read only faintly, joined to the matter in hand; it is
    filed and acknowledged, and the matter's advice is not said again."""
    inbound = visit.inbound
    say = office.say
    current = None if own_matter else await current_matter(office, visit.person.id, visit.chat)
    advised = advised_lately(current, intent, inbound.received_at)
    different = starts_new_matter(current, intent, by_cue=visit.urgent_by_cue) or asks_to_complain(
        current, intent, inbound.text
    )
    if not different and not follow_up:
        different = await another_hazard(office, current, intent, inbound.text)
    case = None if different else current
    new = case is None
    # Cases this web address opened in the last hour (None: not a web visitor).
    opened = await opened_from_origin(office, inbound) if new else None
    if (
        opened is not None
        and intent not in URGENT_INTENTS
        and opened >= office.settings.web_new_cases_per_hour
    ):
        # Anonymous web visitors from one address cannot flood the staff room with
        # everyday reports. An emergency or a safeguarding concern is never turned
        # away: a household, a library or a phone network shares one address, and the
        # fourth report of the hour may be the gas leak (outside review).
        return [reply(inbound, say("cases", "too_many_new"), intent=intent)]
    if opened is not None and opened >= URGENT_FROM_ONE_ADDRESS:
        # Not even urgent reports open a case past a far higher bar: one address has
        # opened more urgent cases in an hour than a building has emergencies, each an
        # alert and an Awaab's Law clock (outside review: eight "I can smell gas in flat
        # N" in three seconds made eight). The advice is given in full all the same.
        text = f"{advice(office, intent, inbound.text)}\n\n{say('cases', 'urgent_held')}"
        # Colleagues still see each one, in the one "Web chat" topic rather than a case
        # and a clock each: one of them may be real.
        shown = staff_note(say("staff", "urgent_held", words=inbound.text[:1000]))
        held = StaffNotice(WEB_CHAT_TOPIC, shown, about=visit.person.id)
        return [reply(inbound, text, intent=intent), held]
    bar_reached: list[Action] = []
    if case is None:
        case = await open_case(office, visit, intent, in_group=False)
        # The case just opened was the last this address may open this hour.
        if (
            intent in URGENT_INTENTS
            and opened is not None
            and opened + 1 == URGENT_FROM_ONE_ADDRESS
        ):
            flood = say("staff", "urgent_from_one_address", count=URGENT_FROM_ONE_ADDRESS)
            bar_reached.append(StaffNotice(WEB_CHAT_TOPIC, flood))
    elif case.chat_id is None:
        await office.cases.change(case.id, chat_id=visit.chat.id)
    await file_message(office, case.id, visit, intent=intent)
    # A repair or emergency: the details asked for, the hazard triaged (Awaab's Law).
    # More of a case in another language is no answer the bot can read, and an English
    # question after it ("Can you send us a photo?") talks past the tenant: colleagues
    # read it instead (walking the fake Bot API). A new case in another language is
    # still triaged on what the bot could tell (a gas smell said outright).
    if new or not other_language.language_of(visit):
        talk = await on_case_message(office, visit, case, intent)
    else:
        talk = Talk()
    actions: list[Action] = []
    # Once a colleague has taken the case the bot stays quiet on it, except for
    # safety advice, which is never held back.
    if case.assignee_id is None or (intent in URGENT_INTENTS and not follow_up):
        told = await tenant_reply(
            office, visit, case, "follow_up" if follow_up else intent, new=new, advised=advised
        )
        if talk.tenant:
            told = replace(told, text=f"{told.text}\n\n{talk.tenant}")
        actions.append(told)
    notes = await staff_notes(office, visit, case, intent, new=new)
    if new and current is not None and current.id != case.id:
        # Rule 3 split an urgent message from the matter in hand; the author of the
        # conversation may mean one matter (a leak that has reached the socket), so
        # colleagues are shown the other case and how to fold it in (make conversations:
        # most splits left are such escalations).
        kind = KIND_NAMES.get(current.kind, current.kind)
        notes.append(say("staff", "beside", kind=kind, ref=current.ref, here=case.ref))
    return [
        *actions,
        *to_staff(office, case, visit, new=new, notes=notes),
        *talk.staff,
        *bar_reached,
    ]


def advised_lately(current: Case | None, intent: str, at: datetime) -> bool:
    """More of the urgent matter in hand, whose advice the tenant was given lately: the
    case is urgent of this kind and was active within ``ADVICE_FRESH``."""
    if current is None or not current.urgent or current.kind != intent:
        return False
    return current.updated_at is not None and at - current.updated_at <= ADVICE_FRESH


async def one_line(office: Office, case: Case, intent: str, text: str, at: datetime) -> list[str]:
    """For more of an urgent matter whose whole advice was given lately: one line of it
    for the hazards ``text`` names and the case's own, and, without a staff room, the
    honest "call us now" again (nobody may read the case soon)."""
    hazard = await office.records.hazards.hazard(case.id)
    lines = [reminder(office, intent, text, hazard.kind if hazard else None)]
    if not office.settings.staff_room:
        lines.append(next_step(office, intent, at))
    return lines


async def tenant_reply(
    office: Office,
    visit: Visit,
    case: Case,
    intent: str,
    *,
    new: bool,
    advised: bool = False,
) -> SendText:
    """What the tenant is told: for a new matter, advice, what happens next and its
    reference; for a follow-up, which case it went to, with a button in case the
    tenant meant a new problem (and the safety advice again if it is urgent: in one
    line when ``advised``, the whole advice having been given lately)."""
    inbound = visit.inbound
    if new:
        text = await opening_reply(office, visit, case, intent)
        return reply(inbound, text, intent=intent, case_id=case.id)
    say = office.say
    parts = [say("cases", "added", ref=case.ref, kind=KIND_NAMES.get(case.kind, case.kind))]
    if (theirs := other_language.in_their_language(office, visit)) is not None:
        parts.insert(0, theirs)  # in their language first, as when the case was opened
    if advised and intent in URGENT_INTENTS:
        # The address, "between the 4th and 5th floor", "police are here now": the whole
        # advice again buries what the tenant needs to see (make conversations: 26 of
        # 75 details of an urgent matter in set 1 got it again). Still never held back:
        # the line that matters most stays, and colleagues see the message in the case's
        # topic. Without a staff room, the honest "call us now" is said again too.
        parts += await one_line(office, case, intent, inbound.text, inbound.received_at)
    elif intent in URGENT_INTENTS or intent == "human":
        # Safety advice is never held back; a request for a person is passed on.
        then = next_step(office, intent, inbound.received_at)
        parts = [advice(office, intent, inbound.text), then, *parts]
    text = "\n\n".join(parts)
    return reply(
        inbound, text, intent=intent, case_id=case.id, buttons=new_problem(office, visit, case)
    )


def new_problem(office: Office, visit: Visit, case: Case) -> tuple[tuple[Button, ...], ...]:
    """The "No, it's a new problem" button under a text filed on ``case`` as a follow-up,
    which moves that message to a new case (new_matter.py); none under a file."""
    if visit.inbound.content is not Content.TEXT:
        return ()
    split = NewMatter(case.id, visit.message.id).data
    return ((Button(office.say("cases", "new_matter_button"), data=split),),)


async def opening_reply(office: Office, visit: Visit, case: Case, intent: str) -> str:
    """A new matter's words (promises.py) and its reference. A personal matter from an
    anonymous web visitor asks for the identity check first (identity_check.py)."""
    at = visit.inbound.received_at
    text = visit.inbound.text
    opened = office.say("cases", "opened", ref=case.ref)
    if intent == "personal" and await identity_check.needs_check(office, visit):
        then = await identity_check.ask_if_open(office, visit)
        if not office.settings.staff_room:
            then = f"{then}\n{next_step(office, intent, at)}"
        return "\n\n".join((advice(office, intent, text), then, opened))
    verified = await identity_check.is_verified(office, visit)
    said = first_reply(office, intent, text, at, verified=verified)
    if other_language.language_of(visit):
        # Written in another language: the tenant is told a colleague will read it, in
        # their language first; an urgent matter's advice still comes first of all.
        words = other_language.first_words(office, visit)
        said = words if intent == "human" else f"{said}\n\n{words}"
    return f"{said}\n\n{opened}"


async def staff_notes(
    office: Office, visit: Visit, case: Case, intent: str, *, new: bool
) -> list[str]:
    """What colleagues should know beside the tenant's words: the helplines given, the
    identity check, a recently finished case of the same kind (matters.py rule 5)."""
    notes: list[str] = []
    say = office.say
    if (note := other_language.staff_note(office, visit)) is not None:
        notes.append(note)
    if intent == "safeguarding":
        notes.append(for_colleagues(say, visit.inbound.text))
    if not new:
        return notes
    if intent == "personal" and await identity_check.needs_check(office, visit):
        notes.append(say("staff", "identity_unchecked"))
    before = await recently_finished(office, visit.person.id, case.kind, visit.inbound.received_at)
    if before is not None:
        kind = KIND_NAMES.get(before.kind, before.kind)
        notes.append(say("staff", "follows_on", kind=kind, ref=before.ref, status=before.status))
    return notes


# Urgent cases one web address may open in an hour: far above what one building's
# tenants have, so only a flood (one visitor, or a script) ever reaches it.
URGENT_FROM_ONE_ADDRESS = 10


async def opened_from_origin(office: Office, inbound: Inbound) -> int | None:
    """Cases opened from this message's web address in the hour before it; None for a
    message that has no such address (not the web chat)."""
    if inbound.origin is None:
        return None
    since = inbound.received_at - timedelta(hours=1)
    return await office.cases.opened_from(inbound.origin, since)


async def open_case(office: Office, visit: Visit, intent: str, *, in_group: bool) -> Case:
    """Open a case for what the tenant said; a complaint starts the complaints clock.
    A case from a group is linked to the group message and gets a private-chat link."""
    inbound = visit.inbound
    dates = None
    if intent == "complaint":
        deadlines = stage_deadlines(1, local_day(inbound.received_at))
        dates = (deadlines.acknowledge_by, deadlines.respond_by)
    return await office.cases.open_case(
        NewCase(
            kind=intent,
            tenant_id=visit.person.id,
            chat_id=None if in_group else visit.chat.id,
            summary=other_language.summary(visit, case_summary(inbound.text, office.understanding)),
            urgent=intent in URGENT_INTENTS,
            origin_chat_id=visit.chat.id if in_group else None,
            origin_message_id=inbound.message_id if in_group else None,
            with_link=in_group,
            complaint_dates=dates,
            actor_name=visit.person.first_name,
            now=inbound.received_at,
            origin=inbound.origin,
        )
    )


async def file_message(
    office: Office, case_id: int, visit: Visit, *, kind: str = "tenant_message", **detail: object
) -> None:
    """Put the tenant's message on the case: linked in the history and on the timeline.
    A message in another language says which, so the console can tell colleagues the
    bot did not read it (policy 6.2; cases/other_language.py)."""
    if (language := other_language.language_name(visit)) is not None:
        detail.setdefault("language", language)
    await office.people.link_message(visit.message.id, case_id)
    await office.cases.log(
        case_id,
        kind,
        actor_kind="tenant",
        actor_id=visit.person.id,
        actor_name=visit.person.first_name,
        text=visit.inbound.text,
        detail=detail,
    )


async def attachment(office: Office, visit: Visit) -> list[Action]:
    """Photos, files and voice notes go to the tenant's open case for staff to see."""
    inbound = visit.inbound
    kind = inbound.content.value
    current = await current_matter(office, visit.person.id, visit.chat)
    if current is None or inbound.content not in RELAYED:
        key = kind if office.say.has("content", kind) else "other"
        return [reply(inbound, office.say("content", key))]
    await file_message(
        office, current.id, visit, kind="tenant_file", content=kind, message_id=inbound.message_id
    )
    actions = to_staff(office, current, visit, new=False)
    if current.assignee_id is None:
        text = office.say("cases", "added_file", ref=current.ref)
        actions.insert(0, reply(inbound, text, case_id=current.id))
    return actions


def to_staff(
    office: Office, case: Case, visit: Visit, *, new: bool, notes: list[str] | None = None
) -> list[Action]:
    """What the tenant said (or sent) in the case's topic; a new case gets its header.
    ``notes``: lines for colleagues under the tenant's words."""
    if not office.settings.staff_room:
        return []
    inbound = visit.inbound
    name = visit.person.first_name or "Tenant"
    if inbound.content is Content.TEXT:
        text = office.say("staff", "tenant_says", name=name, text=inbound.text)
    else:
        text = office.say("staff", "tenant_sent_file", name=name, content=inbound.content.value)
    if new:
        text = f"{new_case_header(office, case, f'private chat ({inbound.channel})')}\n\n{text}"
    if notes:
        text = "\n".join((text, *notes))
    topic = topic_name(case)
    actions: list[Action] = [
        PostToStaff(case.id, topic, case.staff_topic_id, text=staff_note(text), relay=True)
    ]
    if inbound.content is not Content.TEXT and inbound.message_id:
        actions.append(
            PostToStaff(
                case.id,
                topic,
                case.staff_topic_id,
                copy_from=inbound.chat,
                copy_message_id=inbound.message_id,
                relay=True,
            )
        )
    return actions
