"""SHAL never argues (3.10). In a community group the bot spots an argument, a heated
back-and-forth between the same members, not one rude word, and posts one polite
message that ends it there (3.9), once, however long it goes on. In a private chat,
repeated hostility gets one clear closing message and then no replies to hostile
messages for a while. Emergencies and safeguarding are always answered: the callers
never send those here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from helpbot.desk.actions import Action, Button, RestrictMember, StaffNotice
from helpbot.desk.ports import Classified
from helpbot.desk.records import SHAL, Discussion, Exchange
from helpbot.desk.visit import Visit, reply, who

if TYPE_CHECKING:
    from helpbot.desk.front_desk import Desk

MODERATION_TOPIC = "Moderation"
HOSTILE = 0.5  # a message's hostility score from this is counted as hostile
MIN_EXCHANGES = 3  # replies or mentions between the same members within the window
MIN_HOSTILE = 2  # of which at least this many are hostile
PRIVATE_WINDOW = timedelta(hours=1)


def hostility(classification: Classified | None) -> float:
    """How hostile one message reads: the classifier's hostile score (not its primary
    label, which a short, plain message can get by default). One message alone never
    makes an argument."""
    if classification is None:
        return 0.0
    return float(classification.scores.get("hostile", 0.0))


def is_heated(exchanges: Sequence[Exchange]) -> bool:
    """An argument: members replying to (or mentioning) each other, both ways, at least
    MIN_EXCHANGES times in the window, at least MIN_HOSTILE of them hostile, and the
    latest hostile too (it is getting worse, not calming down). Hostility aimed at SHAL
    needs no back-and-forth: the bot never answers it, so two hostile messages do."""
    if not exchanges:
        return False
    latest = exchanges[-1]
    hostile = [e for e in exchanges if e.heat >= HOSTILE]
    if latest.heat < HOSTILE or len(hostile) < MIN_HOSTILE:
        return False
    if latest.target == SHAL:
        return True
    directions = {(e.sender, e.target) for e in exchanges}
    both_ways = (latest.sender, latest.target) in directions and (
        latest.target,
        latest.sender,
    ) in directions
    return both_ways and len(exchanges) >= MIN_EXCHANGES


class HeatedDiscussions:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.say = desk.say
        self.log = desk.moderation_log

    # -- community groups ----------------------------------------------------------------

    async def group_message(self, visit: Visit) -> list[Action]:
        """Follow replies and mentions between members; end an argument once."""
        inbound = visit.inbound
        targets = await self._targets(visit)
        if not targets or visit.classification is None:
            return []
        config = self.desk.settings.community
        now = inbound.received_at
        window = timedelta(minutes=config.argument_window_minutes)
        quiet = timedelta(minutes=config.argument_quiet_minutes)
        sender = visit.person.id
        heat = hostility(visit.classification)
        recent = await self.log.discussions(visit.chat.id, "group", since=now - max(window, quiet))
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
                        pair <= set(d.participants)
                        or (heat >= HOSTILE and pair & set(d.participants))
                    )
                ),
                None,
            )
            if ended is not None:
                # The same discussion going on: stay out of it, and keep it ended.
                saved = await self.log.save_discussion(
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
                ended_now = await self.log.save_discussion(
                    replace(
                        watching,
                        status="closed",
                        closed_at=now,
                        quiet_until=now + quiet,
                        closing_reply_to=inbound.message_id,
                    )
                )
                return await self._end_in_group(visit, ended_now)
            saved = await self.log.save_discussion(watching)
            recent = [saved if d.id == saved.id else d for d in recent]
        return []

    async def _targets(self, visit: Visit) -> list[int]:
        """Who a message is aimed at: the author of the message it replies to, people it
        mentions, or SHAL when it replies to or mentions the bot."""
        inbound = visit.inbound
        members = self.desk.people
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

    async def _end_in_group(self, visit: Visit, discussion: Discussion) -> list[Action]:
        inbound = visit.inbound
        config = self.desk.settings.community
        now = inbound.received_at
        people = [
            person
            for pid in discussion.participants
            if pid != SHAL and (person := await self.desk.people.person_by_id(pid)) is not None
        ]
        buttons: tuple[tuple[Button, ...], ...] = ()
        links = self.desk.private_link()
        if links:
            rules_link = self.desk.private_link("rules")[0][0]
            buttons = (
                (
                    links[0][0],
                    Button(self.say("conduct", "rules_button"), url=rules_link.url),
                ),
            )
        actions: list[Action] = [
            reply(inbound, self.say("conduct", "group_closing"), intent="hostile", buttons=buttons)
        ]
        minutes = config.cooldown_for(inbound.chat.external_id)
        paused = [p for p in people if minutes and not self.desk.is_colleague(p)]
        until = now + timedelta(minutes=minutes)
        for person in paused:
            actions.append(RestrictMember(inbound.chat, person.external_id, until))
            await self.log.record(
                "restrict",
                actor_kind="bot",
                chat_id=visit.chat.id,
                person_id=person.id,
                reason="argument cool-down (3.10)",
                until=until,
                detail={"discussion": discussion.id},
                at=now,
            )
        await self.log.record(
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
        await self.desk.audit(
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
            cooldown = self.say(
                "community_staff",
                "argument_cooldown",
                minutes=minutes,
                who=", ".join(p.first_name or p.external_id for p in paused),
            )
        actions.append(
            StaffNotice(
                MODERATION_TOPIC,
                self.say(
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

    # -- private chats --------------------------------------------------------------------

    async def private_message(self, visit: Visit, case_id: int | None) -> list[Action]:
        """A hostile private message: answered politely (it is not an argument yet), ended
        with one closing message when it keeps coming, then not answered for a while."""
        inbound = visit.inbound
        config = self.desk.settings.community
        now = inbound.received_at
        found = await self.log.discussions(visit.chat.id, "private", since=now - PRIVATE_WINDOW)
        current = found[-1] if found else None
        if current is not None and current.status == "closed":
            if current.quiet_until is not None and current.quiet_until > now:
                await self.log.save_discussion(replace(current, last_at=now))
                return []
            current = None
        if current is None:
            current = Discussion(
                chat_id=visit.chat.id,
                kind="private",
                status="watching",
                participants=(visit.person.id, SHAL),
                exchanges=(),
                started_at=now,
                last_at=now,
            )
        heat = round(hostility(visit.classification), 3)
        exchange = Exchange(visit.person.id, SHAL, heat, now)
        recent = tuple(e for e in current.exchanges if e.at >= now - PRIVATE_WINDOW)
        current = replace(current, exchanges=(*recent, exchange), last_at=now)
        hostile = [e for e in current.exchanges if e.heat >= HOSTILE]
        if heat < HOSTILE or len(hostile) < config.private_hostile_limit:
            await self.log.save_discussion(current)
            return [
                reply(inbound, self.say("intents", "hostile"), intent="hostile", case_id=case_id)
            ]
        minutes = config.private_cooldown_minutes
        await self.log.save_discussion(
            replace(
                current,
                status="closed",
                closed_at=now,
                quiet_until=now + timedelta(minutes=minutes),
            )
        )
        await self.desk.audit(
            actor="bot",
            action="private_chat_ended",
            subject=f"person:{visit.person.id}",
            detail={"minutes": minutes},
        )
        actions: list[Action] = [
            reply(
                inbound,
                self.say("conduct", "private_closing"),
                intent="hostile",
                case_id=case_id,
                buttons=((Button(self.say("buttons", "talk_to_person"), data="human"),),),
            )
        ]
        if self.desk.settings.staff_room:
            actions.append(
                StaffNotice(
                    MODERATION_TOPIC,
                    self.say(
                        "community_staff", "private_closed", who=who(visit.person), minutes=minutes
                    ),
                )
            )
        return actions
