"""SHAL never argues (3.10): in a community group the bot spots an argument, a heated
back-and-forth between the same members, not one rude word, and posts one polite message
that ends it there (3.9), once, however long it goes on; colleagues hear of it in the
Moderation topic (3.7), and if the group is set up for it, those involved are paused.

One member alone can keep it up too, at SHAL, a colleague or a neighbour who does not
answer back: several clearly hostile messages within the hour are ended the same way,
once, with a plain word that the bot will not carry on, and moderators are told."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from helpbot.desk.actions import Action, Button, RestrictMember, StaffNotice
from helpbot.desk.arguments.heat import (
    HOSTILE,
    LONE_FLOOR,
    LONE_WINDOW,
    hostility,
    is_heated,
    is_sustained,
)
from helpbot.desk.office import Office
from helpbot.desk.records import SHAL, Discussion, Exchange
from helpbot.desk.staff_topics import MODERATION_TOPIC
from helpbot.desk.visit import Visit, reply, who


async def group_message(office: Office, visit: Visit) -> list[Action]:
    """Follow replies and mentions between members and end an argument once; end one
    member's sustained hostility once."""
    if visit.classification is None:
        return []
    targets = await _targets(office, visit)
    ended, staying_out = await _between(office, visit, targets)
    if ended or staying_out:
        return ended
    return await _alone(office, visit, targets)


async def _between(office: Office, visit: Visit, targets: list[int]) -> tuple[list[Action], bool]:
    """An argument between members (or with SHAL): the closing message if it has just
    become one; and whether this message carries on one already ended."""
    inbound = visit.inbound
    if not targets:
        return [], await _in_ended(office, visit)
    config = office.settings.community
    now = inbound.received_at
    window = timedelta(minutes=config.argument_window_minutes)
    quiet = timedelta(minutes=config.argument_quiet_minutes)
    sender = visit.person.id
    heat = hostility(visit.classification)
    recent = await office.moderation_log.discussions(
        visit.chat.id, "group", since=now - max(window, quiet)
    )
    alone = await office.moderation_log.discussions(
        visit.chat.id, "lone", since=now - max(LONE_WINDOW, quiet)
    )
    recent += [d for d in alone if d.status == "closed"]
    staying_out = False
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
            staying_out = True
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
            return await _end_in_group(office, visit, ended_now), True
        saved = await office.moderation_log.save_discussion(watching)
        recent = [saved if d.id == saved.id else d for d in recent]
    return [], staying_out


async def _in_ended(office: Office, visit: Visit) -> bool:
    """This member is in a discussion the bot has ended and is still quiet on."""
    now = visit.inbound.received_at
    quiet = timedelta(minutes=office.settings.community.argument_quiet_minutes)
    for kind in ("group", "lone"):
        for found in await office.moderation_log.discussions(visit.chat.id, kind, now - quiet):
            if (
                found.status == "closed"
                and found.quiet_until is not None
                and found.quiet_until >= now
                and visit.person.id in found.participants
            ):
                if hostility(visit.classification) >= HOSTILE:
                    await office.moderation_log.save_discussion(
                        replace(found, last_at=now, quiet_until=now + quiet)
                    )
                return True
    return False


async def _alone(office: Office, visit: Visit, targets: list[int]) -> list[Action]:
    """One member's clearly hostile messages within the hour, whoever they are aimed at:
    ended once when they keep coming (3.10), moderators told (3.7)."""
    inbound = visit.inbound
    heat = hostility(visit.classification)
    if heat < LONE_FLOOR:
        return []
    now = inbound.received_at
    quiet = timedelta(minutes=office.settings.community.argument_quiet_minutes)
    sender = visit.person.id
    found = [
        d
        for d in await office.moderation_log.discussions(
            visit.chat.id, "lone", since=now - max(LONE_WINDOW, quiet)
        )
        if d.participants[:1] == (sender,)
    ]
    watching = next((d for d in found if d.status == "watching"), None)
    if watching is None:
        watching = Discussion(
            chat_id=visit.chat.id,
            kind="lone",
            status="watching",
            participants=(sender,),
            exchanges=(),
            started_at=now,
            last_at=now,
        )
    exchange = Exchange(sender, targets[0] if targets else SHAL, round(heat, 3), now)
    kept = tuple(e for e in watching.exchanges if e.at >= now - LONE_WINDOW)
    watching = replace(watching, exchanges=(*kept, exchange), last_at=now)
    if not is_sustained(watching.exchanges):
        await office.moderation_log.save_discussion(watching)
        return []
    ended = await office.moderation_log.save_discussion(
        replace(
            watching,
            status="closed",
            closed_at=now,
            quiet_until=now + quiet,
            closing_reply_to=inbound.message_id,
        )
    )
    return await _end_in_group(office, visit, ended)


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
    alone = discussion.kind == "lone"
    closing = office.say("conduct", "lone_closing" if alone else "group_closing")
    actions: list[Action] = [reply(inbound, closing, intent="hostile", buttons=buttons)]
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
            reason="hostility cool-down (3.10)" if alone else "argument cool-down (3.10)",
            until=until,
            detail={"discussion": discussion.id},
            at=now,
        )
    await office.moderation_log.record(
        "hostility_ended" if alone else "argument_ended",
        actor_kind="bot",
        chat_id=visit.chat.id,
        person_id=people[0].id if alone and people else None,
        reason="one member's sustained hostility (3.10)"
        if alone
        else "heated back-and-forth (3.10)",
        detail={
            "discussion": discussion.id,
            "participants": [p.id for p in people],
            "message_id": inbound.message_id,
        },
        at=now,
    )
    await office.audit(
        actor="bot",
        action="hostility_ended" if alone else "argument_ended",
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
    group = inbound.chat.title or visit.chat.title or "a community group"
    if alone:
        text = office.say(
            "community_staff",
            "lone_hostility",
            group=group,
            who=involved,
            count=len(discussion.exchanges),
            at=await _aimed_at(office, discussion),
            cooldown=cooldown,
        )
    else:
        text = office.say(
            "community_staff", "argument", group=group, who=involved, cooldown=cooldown
        )
    if office.settings.staff_room:
        actions.append(
            StaffNotice(
                MODERATION_TOPIC, text, link_chat=inbound.chat, link_message_id=inbound.message_id
            )
        )
    return actions


async def _aimed_at(office: Office, discussion: Discussion) -> str:
    """Whom one member's hostility was aimed at, for moderators."""
    names: list[str] = []
    for target in dict.fromkeys(e.target for e in discussion.exchanges):
        if target == SHAL:
            names.append("SHAL or no one in particular")
        elif (person := await office.people.person_by_id(target)) is not None:
            colleague = " (a colleague)" if office.is_colleague(person) else ""
            names.append(who(person) + colleague)
    return ", ".join(names) or "-"
