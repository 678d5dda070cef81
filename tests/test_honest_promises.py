"""Honest promises (issue 12): the bot says only what will really happen given the
settings. With no staff room (the default `make run`) nobody is alerted and nobody can
reply in the chat, so no reply says so; the tenant is told to call instead. Start-up
warns once, and /healthz says so. Through the fake Bot API and the web chat, on SQLite
and PostgreSQL."""

from __future__ import annotations

import logging
from typing import Any

import aiohttp
import pytest

from helpbot.serve import NO_STAFF_ROOM
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store
from helpbot.testing.harness import BotUnderTest, running_bot, running_web_chat, tenant

# Every urgent kind of message: an emergency of each sort, a safeguarding concern of
# each kind, a sign of risk the classifier did not call urgent, and an urgent caption.
URGENT = (
    "I smell gas in the kitchen",
    "water pouring through the ceiling onto the light in the hall",
    "there's smoke coming out of the socket in the bedroom",
    "The kids next door are left alone all night again, the youngest is about 4",
    "I can't go on any more, I've been thinking about ending my life",
    "My partner hit me again last night and I'm scared to go home",
    "I'm worried about the old lady downstairs, I haven't seen her for a week",
    "my neighbour threatened to stab me",
    "probably nothing but there is a funny eggy smell near the cooker sometimes",
)
# The other matters a tenant brings, which promise a colleague's reply with a staff room.
OTHERS = (
    "I want to make a complaint, nobody came to fix my boiler after three visits",
    "my neighbour plays loud music every night until 3am",
    "I'm behind on my rent and need to talk about a payment plan",
    "the window in my bedroom won't close",
    "can I speak to a real person please",
)
# What only a staff room makes true.
PROMISES = (
    "alerted",
    "told our team",
    "will reply",
    "will be in touch",
    "will look",
    "will also look",
    "can see your account",
    "pick this up",
)


def promised(text: str) -> list[str]:
    return [p for p in PROMISES if p in text.lower()]


@pytest.fixture
async def no_staff_room(store: Store, understanding: Any):  # type: ignore[no-untyped-def]
    """Telegram with no staff group: tenants write in, nobody is told."""
    async with running_bot(store, understanding, staff_group_id=None) as running:
        yield running


async def test_without_a_staff_room_no_reply_promises_anyone_was_told(
    no_staff_room: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    bot = no_staff_room
    for number, text in enumerate(URGENT + OTHERS):
        # A new tenant each time, so each message is a first matter with its full reply.
        who = tenant(bot.tg, 6000 + number, f"Tenant{number}")
        await bot.send(bot.tg.private_message(who, text))
        told = bot.replies_to(who.id)
        assert told, text
        for reply in told:
            assert promised(reply) == [], (text, reply)
    # The urgent ones say what to do instead: call now.
    for number, text in enumerate(URGENT[:-1]):
        told = "\n".join(bot.replies_to(6000 + number))
        assert "Please call us now on 01278 444344" in told, text
    # Asking for a person with the button is honest too.
    ann = tenant(bot.tg, 7000, "Ann")
    await bot.send(bot.tg.private_message(ann, "asdfghjkl qwerty"))
    offer = bot.tg.sent_messages(ann.id)[-1]
    await bot.send(bot.tg.callback(ann, offer, "human"))
    asked = bot.replies_to(ann.id)[-1]
    assert promised(asked) == [] and "can't reply in this chat" in asked
    # The cases are kept (the staff console lists them); nothing went to a staff room.
    assert len(await Casebook(bot.store).all_cases()) >= len(URGENT + OTHERS) - 1
    assert bot.tg.calls_to("createForumTopic") == []


async def test_without_a_staff_room_group_posts_and_their_private_links_promise_nothing(
    no_staff_room: BotUnderTest,
) -> None:
    bot = no_staff_room
    for number, text in enumerate(URGENT + OTHERS):
        who = tenant(bot.tg, 6000 + number, f"Tenant{number}")
        await bot.send(bot.tg.group_message(bot.community, who, text))
    public = bot.replies_to(bot.community.id)
    assert any("999" in reply for reply in public)
    for reply in public:
        assert promised(reply) == [], reply
    # Carried on in private through the group's link: still nothing promised.
    book = Casebook(bot.store)
    opened = await book.all_cases()
    assert {c.kind for c in opened} >= {"emergency", "safeguarding", "complaint"}
    for case in opened:
        person = await book.person(case.tenant_id)
        assert person is not None and case.link_token is not None
        who = bot.tg.user(int(person.external_id), person.first_name)
        await bot.send(bot.tg.command(who, who, "start", case.link_token))
        for reply in bot.replies_to(who.id):
            assert promised(reply) == [], reply
        if case.urgent:
            assert "Please call us now on 01278 444344" in bot.replies_to(who.id)[-1]


async def test_a_follow_up_without_a_staff_room_promises_nothing_either(
    no_staff_room: BotUnderTest,
) -> None:
    bot = no_staff_room
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "I smell gas in the kitchen"))
    await bot.send(bot.tg.private_message(ann, "it's getting stronger, I smell gas everywhere"))
    (case,) = await Casebook(bot.store).all_cases()
    follow_up = bot.replies_to(ann.id)[-1]
    assert case.ref in follow_up and "0800 111 999" in follow_up
    assert promised(follow_up) == []


async def test_start_up_warns_once_and_healthz_says_there_is_no_staff_room(
    store: Store, understanding: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="helpbot.serve"):
        async with running_web_chat(store, understanding) as (url, _parts):
            async with aiohttp.ClientSession() as session:
                async with session.get(f"{url}/healthz") as answer:
                    health = await answer.json()
    warned = [r for r in caplog.records if "no staff room" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelno == logging.WARNING
    assert health["staff_room"] is False
    assert health["warnings"] == [NO_STAFF_ROOM]


async def test_with_a_staff_room_healthz_has_no_warning(bot: BotUnderTest) -> None:
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{bot.web_url}/healthz") as answer:
            health = await answer.json()
    assert health["staff_room"] is True and "warnings" not in health


async def test_with_a_staff_room_the_team_really_is_told(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "I smell gas in the kitchen"))
    told = bot.replies_to(ann.id)[-1]
    assert "I've told our team about this too." in told
    (case,) = await Casebook(bot.store).all_cases()
    assert any(case.ref in t for t in bot.replies_to(bot.staff_room.id))


async def test_the_web_chat_alone_tells_a_visitor_to_call_not_that_anyone_was_told(
    store: Store, understanding: Any
) -> None:
    async with running_web_chat(store, understanding) as (url, _parts):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            await session.get(f"{url}/chat")
            async with session.ws_connect(f"{url}/chat/ws", origin=url) as ws:
                welcome = await ws.receive_json(timeout=10)
                assert promised(welcome["text"]) == []
                await ws.send_json({"type": "message", "text": "I smell gas in the kitchen"})
                reply = await ws.receive_json(timeout=10)
    assert "0800 111 999" in reply["text"] and "call us now" in reply["text"]
    assert promised(reply["text"]) == []


async def test_without_a_staff_room_a_hazard_gets_the_legal_timescale_and_a_call_not_a_visit(
    no_staff_room: BotUnderTest,
) -> None:
    """Awaab's Law's clock runs from when we hear, but with no staff room nobody here
    is told: the tenant is not promised a visit by a date, and is asked to call."""
    bot = no_staff_room
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "There is black mould on the bedroom wall"))
    await bot.send(bot.tg.private_message(ann, "my baby is 4 months old"))
    said = "\n".join(bot.replies_to(ann.id))
    assert "We will come" not in said and "We will treat this" not in said
    assert "please call us" in said and "01278 444344" in said


async def test_without_a_staff_room_a_question_after_a_gas_smell_still_says_call_now(
    no_staff_room: BotUnderTest,
) -> None:
    """Found walking the fake Bot API: "How long will the engineer take to get here?"
    minutes after a gas smell got one line of the advice and "I've added your message to
    your case", but no longer "call us now", though nobody may read the case soon."""
    bot = no_staff_room
    ann = tenant(bot.tg, 7100, "Ann")
    await bot.send(bot.tg.private_message(ann, "I can smell gas in my kitchen"))
    heard = len(bot.replies_to(ann.id))
    await bot.send(bot.tg.private_message(ann, "How long will the engineer take to get here?"))
    told = "\n".join(bot.replies_to(ann.id)[heard:])
    assert "0800 111 999" in told and "Please call us now on 01278 444344" in told
    assert "Turn the gas off at the meter" not in told
    assert promised(told) == []


async def test_opening_hours_are_told_when_the_operator_set_them(
    store: Store, understanding: Any
) -> None:
    """The bot says "we'll reply when the office opens" from HELPBOT_OFFICE_HOURS, so
    asked when the office is open it says so too, and whether it is open now."""
    from datetime import UTC, datetime

    async with running_bot(store, understanding, office_hours="09:00-17:00") as bot:
        ann = tenant(bot.tg)
        bot.tg.clock = lambda: datetime(2026, 12, 1, 10, 30, tzinfo=UTC).timestamp()  # Tue
        await bot.send(bot.tg.private_message(ann, "what are your opening hours"))
        told = bot.replies_to(ann.id)[-1]
        assert "09:00 to 17:00" in told and "open now" in told
        bot.tg.clock = lambda: datetime(2026, 12, 5, 10, 30, tzinfo=UTC).timestamp()  # Sat
        await bot.send(bot.tg.private_message(ann, "is the office open today?"))
        assert "closed now" in bot.replies_to(ann.id)[-1]
        # Not an opening-hours question: not answered with the hours.
        await bot.send(bot.tg.private_message(ann, "how do I pay my rent"))
        assert "09:00" not in bot.replies_to(ann.id)[-1]


async def test_without_office_hours_set_the_bot_does_not_claim_any(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "what are your opening hours"))
    assert "not sure" in bot.replies_to(ann.id)[-1]
