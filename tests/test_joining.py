"""Joining the tenants' community group (policy 3.5, 3.6, 3.11): questions and rules in a
private chat straight after the request, a colleague's check against the tenancy
register, and kind, quick declines that say why. SQLite and PostgreSQL, fake Bot API."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from helpbot.desk.joining.register_matching import match_register
from helpbot.desk.records import Tenancy
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.membership import Membership
from helpbot.store.tenancy_register import TenancyRegister
from helpbot.testing.fake_telegram_objects import FakeUser
from helpbot.testing.harness import BotUnderTest, running_bot, tenant
from tests.batches import one_batch_counting

REGISTER = """tenancy_ref,postcode,tenants,occupants,start_date,end_date
SH-000123,TA6 4SY,Ann Smith,Jo Smith,2019-04-01,
SH-000456,TA6 5AB,Bob Jones,,2015-01-12,2024-06-30
"""


def buttons(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


def button(message: dict, label_part: str) -> dict:
    return next(b for b in buttons(message) if label_part in b["text"])


async def say(bot: BotUnderTest, user: FakeUser, text: str) -> str:
    await bot.send(bot.tg.private_message(user, text))
    return bot.replies_to(user.id)[-1]


async def answer_everything(bot: BotUnderTest, user: FakeUser, name: str, ref: str, pc: str):  # type: ignore[no-untyped-def]
    await bot.send(bot.tg.join_request(bot.community, user))
    await say(bot, user, name)
    await say(bot, user, ref)
    await say(bot, user, pc)
    return bot.tg.sent_messages(user.id)[-1]


def review_message(bot: BotUnderTest, request_id: int) -> dict:
    return next(
        m
        for m in bot.tg.sent_messages(bot.staff_room.id)
        if m["text"].startswith(f"🙋 Join request #{request_id} ")
    )


async def only_request(bot: BotUnderTest) -> models.JoinRequest:
    (request,) = await Membership(bot.store).requests()
    return request


async def test_a_tenant_who_answers_and_accepts_the_rules_is_approved_by_a_colleague(
    bot: BotUnderTest,
) -> None:
    await TenancyRegister(bot.store).import_text(REGISTER)
    ann = tenant(bot.tg)
    await bot.send(bot.tg.join_request(bot.community, ann))
    # The conversation starts at once, in private (the bot may write for 5 minutes).
    (first,) = bot.replies_to(ann.id)
    assert "SHAL tenants' community" in first
    assert "Question 1 of 3" in first and "full name" in first

    assert "Question 2 of 3" in await say(bot, ann, "Ann Smith")
    assert "Question 3 of 3" in await say(bot, ann, "sh-000123")
    await say(bot, ann, "ta6 4sy")
    rules = bot.tg.sent_messages(ann.id)[-1]
    assert "Guidelines (Appendix 1)" in rules["text"] and "Rules (Appendix 2)" in rules["text"]
    assert [b["text"] for b in buttons(rules)] == ["✅ I have read and accept", "I don't accept"]
    # Nothing has gone to colleagues before the rules are accepted.
    assert not any("Join request" in t for t in bot.replies_to(bot.staff_room.id))

    await bot.send(bot.tg.callback(ann, rules, button(rules, "accept")["callback_data"]))
    assert "A colleague will now check" in bot.replies_to(ann.id)[-1]
    request = await only_request(bot)
    assert request.status == "review" and request.rules_version == "1.0"
    review = review_message(bot, request.id)
    topic = bot.tg.topics[bot.staff_room.id][review["message_thread_id"]]
    assert topic["name"] == "Join requests"
    assert "Full name: Ann Smith" in review["text"]
    assert "Tenancy reference: SH-000123" in review["text"]
    assert "Postcode: TA6 4SY" in review["text"]
    assert "Register: EXACT" in review["text"]

    priya = bot.tg.user(9001, "Priya")
    await bot.send(bot.tg.callback(priya, review, button(review, "Approve")["callback_data"]))
    (approve,) = bot.tg.calls_to("approveChatJoinRequest")
    assert approve.params == {"chat_id": bot.community.id, "user_id": ann.id}
    assert bot.tg.join_request_status(bot.community.id, ann.id) == "approved"
    assert "Welcome to “SHAL tenants' community”" in bot.replies_to(ann.id)[-1]
    assert "approved by Priya" in bot.replies_to(bot.staff_room.id)[-1]

    decided = await only_request(bot)
    assert decided.status == "approved" and decided.decision == "approved"
    assert decided.decided_by_name == "Priya" and decided.decided_at is not None
    (member,) = await Membership(bot.store).members()
    assert member.status == "member" and member.rules_version == "1.0"
    assert member.rules_accepted_at is not None and member.joined_at is not None
    assert [e.action for e in await bot.store.audit_trail("join_approved")] == ["join_approved"]

    # A second colleague pressing too changes nothing.
    tom = bot.tg.user(9002, "Tom")
    press = bot.tg.callback(tom, review, button(review, "Decline")["callback_data"])
    await bot.send(press)
    query_id = press["callback_query"]["id"]
    assert bot.tg.callback_answers[query_id]["text"] == "Already decided by Priya."
    assert bot.tg.calls_to("declineChatJoinRequest") == []


async def test_someone_not_on_the_register_is_declined_by_a_colleague_and_told_kindly(
    bot: BotUnderTest,
) -> None:
    await TenancyRegister(bot.store).import_text(REGISTER)
    bob = tenant(bot.tg, 5002, "Bob")
    # The reference belongs to a tenancy that ended: no match.
    rules = await answer_everything(bot, bob, "Bob Jones", "SH-000456", "TA6 5AB")
    await bot.send(bot.tg.callback(bob, rules, button(rules, "accept")["callback_data"]))
    request = await only_request(bot)
    review = review_message(bot, request.id)
    assert "Register: NONE" in review["text"]

    priya = bot.tg.user(9001, "Priya")
    await bot.send(bot.tg.callback(priya, review, button(review, "Decline")["callback_data"]))
    assert bot.tg.join_request_status(bot.community.id, bob.id) == "declined"
    told = bot.replies_to(bob.id)[-1]
    assert "couldn't check that you live in a SHAL home" in told and "3.6" not in told
    decided = await only_request(bot)
    assert (decided.status, decided.decision, decided.decided_by_name) == (
        "declined",
        "3.6.1",
        "Priya",
    )
    assert await Membership(bot.store).members() == []

    # A second applicant's request goes to the same, remembered topic.
    cat = tenant(bot.tg, 5003, "Cat")
    rules = await answer_everything(bot, cat, "Cat Brown", "SH-000999", "TA6 4SY")
    await bot.send(bot.tg.callback(cat, rules, button(rules, "accept")["callback_data"]))
    made = [c for c in bot.tg.calls_to("createForumTopic") if c.params["name"] == "Join requests"]
    assert len(made) == 1
    second = review_message(bot, request.id + 1)
    assert second["message_thread_id"] == review["message_thread_id"]
    assert "Register: NEAR" in second["text"]  # right postcode, unknown reference


async def test_unusable_answers_are_declined_at_once_saying_why(bot: BotUnderTest) -> None:
    dan = tenant(bot.tg, 5004, "Dan")
    await bot.send(bot.tg.join_request(bot.community, dan))
    retry = await say(bot, dan, "no")
    assert "couldn't quite use that answer" in retry and "full name" in retry
    told = await say(bot, dan, "skip")
    assert "welcome to ask to join again" in told and "3.6" not in told
    assert bot.tg.join_request_status(bot.community.id, dan.id) == "declined"
    request = await only_request(bot)
    assert (request.status, request.decision) == ("declined", "3.6.2")
    # Colleagues see it too, and later messages are ordinary private messages again.
    assert any("declined automatically" in t for t in bot.replies_to(bot.staff_room.id))
    assert "01278 444344" in await say(bot, dan, "what's your phone number?")


async def test_not_accepting_the_rules_is_declined_at_once(bot: BotUnderTest) -> None:
    eve = tenant(bot.tg, 5005, "Eve")
    rules = await answer_everything(bot, eve, "Eve Green", "SH-000777", "TA6 4SY")
    await bot.send(bot.tg.callback(eve, rules, button(rules, "don't")["callback_data"]))
    told = bot.replies_to(eve.id)[-1]
    assert "change your mind" in told and "3.6" not in told
    assert bot.tg.join_request_status(bot.community.id, eve.id) == "declined"
    request = await only_request(bot)
    assert (request.status, request.decision, request.rules_version) == (
        "declined",
        "3.6.3",
        None,
    )
    assert not any("🙋 Join request" in t for t in bot.replies_to(bot.staff_room.id))


async def test_no_answer_in_time_is_declined_by_the_sweep(bot: BotUnderTest) -> None:
    fay = tenant(bot.tg, 5006, "Fay")
    await bot.send(bot.tg.join_request(bot.community, fay))
    await say(bot, fay, "Fay Hill")
    asked = datetime.now(UTC)
    await bot.sweep(asked + timedelta(minutes=30))
    assert bot.tg.join_request_status(bot.community.id, fay.id) == "pending"
    await bot.sweep(asked + timedelta(minutes=61))
    assert bot.tg.join_request_status(bot.community.id, fay.id) == "declined"
    told = bot.replies_to(fay.id)[-1]
    assert "didn't hear back from you in time" in told
    request = await only_request(bot)
    assert (request.status, request.decision) == ("declined", "timeout")
    # Sweeping again does nothing more.
    before = len(bot.tg.calls_to("declineChatJoinRequest"))
    await bot.sweep(asked + timedelta(minutes=90))
    assert len(bot.tg.calls_to("declineChatJoinRequest")) == before == 1


async def test_an_emergency_in_the_middle_of_joining_still_gets_help(bot: BotUnderTest) -> None:
    gus = tenant(bot.tg, 5007, "Gus")
    await bot.send(bot.tg.join_request(bot.community, gus))
    help_text = await say(bot, gus, "I can smell gas in the hallway")
    assert "0800 111 999" in help_text
    request = await only_request(bot)
    assert request.status == "asking" and request.step == 0
    # The join conversation carries on where it was.
    assert "Question 2 of 3" in await say(bot, gus, "Gus Reed")


async def test_talking_through_an_emergency_while_joining_does_not_decline_the_applicant(
    bot: BotUnderTest,
) -> None:
    """The bot asked about the emergency ("Is someone at home now?"); the applicant's
    answers to that are more of the emergency, not wrong answers to the joining
    question, and the time to answer starts again after it."""
    gus = tenant(bot.tg, 5007, "Gus")
    await bot.send(bot.tg.join_request(bot.community, gus))
    await say(bot, gus, "I can smell gas in the hallway")
    (case,) = await Casebook(bot.store).all_cases()
    for follow_up in (
        "ok I've opened the windows, do I call someone?",
        "I can still smell gas in the hallway, it's getting stronger",  # urgent again
        "the engineer is coming at 6",
        "they say it's safe now, can I go back in?",
    ):
        await asyncio.sleep(1.1)  # Telegram's dates are whole seconds: let time move on
        told = await say(bot, gus, follow_up)
        assert "couldn't quite use that answer" not in told and "join again" not in told
    assert bot.tg.join_request_status(bot.community.id, gus.id) == "pending"
    request = await only_request(bot)
    assert (request.status, request.step, request.attempts) == ("asking", 0, 0)
    assert len(await Casebook(bot.store).all_cases()) == 1
    history = [e.text for e in await Casebook(bot.store).timeline(case.id) if e.text]
    assert any("engineer is coming" in t for t in history)
    # An hour after the join request, but not after the emergency: still waiting.
    await bot.sweep(datetime.now(UTC) + timedelta(minutes=50))
    assert bot.tg.join_request_status(bot.community.id, gus.id) == "pending"
    # A usable answer carries the joining on.
    assert "Question 2 of 3" in await say(bot, gus, "Gus Reed")


async def test_only_staff_can_approve_and_the_attempt_is_recorded(
    store,
    understanding,  # type: ignore[no-untyped-def]
) -> None:
    async with running_bot(store, understanding, staff_user_ids=(9001,)) as bot:
        ann = tenant(bot.tg)
        rules = await answer_everything(bot, ann, "Ann Smith", "SH-000123", "TA6 4SY")
        await bot.send(bot.tg.callback(ann, rules, button(rules, "accept")["callback_data"]))
        request = await only_request(bot)
        review = review_message(bot, request.id)
        visitor = bot.tg.user(8888, "Visitor")
        press = bot.tg.callback(visitor, review, button(review, "Approve")["callback_data"])
        await bot.send(press)
        answer = bot.tg.callback_answers[press["callback_query"]["id"]]
        assert "Only colleagues" in answer["text"]
        assert bot.tg.calls_to("approveChatJoinRequest") == []
        assert (await only_request(bot)).status == "review"
        (refused,) = await bot.store.audit_trail("refused_staff_button")
        assert refused.actor == "telegram:8888"


def test_the_register_check_tells_exact_near_and_none_apart() -> None:
    today = date(2026, 11, 24)
    current = Tenancy(
        reference="SH-000123",
        postcode="TA6 4SY",
        tenant_names=("Ann Smith",),
        occupant_names=("Jo Smith",),
        start_date=date(2019, 4, 1),
        end_date=None,
    )
    ended = Tenancy(
        reference="SH-000456",
        postcode="TA6 5AB",
        tenant_names=("Bob Jones",),
        occupant_names=(),
        start_date=date(2015, 1, 12),
        end_date=date(2024, 6, 30),
    )
    register = [current, ended]

    def level(reference: str, postcode: str, name: str) -> str:
        found = match_register(
            register, reference=reference, postcode=postcode, name=name, today=today
        )
        return found.level

    assert level("SH-000123", "TA6 4SY", "Ann Smith") == "exact"
    assert level("SH-000123", "TA6 4SY", "jo smith") == "exact"  # a confirmed occupant
    assert level("SH-000123", "TA6 4SY", "Zed Zed") == "near"  # name not on it
    assert level("SH-000132", "TA6 4SY", "Ann Smith") == "near"  # a typo in the reference
    assert level("SH-999999", "TA6 4SY", "Ann Smith") == "near"  # postcode only
    assert level("SH-000456", "TA6 5AB", "Bob Jones") == "none"  # tenancy ended
    assert level("SH-999999", "BS1 1AA", "Ann Smith") == "none"


async def test_applicants_answering_at_the_same_moment_are_each_asked_their_own_next_question(
    bot: BotUnderTest,
) -> None:
    """Dan asks for the phone number and Ann and Bob answer their first joining question
    at the same moment, so one worker handles all three in one transaction (their join
    requests read ahead in one look-up, locked on PostgreSQL). Each gets what they would
    alone."""
    ann, bob, dan = tenant(bot.tg), tenant(bot.tg, 5002, "Bob"), tenant(bot.tg, 5004, "Dan")
    for applicant in (ann, bob):
        await bot.send(bot.tg.join_request(bot.community, applicant))
    room = bot.postroom
    await room.worker.stop(5)
    await bot.tg.deliver(bot.tg.private_message(dan, "what's your phone number?"))
    await bot.tg.deliver(bot.tg.private_message(ann, "Ann Smith"))
    await bot.tg.deliver(bot.tg.private_message(bob, "Bob Jones"))
    looked_up = await one_batch_counting(
        bot, lambda sql: sql.startswith("SELECT") and "FROM join_requests" in sql
    )
    await bot.settle()

    assert "Question 2 of 3" in bot.replies_to(ann.id)[-1]
    assert "Question 2 of 3" in bot.replies_to(bob.id)[-1]
    assert "01278 444344" in bot.replies_to(dan.id)[-1]
    requests = {r.person_id: r for r in await Membership(bot.store).requests()}
    assert sorted(r.step for r in requests.values()) == [1, 1]
    # The batch's requests are read once; Dan's and Ann's come from that read, and Ann's
    # answer (a write) sends Bob's back to the table.
    assert len(looked_up) == 2


async def test_erasing_an_applicant_takes_their_answers_out_of_the_staff_group(
    bot: BotUnderTest,
) -> None:
    """The "Join requests" post holds the applicant's name, tenancy number and postcode;
    erasure left it there, and left the request for a colleague to approve (outside
    review). A colleague's note on the applicant's case goes from our copies too."""
    from helpbot.store.casebook import Casebook
    from helpbot.store.privacy import Privacy

    ann = tenant(bot.tg)
    rules = await answer_everything(bot, ann, "Ann Smith", "SH-000123", "TA6 4SY")
    await bot.send(bot.tg.callback(ann, rules, button(rules, "accept")["callback_data"]))
    request = await only_request(bot)
    review = review_message(bot, request.id)
    await bot.send(bot.tg.private_message(ann, "the extractor fan in my bathroom is broken"))
    (case,) = await Casebook(bot.store).all_cases()
    assert case.staff_topic_id is not None
    priya = bot.tg.user(9001, "Priya")
    note = "her husband is 70 with asthma, flat 3 Acacia Road"
    await bot.send(bot.tg.topic_message(bot.staff_room, case.staff_topic_id, priya, note))

    assert await Privacy(bot.store).erase(request.person_id, actor="test") is not None
    await bot.settle()
    assert bot.tg.message(bot.staff_room.id, review["message_id"]) is None
    assert (await only_request(bot)).status == "withdrawn"
    async with bot.store.sessions() as session:
        kept = await session.scalars(
            select(models.Message.id).where(models.Message.text.contains("Acacia"))
        )
        assert list(kept) == []
