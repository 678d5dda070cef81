"""The web chat's light identity check (issue 12): a web visitor is only a browser, so
before anything about their own account the bot asks for the tenancy number and
postcode, checks them against the register of current tenancies, and keeps the
verified link on the person. Wrong answers are slowed down and never said back or
logged. Through the web chat and the fake Bot API's staff room, SQLite and PostgreSQL."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.tenancy_register import TenancyRegister
from helpbot.testing.harness import BotUnderTest

REGISTER = """tenancy_ref,postcode,tenants,occupants,start_date,end_date
SH-000123,TA6 4SY,Ann Smith,Jo Smith,2019-04-01,
SH-000456,TA6 5AB,Bob Jones,,2015-01-12,2024-06-30
"""
ACCOUNT = "can you tell me how much I owe in rent"
SECRETS = ("SH-000123", "SH000123", "TA6 4SY", "TA64SY", "TA6 5AB")


class Visitor:
    """One browser on the web chat: says something, reads the bot's reply."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.ws = ws

    async def says(self, text: str) -> str:
        await self.ws.send_json({"type": "message", "text": text})
        reply = await self.ws.receive_json(timeout=15)
        assert reply["type"] == "reply", reply
        return str(reply["text"])

    async def saying_all(self, text: str) -> str:
        """Every reply to ``text``, however many messages they come in."""
        said = [await self.says(text)]
        while True:
            try:
                more = await self.ws.receive_json(timeout=2)
            except TimeoutError:
                return "\n".join(said)
            said.append(str(more.get("text", "")))


@asynccontextmanager
async def visitor(bot: BotUnderTest, address: str | None = None) -> AsyncIterator[Visitor]:
    """A browser; with ``address``, one behind the proxy at that address."""
    headers = {"X-Forwarded-For": address} if address else {}
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await session.get(f"{bot.web_url}/chat", headers=headers)
        async with session.ws_connect(
            f"{bot.web_url}/chat/ws", origin=bot.web_url, headers=headers
        ) as ws:
            await ws.receive_json(timeout=15)  # the welcome
            yield Visitor(ws)


async def web_people(bot: BotUnderTest) -> list[models.Person]:
    async with bot.store.sessions() as session:
        rows = await session.scalars(select(models.Person).where(models.Person.channel == "web"))
        return list(rows)


async def staff_topic(bot: BotUnderTest, case: models.Case) -> list[str]:
    await bot.settle()
    fresh = await Casebook(bot.store).by_id(case.id)
    assert fresh is not None and fresh.staff_topic_id is not None
    return bot.replies_to(bot.staff_room.id, fresh.staff_topic_id)


@pytest.fixture
async def register(bot: BotUnderTest) -> BotUnderTest:
    await TenancyRegister(bot.store).import_text(REGISTER)
    return bot


async def test_an_account_question_asks_who_the_visitor_is_first(register: BotUnderTest) -> None:
    bot = register
    async with visitor(bot) as ann:
        asked = await ann.says(ACCOUNT)
    assert "tenancy number and postcode" in asked
    assert "I can still answer general questions" in asked  # what it can do without
    assert "can see your account" not in asked
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind == "personal" and case.ref in asked  # the request is kept
    topic = "\n".join(await staff_topic(bot, case))
    assert ACCOUNT in topic and "Identity: not checked yet" in topic


async def test_the_right_answer_links_the_tenancy_and_the_colleague_can_see_the_account(
    register: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    bot = register
    with caplog.at_level(logging.DEBUG):
        async with visitor(bot) as ann:
            await ann.says(ACCOUNT)
            wrong = await ann.says("SH-000123 TA6 5AB")
            right = await ann.says("my ref is sh-000123 and postcode ta6 4sy")
    assert "don't match our records" in wrong
    assert right == (
        "Thanks, that matches our records. "
        "A colleague who can see your account will reply to you here."
    )
    (person,) = await web_people(bot)
    assert person.tenancy_ref == "SH-000123" and person.tenancy_verified_at is not None
    (case,) = await Casebook(bot.store).all_cases()
    topic = "\n".join(await staff_topic(bot, case))
    assert "Identity checked" in topic
    # The answers are never said back, relayed to the topic, logged or audited.
    for secret in SECRETS:
        assert secret not in wrong and secret not in right
        assert secret.lower() not in topic.lower()
        assert secret.lower() not in caplog.text.lower()
    checks = await bot.store.audit_trail("identity_check")
    assert [c.detail for c in checks] == [{"matched": False}, {"matched": True}]


async def test_a_former_tenancy_does_not_pass(register: BotUnderTest) -> None:
    bot = register
    async with visitor(bot) as bob:
        await bob.says(ACCOUNT)
        told = await bob.says("SH-000456 TA6 5AB")  # ended in 2024
    assert "don't match our records" in told
    (person,) = await web_people(bot)
    assert person.tenancy_verified_at is None


async def test_guessing_is_slowed_down_per_visitor_and_per_address(
    register: BotUnderTest,
) -> None:
    bot = register
    async with visitor(bot) as mallory:
        await mallory.says(ACCOUNT)
        for guess in ("SH-000100 TA6 4SY", "SH-000101 TA6 4SY", "SH-000102 TA6 4SY"):
            assert "don't match our records" in await mallory.says(guess)
        # Even the right answer now waits: the fourth try in the hour is not checked.
        paused = await mallory.says("SH-000123 TA6 4SY")
    assert "too many tries" in paused and "SH-000123" not in paused
    # A fresh cookie from the same address is paused too.
    async with visitor(bot) as again:
        assert "too many tries" in await again.says("SH-000123 TA6 4SY")
    assert all(p.tenancy_verified_at is None for p in await web_people(bot))


async def test_guessing_from_many_addresses_pauses_the_check_for_everyone(
    store: Any, understanding: Any
) -> None:
    """Someone with many addresses and a fresh cookie each time: three wrong tries each
    never pause anyone. After enough wrong tries from everyone together in the hour, the
    check waits for everyone (the right answer too), and colleagues are told once."""
    from helpbot.desk.cases.identity_check import WRONG_TRIES_EVERYWHERE
    from helpbot.testing.harness import running_bot

    async with running_bot(store, understanding, trust_proxy=True) as bot:
        await TenancyRegister(bot.store).import_text(REGISTER)
        for n in range(WRONG_TRIES_EVERYWHERE // 2):
            async with visitor(bot, f"203.0.113.{n + 1}") as guesser:
                for guess in (f"SH-{n:06d} TA6 4SY", f"SH-{n + 500:06d} TA6 4SY"):
                    assert "don't match our records" in await guesser.says(guess)
        async with visitor(bot, "198.51.100.20") as ann:
            paused = await ann.says("SH-000123 TA6 4SY")
        # Not her doing: she is not told she tried too often.
        assert "can't check tenancy details here just now" in paused
        assert "too many tries" not in paused
        assert all(p.tenancy_verified_at is None for p in await web_people(bot))
        await bot.settle()
        told = [
            m["text"]
            for m in bot.tg.sent_messages(bot.staff_room.id)
            if "identity check" in m.get("text", "")
        ]
        assert len(told) == 1 and "someone may be guessing" in told[0]
        assert not any(secret in told[0] for secret in SECRETS)
        trail = [e.action for e in await bot.store.audit_trail()]
        assert "identity_check_paused_everywhere" in trail


async def test_a_repair_told_with_the_tenancy_number_and_postcode_is_not_lost(
    register: BotUnderTest,
) -> None:
    """As a first message, "my boiler at TA6 4SY is broken, tenancy SH-000123" was read
    only as the identity check ("What can I help you with on your account?"): no case,
    no staff post (outside review). It is the check and the report."""
    bot = register
    async with visitor(bot) as ann:
        said = await ann.saying_all("my boiler at TA6 4SY is broken, tenancy SH-000123")
    assert "matches our records" in said and "SHAL-" in said
    cases = await Casebook(bot.store).all_cases()
    assert [c.kind for c in cases] == ["repair"]
    (person,) = await web_people(bot)
    assert person.tenancy_verified_at is not None
    async with visitor(bot) as bob:
        refused = await bob.saying_all("SH-999999 TA6 4SY my toilet is blocked and overflowing")
    assert "don't match our records" in refused and "SHAL-" in refused
    assert len(await Casebook(bot.store).all_cases()) == 2
    # The details alone are still only the check.
    async with visitor(bot) as cy:
        await cy.says("SH-000123 TA6 4SY")
    assert len(await Casebook(bot.store).all_cases()) == 2


@pytest.mark.parametrize(
    "typed",
    [
        "I am behind on my rent and need a payment plan. SH-000123 TA6 4SY",
        "can you tell me my rent balance? my tenancy ref is sh000 123, post code ta64sy",
        "my ref is sh 000123, postcode ta6 4sy",
        "000123 TA64SY",
    ],
)
async def test_the_details_typed_in_everyday_ways_are_checked(
    register: BotUnderTest, typed: str
) -> None:
    """Each was either not checked (the details at the end of a longer message) or
    refused as a wrong try, counting towards the lockout (outside review)."""
    bot = register
    async with visitor(bot) as ann:
        said = await ann.saying_all(typed)
    assert "don't match" not in said and "matches our records" in said
    (person,) = await web_people(bot)
    assert person.tenancy_verified_at is not None


async def test_while_the_check_waits_the_tenant_is_not_asked_for_the_details(
    store: Any, understanding: Any
) -> None:
    """During a pause, "I'm behind on my rent, SH-000123 TA6 4SY" got "I can't check
    tenancy details here just now" and then "please send your tenancy number and
    postcode" (outside review)."""
    from helpbot.desk.cases.identity_check import WRONG_TRIES_EVERYWHERE
    from helpbot.testing.harness import running_bot

    async with running_bot(store, understanding, trust_proxy=True) as bot:
        await TenancyRegister(bot.store).import_text(REGISTER)
        for n in range(WRONG_TRIES_EVERYWHERE // 2):
            async with visitor(bot, f"203.0.113.{n + 1}") as guesser:
                for guess in (f"SH-{n:06d} TA6 4SY", f"SH-{n + 500:06d} TA6 4SY"):
                    await guesser.says(guess)
        async with visitor(bot, "198.51.100.20") as ann:
            said = await ann.saying_all("I'm behind on my rent, SH-000123 TA6 4SY")
        assert said.count("can't check tenancy details here just now") == 1
        assert "Please send your tenancy number" not in said


async def test_once_verified_an_account_matter_promises_the_account_and_asks_nothing(
    register: BotUnderTest,
) -> None:
    bot = register
    async with visitor(bot) as ann:
        await ann.says("SH-000123 TA6 4SY")  # before anything: just the check
        opened = await ann.says(ACCOUNT)
    assert "A colleague who can see your account will reply to you here." in opened
    assert "tenancy number and postcode" not in opened


async def test_what_a_visitor_can_do_without_the_check_needs_no_check(
    register: BotUnderTest,
) -> None:
    bot = register
    async with visitor(bot) as cy:
        logged = await cy.says("the window in my bedroom won't close")
        answered = await cy.says("what is your email address")
    assert "repairs team" in logged and "tenancy number" not in logged
    assert "information@shal.org" in answered


async def test_telegram_tenants_are_not_asked(bot: BotUnderTest) -> None:
    ann: Any = bot.tg.user(5001, "Ann")
    await bot.send(bot.tg.private_message(ann, ACCOUNT))
    told = bot.replies_to(ann.id)[-1]
    assert "tenancy number and postcode" not in told
    assert "may ask a few questions to check who you are" in told
