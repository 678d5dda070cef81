"""A Bot API call whose answer comes back too late: a message is never sent twice
(its outcome is unknown), but setting a member's state is simply done again; and a
sender waiting on a store that has gone away still stops when asked."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from helpbot.desk.actions import RestrictMember, SendText
from helpbot.desk.events import ChatKind, ChatRef
from helpbot.postroom.outcomes import OutcomeUnknown, RetryLater
from helpbot.store.records import Store
from helpbot.testing.harness import COMMUNITY_GROUP_ID, running_bot, tenant


async def test_a_late_answer_to_a_restriction_is_tried_again_but_a_message_is_not(
    store: Store, understanding: Any
) -> None:
    async with running_bot(store, understanding, send_timeout_seconds=1) as bot:
        ann = tenant(bot.tg)
        bot.tg.private_chat(ann)
        bot.tg.start_user(ann)
        group = ChatRef("telegram", str(COMMUNITY_GROUP_ID), ChatKind.COMMUNITY)
        pause = RestrictMember(group, str(ann.id), until=datetime.now(UTC) + timedelta(hours=1))
        bot.tg.faults.hold(seconds=2, methods=("restrictChatMember", "sendMessage"), count=2)
        with pytest.raises(RetryLater):
            await bot.channel.perform(pause)
        private = ChatRef("telegram", str(ann.id), ChatKind.PRIVATE)
        with pytest.raises(OutcomeUnknown):
            await bot.channel.perform(SendText(private, "hello"))
        # Once Telegram answers in time, the restriction goes through.
        await asyncio.sleep(2)
        await bot.channel.perform(pause)
        assert bot.tg.call_count("restrictChatMember", ok=True) >= 2


async def test_a_sender_waiting_on_a_store_that_is_down_still_stops(
    store: Store, understanding: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with running_bot(store, understanding) as bot:
        sender = bot.postroom.sender
        stuck = asyncio.Event()

        async def store_never_answers(*args: Any, **kwargs: Any) -> Any:
            stuck.set()
            await asyncio.Event().wait()

        monkeypatch.setattr(sender.outbox, "take", store_never_answers)
        sender.wake.set()
        async with asyncio.timeout(10):
            await stuck.wait()
            await sender.stop(grace=0.5)
