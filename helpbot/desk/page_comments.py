"""Public comments on the Facebook Page's posts (and on its posts in a group).

Everyone can read a comment, so the policy is the community group's, in Facebook's
terms: a complaint or personal matter gets one short public reply, the one private
reply Facebook allows, which opens or joins the tenant's case, and the comment
hidden if it shows personal data (hidden, not deleted: the writer still sees it and
nothing is lost; 3.12, 3.13). Emergencies get the advice publicly at once. Hostile
comments are never argued with: a pile-on gets one closing reply and the moderators
are told (3.10). The bot never deletes a comment on its own.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

from helpbot.desk.actions import Action, HideComment, PostToStaff, SendText, StaffNotice
from helpbot.desk.events import ChatKind, ChatRef, Content
from helpbot.desk.front_desk import (
    CLASSIFY_LIMIT,
    PersonalDatumLike,
    Visit,
    private_chat,
    reply,
)
from helpbot.desk.heated_discussions import HOSTILE, MIN_HOSTILE, MODERATION_TOPIC, hostility
from helpbot.desk.private_thread import topic_name
from helpbot.nlu.intents import PRIVATE_INTENTS
from helpbot.store import models

if TYPE_CHECKING:
    from helpbot.desk.front_desk import Desk

THREAD = "comments"  # the Discussion kind for one post's comment thread
THREAD_MEMORY = timedelta(days=30)  # a thread once ended stays ended this long
PAGE_SIGNATURE = "SHAL team"  # who the private reply is from, for the staff's report


class PageComments:
    def __init__(self, desk: Desk) -> None:
        self.desk = desk
        self.say = desk.say

    async def handle(self, visit: Visit) -> list[Action]:
        inbound = visit.inbound
        if inbound.content is not Content.TEXT or not inbound.message_id:
            return []
        exposed = self.desk.understanding.find_personal_data(inbound.text)
        if inbound.edited:
            # An edit is not a new conversation; it is only looked at for personal data.
            return await self._hide(visit, exposed, notice=False) if exposed else []
        intent = visit.intent or "smalltalk"
        if intent == "emergency" or intent in PRIVATE_INTENTS:
            return await self.move_to_private(visit, intent, exposed)
        if exposed:
            return await self._hide(visit, exposed, notice=True)
        if intent == "hostile" or hostility(visit.classification) >= HOSTILE:
            return await self.hostile(visit)
        if intent == "question":
            found = self.desk.understanding.answer(inbound.text[:CLASSIFY_LIMIT])
            if found is not None:
                return [reply(inbound, found.answer, intent=intent)]
        return []  # conversation between people is welcome and left alone

    async def _hide(
        self, visit: Visit, exposed: Sequence[PersonalDatumLike], *, notice: bool
    ) -> list[Action]:
        inbound = visit.inbound
        assert inbound.message_id is not None
        await self.desk.store.audit(
            actor="bot",
            action="hid_personal_data",
            subject=f"{inbound.channel}:{inbound.chat.external_id}",
            detail={
                "kinds": sorted({d.kind for d in exposed}),
                "comment_id": inbound.message_id,
            },
        )
        actions: list[Action] = [HideComment(inbound.chat, inbound.message_id)]
        if notice:
            actions.insert(0, reply(inbound, self.say("facebook", "personal_data_hidden")))
        return actions

    async def move_to_private(
        self, visit: Visit, intent: str, exposed: Sequence[PersonalDatumLike]
    ) -> list[Action]:
        """Open (or join) the tenant's case, linked to this comment so a resolution can be
        published under it later (3.13), and take the conversation to Messenger."""
        inbound = visit.inbound
        assert inbound.message_id is not None
        casebook = self.desk.casebook
        case = await casebook.open_case_of_kind(visit.person.id, intent)
        new = case is None
        if case is None:
            case = await self.desk.private.open_case(visit, intent, in_group=True)
        if case.chat_id is None:
            # Where colleagues' replies go: the commenter's Messenger, once they answer.
            messenger = await self.desk.store.chat(private_chat(visit.person))
            await casebook.change(case.id, chat_id=messenger.id)
        await self.desk.private.file_message(
            case.id, visit, intent=intent, where="Facebook comment"
        )
        if intent == "emergency":
            key = "emergency"
        else:
            key = "moved_private_hidden" if exposed else "moved_private"
        actions: list[Action] = [
            reply(inbound, self.say("facebook", key), intent=intent, case_id=case.id)
        ]
        if exposed:
            actions += await self._hide(visit, exposed, notice=False)
        opened = self.say("cases", "opened" if new else "added", ref=case.ref)
        actions.append(
            SendText(
                chat=ChatRef(inbound.channel, inbound.message_id, ChatKind.COMMENT_REPLY),
                text=f"{self.say('intents', intent)}\n\n{opened}",
                intent=intent,
                case_id=case.id,
                author=PAGE_SIGNATURE,
            )
        )
        if self.desk.settings.staff_room:
            name = visit.person.first_name or "Tenant"
            text = self.say("staff", "tenant_says", name=name, text=inbound.text)
            if new:
                where = inbound.chat.title or "the Facebook Page"
                origin = self.say("facebook", "staff_new_case_origin", where=where)
                text = f"{self.desk.private.new_case_header(case, origin)}\n\n{text}"
            actions.append(
                PostToStaff(case.id, topic_name(case), case.staff_topic_id, text=text[:4000])
            )
        return actions

    async def hostile(self, visit: Visit) -> list[Action]:
        """Hostility is never answered one comment at a time; when it piles up under a
        post, one closing reply ends SHAL's part in that thread, and moderators are told."""
        inbound = visit.inbound
        now = inbound.received_at
        log = self.desk.moderation_log
        threads = await log.discussions(visit.chat.id, THREAD, since=now - THREAD_MEMORY)
        thread = threads[-1] if threads else None
        if thread is None:
            thread = models.Discussion(
                chat_id=visit.chat.id,
                kind=THREAD,
                status="watching",
                participants=[],
                exchanges=[],
                started_at=now,
                last_at=now,
            )
        thread.participants = sorted(set(thread.participants) | {visit.person.id})
        seen = {"from": visit.person.id, "at": now.isoformat()}
        thread.exchanges = [*thread.exchanges, seen][-100:]
        thread.last_at = now
        if thread.status == "closed" or len(thread.exchanges) < MIN_HOSTILE:
            await log.save_discussion(thread)
            return []
        thread.status = "closed"
        thread.closed_at = now
        thread.closing_reply_to = inbound.message_id
        await log.save_discussion(thread)
        await self.desk.store.audit(
            actor="bot",
            action="ended_comment_thread",
            subject=f"{inbound.channel}:{inbound.chat.external_id}",
            detail={"hostile_comments": len(thread.exchanges)},
        )
        actions: list[Action] = [reply(inbound, self.say("facebook", "closing"))]
        if self.desk.settings.staff_room:
            text = self.say("facebook", "staff_pile_on", count=len(thread.exchanges))
            actions.append(StaffNotice(MODERATION_TOPIC, text))
        return actions
