"""A tenant on Telegram: the bot end to end through the fake Bot API, on SQLite and
PostgreSQL."""

from __future__ import annotations

import asyncio
import logging

import aiohttp
import pytest
from sqlalchemy import select

from helpbot.log_privacy import hold_payload_loggers
from helpbot.postroom.inbox import Inbox
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.testing.fake_telegram import FakeTelegram
from helpbot.testing.harness import SECRET, BotUnderTest, running_bot, tenant


async def test_a_tenant_who_says_start_is_welcomed_by_an_automated_assistant(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.command(ann, ann, "start"))
    (welcome,) = bot.replies_to(ann.id)
    assert "automated assistant" in welcome
    assert "person" in welcome  # a person can take over
    assert "999" in welcome


async def test_a_question_is_answered_from_the_knowledge_base(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "what's your phone number?"))
    (answer,) = bot.replies_to(ann.id)
    assert "01278 444344" in answer


async def test_a_gas_smell_is_answered_with_emergency_advice_first(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "I can smell gas in the kitchen, what do I do"))
    first_call = bot.tg.calls_to("sendMessage")[0]
    assert first_call.params["chat_id"] == ann.id
    assert "0800 111 999" in first_call.params["text"]
    assert "999" in first_call.params["text"]
    # The team is alerted in the staff room too.
    staff_posts = bot.tg.sent_messages(bot.staff_room.id)
    assert any("URGENT" in m["text"] for m in staff_posts)


async def test_a_sticker_gets_a_polite_answer_asking_for_words(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "hello"))
    bot.tg.clear_calls()
    await bot.send(bot.tg.sticker(ann, ann))
    (answer,) = bot.replies_to(ann.id)
    assert "sticker" in answer.lower()
    assert "words" in answer


async def test_the_same_update_delivered_twice_is_answered_once(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    update = bot.tg.private_message(ann, "hello")
    assert await bot.send(update) == 200
    assert await bot.tg.deliver_again(update) == 200
    await bot.settle()
    assert len(bot.replies_to(ann.id)) == 1
    async with bot.store.sessions() as session:
        inbound = (
            await session.scalars(select(models.Message).where(models.Message.direction == "in"))
        ).all()
    assert len(inbound) == 1


async def test_a_webhook_call_with_the_wrong_secret_is_refused(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    status = await bot.send(bot.tg.private_message(ann, "hello"), secret_override="guess")
    assert status == 403
    assert bot.replies_to(ann.id) == []
    assert await bot.postroom.inbox.counts() == {
        "pending": (0, None),
        "parked": (0, None),
        "done": (0, None),
    }
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{bot.web_url}/telegram/webhook", json={"update_id": 1}) as r:
            assert r.status == 403


async def test_a_rate_limit_from_telegram_is_waited_out_and_the_reply_still_arrives(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    bot.tg.fail_next("sendMessage", status=429, retry_after=1)
    await bot.send(bot.tg.private_message(ann, "hello"))
    attempts = bot.tg.calls_to("sendMessage")
    assert [call.failed_with for call in attempts] == [429, None]
    assert len(bot.replies_to(ann.id)) == 1
    history = await bot.store.count_messages("out")
    assert history == 1


async def test_a_server_error_from_telegram_is_retried(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    bot.tg.fail_next("sendMessage", status=502)
    await bot.send(bot.tg.private_message(ann, "hi there"))
    assert len(bot.replies_to(ann.id)) == 1


async def test_a_malformed_update_is_kept_and_does_not_stop_the_bot(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    status = await bot.send(
        bot.tg.raw_update({"update_id": 777001, "message": {"text": 5, "chat": "nope"}})
    )
    assert status == 200
    async with bot.store.sessions() as session:
        stored = await session.scalar(
            select(models.InboxEvent).where(models.InboxEvent.event_key == "777001")
        )
    assert stored is not None and (stored.status, stored.outcome) == ("done", "malformed")
    await bot.send(bot.tg.private_message(ann, "hello"))
    assert len(bot.replies_to(ann.id)) == 1


async def test_something_that_is_not_an_update_is_rejected_at_the_door(bot: BotUnderTest) -> None:
    headers = {"X-Telegram-Bot-Api-Secret-Token": SECRET}
    async with aiohttp.ClientSession() as session:
        url = f"{bot.web_url}/telegram/webhook"
        async with session.post(url, data=b"{not json", headers=headers) as response:
            assert response.status == 400
        async with session.post(url, json=["a", "list"], headers=headers) as response:
            assert response.status == 400


async def test_an_unknown_command_gets_a_pointer_to_help(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.command(ann, ann, "frobnicate"))
    (answer,) = bot.replies_to(ann.id)
    assert "/frobnicate" in answer and "/help" in answer


async def test_a_tenant_sending_a_staff_command_is_refused_and_it_is_recorded(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.command(ann, ann, "claim"))
    (answer,) = bot.replies_to(ann.id)
    assert "staff command" in answer
    trail = await bot.store.audit_trail("refused_staff_command")
    assert [(e.actor, e.subject) for e in trail] == [(f"telegram:{ann.id}", "claim")]


async def test_an_edited_message_is_acknowledged_without_repeating_the_answer(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    original = bot.tg.private_message(ann, "hello")
    await bot.send(original)
    await bot.send(bot.tg.edited_message(original, "hello again"))
    answers = bot.replies_to(ann.id)
    assert len(answers) == 2
    assert "edited" in answers[1]


async def test_a_danger_added_by_editing_a_photos_caption_gets_the_emergency_advice(
    bot: BotUnderTest,
) -> None:
    """A photo captioned "the window in the kitchen is cracked", then the caption edited
    to add a gas smell: it was told to send that again as a new message."""
    ann = tenant(bot.tg)
    photo = bot.tg.photo(ann, ann, caption="the window in the kitchen is cracked")
    await bot.send(photo)
    await bot.send(
        bot.tg.edited_message(
            photo, "the window in the kitchen is cracked and I can smell gas by the cooker"
        )
    )
    answer = bot.replies_to(ann.id)[-1]
    assert "0800 111 999" in answer and "edited" not in answer
    await bot.settle()
    urgent = [c for c in await Casebook(bot.store).all_cases() if c.kind == "emergency"]
    assert len(urgent) == 1
    assert any(urgent[0].ref in m.get("text", "") for m in bot.tg.sent_messages(bot.staff_room.id))


async def test_a_danger_added_to_a_caption_while_a_question_waits_is_not_its_answer(
    bot: BotUnderTest,
) -> None:
    """The bot had asked when it could come; the caption edited to add smoke from a
    socket was filed as that answer, with no emergency case (outside review)."""
    ann = tenant(bot.tg)
    photo = bot.tg.photo(ann, ann, caption="the bathroom tiles are cracked")
    await bot.send(photo)
    assert "When can we come" in "\n".join(bot.replies_to(ann.id))
    before = len(bot.replies_to(ann.id))
    await bot.send(
        bot.tg.edited_message(
            photo,
            "the bathroom tiles are cracked and now there is smoke coming out of the "
            "extractor fan socket",
        )
    )
    assert any("call 999" in r for r in bot.replies_to(ann.id)[before:])
    urgent = [c for c in await Casebook(bot.store).all_cases() if c.urgent]
    assert len(urgent) == 1


async def test_more_of_an_emergency_is_never_filed_as_when_we_can_come(bot: BotUnderTest) -> None:
    """Asked during an emergency whether someone is home, "the smoke is getting worse in
    the hallway" was filed as the answer: 'Access: the smoke is getting worse...'."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "there's smoke coming from the flat downstairs"))
    await bot.send(bot.tg.private_message(ann, "the smoke is getting worse in the hallway"))
    (case,) = [c for c in await Casebook(bot.store).all_cases() if c.urgent]
    topic = [
        m.get("text", "")
        for m in bot.tg.sent_messages(bot.staff_room.id, thread_id=case.staff_topic_id)
    ]
    assert not any("Access: the smoke" in t for t in topic)
    assert any("getting worse" in t for t in topic)  # colleagues still see it


async def test_a_very_long_message_is_kept_whole_and_every_reply_fits_telegram(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    long_text = "My kitchen tap has been dripping for a week. " * 90
    assert len(long_text) > 4000
    sent = long_text[:4096].strip()
    await bot.send(bot.tg.private_message(ann, sent))
    answers = bot.replies_to(ann.id)
    assert answers and all(len(a) <= 4096 for a in answers)
    async with bot.store.sessions() as session:
        kept = await session.scalar(
            select(models.Message.text).where(models.Message.direction == "in")
        )
    assert kept == sent


async def test_messages_from_one_tenant_are_answered_in_order(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    bob = tenant(bot.tg, 5002, "Bob")
    # Ann's first reply is slow; her second must still come after it, while Bob's
    # conversation is not held up behind hers.
    bot.tg.delay_next("sendMessage", 0.5, match=lambda p: p.get("chat_id") == ann.id)
    updates = [
        bot.tg.private_message(ann, "hello"),
        bot.tg.private_message(ann, "what's your email address?"),
        bot.tg.private_message(bob, "what's your phone number?"),
    ]
    await asyncio.gather(*(bot.tg.deliver(u) for u in updates))
    await bot.settle()
    ann_answers = bot.replies_to(ann.id)
    assert len(ann_answers) == 2
    assert "information@shal.org" in ann_answers[1]
    sent_order = [c.params["chat_id"] for c in bot.tg.calls_to("sendMessage") if c.ok]
    assert sent_order.index(bob.id) < sent_order.index(ann.id)


async def test_polling_mode_answers_as_the_webhook_does(store, understanding) -> None:  # type: ignore[no-untyped-def]
    async with running_bot(store, understanding, polling=True) as polled:
        assert polled.tg.webhook is None
        ann = tenant(polled.tg)
        await polled.tg.deliver(polled.tg.command(ann, ann, "start"))
        await polled.tg.wait_for_sent(ann.id, timeout=10)
        await polled.tg.wait_until_confirmed()
        await polled.settle()
        assert "automated assistant" in polled.replies_to(ann.id)[0]


async def test_the_log_never_contains_what_tenants_wrote(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    hold_payload_loggers()  # as `helpbot serve` does, even at DEBUG
    caplog.set_level(logging.DEBUG)
    ann = tenant(bot.tg)
    secrets = ["07700 900123", "TA6 4SY", "ann.jones@example.com", "Jones"]
    await bot.send(
        bot.tg.private_message(
            ann, "I'm Ann Jones at TA6 4SY, call 07700 900123 or ann.jones@example.com"
        )
    )
    await bot.send(bot.tg.group_message(bot.community, ann, "my rent is wrong, ring 07700 900123"))
    # Everything the bot and its libraries logged; the fake Telegram's own call log is
    # Telegram's side of the wire and is left out.
    logged = "\n".join(
        record.getMessage()
        for record in caplog.records
        if not record.name.startswith("helpbot.testing")
    )
    assert "inbound" in logged  # the bot does log, just not the text
    for secret in secrets:
        assert secret not in logged


async def test_an_update_stored_but_not_answered_before_a_restart_is_answered_after_it(
    store,
    understanding,  # type: ignore[no-untyped-def]
) -> None:
    # The bot stored the update (so Telegram got its 200) and then stopped before
    # answering. On the next start it must not be lost.
    async with running_bot(store, understanding) as first_run:
        ann = tenant(first_run.tg)
        pending = first_run.tg.private_message(ann, "hello")
    await Inbox(store).accept("telegram", str(pending["update_id"]), "telegram:ann", pending)

    def ann_is_known(tg: FakeTelegram) -> None:
        tg.private_chat(tenant(tg))
        tg.start_user(tenant(tg))

    async with running_bot(store, understanding, before_start=ann_is_known) as second_run:
        await second_run.settle()
        (answer,) = second_run.replies_to(ann.id)
        assert "help" in answer.lower()
    assert not await Inbox(store).has_pending()


async def test_a_flooded_private_chat_is_kept_but_not_answered_one_by_one(
    bot: BotUnderTest,
) -> None:
    """Forty messages in a few seconds (a paste loop): each was read, answered and
    could open a case and a staff topic. Past twenty a minute they are kept on the
    matter in hand with one request to slow down; a gas smell still gets its advice."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "the front door lock is broken"))
    for n in range(39):
        await bot.send(bot.tg.private_message(ann, f"the front door lock is broken ({n})"))
    answers = bot.replies_to(ann.id)
    slow = [a for a in answers if "faster than I can read" in a]
    assert len(slow) == 1
    assert len(answers) <= 22  # twenty answered (some with two messages), one notice
    await bot.send(bot.tg.private_message(ann, "I can smell gas in the kitchen now"))
    assert "0800 111 999" in bot.replies_to(ann.id)[-1]
    cases = await Casebook(bot.store).all_cases()
    repair = next(c for c in cases if c.kind == "repair")
    kept = [e for e in await Casebook(bot.store).timeline(repair.id) if "(38)" in (e.text or "")]
    assert kept, "the held-back messages are kept on the matter in hand"
    assert len([c for c in cases if c.kind != "emergency"]) == 1


async def test_a_flood_arriving_all_at_once_still_answers_the_first_twenty(
    bot: BotUnderTest,
) -> None:
    """Delivered together, a flood is stored before any of it is handled; each message
    is counted with only those that came before it, so the first twenty are answered."""
    bob = tenant(bot.tg, 5002, "Bob")
    updates = [bot.tg.private_message(bob, f"the bin store light is out ({n})") for n in range(30)]
    await asyncio.gather(*(bot.tg.deliver(update) for update in updates))
    await bot.settle()
    answers = bot.replies_to(bob.id)
    assert len([a for a in answers if "faster than I can read" in a]) == 1
    assert any("(19)" not in a and "SHAL-" in a for a in answers)
    assert len(answers) >= 21
