"""A comment under one of the Page's posts on Facebook (or under its post in a group).

Everyone can read these, so the desk acts only where the policy needs it: a complaint
or personal matter is taken private with the one private reply Facebook allows (3.12,
3.13), personal details are hidden, never deleted (the person still sees their
comment and nothing is lost), an emergency gets its advice in public at once, a
question is answered, and hostility is answered once when it piles up (3.10).
Conversation between people is welcome and left alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta

from helpbot.desk.actions import Action, HideComment, PostToStaff, SendText, StaffNotice
from helpbot.desk.arguments.heat import HOSTILE, MIN_HOSTILE, hostility
from helpbot.desk.cases.promises import first_reply
from helpbot.desk.cases.tenant_thread import file_message, open_case
from helpbot.desk.cases.topics import KIND_NAMES, new_case_header, topic_name
from helpbot.desk.community.personal_data import exposed_in_public
from helpbot.desk.events import ChatKind, ChatRef, Content
from helpbot.desk.office import Office
from helpbot.desk.ports import PersonalDatum
from helpbot.desk.records import Discussion, Exchange
from helpbot.desk.staff_topics import MODERATION_TOPIC
from helpbot.desk.visit import CLASSIFY_LIMIT, Visit, private_chat, reply
from helpbot.nlu.intents import PRIVATE_INTENTS

THREAD = "comments"  # the Discussion kind for one post's comment thread
THREAD_MEMORY = timedelta(days=30)  # a thread once ended stays ended this long
PAGE_SIGNATURE = "SHAL team"  # who the private reply is from, for the staff's report


async def page_comment(office: Office, visit: Visit) -> list[Action]:
    inbound = visit.inbound
    if inbound.content is not Content.TEXT or not inbound.message_id:
        return []
    exposed = exposed_in_public(office, visit)
    if inbound.edited:
        # An edit is not a new conversation; it is only looked at for personal data.
        return await _hide(office, visit, exposed, notice=False) if exposed else []
    intent = visit.intent or "smalltalk"
    if intent == "emergency" or intent in PRIVATE_INTENTS:
        return await move_to_private(office, visit, intent, exposed)
    if exposed:
        return await _hide(office, visit, exposed, notice=True)
    if intent == "hostile" or hostility(visit.classification) >= HOSTILE:
        return await hostile(office, visit)
    if intent == "question":
        found = office.understanding.answer(inbound.text[:CLASSIFY_LIMIT])
        if found is not None:
            return [reply(inbound, found.answer, intent=intent)]
    return []


async def _hide(
    office: Office, visit: Visit, exposed: Sequence[PersonalDatum], *, notice: bool
) -> list[Action]:
    inbound = visit.inbound
    assert inbound.message_id is not None
    await office.audit(
        actor="bot",
        action="hid_personal_data",
        subject=f"{inbound.channel}:{inbound.chat.external_id}",
        detail={"kinds": sorted({d.kind for d in exposed}), "comment_id": inbound.message_id},
    )
    actions: list[Action] = [HideComment(inbound.chat, inbound.message_id)]
    if notice:
        actions.insert(0, reply(inbound, office.say("facebook", "personal_data_hidden")))
    return actions


async def move_to_private(
    office: Office, visit: Visit, intent: str, exposed: Sequence[PersonalDatum]
) -> list[Action]:
    """Open (or join) the tenant's case, linked to this comment so a resolution can be
    published under it later (3.13), and take the conversation to Messenger."""
    inbound = visit.inbound
    assert inbound.message_id is not None
    say = office.say
    case = await office.cases.open_case_of_kind(visit.person.id, intent)
    new = case is None
    if case is None:
        case = await open_case(office, visit, intent, in_group=True)
    if case.chat_id is None:
        # Where colleagues' replies go: the commenter's Messenger, once they answer.
        messenger = await office.people.chat(private_chat(visit.person))
        await office.cases.change(case.id, chat_id=messenger.id)
    await file_message(office, case.id, visit, intent=intent, where="Facebook comment")
    if intent == "emergency":
        key = "emergency"
    else:
        key = "moved_private_hidden" if exposed else "moved_private"
    actions: list[Action] = [reply(inbound, say("facebook", key), intent=intent, case_id=case.id)]
    if exposed:
        actions += await _hide(office, visit, exposed, notice=False)
    kind = KIND_NAMES.get(case.kind, case.kind)
    opened = say("cases", "opened" if new else "added", ref=case.ref, kind=kind)
    actions.append(
        SendText(
            chat=ChatRef(inbound.channel, inbound.message_id, ChatKind.COMMENT_REPLY),
            text=f"{first_reply(office, intent, inbound.text, inbound.received_at)}\n\n{opened}",
            intent=intent,
            case_id=case.id,
            author=PAGE_SIGNATURE,
        )
    )
    if office.settings.staff_room:
        name = visit.person.first_name or "Tenant"
        text = say("staff", "tenant_says", name=name, text=inbound.text)
        if new:
            where = inbound.chat.title or "the Facebook Page"
            origin = say("facebook", "staff_new_case_origin", where=where)
            text = f"{new_case_header(office, case, origin)}\n\n{text}"
        actions.append(
            PostToStaff(
                case.id, topic_name(case), case.staff_topic_id, text=text[:4000], relay=True
            )
        )
    return actions


async def hostile(office: Office, visit: Visit) -> list[Action]:
    """Hostility is never answered one comment at a time; when it piles up under a post,
    one closing reply ends SHAL's part in that thread, and moderators are told."""
    inbound = visit.inbound
    now = inbound.received_at
    log = office.moderation_log
    threads = await log.discussions(visit.chat.id, THREAD, since=now - THREAD_MEMORY)
    thread = threads[-1] if threads else None
    if thread is None:
        thread = Discussion(
            chat_id=visit.chat.id,
            kind=THREAD,
            status="watching",
            participants=(),
            exchanges=(),
            started_at=now,
            last_at=now,
        )
    # Aimed at the Page (no one member): target 0.
    seen = Exchange(sender=visit.person.id, target=0, heat=hostility(visit.classification), at=now)
    thread = replace(
        thread,
        participants=tuple(sorted(set(thread.participants) | {visit.person.id})),
        exchanges=(*thread.exchanges, seen)[-100:],
        last_at=now,
    )
    if thread.status == "closed" or len(thread.exchanges) < MIN_HOSTILE:
        await log.save_discussion(thread)
        return []
    thread = replace(thread, status="closed", closed_at=now, closing_reply_to=inbound.message_id)
    await log.save_discussion(thread)
    await office.audit(
        actor="bot",
        action="ended_comment_thread",
        subject=f"{inbound.channel}:{inbound.chat.external_id}",
        detail={"hostile_comments": len(thread.exchanges)},
    )
    actions: list[Action] = [reply(inbound, office.say("facebook", "closing"))]
    if office.settings.staff_room:
        text = office.say("facebook", "staff_pile_on", count=len(thread.exchanges))
        actions.append(StaffNotice(MODERATION_TOPIC, text))
    return actions
