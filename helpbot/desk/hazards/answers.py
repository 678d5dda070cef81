"""A tenant's reply to the question the desk asked about their repair is its answer.

Short replies ("the bedroom", "no", "just me and my partner") read as anything to the
classifier: small talk, a complaint, even safeguarding. While a question waits, a reply
that reads as its answer is taken as the answer, whatever the classifier says, and so
is one the classifier calls small talk, unclear or a repair (issue 12). Safety first: a
reply a safety cue calls urgent goes the urgent way, and one only the model calls
urgent is taken as the answer with the safety line added.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import timedelta

from helpbot.desk.actions import Action
from helpbot.desk.cases.matters import InHand, current_matter
from helpbot.desk.cases.promises import reminder
from helpbot.desk.cases.tenant_thread import advised_lately, file_message, new_problem, to_staff
from helpbot.desk.cases.topics import KIND_NAMES, to_topic
from helpbot.desk.events import Content
from helpbot.desk.hazards import reading
from helpbot.desk.hazards.dialogue import DIALOGUE_INTENTS, carry_on
from helpbot.desk.hazards.kinds import hazard_kind
from helpbot.desk.hazards.questions import (
    ACCESS,
    ACCESS_NOW,
    EXTENT,
    HOUSEHOLD,
    LABELS,
    PHOTO,
    ROOM,
    SINCE,
    questions_for,
    read_words,
    reading_of,
    take_answer,
)
from helpbot.desk.office import Office
from helpbot.desk.records import CaseDetails
from helpbot.desk.visit import URGENT_INTENTS, Visit, reply

# A reply this long after the question is a new message, not its answer.
ANSWER_WINDOW = timedelta(hours=48)
# A reply naming the photo ("no photo sorry") answers the photo question.
_PHOTO_WORDS = re.compile(r"\b(photos?|pictures?|pics?|camera|snaps?)\b", re.IGNORECASE)
# Intents whose words are taken as the answer even when they read as nothing.
TAKEN_AS_SAID = frozenset({"repair", "smalltalk", "unclear"})
PICTURES = frozenset({Content.PHOTO, Content.VIDEO, Content.DOCUMENT})
_COURTESY = re.compile(
    r"^\W*((thanks|thank you|thank u|thx|ta|cheers|ok|okay|bye|hello|hi|hiya)\W*)+$", re.I
)


def reads_as_answer(question: str, text: str) -> bool:
    if question == HOUSEHOLD:
        return reading.household(text).known
    if question == EXTENT:
        return reading.size(text) is not None or reading.how_long(text) is not None
    if question == SINCE:
        return reading.how_long(text) is not None
    if question == ROOM:
        return reading.room(text) is not None
    if question == PHOTO:
        return reading.yes_or_no(text) is not None
    if question in (ACCESS, ACCESS_NOW):
        return reading.access(text)
    return False


def answered_instead(
    details: CaseDetails, question: str, text: str, asks: tuple[str, ...]
) -> str | None:
    """Another of this case's questions (``asks``) the words answer, not yet answered,
    when they do not answer the one asked."""
    if reads_as_answer(question, text):
        return None
    asked_now = ACCESS if question == ACCESS_NOW else question
    if (
        asked_now != PHOTO
        and PHOTO in asks
        and PHOTO not in details.answers
        and _PHOTO_WORDS.search(text)
        and reading.yes_or_no(text) is not None
    ):
        return PHOTO  # "no photo sorry" while asked how big it is (outside review)
    if len(text.split()) <= 2 and reading.yes_or_no(text) is not None:
        return None  # a bare "no" or "yes ok" answers what was asked, if anything
    for other in (ACCESS, ROOM, EXTENT, HOUSEHOLD):
        if other == asked_now or other in details.answers or not _asks(asks, other):
            continue
        said = reading.says_when_in(text) if other == ACCESS else reads_as_answer(other, text)
        if said:
            return other
    return None


def _asks(asks: tuple[str, ...], question: str) -> bool:
    """Whether the case asks ``question``; an emergency asks when we can come now."""
    return question in asks or (question == ACCESS and ACCESS_NOW in asks)


def also_when_we_can_come(
    details: CaseDetails, question: str, text: str, asks: tuple[str, ...]
) -> CaseDetails:
    """ "Me and my 2 year old, about the size of a door, you can come any Monday": the
    answer to who lives there says when we can come too, so that is not asked again
    (outside review: it was). Who lives there, the room, the size and how long are read
    from any message already; when we can come is kept only as an answer."""
    if question in (ACCESS, ACCESS_NOW) or ACCESS in details.answers or not _asks(asks, ACCESS):
        return details
    if not reading.says_when_in(text):
        return details
    return replace(details, answers={**details.answers, ACCESS: text.strip()})


async def reply_to_question(
    office: Office, visit: Visit, in_hand: InHand | None = None
) -> list[Action] | None:
    """The actions for a reply taken as the answer to the waiting question, or None when
    the message is not one (it then goes its usual way)."""
    inbound = visit.inbound
    picture = inbound.content in PICTURES
    if inbound.content is not Content.TEXT and not picture:
        return None
    # The matter this message belongs to (cases/matters.py), so an answer is filed on
    # the case that asked, never on another open case.
    case = await current_matter(office, visit.person.id, visit.chat, in_hand)
    if case is None or case.kind not in DIALOGUE_INTENTS:
        return None
    hazards = office.records.hazards
    details = await hazards.details(case.id)
    if details is None or details.pending is None:
        return None
    question = details.pending
    if details.asked_at is not None and inbound.received_at - details.asked_at > ANSWER_WINDOW:
        return None
    if picture and question != PHOTO:
        if details.photo is None:
            details = _photo_sent(details)
        # "My mum is 82 and lives with us" on a photo, asked who lives there: the caption
        # is the answer, the photo comes with it (outside review). Otherwise the photo
        # is kept on the case by the usual path and never asked for afterwards; what
        # its caption tells (an age, a room) still counts for the hazard.
        # A caption that reads as a danger is never an answer (outside review: "…and now
        # there is smoke coming out of the socket" was filed as when we can come).
        urgent = visit.intent in URGENT_INTENTS or visit.urgent_by_cue
        if urgent or not reads_as_answer(question, inbound.text):
            await hazards.save_details(read_words(details, inbound.text))
            return None
    text = inbound.text
    hazard = await hazards.hazard(case.id)
    asks = questions_for(hazard.kind if hazard else None, case.kind == "emergency")
    instead = None
    if not picture and visit.intent not in URGENT_INTENTS and not visit.urgent_by_cue:
        # "I'm in most days after 2" while a photo was asked for: it answers when we can
        # come, not the photo (outside review: it was filed as the photo's answer, and
        # the photo was never asked for again). Filed under what it answers; the
        # question asked still waits for its own. Only a message read as ordinary: a
        # danger is never filed away as a detail.
        instead = answered_instead(details, question, text, asks)
    if not picture and instead is None and not _is_answer(visit, question, text):
        return None
    named = hazard_kind(text)
    if not picture and named is not None and (hazard is None or named != hazard.kind):
        # A hazard the case does not have yet: a report, not just an answer. It goes
        # the usual way, which still reads the answer in it.
        return None
    waiting, question = question, instead or question
    details = take_answer(details, question, text, photo=picture)
    if question != waiting:
        details = replace(details, pending=waiting)
    details = also_when_we_can_come(details, question, text, asks)
    if picture:
        await file_message(
            office,
            case.id,
            visit,
            kind="tenant_file",
            content=inbound.content.value,
            message_id=inbound.message_id,
            question=question,
        )
    else:
        await file_message(office, case.id, visit, kind="tenant_answer", question=question)
    read = reading_of(details, question)
    await office.cases.log(
        case.id,
        "detail",
        actor_kind="bot",
        text=f"{LABELS[question]}: {read or 'as written'}",
        detail={"question": question, "reading": read},
    )
    staff = to_staff(office, case, visit, new=False)
    model_urgent = visit.intent in URGENT_INTENTS
    note = office.say(
        "hazard_staff",
        "answer_filed",
        label=LABELS[question],
        answer=details.answers.get(ACCESS if question == ACCESS_NOW else question, "-"),
        reading=read or "as written",
    )
    if model_urgent:
        note += f"\n(The classifier read this reply as {visit.intent}: please check.)"
    staff += to_topic(office, case, note)
    talk = await carry_on(office, visit, case, details)
    actions: list[Action] = []
    if case.assignee_id is None:
        kind = KIND_NAMES.get(case.kind, case.kind)
        parts = [office.say("hazards", "got_it", ref=case.ref, kind=kind)]
        if talk.tenant:
            parts.append(talk.tenant)
        if model_urgent and advised_lately(case, visit.intent or "", inbound.received_at):
            # The urgent matter's advice was given lately: one line of it (tenant_thread).
            case_hazard = hazard.kind if hazard is not None else None
            parts.append(reminder(office, visit.intent or "", text, case_hazard))
        elif model_urgent and visit.intent and office.say.has("safety_net", visit.intent):
            parts.append(office.say("safety_net", visit.intent))
        # As with any follow-up (cases/matters.py): one tap if it was a new problem.
        buttons = new_problem(office, visit, case)
        text = "\n\n".join(parts)
        actions.append(reply(inbound, text, intent="answer", case_id=case.id, buttons=buttons))
    return [*actions, *staff, *talk.staff]


def _is_answer(visit: Visit, question: str, text: str) -> bool:
    if visit.urgent_by_cue:
        return False
    if reads_as_answer(question, text):
        return True
    if question == ACCESS_NOW:
        # Asked during an emergency whether someone is home, anything else is more of
        # the emergency, never its answer "as written" (outside review: "the smoke is
        # getting worse in the hallway" was filed as Access).
        return False
    if _COURTESY.match(text):
        return False
    return visit.intent in TAKEN_AS_SAID


def _photo_sent(details: CaseDetails) -> CaseDetails:
    return replace(details, photo=True, answers={**details.answers, PHOTO: "sent"})
