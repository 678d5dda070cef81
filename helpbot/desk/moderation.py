"""Keeping the community groups safe and supportive (2.1, 3.7): colleagues warn, remove,
block and unblock members with a reason; new members' links and mass mentions are held
for a colleague to check; flooding is slowed down. Everything is recorded in the
moderation log, and nothing drastic happens automatically: after repeated warnings a
removal is *proposed* to colleagues, never done silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from helpbot.desk.actions import (
    Action,
    AnswerButton,
    BlockMember,
    Button,
    DeleteMessage,
    LiftRestriction,
    RemoveMember,
    RestrictMember,
    SendText,
    StaffNotice,
    UnblockMember,
)
from helpbot.desk.events import Content
from helpbot.desk.heated_discussions import MODERATION_TOPIC
from helpbot.desk.records import Chat, ModerationEntry, Person
from helpbot.desk.visit import Visit, chat_ref, private_chat, reply, who

if TYPE_CHECKING:
    from helpbot.desk.front_desk import Desk

HELD_TOPIC = "Held for review"
_HELD_BUTTON = re.compile(r"^held:(\d{1,18}):(repost|discard)$")
_PROPOSAL_BUTTON = re.compile(r"^mod:(\d{1,18}):(remove|keep)$")
_LINK = re.compile(r"(https?://|www\.|t\.me/)\S+|\b[\w-]+\.(com|co\.uk|org|net|uk|io|ly)\b", re.I)


class Moderation:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.say = desk.say
        self.log = desk.moderation_log
        self.members = desk.membership

    # -- commands --------------------------------------------------------------------------

    async def group_command(self, visit: Visit) -> list[Action]:
        """A colleague replies to a member's message in a community group with /warn,
        /remove, /block or /unblock and a reason. The command is taken down so the group
        sees no public telling-off; colleagues see the outcome in the Moderation topic."""
        inbound = visit.inbound
        command = inbound.command or ""
        target_id = inbound.reply_to_sender_id
        if not target_id:
            return [reply(inbound, self.say("community_staff", "usage", command=command))]
        reason = inbound.command_args.strip()
        if not reason:
            return [
                reply(
                    inbound,
                    self.say("community_staff", "needs_reason", command=command, target=""),
                )
            ]
        target = await self.desk.people.find_person(inbound.channel, target_id)
        if target is None:
            text = self.say("community_staff", "unknown_member", target=f"(id {target_id})")
            return [reply(inbound, text)]
        if self.desk.is_colleague(target):
            return [reply(inbound, self.say("community_staff", "not_a_member"))]
        groups = [visit.chat]
        actions: list[Action] = []
        if inbound.message_id:
            actions.append(DeleteMessage(inbound.chat, inbound.message_id))
        outcome = await self.apply(command, target, reason, visit, groups)
        return actions + [
            StaffNotice(MODERATION_TOPIC, a.text) if isinstance(a, _Report) else a for a in outcome
        ]

    async def staff_command(self, visit: Visit) -> list[Action]:
        """/warn MEMBER REASON (and /remove, /block, /unblock) in the staff group, where
        MEMBER is a user id or an @username the bot has seen."""
        inbound = visit.inbound
        command = inbound.command or ""
        target_text, _, reason = inbound.command_args.strip().partition(" ")
        if not target_text:
            return [reply(inbound, self.say("community_staff", "usage", command=command))]
        reason = reason.strip()
        if not reason:
            text = self.say(
                "community_staff", "needs_reason", command=command, target=f"{target_text} "
            )
            return [reply(inbound, text)]
        target = await self.desk.people.find_person(inbound.channel, target_text)
        if target is None:
            shown = re.sub(r"[^\w@]", "", target_text)[:40]
            return [reply(inbound, self.say("community_staff", "unknown_member", target=shown))]
        if self.desk.is_colleague(target):
            return [reply(inbound, self.say("community_staff", "not_a_member"))]
        groups = await self._groups_for(command, target)
        if not groups:
            return [reply(inbound, self.say("community_staff", "no_groups"))]
        outcome = await self.apply(command, target, reason, visit, groups)
        return [reply(inbound, a.text) if isinstance(a, _Report) else a for a in outcome]

    async def _groups_for(self, command: str, target: Person) -> list[Chat]:
        """/block and /unblock cover every community group (blocked "from the page",
        3.7.1); /warn and /remove the groups the member is in, else every group."""
        everywhere = await self.members.community_chats(target.channel)
        if command in ("block", "unblock"):
            return everywhere
        inside = {
            m.chat_id for m in await self.members.memberships(target.id) if m.status == "member"
        }
        return [g for g in everywhere if g.id in inside] or everywhere

    async def apply(
        self,
        command: str,
        target: Person,
        reason: str,
        visit: Visit,
        groups: list[Chat],
    ) -> list[Action | _Report]:
        """Carry out one moderation command: record it, act on the groups, tell the member
        privately if we can, and report back to colleagues."""
        inbound = visit.inbound
        actor = (inbound.sender.first_name or "A colleague").split()[0]
        now = inbound.received_at
        single = groups[0] if len(groups) == 1 else None
        await self.desk.audit(
            actor=f"staff:{inbound.channel}:{inbound.sender.external_id}",
            action=f"moderation_{command}",
            subject=f"person:{target.id}",
            detail={"groups": len(groups), "where": inbound.chat.kind.value},
        )
        entry = await self.log.record(
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
        can_tell = await self.desk.people.has_written_privately(target.id)
        hello = f" {target.first_name}" if target.first_name else ""
        actions: list[Action | _Report] = []
        tell: str | None = None
        if command == "warn":
            tell = self.say("moderation", "warned", name=hello, group=group_title, reason=reason)
        elif command == "remove":
            for group in groups:
                actions.append(RemoveMember(chat_ref(group), target.external_id))
                await self.members.set_member(group.id, target.id, status="removed")
            tell = self.say("moderation", "removed", name=hello, group=group_title, reason=reason)
        elif command == "block":
            for group in groups:
                actions.append(BlockMember(chat_ref(group), target.external_id))
                await self.members.set_member(group.id, target.id, status="blocked")
            tell = self.say("moderation", "blocked", name=hello, reason=reason)
        else:
            for group in groups:
                actions.append(UnblockMember(chat_ref(group), target.external_id))
                member = await self.members.member(group.id, target.id)
                if member is not None and member.status == "blocked":
                    await self.members.set_member(group.id, target.id, status="left")
            tell = self.say("moderation", "unblocked", name=hello)
        if can_tell and tell:
            actions.append(SendText(private_chat(target), tell))
        told = self.say("community_staff", "told" if can_tell else "not_told")
        report = self.say(
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
        actions.append(_Report(report))
        if command == "warn":
            actions += await self._propose_removal(target, entry, groups)
        return actions

    async def _propose_removal(
        self, target: Person, warning: ModerationEntry, groups: list[Chat]
    ) -> list[Action | _Report]:
        """After the configured number of warnings, ask colleagues: remove, or keep?"""
        limit = self.desk.settings.community.warnings_before_removal
        count = await self.log.count(target.id, "warn")
        if limit <= 0 or count < limit:
            return []
        proposal = await self.log.record(
            "propose_remove",
            actor_kind="bot",
            chat_id=warning.chat_id,
            person_id=target.id,
            reason=f"{count} warnings",
            state="pending",
            detail={"groups": [g.id for g in groups]},
        )
        names = ", ".join(f"“{g.title or g.external_id}”" for g in groups)
        text = self.say(
            "community_staff", "propose_removal", who=who(target), count=count, groups=names
        )
        buttons = (
            (
                Button(
                    self.say("community_staff", "remove_button"), data=f"mod:{proposal.id}:remove"
                ),
                Button(self.say("community_staff", "keep_button"), data=f"mod:{proposal.id}:keep"),
            ),
        )
        return [StaffNotice(MODERATION_TOPIC, text, buttons)]

    # -- staff buttons -------------------------------------------------------------------

    async def staff_button(self, visit: Visit) -> list[Action]:
        """Buttons in the staff group: join requests, held posts, proposed removals. Only
        staff may press them; anyone else is refused and the attempt recorded."""
        inbound = visit.inbound
        if not self.desk.is_staff(inbound):
            await self.desk.audit(
                actor=f"{inbound.channel}:{inbound.sender.external_id}",
                action="refused_staff_button",
                subject=(inbound.callback_data or "")[:64],
            )
            text = self.say("community_staff", "only_staff")
            return [AnswerButton(inbound.callback_id, text)] if inbound.callback_id else []
        joining = await self.desk.joining.review_button(visit)
        if joining is not None:
            return joining
        held = _HELD_BUTTON.match(inbound.callback_data or "")
        if held:
            return await self._held_decision(visit, int(held.group(1)), held.group(2))
        proposal = _PROPOSAL_BUTTON.match(inbound.callback_data or "")
        if proposal:
            return await self._proposal_decision(visit, int(proposal.group(1)), proposal.group(2))
        return [AnswerButton(inbound.callback_id)] if inbound.callback_id else []

    async def _held_decision(self, visit: Visit, entry_id: int, choice: str) -> list[Action]:
        inbound = visit.inbound
        actor = (inbound.sender.first_name or "A colleague").split()[0]
        done: list[Action] = [AnswerButton(inbound.callback_id)] if inbound.callback_id else []
        entry = await self.log.get(entry_id)
        if entry is None or entry.action != "hold":
            return done
        if not await self.log.settle(
            entry.id, "pending", "reposted" if choice == "repost" else "discarded"
        ):
            return (
                [AnswerButton(inbound.callback_id, self.say("joining", "closed"))]
                if inbound.callback_id
                else []
            )
        await self.log.record(
            "repost" if choice == "repost" else "discard",
            actor_kind="staff",
            actor_id=visit.person.id,
            actor_name=actor,
            chat_id=entry.chat_id,
            person_id=entry.person_id,
            reason=f"held post #{entry.id}",
        )
        await self.desk.audit(
            actor=f"staff:{inbound.channel}:{inbound.sender.external_id}",
            action=f"held_{choice}",
            subject=f"moderation:{entry.id}",
        )
        author = await self.desk.people.person_by_id(entry.person_id) if entry.person_id else None
        group = await self.desk.people.chat_by_id(entry.chat_id) if entry.chat_id else None
        message = await self.desk.people.message(entry.message_id) if entry.message_id else None
        key = "reposted" if choice == "repost" else "discarded"
        actions = [*done, reply(inbound, self.say("community_staff", key, id=entry.id, name=actor))]
        if group is None or author is None:
            return actions
        if choice == "repost" and message is not None:
            text = self.say(
                "moderation", "reposted", name=author.first_name or "A member", text=message.text
            )
            actions.append(SendText(chat_ref(group), text[:4096]))
        elif choice == "discard" and await self.desk.people.has_written_privately(author.id):
            hello = f" {author.first_name}" if author.first_name else ""
            title = group.title or "the group"
            actions.append(
                SendText(
                    private_chat(author),
                    self.say("moderation", "discarded", name=hello, group=title),
                )
            )
        return actions

    async def _proposal_decision(self, visit: Visit, entry_id: int, choice: str) -> list[Action]:
        inbound = visit.inbound
        actor = (inbound.sender.first_name or "A colleague").split()[0]
        done: list[Action] = [AnswerButton(inbound.callback_id)] if inbound.callback_id else []
        entry = await self.log.get(entry_id)
        if entry is None or entry.action != "propose_remove" or entry.person_id is None:
            return done
        if not await self.log.settle(entry.id, "pending", "done" if choice == "remove" else "kept"):
            return (
                [AnswerButton(inbound.callback_id, self.say("joining", "closed"))]
                if inbound.callback_id
                else []
            )
        target = await self.desk.people.person_by_id(entry.person_id)
        if target is None:
            return done
        if choice == "keep":
            await self.log.record(
                "keep",
                actor_kind="staff",
                actor_id=visit.person.id,
                actor_name=actor,
                person_id=target.id,
                reason=f"proposal #{entry.id}",
            )
            text = self.say("community_staff", "proposal_kept", name=actor, who=who(target))
            return [*done, reply(inbound, text)]
        wanted = set(entry.detail.get("groups", []))
        groups = [g for g in await self.members.community_chats(target.channel) if g.id in wanted]
        outcome = await self.apply("remove", target, entry.reason, visit, groups or [])
        return done + [reply(inbound, a.text) if isinstance(a, _Report) else a for a in outcome]

    # -- automatic care of the groups -------------------------------------------------------

    async def member_event(self, visit: Visit) -> list[Action]:
        """Keep the member list: joined (for the new-member checks) or left. A removal or
        block we made ourselves stays recorded as such."""
        inbound = visit.inbound
        current = await self.members.member(visit.chat.id, visit.person.id)
        if inbound.content is Content.MEMBER_JOINED:
            if current is None or current.status != "member":
                await self.members.set_member(
                    visit.chat.id, visit.person.id, status="member", joined_at=inbound.received_at
                )
        elif current is not None and current.status == "member":
            await self.members.set_member(visit.chat.id, visit.person.id, status="left")
        return []

    async def screen(self, visit: Visit) -> list[Action] | None:
        """Before anything else in a community group: slow down flooding, and hold new
        members' links and mass mentions for review. None: nothing to do."""
        flood = await self._flooding(visit)
        if flood is not None:
            return flood
        return await self._hold(visit)

    async def _flooding(self, visit: Visit) -> list[Action] | None:
        inbound = visit.inbound
        config = self.desk.settings.community
        now = inbound.received_at
        since = now - timedelta(seconds=config.flood_seconds)
        count = await self.members.messages_since(visit.chat.id, visit.person.id, since)
        if count <= config.flood_messages:
            return None
        if await self.log.active_restriction(visit.chat.id, visit.person.id, now):
            return []  # already paused: messages still in flight get no second notice
        minutes = config.flood_pause_minutes
        until = now + timedelta(minutes=minutes)
        await self.log.record(
            "restrict",
            actor_kind="bot",
            chat_id=visit.chat.id,
            person_id=visit.person.id,
            reason="flooding",
            until=until,
            detail={"messages": count, "seconds": config.flood_seconds},
            at=now,
        )
        await self.desk.audit(
            actor="bot", action="flood_paused", subject=f"person:{visit.person.id}"
        )
        group = inbound.chat.title or visit.chat.title or "a community group"
        return [
            RestrictMember(inbound.chat, inbound.sender.external_id, until),
            reply(inbound, self.say("moderation", "slow_down", minutes=minutes)),
            StaffNotice(
                MODERATION_TOPIC,
                self.say(
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

    async def _hold(self, visit: Visit) -> list[Action] | None:
        inbound = visit.inbound
        config = self.desk.settings.community
        if not inbound.message_id or not inbound.text or config.new_member_days == 0:
            return None
        linked = inbound.has_link or bool(_LINK.search(inbound.text))
        crowded = len(inbound.mentions) >= config.mass_mention_limit
        if not (linked or crowded):
            return None
        member = await self.members.member(visit.chat.id, visit.person.id)
        if member is None or member.joined_at is None:
            return None  # joined before the bot kept records: not a new member
        if member.joined_at < inbound.received_at - timedelta(days=config.new_member_days):
            return None
        why = (
            self.say("community_staff", "held_link")
            if linked
            else self.say("community_staff", "held_mentions", count=len(inbound.mentions))
        )
        entry = await self.log.record(
            "hold",
            actor_kind="bot",
            chat_id=visit.chat.id,
            person_id=visit.person.id,
            reason=why,
            state="pending",
            message_id=visit.message.id,
            at=inbound.received_at,
        )
        await self.desk.audit(
            actor="bot", action="held_for_review", subject=f"moderation:{entry.id}"
        )
        days = (inbound.received_at - member.joined_at).days
        joined = "today" if days == 0 else f"{days} day(s) ago"
        title = inbound.chat.title or visit.chat.title or "a community group"
        text = self.say(
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
                    self.say("community_staff", "repost_button"), data=f"held:{entry.id}:repost"
                ),
                Button(
                    self.say("community_staff", "discard_button"), data=f"held:{entry.id}:discard"
                ),
            ),
        )
        actions: list[Action] = [
            DeleteMessage(inbound.chat, inbound.message_id),
            StaffNotice(HELD_TOPIC, text[:4000], buttons),
        ]
        if await self.desk.people.has_written_privately(visit.person.id):
            hello = f" {visit.person.first_name}" if visit.person.first_name else ""
            actions.append(
                SendText(
                    private_chat(visit.person),
                    self.say("moderation", "held", name=hello, group=title),
                )
            )
        return actions

    async def lift_due(self, now: datetime) -> list[Action]:
        """Cool-downs whose time is up: give members their usual permissions back."""
        actions: list[Action] = []
        for entry in await self.log.restrictions_due(now):
            if not await self.log.mark_lifted(entry.id, now):
                continue
            group = await self.desk.people.chat_by_id(entry.chat_id) if entry.chat_id else None
            member = (
                await self.desk.people.person_by_id(entry.person_id) if entry.person_id else None
            )
            if group is None or member is None:
                continue
            actions.append(LiftRestriction(chat_ref(group), member.external_id))
            await self.log.record(
                "lift",
                actor_kind="bot",
                chat_id=group.id,
                person_id=member.id,
                reason=f"{entry.reason}: time up",
                detail={"restriction": entry.id},
                at=now,
            )
        return actions


@dataclass(frozen=True, slots=True)
class _Report:
    """What a moderation command reports back to colleagues: a reply in the staff group,
    or a notice in the Moderation topic when the command came from a community group."""

    text: str
