"""Telegram having a bad day: rate-limit storms longer than any cap, a run of server
errors, answers that come back too late, a tenant who blocked the bot. Nothing is lost,
nothing is sent twice, and what could not be delivered is said so to staff."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from sqlalchemy import select

from helpbot.postroom.sender import SendPolicy
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store
from helpbot.testing.harness import BotUnderTest, running_bot, tenant

EMAIL = "what is your email address"
REPAIR = "the bathroom light pull cord has snapped"
QUICK = SendPolicy(first_delay=0.2, max_delay=1.0)


async def outbox_statuses(store: Store) -> Counter[str]:
    async with store.sessions() as session:
        return Counter(await session.scalars(select(models.OutboxItem.status)))


async def burst(bot: BotUnderTest, tenants: int = 6) -> list[Any]:
    people = [tenant(bot.tg, 6000 + n, f"Tenant{n}") for n in range(tenants)]
    for person in people:
        await bot.tg.deliver(bot.tg.private_message(person, EMAIL))
        await bot.tg.deliver(bot.tg.private_message(person, REPAIR))
    return people


@pytest.mark.slow
async def test_a_rate_limit_storm_longer_than_thirty_seconds_loses_and_doubles_nothing(
    store: Store, understanding: Any
) -> None:
    async with running_bot(store, understanding, send_policy=QUICK) as bot:
        storm = bot.tg.faults.storm(status=429, retry_after=5, seconds=33)
        people = await burst(bot)
        await bot.settle(timeout=90)
        assert storm.hits > len(people)  # every lane met the storm, more than once
        for person in people:
            replies = bot.replies_to(person.id)
            assert len(replies) == 2, replies
            assert "information@shal.org" in replies[0]
        cases = await Casebook(store).all_cases()
        assert len(cases) == len(people)
        # One topic and one first post per case, however many 429s came back.
        assert bot.tg.call_count("createForumTopic", ok=True) == len(people)
        assert (await outbox_statuses(store)).keys() == {"sent"}


@pytest.mark.slow
async def test_server_errors_for_ten_seconds_are_retried_until_they_go_through(
    store: Store, understanding: Any
) -> None:
    async with running_bot(store, understanding, send_policy=QUICK) as bot:
        bot.tg.faults.outage(status=500, seconds=10)
        people = await burst(bot, tenants=4)
        await bot.settle(timeout=60)
        for person in people:
            assert len(bot.replies_to(person.id)) == 2
        assert bot.tg.call_count("sendMessage", ok=False) > 0
        assert (await outbox_statuses(store)).keys() == {"sent"}


async def test_a_send_answered_after_the_client_gave_up_is_not_sent_again(
    store: Store, understanding: Any
) -> None:
    async with running_bot(store, understanding, send_timeout_seconds=1) as bot:
        ann = tenant(bot.tg)
        bot.tg.faults.hold(seconds=3, methods=("sendMessage",), count=1)
        await bot.send(bot.tg.private_message(ann, EMAIL))
        await bot.send(bot.tg.private_message(ann, "what is your phone number"))
        replies = bot.replies_to(ann.id)
        # Telegram did send the held one; the bot did not send it a second time, and
        # the next reply still followed it.
        assert len(replies) == 2
        assert "information@shal.org" in replies[0] and "01278 444344" in replies[1]
        assert await outbox_statuses(store) == Counter({"sent": 1, "unconfirmed": 1})
        async with store.sessions() as session:
            statuses = list(
                await session.scalars(
                    select(models.Message.status)
                    .where(models.Message.direction == "out")
                    .order_by(models.Message.id)
                )
            )
        assert statuses == ["unconfirmed", "sent"]


async def test_a_colleagues_reply_that_never_reaches_the_tenant_never_looks_sent(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, REPAIR))
    (case,) = await Casebook(bot.store).all_cases()
    assert case.staff_topic_id is not None
    bot.tg.blocked_users.add(ann.id)  # the tenant blocked the bot
    priya = bot.tg.user(9001, "Priya")
    await bot.send(
        bot.tg.topic_message(
            bot.staff_room, case.staff_topic_id, priya, "/reply We'll come on Monday"
        )
    )
    told = bot.replies_to(bot.staff_room.id, case.staff_topic_id)
    assert any("Priya, your last reply did not reach the tenant" in text for text in told)
    timeline = await Casebook(bot.store).timeline(case.id)
    undelivered = [entry for entry in timeline if entry.kind == "undelivered"]
    assert len(undelivered) == 1 and undelivered[0].detail["by"] == "Priya"
    async with bot.store.sessions() as session:
        reply = await session.scalar(
            select(models.Message).where(
                models.Message.text.contains("Monday"), models.Message.direction == "out"
            )
        )
    assert reply is not None and reply.status == "undelivered"


@pytest.mark.parametrize("hours", [0.001])
async def test_a_reply_still_failing_when_its_time_is_up_is_reported_not_dropped(
    store: Store, understanding: Any, hours: float
) -> None:
    async with running_bot(store, understanding, send_policy=QUICK, deliver_hours=hours) as bot:
        ann = tenant(bot.tg)
        bot.tg.faults.outage(status=502, seconds=8, match=lambda p: p.get("chat_id") == ann.id)
        await bot.send(bot.tg.private_message(ann, REPAIR))
        await bot.settle(timeout=30)
        assert bot.replies_to(ann.id) == []
        (case,) = await Casebook(store).all_cases()
        timeline = await Casebook(store).timeline(case.id)
        assert [e.kind for e in timeline if e.kind == "undelivered"] == ["undelivered"]
        assert (await outbox_statuses(store))["undelivered"] == 1
