"""Everything a tenant says that is not a case: questions from the knowledge base, small
talk, and the rest; if a colleague has the tenant's case, it goes to them instead."""

from __future__ import annotations

import re
from datetime import datetime

from helpbot.desk.actions import Action, Button
from helpbot.desk.arguments.in_private import private_message
from helpbot.desk.buttons import TalkToPerson
from helpbot.desk.cases.matters import InHand, current_matter
from helpbot.desk.cases.promises import OPENING_HOURS, advice, opening_hours
from helpbot.desk.cases.tenant_thread import advised_lately, file_message, one_line, to_staff
from helpbot.desk.office import Office
from helpbot.desk.records import Case
from helpbot.desk.safety import net as safety_net
from helpbot.desk.visit import CLASSIFY_LIMIT, URGENT_INTENTS, Visit, reply

_GREETING = re.compile(r"\b(hi|hello|hiya|hey|morning|afternoon|evening|yo)\b", re.I)
_THANKS = re.compile(r"\b(thanks|thank you|thank u|thx|ty|cheers|ta)\b", re.I)
_BYE = re.compile(r"\b(bye|goodbye|see you|see ya|cya|night|ttyl)\b", re.I)


async def conversation(office: Office, visit: Visit, in_hand: InHand | None = None) -> list[Action]:
    """Questions, small talk and the rest. If a colleague has the tenant's case, the
    message goes to them and the bot stays out of it."""
    current = await current_matter(office, visit.person.id, visit.chat, in_hand)
    # Before filing: filing makes the matter active now.
    advised = current is not None and advised_lately(
        current, current.kind, visit.inbound.received_at
    )
    actions: list[Action] = []
    if current is not None:
        await file_message(office, current.id, visit, intent=visit.intent)
        actions += to_staff(office, current, visit, new=False)
        if current.assignee_id is not None:
            return actions
    case_id = current.id if current else None
    if visit.intent == "hostile" and safety_net.risks(visit):
        # Read as hostile, but with a sign of danger: "stuk in lif" and "he beets me",
        # spelt as they sound, were read so. Someone in danger must not be told the bot
        # won't go on with the talk, nor be met with silence when it "keeps coming":
        # the honest "I didn't understand" and a person, and the safety net's line.
        person = ((Button(office.say("buttons", "talk_to_person"), data=TalkToPerson().data),),)
        text = office.say("intents", "unclear")
        told = reply(visit.inbound, text, intent="unclear", case_id=case_id, buttons=person)
        return [told, *actions]
    if visit.intent == "hostile":
        # Not argued with; ended once if it keeps coming (3.10).
        return await private_message(office, visit, case_id) + actions
    return await answer(office, visit, case_id=case_id, matter=current, advised=advised) + actions


async def answer(
    office: Office,
    visit: Visit,
    case_id: int | None = None,
    matter: Case | None = None,
    *,
    advised: bool = False,
) -> list[Action]:
    """``advised``: the urgent ``matter``'s whole advice was given lately
    (tenant_thread.advised_lately), so a question about it gets one line of it."""
    inbound = visit.inbound
    say = office.say
    intent = visit.intent or "smalltalk"
    if intent == "question":
        found = office.understanding.answer(inbound.text[:CLASSIFY_LIMIT])
        if found is None and matter is not None and matter.kind in URGENT_INTENTS:
            # A question about an urgent matter in hand that the knowledge base cannot
            # answer ("I've opened the windows, what else should I do?" after a gas
            # smell) gets that matter's safety advice again, never "I'm not sure"
            # (found walking the fake Bot API): one line of it if the whole advice was
            # given lately ("when will someone come out?" ten minutes after the gas
            # smell), as for any other follow-up of an urgent matter.
            said = f"{matter.summary} {inbound.text}"
            again = (
                await one_line(office, matter, matter.kind, said, inbound.received_at)
                if advised
                else [advice(office, matter.kind, said)]
            )
            added = say("matters", "urgent_question", ref=matter.ref)
            text = "\n\n".join((again[0], added, *again[1:]))
            return [reply(inbound, text, intent=intent, case_id=case_id)]
        if (
            found is None
            and (hours := _opening_hours(office, inbound.text, inbound.received_at)) is not None
        ):
            return [reply(inbound, hours, intent=intent, case_id=case_id)]
        if found is None:
            person = ((Button(say("buttons", "talk_to_person"), data=TalkToPerson().data),),)
            text = say("intents", "question_unsure")
            return [reply(inbound, text, intent=intent, case_id=case_id, buttons=person)]
        return [reply(inbound, found.answer, intent=intent, case_id=case_id)]
    if intent == "smalltalk":
        text = smalltalk(office, inbound.text)
        return [reply(inbound, text, intent=intent, case_id=case_id)]
    if intent == "unclear":
        # Honest when unsure: say so and offer a person; never a case on a guess. A
        # question in words the model does not know may still match the knowledge base.
        found = office.understanding.answer(inbound.text[:CLASSIFY_LIMIT])
        if found is not None:
            return [reply(inbound, found.answer, intent="question", case_id=case_id)]
        person = ((Button(say("buttons", "talk_to_person"), data=TalkToPerson().data),),)
        text = say("intents", "unclear")
        return [reply(inbound, text, intent=intent, case_id=case_id, buttons=person)]
    return [reply(inbound, say("intents", intent), intent=intent, case_id=case_id)]


def _opening_hours(office: Office, text: str, at: datetime) -> str | None:
    """Asked when the office is open, with the hours set by the operator: not a fact of
    the policy (the knowledge base abstains), but one the bot already uses to say when
    a colleague will reply, so it says it when asked too."""
    if office.settings.office_hours is None:
        return None
    if office.understanding.recognised_question(text[:CLASSIFY_LIMIT]) != OPENING_HOURS:
        return None
    return opening_hours(office, at)


def smalltalk(office: Office, text: str) -> str:
    if _BYE.search(text):
        return office.say("intents", "smalltalk_bye")
    if _THANKS.search(text):
        return office.say("intents", "smalltalk_thanks")
    if _GREETING.search(text):
        return office.say("intents", "smalltalk_greeting")
    return office.say("intents", "smalltalk")
