"""Colleagues decide by button in the staff group (3.7): repost or discard a new member's
held post, remove a much-warned member or keep them. The first decision counts."""

from __future__ import annotations

from helpbot.desk.actions import Action, AnswerButton, SendText, split_long_text
from helpbot.desk.moderation.commands import Report, apply
from helpbot.desk.office import Office
from helpbot.desk.visit import (
    Visit,
    chat_ref,
    colleague_name,
    hello,
    private_chat,
    reply,
    staff_actor,
    who,
)


async def held_post(office: Office, visit: Visit, entry_id: int, choice: str) -> list[Action]:
    inbound = visit.inbound
    actor = colleague_name(inbound)
    done: list[Action] = [AnswerButton(inbound.callback_id)] if inbound.callback_id else []
    entry = await office.moderation_log.get(entry_id)
    if entry is None or entry.action != "hold":
        return done
    message = await office.people.message(entry.message_id) if entry.message_id else None
    if (
        choice == "repost"
        and message is not None
        and office.understanding.find_personal_data(message.text)
    ):
        # Never reposted with personal details in it (3.12), whoever presses the button.
        choice = "discard"
        refused = office.say("community_staff", "held_personal_data", id=entry.id)
    else:
        refused = ""
    if not await office.moderation_log.settle(
        entry.id, "pending", "reposted" if choice == "repost" else "discarded"
    ):
        return (
            [AnswerButton(inbound.callback_id, office.say("joining", "closed"))]
            if inbound.callback_id
            else []
        )
    await office.moderation_log.record(
        "repost" if choice == "repost" else "discard",
        actor_kind="staff",
        actor_id=visit.person.id,
        actor_name=actor,
        chat_id=entry.chat_id,
        person_id=entry.person_id,
        reason=f"held post #{entry.id}",
    )
    await office.audit(
        actor=staff_actor(inbound),
        action=f"held_{choice}",
        subject=f"moderation:{entry.id}",
    )
    author = await office.people.person_by_id(entry.person_id) if entry.person_id else None
    group = await office.people.chat_by_id(entry.chat_id) if entry.chat_id else None
    key = "reposted" if choice == "repost" else "discarded"
    said = refused or office.say("community_staff", key, id=entry.id, name=actor)
    actions = [*done, reply(inbound, said)]
    if group is None or author is None:
        return actions
    if choice == "repost" and message is not None:
        text = office.say(
            "moderation", "reposted", name=author.first_name or "A member", text=message.text
        )
        actions.append(SendText(chat_ref(group), split_long_text(text)[0]))
    elif choice == "discard" and await office.people.has_written_privately(author.id):
        greeting = hello(author)
        title = group.title or "the group"
        actions.append(
            SendText(
                private_chat(author),
                office.say(
                    "moderation",
                    "discarded_personal" if refused else "discarded",
                    name=greeting,
                    group=title,
                ),
            )
        )
    return actions


async def proposed_removal(
    office: Office, visit: Visit, entry_id: int, choice: str
) -> list[Action]:
    inbound = visit.inbound
    actor = colleague_name(inbound)
    done: list[Action] = [AnswerButton(inbound.callback_id)] if inbound.callback_id else []
    entry = await office.moderation_log.get(entry_id)
    if entry is None or entry.action != "propose_remove" or entry.person_id is None:
        return done
    if not await office.moderation_log.settle(
        entry.id, "pending", "done" if choice == "remove" else "kept"
    ):
        return (
            [AnswerButton(inbound.callback_id, office.say("joining", "closed"))]
            if inbound.callback_id
            else []
        )
    target = await office.people.person_by_id(entry.person_id)
    if target is None:
        return done
    if choice == "keep":
        await office.moderation_log.record(
            "keep",
            actor_kind="staff",
            actor_id=visit.person.id,
            actor_name=actor,
            person_id=target.id,
            reason=f"proposal #{entry.id}",
        )
        text = office.say("community_staff", "proposal_kept", name=actor, who=who(target))
        return [*done, reply(inbound, text)]
    wanted = set(entry.detail.get("groups", []))
    groups = [g for g in await office.members.community_chats(target.channel) if g.id in wanted]
    outcome = await apply(office, "remove", target, entry.reason, visit, groups or [])
    return done + [reply(inbound, a.text) if isinstance(a, Report) else a for a in outcome]
