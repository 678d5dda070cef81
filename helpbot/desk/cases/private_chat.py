"""A tenant's message in their private chat that is neither a command nor a button:
an answer, or a case (3.12, 3.13)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from helpbot.desk.actions import MAX_MESSAGE_LENGTH, Action, SendText
from helpbot.desk.cases import identity_check, other_language, private_flood
from helpbot.desk.cases.answers import conversation
from helpbot.desk.cases.matters import InHand, current_matter, says_new_matter
from helpbot.desk.cases.new_matter import new_matter, new_matter_follows
from helpbot.desk.cases.tenant_thread import attachment, case_message, one_line
from helpbot.desk.events import Content
from helpbot.desk.hazards.answers import reply_to_question
from helpbot.desk.office import Office
from helpbot.desk.records import Case
from helpbot.desk.safety import net as safety_net
from helpbot.desk.visit import CLASSIFY_LIMIT, URGENT_INTENTS, Visit, reply
from helpbot.nlu.intents import CASE_INTENTS

NOT_MESSAGES = frozenset({Content.JOIN_REQUEST, Content.MEMBER_JOINED, Content.MEMBER_LEFT})


async def private_message(office: Office, visit: Visit) -> list[Action]:
    inbound = visit.inbound
    if inbound.edited:
        if visit.intent not in URGENT_INTENTS:
            return [reply(inbound, office.say("content", "edited"))]
        # "broken window" edited to "broken window and I can smell gas": danger added
        # by an edit is answered as if just sent (outside review: it was told to send
        # it again), on the matter in hand like any other follow-up.
        visit = replace(visit, inbound=replace(inbound, edited=False))
        inbound = visit.inbound
    if inbound.content in NOT_MESSAGES:
        return []
    if visit.intent not in URGENT_INTENTS:
        held = await private_flood.held_back(office, visit)
        if held is not None:
            return held
    moving_on = says_new_matter(inbound.text) if inbound.content is Content.TEXT else None
    # A reply to the question the desk asked about a repair is its answer (issue 12),
    # unless the tenant says it is a new problem.
    in_hand: InHand | None = None
    if moving_on is None:
        in_hand = InHand(await current_matter(office, visit.person.id, visit.chat))
    # A message in another language is no answer the bot can read: "kiedy przyjdzie
    # hydraulik?" after "how big is the leak?" was filed as its size (outside review).
    answerable = in_hand is not None and not other_language.language_of(visit)
    answered = await reply_to_question(office, visit, in_hand) if answerable else None
    if answered is not None:
        # An answer about an urgent matter: its safety advice was given when it was
        # reported ("it's getting stronger" after a gas smell gets no second gas line).
        case = in_hand.case if in_hand is not None else None
        given = (case.kind,) if case is not None and case.urgent else ()
        caught = await safety_net.catch(
            office, visit, where="private chat", in_context=True, covered=given
        )
        return answered + caught
    if inbound.content is not Content.TEXT:
        return await captioned(office, visit, in_hand)
    if visit.classification is None:
        return [reply(inbound, office.say("content", "empty"))]
    urgent = visit.intent in URGENT_INTENTS
    checked = None if urgent else await identity_check.answer_if_given(office, visit)
    actions: list[Action] = []
    if checked is not None:
        answer, says_more = checked
        if not says_more:
            return answer
        actions += answer  # and the rest of the message as usual
    if moving_on is not None:
        # "New issue": the open matters are set aside (matters.py, rule 4); with
        # nothing after the words, the bot waits for the new problem.
        if moving_on.only_the_words and not urgent:
            return await new_matter(office, visit)
        actions += await new_matter_follows(office, visit)
    covered: tuple[str, ...] = ()
    current = in_hand.case if in_hand is not None else None
    if current is not None and current.urgent and (not urgent or visit.intent == current.kind):
        # Not urgent itself, or urgent of the same kind, it joins the urgent matter in
        # hand (matters.py, rules 2 and 3): that matter's safety advice was given and
        # colleagues know. (Found walking the bot: "about a metre wide, since October"
        # after a gas smell got the gas line again once the model read more of everyday
        # talk as a faint risk.)
        covered = (current.kind,)
    if visit.intent in CASE_INTENTS:
        actions += await case_message(office, visit, visit.intent or "human")
    elif (matter := await unsure_follow_up(office, visit, in_hand)) is not None:
        filed = await case_message(office, visit, matter.kind, follow_up=True)
        if visit.intent == "hostile":
            filed = await with_the_line_that_matters(office, visit, matter, filed)
        actions += filed
        # More of an urgent matter: its safety advice was given and colleagues know.
        covered = (matter.kind,) if matter.urgent else ()
    elif other_language.language_of(visit):
        # The bot cannot read it: a colleague does (policy 6.2; cases/other_language.py).
        told = await case_message(office, visit, "human")
        actions += told
        if other_language.gave_the_lines(office, visit, told):
            covered = (*covered, "emergency")
    else:
        actions += await conversation(office, visit, in_hand)
    # A sign of risk the intent did not cover still gets the safety line and a
    # colleague's look (issue 13). Carrying on an urgent matter (something covered),
    # the line comes only for a cue or a real reading, not a faint one; carrying on an
    # ordinary matter raised lately, for a cue or a reading above the faintest.
    ordinary = not covered and not urgent and _carrying_on(current, inbound.received_at)
    actions += await safety_net.catch(
        office,
        visit,
        where="private chat",
        covered=covered,
        in_context=bool(covered) or ordinary,
        bar=safety_net.ANSWER_URGENCY if covered else safety_net.FOLLOW_UP_URGENCY,
    )
    if len(inbound.text) > MAX_MESSAGE_LENGTH:
        actions.append(reply(inbound, office.say("content", "too_long")))
    return actions


def _carrying_on(current: Case | None, at: datetime) -> bool:
    """A matter is in hand and the tenant raised or added to it within the follow-up
    window: this message is read in that context (the safety net's bar here, and
    ``unsure_follow_up``). The faintest risk out of context
    ("flat 12 thanks", "14 Ashcott Road") is not a sign of danger there; a quarter of
    the ordinary messages in the blind conversation sets got the gas or Samaritans line
    for one (make conversations)."""
    if current is None or current.updated_at is None:
        return False
    return at - current.updated_at <= FOLLOW_UP_WINDOW


async def captioned(office: Office, visit: Visit, in_hand: InHand | None = None) -> list[Action]:
    """A photo, file or voice note, read by its caption when it has one: an urgent
    caption, or a case matter when no case is open, opens a case (with the file);
    anything else goes to the open case as before. The safety net applies too."""
    intent = visit.intent
    if intent in URGENT_INTENTS or (
        intent in CASE_INTENTS
        and await current_matter(office, visit.person.id, visit.chat, in_hand) is None
    ):
        actions = await case_message(office, visit, intent or "human")
    else:
        actions = await attachment(office, visit)
    return actions + await safety_net.catch(office, visit, where="private chat")


async def crisis_in_hand(office: Office, visit: Visit, in_hand: InHand | None) -> Case | None:
    """The urgent matter a tenant raised lately, for a message read as hostile: "no one
    ever listens anyway", "whatever. forget it" after "I can't do this anymore" are
    despair, not an argument. They got "Sorry, I didn't understand" and then the
    polite close for arguments (3.10), which ends the talk (outside review). They are
    more of the matter: filed where its colleagues read them."""
    matter = await current_matter(office, visit.person.id, visit.chat, in_hand)
    if matter is None or not matter.urgent or not _carrying_on(matter, visit.inbound.received_at):
        return None
    return matter


async def with_the_line_that_matters(
    office: Office, visit: Visit, matter: Case, filed: list[Action]
) -> list[Action]:
    """The tenant's acknowledgement with the matter's one line of safety advice (999,
    Samaritans; the gas line), which a frustrated follow-up in a crisis needs."""
    inbound = visit.inbound
    line = "\n".join(await one_line(office, matter, matter.kind, inbound.text, inbound.received_at))
    return [
        replace(a, text=f"{a.text}\n\n{line}")
        if isinstance(a, SendText) and a.chat == inbound.chat
        else a
        for a in filed
    ]


# A message read only faintly as chat ("it was really bad again last night" scores 0.27
# smalltalk) soon after the tenant raised a matter is more of that matter (matters.py).
FAINT_CHAT = 0.5
FOLLOW_UP_WINDOW = timedelta(hours=2)


async def unsure_follow_up(
    office: Office, visit: Visit, in_hand: InHand | None = None
) -> Case | None:
    """The matter in hand, when this message is a faint reading of small talk, or one the
    bot cannot read at all, and the matter was active within the follow-up window.

    A message the model cannot place, however sure it is of that, is more of the matter
    the tenant has just raised: an address ("it's 4 Harbour Mews, Watchet" after a
    welfare concern), "phones on 8%" from someone stuck in a lift, a flat number. "Sorry,
    I didn't understand" to those (found by conversation set 4) tells a tenant in the
    middle of an emergency that the bot lost the thread. So is a faint guess at a
    question ("its mostly fri and sat" after a noise report, read 0.49 question, then
    0.50, below the question threshold), which got "I'm not sure about that one" (found
    walking the fake Bot API): below its own threshold a reading is a guess. Only a question
    the knowledge base can answer is left to be answered."""
    classification = visit.classification
    if visit.intent == "hostile":
        return await crisis_in_hand(office, visit, in_hand)
    if classification is None or visit.intent not in ("smalltalk", "unclear", "question"):
        return None
    if (
        visit.intent in ("smalltalk", "question")
        and float(classification.scores.get(visit.intent, 0.0)) >= FAINT_CHAT
        and getattr(classification, "sure", True)
    ):
        return None
    matter = await current_matter(office, visit.person.id, visit.chat, in_hand)
    if matter is None or not _carrying_on(matter, visit.inbound.received_at):
        return None
    if visit.intent == "question" and matter.urgent:
        # Asked about an urgent matter, a question gets its one line of advice with the
        # answer or "call us" (cases/answers.py), even a faint one.
        return None
    text = visit.inbound.text
    if (
        visit.intent != "smalltalk"
        and office.understanding.answer(text[:CLASSIFY_LIMIT]) is not None
    ):
        return None
    return matter
