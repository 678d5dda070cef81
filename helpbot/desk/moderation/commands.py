"""Colleagues moderate the community groups (3.7): /warn, /remove, /block and /unblock a
member, always with a reason, from the staff group or by replying to the member's message
in a group. Everything is in the moderation log; after repeated warnings a removal is
*proposed* to colleagues, never done silently."""

from __future__ import annotations

import re
from dataclasses import dataclass

from helpbot.desk.actions import (
    Action,
    BlockMember,
    Button,
    DeleteMessage,
    RemoveMember,
    SendText,
    StaffNotice,
    UnblockMember,
)
from helpbot.desk.buttons import ProposedRemoval
from helpbot.desk.office import Office
from helpbot.desk.records import Chat, ModerationEntry, Person
from helpbot.desk.staff_topics import MODERATION_TOPIC
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


@dataclass(frozen=True, slots=True)
class Report:
    """What a moderation command reports back to colleagues: a reply in the staff group,
    or a notice in the Moderation topic when the command came from a community group."""

    text: str


async def group_command(office: Office, visit: Visit) -> list[Action]:
    """A colleague replies to a member's message in a community group with /warn,
    /remove, /block or /unblock and a reason. The command is taken down so the group
    sees no public telling-off; colleagues see the outcome in the Moderation topic."""
    inbound = visit.inbound
    command = inbound.command or ""
    target_id = inbound.reply_to_sender_id
    if not target_id:
        return [reply(inbound, office.say("community_staff", "usage", command=command))]
    reason = inbound.command_args.strip()
    if not reason:
        return [
            reply(
                inbound,
                office.say("community_staff", "needs_reason", command=command, target=""),
            )
        ]
    target = await office.people.find_person(inbound.channel, target_id)
    if target is None:
        text = office.say("community_staff", "unknown_member", target=f"(id {target_id})")
        return [reply(inbound, text)]
    if office.is_colleague(target):
        return [reply(inbound, office.say("community_staff", "not_a_member"))]
    groups = [visit.chat]
    actions: list[Action] = []
    if inbound.message_id:
        actions.append(DeleteMessage(inbound.chat, inbound.message_id))
    outcome = await apply(office, command, target, reason, visit, groups)
    return actions + [
        StaffNotice(MODERATION_TOPIC, a.text) if isinstance(a, Report) else a for a in outcome
    ]


async def staff_command(office: Office, visit: Visit) -> list[Action]:
    """/warn MEMBER REASON (and /remove, /block, /unblock) in the staff group, where
    MEMBER is a user id or an @username the bot has seen."""
    inbound = visit.inbound
    command = inbound.command or ""
    target_text, _, reason = inbound.command_args.strip().partition(" ")
    if not target_text:
        return [reply(inbound, office.say("community_staff", "usage", command=command))]
    reason = reason.strip()
    if not reason:
        text = office.say(
            "community_staff", "needs_reason", command=command, target=f"{target_text} "
        )
        return [reply(inbound, text)]
    shown = re.sub(r"[^\w@]", "", target_text)[:40]
    if target_text.startswith("@"):
        # People are known by their stable id; a username is only who holds it now. Two
        # records claiming one (a change the bot has not seen yet) is refused, never
        # guessed: the wrong one may be its former owner.
        name = target_text[1:].lower()
        holders = [
            p
            for p in await office.people.find_people(inbound.channel, [target_text[1:]])
            if (p.username or "").lower() == name
        ]
        if len(holders) > 1:
            return [reply(inbound, office.say("community_staff", "ambiguous_member", target=shown))]
    target = await office.people.find_person(inbound.channel, target_text)
    if target is None:
        return [reply(inbound, office.say("community_staff", "unknown_member", target=shown))]
    if office.is_colleague(target):
        return [reply(inbound, office.say("community_staff", "not_a_member"))]
    groups = await _groups_for(office, command, target)
    if not groups:
        return [reply(inbound, office.say("community_staff", "no_groups"))]
    outcome = await apply(office, command, target, reason, visit, groups)
    return [reply(inbound, a.text) if isinstance(a, Report) else a for a in outcome]


async def _groups_for(office: Office, command: str, target: Person) -> list[Chat]:
    """/block and /unblock cover every community group (blocked "from the page",
    3.7.1); /warn and /remove the groups the member is in, else every group."""
    everywhere = await office.members.community_chats(target.channel)
    if command in ("block", "unblock"):
        return everywhere
    inside = {
        m.chat_id for m in await office.members.memberships(target.id) if m.status == "member"
    }
    return [g for g in everywhere if g.id in inside] or everywhere


async def apply(
    office: Office,
    command: str,
    target: Person,
    reason: str,
    visit: Visit,
    groups: list[Chat],
) -> list[Action | Report]:
    """Carry out one moderation command: record it, act on the groups, tell the member
    privately if we can, and report back to colleagues."""
    inbound = visit.inbound
    actor = colleague_name(inbound)
    now = inbound.received_at
    single = groups[0] if len(groups) == 1 else None
    await office.audit(
        actor=staff_actor(inbound),
        action=f"moderation_{command}",
        subject=f"person:{target.id}",
        detail={"groups": len(groups), "where": inbound.chat.kind.value},
    )
    entry = await office.moderation_log.record(
        command,
        actor_kind="staff",
        actor_id=visit.person.id,
        actor_name=actor,
        chat_id=single.id if single else None,
        person_id=target.id,
        reason=reason,
        detail={"groups": [g.id for g in groups]},
        at=now,
    )
    names = ", ".join(f"“{g.title or g.external_id}”" for g in groups)
    group_title = single.title if single and single.title else "SHAL's tenants' group"
    can_tell = await office.people.has_written_privately(target.id)
    greeting = hello(target)
    actions: list[Action | Report] = []
    tell: str | None = None
    if command == "warn":
        tell = office.say("moderation", "warned", name=greeting, group=group_title, reason=reason)
    elif command == "remove":
        for group in groups:
            actions.append(RemoveMember(chat_ref(group), target.external_id))
            await office.members.set_member(group.id, target.id, status="removed")
        tell = office.say("moderation", "removed", name=greeting, group=group_title, reason=reason)
    elif command == "block":
        for group in groups:
            actions.append(BlockMember(chat_ref(group), target.external_id))
            await office.members.set_member(group.id, target.id, status="blocked")
        tell = office.say("moderation", "blocked", name=greeting, reason=reason)
    else:
        for group in groups:
            actions.append(UnblockMember(chat_ref(group), target.external_id))
            member = await office.members.member(group.id, target.id)
            if member is not None and member.status == "blocked":
                await office.members.set_member(group.id, target.id, status="left")
        tell = office.say("moderation", "unblocked", name=greeting)
    if can_tell and tell:
        actions.append(SendText(private_chat(target), tell))
    told = office.say("community_staff", "told" if can_tell else "not_told")
    report = office.say(
        "community_staff",
        {"warn": "warned", "remove": "removed", "block": "blocked", "unblock": "unblocked"}[
            command
        ],
        who=who(target),
        name=actor,
        reason=reason,
        groups=names,
        told=told,
    )
    if command != "warn" and not can_tell:
        report += told
    actions.append(Report(report))
    if command == "warn":
        actions += await _propose_removal(office, target, entry, groups)
    return actions


async def _propose_removal(
    office: Office, target: Person, warning: ModerationEntry, groups: list[Chat]
) -> list[Action | Report]:
    """After the configured number of warnings, ask colleagues: remove, or keep?"""
    limit = office.settings.community.warnings_before_removal
    count = await office.moderation_log.count(target.id, "warn")
    if limit <= 0 or count < limit:
        return []
    proposal = await office.moderation_log.record(
        "propose_remove",
        actor_kind="bot",
        chat_id=warning.chat_id,
        person_id=target.id,
        reason=f"{count} warnings",
        state="pending",
        detail={"groups": [g.id for g in groups]},
    )
    names = ", ".join(f"“{g.title or g.external_id}”" for g in groups)
    text = office.say(
        "community_staff", "propose_removal", who=who(target), count=count, groups=names
    )
    buttons = (
        (
            Button(
                office.say("community_staff", "remove_button"),
                data=ProposedRemoval(proposal.id, remove=True).data,
            ),
            Button(
                office.say("community_staff", "keep_button"),
                data=ProposedRemoval(proposal.id, remove=False).data,
            ),
        ),
    )
    return [StaffNotice(MODERATION_TOPIC, text, buttons)]
