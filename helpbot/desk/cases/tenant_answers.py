"""The tenant's answers by button on their own case: satisfied with the resolution or not
(Complaint Handling Code), and consent to publish it in the group (3.13). The router has
checked the case is theirs.

Each question is answered once: the first press is acted on and the question is edited
to show the answer, without its buttons; a later press (an old message, a double tap,
another device) is answered politely and changes nothing."""

from __future__ import annotations

from helpbot.desk.actions import Action, AnswerButton, Button, EditMessage, SendText, SetTopicOpen
from helpbot.desk.buttons import Escalate
from helpbot.desk.cases.topics import to_topic
from helpbot.desk.office import Office
from helpbot.desk.records import Case
from helpbot.desk.visit import Visit, chat_ref, reply


async def _tenant_log(office: Office, visit: Visit, case: Case, kind: str) -> None:
    await office.cases.log(
        case.id,
        kind,
        actor_kind="tenant",
        actor_id=visit.person.id,
        actor_name=visit.person.first_name,
    )


async def already_answered(office: Office, visit: Visit) -> list[Action]:
    """A second press: a polite word on the button, nothing else."""
    callback = visit.inbound.callback_id
    return [AnswerButton(callback, office.say("cases", "already_answered"))] if callback else []


async def show_answer(office: Office, visit: Visit, yes: bool) -> list[Action]:
    say = office.say
    return await show_choice(office, visit, say("cases", "yes_button" if yes else "no_button"))


async def show_choice(office: Office, visit: Visit, choice: str) -> list[Action]:
    """The question the tenant answered, edited to say what they chose, buttons gone."""
    inbound = visit.inbound
    if not inbound.reply_to_message_id:
        return []  # a channel whose messages we cannot point at (web chat, Messenger)
    asked = await office.people.sent_message(visit.chat.id, inbound.reply_to_message_id)
    if asked is None or not asked.text:
        return []
    text = f"{asked.text}\n\n{office.say('cases', 'answered', choice=choice)}"
    return [EditMessage(inbound.chat, inbound.reply_to_message_id, text)]


async def satisfaction(office: Office, visit: Visit, case: Case, satisfied: bool) -> list[Action]:
    say = office.say
    if case.status != "resolved":
        return await already_answered(office, visit)
    shown = await show_answer(office, visit, satisfied)
    await _tenant_log(
        office, visit, case, "tenant_satisfied" if satisfied else "tenant_not_satisfied"
    )
    if satisfied:
        await office.cases.change(
            case.id, satisfied=True, status="closed", closed_at=office.clock.now()
        )
        actions: list[Action] = [
            *shown,
            reply(visit.inbound, say("cases", "satisfied_yes", ref=case.ref), case_id=case.id),
        ]
        actions += to_topic(office, case, say("staff", "satisfied_yes"))
        if case.staff_topic_id:
            actions.append(SetTopicOpen(case.id, case.staff_topic_id, open=False))
        return actions
    await office.cases.change(case.id, satisfied=False, status="open")
    buttons: tuple[tuple[Button, ...], ...] = ()
    if case.kind == "complaint" and case.stage == 1:
        text = say("cases", "satisfied_no_complaint", ref=case.ref)
        buttons = ((Button(say("cases", "escalate_button"), data=Escalate(case.id).data),),)
    elif case.kind == "complaint":
        # Stage 2 was the last stage: the complaints procedure is exhausted.
        text = say("cases", "ombudsman", ref=case.ref)
    else:
        text = say("cases", "satisfied_no", ref=case.ref)
    return [
        *shown,
        reply(visit.inbound, text, buttons=buttons, case_id=case.id),
        *to_topic(office, case, say("staff", "satisfied_no")),
    ]


async def consent(office: Office, visit: Visit, case: Case, yes: bool) -> list[Action]:
    say = office.say
    if case.publication_consent != "asked" or not case.publication_text:
        return await already_answered(office, visit)
    shown = await show_answer(office, visit, yes)
    await office.cases.change(
        case.id,
        publication_consent="yes" if yes else "no",
        publication_consent_at=office.clock.now(),
    )
    await _tenant_log(office, visit, case, "consent_given" if yes else "consent_refused")
    if not yes:
        return [
            *shown,
            reply(visit.inbound, say("cases", "consent_no"), case_id=case.id),
            *to_topic(office, case, say("staff", "consent_no")),
        ]
    origin = None
    if case.origin_chat_id is not None:
        origin = await office.people.chat_by_id(case.origin_chat_id)
    actions: list[Action] = [*shown]
    if origin is not None:
        actions.append(
            SendText(
                chat=chat_ref(origin),
                text=case.publication_text,
                reply_to_message_id=case.origin_message_id,
                case_id=case.id,
                author="SHAL team",
            )
        )
        await office.cases.log(case.id, "published", actor_kind="bot", text=case.publication_text)
    actions.append(reply(visit.inbound, say("cases", "consent_yes"), case_id=case.id))
    actions += to_topic(office, case, say("staff", "consent_yes"))
    return actions
