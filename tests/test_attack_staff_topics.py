"""A case's staff topic is made once, even when the database blinks just after Telegram
made it: a second topic for one case splits the case's story across two places."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import OperationalError

from helpbot.postroom.sender import SendPolicy
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store
from helpbot.testing.harness import running_bot, tenant

REPAIR = "the bathroom light pull cord has snapped"
QUICK = SendPolicy(first_delay=0.05, max_delay=0.1)


async def test_a_topic_made_while_the_database_blinked_is_not_made_again(
    store: Store, understanding: Any
) -> None:
    async with running_bot(store, understanding, send_policy=QUICK) as bot:
        topics = bot.channel.topics
        record = topics.case_topic_opened
        blinks = 1

        async def blinking(case_id: int, thread_id: int) -> None:
            nonlocal blinks
            if blinks:
                blinks -= 1
                raise OperationalError("UPDATE cases", {}, ConnectionError("blink"))
            await record(case_id, thread_id)

        topics.case_topic_opened = blinking  # type: ignore[method-assign]
        ann = tenant(bot.tg)
        await bot.send(bot.tg.private_message(ann, REPAIR))
        (case,) = await Casebook(store).all_cases()
        assert bot.tg.call_count("createForumTopic", ok=True) == 1
        assert case.staff_topic_id is not None
        assert bot.tg.sent_messages(bot.staff_room.id, thread_id=case.staff_topic_id)
