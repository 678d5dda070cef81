"""Automatic care of the community groups (2.1, 3.7): the member list, flooding slowed
down, new members' links and mass mentions held for a colleague to check, and pauses
lifted when their time is up."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from helpbot.desk.actions import (
    Action,
    Button,
    DeleteMessage,
    LiftRestriction,
    RestrictMember,
    SendText,
    StaffNotice,
)
from helpbot.desk.buttons import HeldPost
from helpbot.desk.cases.topics import staff_note
from helpbot.desk.events import Content
from helpbot.desk.office import Office
from helpbot.desk.staff_topics import HELD_TOPIC, MODERATION_TOPIC
from helpbot.desk.visit import Visit, chat_ref, hello, private_chat, reply, who

_LINK = re.compile(r"(https?://|www\.|t\.me/)\S+|\b[\w-]+\.(com|co\.uk|org|net|uk|io|ly)\b", re.I)


async def member_event(office: Office, visit: Visit) -> list[Action]:
    """Keep the member list: joined (for the new-member checks) or left. A removal or
    block we made ourselves stays recorded as such."""
    inbound = visit.inbound
    current = await office.members.member(visit.chat.id, visit.person.id)
    if inbound.content is Content.MEMBER_JOINED:
        if current is None or current.status != "member":
            await office.members.set_member(
                visit.chat.id, visit.person.id, status="member", joined_at=inbound.received_at
            )
    elif current is not None and current.status == "member":
        await office.members.set_member(visit.chat.id, visit.person.id, status="left")
    return []


async def flooding(office: Office, visit: Visit) -> list[Action] | None:
    """Before anything else in a community group: a member posting too fast is paused
    for a while, with one notice. None: not flooding."""
    inbound = visit.inbound
    config = office.settings.community
    now = inbound.received_at
    since = now - timedelta(seconds=config.flood_seconds)
    count = await office.members.messages_since(
        visit.chat.id, visit.person.id, since, up_to=visit.message.id
    )
    if count <= config.flood_messages:
        return None
    if await office.moderation_log.active_restriction(visit.chat.id, visit.person.id, now):
        return []  # already paused: messages still in flight get no second notice
    minutes = config.flood_pause_minutes
    until = now + timedelta(minutes=minutes)
    await office.moderation_log.record(
        "restrict",
        actor_kind="bot",
        chat_id=visit.chat.id,
        person_id=visit.person.id,
        reason="flooding",
        until=until,
        detail={"messages": count, "seconds": config.flood_seconds},
        at=now,
    )
    await office.audit(actor="bot", action="flood_paused", subject=f"person:{visit.person.id}")
    group = inbound.chat.title or visit.chat.title or "a community group"
    return [
        RestrictMember(inbound.chat, inbound.sender.external_id, until),
        reply(inbound, office.say("moderation", "slow_down", minutes=minutes)),
        StaffNotice(
            MODERATION_TOPIC,
            office.say(
                "community_staff",
                "flooding",
                who=who(visit.person),
                count=count,
                seconds=config.flood_seconds,
                group=group,
                minutes=minutes,
            ),
        ),
    ]


async def hold(office: Office, visit: Visit) -> list[Action] | None:
    """A new member's link or mass mention is taken down and held for a colleague to
    repost or discard (3.7). Personal details are dealt with before this (community/),
    so a held post has none. None: nothing to hold."""
    inbound = visit.inbound
    config = office.settings.community
    if not inbound.message_id or not inbound.text or config.new_member_days == 0:
        return None
    linked = inbound.has_link or bool(_LINK.search(inbound.text))
    crowded = len(inbound.mentions) >= config.mass_mention_limit
    if not (linked or crowded):
        return None
    member = await office.members.member(visit.chat.id, visit.person.id)
    if member is None or member.joined_at is None:
        return None  # joined before the bot kept records: not a new member
    if member.joined_at < inbound.received_at - timedelta(days=config.new_member_days):
        return None
    why = (
        office.say("community_staff", "held_link")
        if linked
        else office.say("community_staff", "held_mentions", count=len(inbound.mentions))
    )
    entry = await office.moderation_log.record(
        "hold",
        actor_kind="bot",
        chat_id=visit.chat.id,
        person_id=visit.person.id,
        reason=why,
        state="pending",
        message_id=visit.message.id,
        at=inbound.received_at,
    )
    await office.audit(actor="bot", action="held_for_review", subject=f"moderation:{entry.id}")
    days = (inbound.received_at - member.joined_at).days
    joined = "today" if days == 0 else f"{days} day(s) ago"
    title = inbound.chat.title or visit.chat.title or "a community group"
    text = office.say(
        "community_staff",
        "held",
        who=who(visit.person),
        group=title,
        joined=joined,
        why=why,
        text=inbound.text,
    )
    buttons = (
        (
            Button(
                office.say("community_staff", "repost_button"),
                data=HeldPost(entry.id, "repost").data,
            ),
            Button(
                office.say("community_staff", "discard_button"),
                data=HeldPost(entry.id, "discard").data,
            ),
        ),
    )
    actions: list[Action] = [
        DeleteMessage(inbound.chat, inbound.message_id),
        StaffNotice(HELD_TOPIC, staff_note(text), buttons, about=visit.person.id),
    ]
    if await office.people.has_written_privately(visit.person.id):
        greeting = hello(visit.person)
        actions.append(
            SendText(
                private_chat(visit.person),
                office.say("moderation", "held", name=greeting, group=title),
            )
        )
    return actions


async def lift_due(office: Office, now: datetime) -> list[Action]:
    """Cool-downs whose time is up: give members their usual permissions back."""
    actions: list[Action] = []
    for entry in await office.moderation_log.restrictions_due(now):
        if not await office.moderation_log.mark_lifted(entry.id, now):
            continue
        group = await office.people.chat_by_id(entry.chat_id) if entry.chat_id else None
        member = await office.people.person_by_id(entry.person_id) if entry.person_id else None
        if group is None or member is None:
            continue
        actions.append(LiftRestriction(chat_ref(group), member.external_id))
        await office.moderation_log.record(
            "lift",
            actor_kind="bot",
            chat_id=group.id,
            person_id=member.id,
            reason=f"{entry.reason}: time up",
            detail={"restriction": entry.id},
            at=now,
        )
    return actions
