"""SHAL never argues (3.10), in a private chat either: a hostile message is answered
politely; when hostility keeps coming the bot sends one clear closing message, offers a
colleague, and answers no hostile messages for a while. Emergencies and safeguarding are
always answered: the callers never send those here."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from helpbot.desk.actions import Action, Button, StaffNotice
from helpbot.desk.arguments.heat import HOSTILE, hostility
from helpbot.desk.buttons import TalkToPerson
from helpbot.desk.office import Office
from helpbot.desk.records import SHAL, Discussion, Exchange
from helpbot.desk.staff_topics import MODERATION_TOPIC
from helpbot.desk.visit import Visit, reply, who

PRIVATE_WINDOW = timedelta(hours=1)


async def private_message(office: Office, visit: Visit, case_id: int | None) -> list[Action]:
    """A hostile private message: answered politely (it is not an argument yet), ended
    with one closing message when it keeps coming, then not answered for a while."""
    inbound = visit.inbound
    config = office.settings.community
    now = inbound.received_at
    found = await office.moderation_log.discussions(
        visit.chat.id, "private", since=now - PRIVATE_WINDOW
    )
    current = found[-1] if found else None
    if current is not None and current.status == "closed":
        if current.quiet_until is not None and current.quiet_until > now:
            await office.moderation_log.save_discussion(replace(current, last_at=now))
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
        await office.moderation_log.save_discussion(current)
        return [reply(inbound, office.say("intents", "hostile"), intent="hostile", case_id=case_id)]
    minutes = config.private_cooldown_minutes
    await office.moderation_log.save_discussion(
        replace(
            current,
            status="closed",
            closed_at=now,
            quiet_until=now + timedelta(minutes=minutes),
        )
    )
    await office.audit(
        actor="bot",
        action="private_chat_ended",
        subject=f"person:{visit.person.id}",
        detail={"minutes": minutes},
    )
    actions: list[Action] = [
        reply(
            inbound,
            office.say("conduct", "private_closing"),
            intent="hostile",
            case_id=case_id,
            buttons=((Button(office.say("buttons", "talk_to_person"), data=TalkToPerson().data),),),
        )
    ]
    if office.settings.staff_room:
        actions.append(
            StaffNotice(
                MODERATION_TOPIC,
                office.say(
                    "community_staff", "private_closed", who=who(visit.person), minutes=minutes
                ),
            )
        )
    return actions
