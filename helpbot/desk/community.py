"""A tenants' community group: conversation is welcome, but personal matters and
complaints are never discussed in public (3.12); they move to a private case (3.13)."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from helpbot.desk import safety_net
from helpbot.desk.actions import Action, AnswerButton, DeleteMessage, PostToStaff
from helpbot.desk.events import Content
from helpbot.desk.front_desk import MODERATION_COMMANDS, STAFF_COMMANDS, Visit, reply
from helpbot.desk.private_thread import topic_name
from helpbot.nlu.intents import PRIVATE_INTENTS

if TYPE_CHECKING:
    from helpbot.desk.front_desk import Desk


class CommunityGroup:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.say = desk.say

    async def handle(self, visit: Visit) -> list[Action]:
        inbound = visit.inbound
        if inbound.content is Content.BUTTON:
            return [AnswerButton(inbound.callback_id)] if inbound.callback_id else []
        if inbound.content is Content.JOIN_REQUEST:
            return await self.desk.joining.requested(visit)
        if inbound.content in (Content.MEMBER_JOINED, Content.MEMBER_LEFT):
            return await self.desk.moderation.member_event(visit)
        colleague = self.desk.is_colleague(visit.person)
        if inbound.content is Content.COMMAND:
            return await self.command(visit, colleague=colleague)
        if not colleague and not inbound.sender.is_bot:
            # Flooding and new members' links are dealt with before anything else (3.7).
            screened = await self.desk.moderation.screen(visit)
            if screened is not None:
                return screened
        if visit.classification is None:
            return []
        if inbound.content is not Content.TEXT:
            # A captioned photo or file: an emergency or a private matter still moves
            # to a private case; anything else is left alone, bar the safety net.
            if visit.intent == "emergency" or visit.intent in PRIVATE_INTENTS:
                return await self.move_to_private(visit, visit.intent or "repair", quote=True)
            return await safety_net.catch(self.desk, visit, where="community group", public=True)
        intent = visit.intent or "smalltalk"
        actions: list[Action] = []
        exposed = self.desk.understanding.find_personal_data(inbound.text)
        if exposed and inbound.message_id:
            # Remove it and say why, without repeating any of it (3.12).
            actions.append(DeleteMessage(inbound.chat, inbound.message_id))
        if intent == "emergency" or intent in PRIVATE_INTENTS:
            actions += await self.move_to_private(visit, intent, quote=not exposed)
        elif exposed:
            actions.append(reply(inbound, self.say("group", "personal_data_removed")))
        else:
            if inbound.addressed_to_bot and intent in {"question", "smalltalk", "human"}:
                actions += self.desk.private.answer(visit)
            if not colleague:
                # Never argue; end an argument once (3.10).
                actions += await self.desk.heat.group_message(visit)
        # A sign of risk the intent did not cover: the safety line (never the message
        # itself) and a colleague told, even where the bot would otherwise stay quiet.
        actions += await safety_net.catch(self.desk, visit, where="community group", public=True)
        if exposed:
            await self.desk.store.audit(
                actor="bot",
                action="removed_personal_data",
                subject=f"{inbound.channel}:{inbound.chat.external_id}",
                detail={
                    "kinds": sorted({d.kind for d in exposed}),
                    "message_id": inbound.message_id,
                },
            )
        return actions

    async def command(self, visit: Visit, *, colleague: bool) -> list[Action]:
        """Colleagues moderate by replying to a member's message (3.7); anyone else trying
        a staff command is refused politely and the attempt recorded."""
        inbound = visit.inbound
        if inbound.command in MODERATION_COMMANDS and colleague:
            return await self.desk.moderation.group_command(visit)
        if inbound.command in STAFF_COMMANDS:
            return await self.desk.refuse_staff_command(visit)
        if inbound.command == "rules":
            return [
                reply(
                    inbound,
                    self.say("conduct", "rules_in_group"),
                    buttons=self.desk.private_link("rules"),
                )
            ]
        return []

    async def move_to_private(self, visit: Visit, intent: str, *, quote: bool) -> list[Action]:
        """Open the case at once, linked to the group message, and invite the tenant to a
        private chat with a deep link (a bot cannot message someone first)."""
        inbound = visit.inbound
        case = await self.desk.private.open_case(visit, intent, in_group=True)
        await self.desk.private.file_message(case.id, visit, intent=intent, where="community group")
        key = "emergency" if intent == "emergency" else "move_private"
        notice = reply(
            inbound,
            self.say("group", key),
            intent=intent,
            buttons=self.desk.private_link(case.link_token or ""),
            case_id=case.id,
        )
        if not quote:
            # The original is being deleted; don't quote it.
            notice = reply(
                replace(inbound, message_id=None),
                self.say("group", "personal_data_removed") + "\n\n" + self.say("group", key),
                intent=intent,
                buttons=self.desk.private_link(case.link_token or ""),
                case_id=case.id,
            )
        actions: list[Action] = [notice]
        if self.desk.settings.staff_room:
            origin = f"community group “{inbound.chat.title or inbound.chat.external_id}”"
            header = self.desk.private.new_case_header(case, origin)
            text = self.say(
                "staff", "tenant_says", name=visit.person.first_name or "Tenant", text=inbound.text
            )
            actions.append(
                PostToStaff(case.id, topic_name(case), None, text=f"{header}\n\n{text}"[:4000])
            )
        return actions
