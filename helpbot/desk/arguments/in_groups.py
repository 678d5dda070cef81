"""SHAL never argues (3.10): in a community group the bot spots an argument, a heated
back-and-forth between the same members, not one rude word, and posts one polite message
that ends it there (3.9), once, however long it goes on; colleagues hear of it in the
Moderation topic, and if the group is set up for it, those involved are paused."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from helpbot.desk.actions import Action, Button, RestrictMember, StaffNotice
from helpbot.desk.arguments.heat import HOSTILE, hostility, is_heated
from helpbot.desk.office import Office
from helpbot.desk.records import SHAL, Discussion, Exchange
from helpbot.desk.staff_topics import MODERATION_TOPIC
from helpbot.desk.visit import Visit, reply, who


async def group_message(office: Office, visit: Visit) -> list[Action]:
    """Follow replies and mentions between members; end an argument once."""
    inbound = visit.inbound
    targets = await _targets(office, visit)
    if not targets or visit.classification is None:
        return []
    config = office.settings.community
    now = inbound.received_at
    window = timedelta(minutes=config.argument_window_minutes)
    quiet = timedelta(minutes=config.argument_quiet_minutes)
    sender = visit.person.id
    heat = hostility(visit.classification)
    recent = await office.moderation_log.discussions(
        visit.chat.id, "group", since=now - max(window, quiet)
    )
    for target in targets:
        pair = {sender, target}
        ended = next(
            (
                d
                for d in recent
                if d.status == "closed"
                and d.quiet_until is not None
                and d.quiet_until >= now
                and (
                    pair <= set(d.participants) or (heat >= HOSTILE and pair & set(d.participants))
                )
            ),
            None,
        )
        if ended is not None:
            # The same discussion going on: stay out of it, and keep it ended.
            saved = await office.moderation_log.save_discussion(
                replace(
                    ended,
                    participants=tuple(sorted(set(ended.participants) | pair)),
                    last_at=now,
                    quiet_until=now + quiet,
                )
            )
            recent = [saved if d.id == saved.id else d for d in recent]
            continue
        watching = next(
            (d for d in recent if d.status == "watching" and set(d.participants) == pair),
            None,
        )
        if watching is None:
            watching = Discussion(
                chat_id=visit.chat.id,
                kind="group",
                status="watching",
                participants=tuple(sorted(pair)),
                exchanges=(),
                started_at=now,
                last_at=now,
            )
        exchange = Exchange(sender, target, round(heat, 3), now)
        kept = tuple(e for e in watching.exchanges if e.at >= now - window)
        watching = replace(watching, exchanges=(*kept, exchange), last_at=now)
        if is_heated(watching.exchanges):
            ended_now = await office.moderation_log.save_discussion(
                replace(
                    watching,
                    status="closed",
                    closed_at=now,
                    quiet_until=now + quiet,
                    closing_reply_to=inbound.message_id,
                )
            )
            return await _end_in_group(office, visit, ended_now)
        saved = await office.moderation_log.save_discussion(watching)
        recent = [saved if d.id == saved.id else d for d in recent]
    return []


async def _targets(office: Office, visit: Visit) -> list[int]:
    """Who a message is aimed at: the author of the message it replies to, people it
    mentions, or SHAL when it replies to or mentions the bot."""
    inbound = visit.inbound
    members = office.people
    targets: list[int] = []
    if inbound.addressed_to_bot:
        targets.append(SHAL)
    if inbound.reply_to_sender_id and inbound.reply_to_sender_id != inbound.sender.external_id:
        person = await members.find_person(inbound.channel, inbound.reply_to_sender_id)
        if person is not None:
            targets.append(person.id)
    if inbound.mentions:
        for person in await members.find_people(inbound.channel, list(inbound.mentions)):
            targets.append(person.id)
    return [t for t in dict.fromkeys(targets) if t != visit.person.id]


async def _end_in_group(office: Office, visit: Visit, discussion: Discussion) -> list[Action]:
    inbound = visit.inbound
    config = office.settings.community
    now = inbound.received_at
    people = [
        person
        for pid in discussion.participants
        if pid != SHAL and (person := await office.people.person_by_id(pid)) is not None
    ]
    buttons: tuple[tuple[Button, ...], ...] = ()
    links = office.private_link()
    if links:
        rules_link = office.private_link("rules")[0][0]
        buttons = (
            (
                links[0][0],
                Button(office.say("conduct", "rules_button"), url=rules_link.url),
            ),
        )
    actions: list[Action] = [
        reply(inbound, office.say("conduct", "group_closing"), intent="hostile", buttons=buttons)
    ]
    minutes = config.cooldown_for(inbound.chat.external_id)
    paused = [p for p in people if minutes and not office.is_colleague(p)]
    until = now + timedelta(minutes=minutes)
    for person in paused:
        actions.append(RestrictMember(inbound.chat, person.external_id, until))
        await office.moderation_log.record(
            "restrict",
            actor_kind="bot",
            chat_id=visit.chat.id,
            person_id=person.id,
            reason="argument cool-down (3.10)",
            until=until,
            detail={"discussion": discussion.id},
            at=now,
        )
    await office.moderation_log.record(
        "argument_ended",
        actor_kind="bot",
        chat_id=visit.chat.id,
        reason="heated back-and-forth (3.10)",
        detail={
            "discussion": discussion.id,
            "participants": [p.id for p in people],
            "message_id": inbound.message_id,
        },
        at=now,
    )
    await office.audit(
        actor="bot",
        action="argument_ended",
        subject=f"{inbound.channel}:{inbound.chat.external_id}",
        detail={"discussion": discussion.id, "participants": len(people)},
    )
    involved = ", ".join(who(p) for p in people) or "-"
    if SHAL in discussion.participants:
        involved += " and SHAL"
    cooldown = ""
    if paused:
        cooldown = office.say(
            "community_staff",
            "argument_cooldown",
            minutes=minutes,
            who=", ".join(p.first_name or p.external_id for p in paused),
        )
    actions.append(
        StaffNotice(
            MODERATION_TOPIC,
            office.say(
                "community_staff",
                "argument",
                group=inbound.chat.title or visit.chat.title or "a community group",
                who=involved,
                cooldown=cooldown,
            ),
            link_chat=inbound.chat,
            link_message_id=inbound.message_id,
        )
    )
    return actions
