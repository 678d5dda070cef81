"""The web chat: the same desk and answers as Telegram, over a websocket, and a page that
works in a real browser (headless Chromium) at phone width."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from helpbot.config import REPO_ROOT
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store
from helpbot.testing.harness import BotUnderTest, running_web_chat, tenant

ARTIFACTS = REPO_ROOT / "test-artifacts"


@pytest.fixture
async def web_chat(store: Store, understanding) -> AsyncIterator[str]:  # type: ignore[no-untyped-def]
    async with running_web_chat(store, understanding) as (url, _parts):
        yield url


async def _receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
    message = await ws.receive_json(timeout=10)
    assert isinstance(message, dict)
    return message


async def test_a_visitor_is_welcomed_and_a_question_is_answered(web_chat: str) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(f"{web_chat}/chat") as page:
            assert page.status == 200
            assert "Chat with SHAL" in await page.text()
        async with session.ws_connect(f"{web_chat}/chat/ws", origin=web_chat) as ws:
            welcome = await _receive(ws)
            assert welcome["type"] == "reply" and "automated assistant" in welcome["text"]
            await ws.send_json({"type": "message", "text": "what is your email address"})
            answer = await _receive(ws)
            assert "information@shal.org" in answer["text"]


async def test_a_returning_visitor_sees_their_conversation_again(web_chat: str) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await session.get(f"{web_chat}/chat")
        async with session.ws_connect(f"{web_chat}/chat/ws", origin=web_chat) as ws:
            await _receive(ws)
            await ws.send_json({"type": "message", "text": "hello"})
            await _receive(ws)
        async with session.ws_connect(f"{web_chat}/chat/ws", origin=web_chat) as ws:
            history = await _receive(ws)
            assert history["type"] == "history"
            assert {"from": "you", "text": "hello"} in history["messages"]


async def test_nonsense_on_the_socket_gets_a_polite_error_not_a_crash(web_chat: str) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await session.get(f"{web_chat}/chat")
        async with session.ws_connect(f"{web_chat}/chat/ws", origin=web_chat) as ws:
            await _receive(ws)
            await ws.send_str("{not json")
            assert (await _receive(ws))["type"] == "error"
            await ws.send_json({"type": "launch_missiles"})
            assert (await _receive(ws))["type"] == "error"
            await ws.send_json({"type": "message", "text": "   "})
            assert "empty" in (await _receive(ws))["text"]
            await ws.send_json({"type": "message", "text": "hello"})
            assert (await _receive(ws))["type"] == "reply"


async def test_the_socket_refuses_a_visitor_who_never_opened_the_page(web_chat: str) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(f"{web_chat}/chat/ws", origin=web_chat)
        assert refused.value.status == 403


async def test_a_colleague_in_the_staff_room_can_answer_a_web_chat_tenant(
    bot: BotUnderTest,
) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await session.get(f"{bot.web_url}/chat")
        async with session.ws_connect(f"{bot.web_url}/chat/ws", origin=bot.web_url) as ws:
            await _receive(ws)
            await ws.send_json(
                {"type": "message", "text": "the radiator in my bedroom won't heat up"}
            )
            logged = await _receive(ws)
            (case,) = await Casebook(bot.store).all_cases()
            assert case.ref in logged["text"]
            await bot.tg.wait_for(
                "sendMessage", lambda call: call.params["chat_id"] == bot.staff_room.id
            )
            refreshed = await Casebook(bot.store).by_id(case.id)
            assert refreshed is not None and refreshed.staff_topic_id is not None
            priya = bot.tg.user(9001, "Priya")
            await bot.send(
                bot.tg.topic_message(
                    bot.staff_room,
                    refreshed.staff_topic_id,
                    priya,
                    "/reply We'll bleed it tomorrow",
                )
            )
            pushed = await _receive(ws)
            assert pushed["text"] == "We'll bleed it tomorrow\n\n— Priya, SHAL team"


@pytest.mark.browser
async def test_the_chat_page_works_in_a_real_browser_at_phone_width(web_chat: str) -> None:
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is required (make test installs it)"
    ARTIFACTS.mkdir(exist_ok=True)
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            page = await browser.new_page(viewport={"width": 320, "height": 640})
            await page.goto(f"{web_chat}/chat")
            await page.locator("li.bot", has_text="automated assistant").wait_for(timeout=10_000)
            # Keyboard users meet the skip link first, then reach the message box.
            await page.keyboard.press("Tab")
            assert "Skip" in await page.evaluate("document.activeElement.textContent")
            box = page.get_by_label("Your message")
            await box.fill("what's your phone number?")
            await box.press("Enter")
            await page.locator("li.bot", has_text="01278 444344").wait_for(timeout=10_000)
            assert await box.input_value() == ""
            # Nothing spills sideways at 320px.
            width = await page.evaluate("document.documentElement.scrollWidth")
            assert width <= 320
            await page.screenshot(path=str(ARTIFACTS / "web-chat-320.png"), full_page=True)
        finally:
            await browser.close()


async def test_operators_can_scrape_case_and_delivery_figures(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "the bathroom light pull cord has snapped"))
    async with aiohttp.ClientSession() as session:
        async with session.get(f"{bot.web_url}/metrics") as response:
            assert response.status == 200
            text = await response.text()
    assert 'helpbot_cases_open{kind="repair"} 1.0' in text
    assert 'helpbot_inbox_events{status="pending"} 0.0' in text
    assert 'helpbot_inbox_events{status="done"} 1.0' in text
    assert 'helpbot_outbox_items{status="sent"} 2.0' in text
    assert 'helpbot_inbox_oldest_seconds{status="parked"} 0.0' in text
    assert 'helpbot_messages{direction="in",status="stored"} 1.0' in text
    assert "pull cord" not in text


@pytest.mark.browser
async def test_a_tenant_on_a_shared_computer_ends_the_chat_and_the_next_person_sees_nothing(
    bot: BotUnderTest,
) -> None:
    """At the library: Ann reports a repair, presses End chat and leaves. The next person
    at that computer opens /chat and sees nothing of hers; her old cookie opens nothing
    either; the case stays open and colleagues are told a reply in the chat won't reach
    her."""
    from playwright.async_api import async_playwright

    chromium = shutil.which("chromium")
    assert chromium, "Debian's chromium is required (make test installs it)"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        try:
            page = await browser.new_page()
            await page.goto(f"{bot.web_url}/chat")
            await page.locator("li.bot", has_text="automated assistant").wait_for(timeout=10_000)
            box = page.get_by_label("Your message")
            await box.fill("the radiator in my bedroom at 4 Acacia Road won't heat up")
            await box.press("Enter")
            await page.locator("li.bot", has_text="SHAL-").wait_for(timeout=10_000)
            (ann_cookie,) = [c for c in await page.context.cookies() if c["name"] == "helpbot_chat"]
            await page.get_by_role("button", name="End chat").click()
            await page.get_by_text("You ended the chat").wait_for(timeout=10_000)
            await page.locator("li.bot", has_text="automated assistant").wait_for(timeout=10_000)
            # The next person: a fresh welcome, nothing of Ann's.
            await page.reload()
            await page.locator("li.bot", has_text="automated assistant").wait_for(timeout=10_000)
            assert "Acacia" not in await page.locator("#conversation").inner_text()
        finally:
            await browser.close()
    # Ann's old cookie, kept by someone: refused, and /chat gives a new one.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        session.cookie_jar.update_cookies({"helpbot_chat": ann_cookie["value"]})
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await session.ws_connect(f"{bot.web_url}/chat/ws", origin=bot.web_url)
        assert refused.value.status == 403
        async with session.get(f"{bot.web_url}/chat") as again:
            assert again.cookies["helpbot_chat"].value != ann_cookie["value"]
    await bot.settle()
    (case,) = await Casebook(bot.store).all_cases()
    assert case.status == "open"
    assert "chat_ended" in [e.kind for e in await Casebook(bot.store).timeline(case.id)]
    told = bot.tg.sent_messages(bot.staff_room.id, thread_id=case.staff_topic_id)
    assert any("ended the web chat" in m.get("text", "") for m in told)


async def test_loading_the_chat_page_again_and_again_writes_nothing(
    web_chat: str, store: Store
) -> None:
    """A stranger reloading /chat in a loop (no cookie kept) used to add a session row
    each time; the row now waits until a chat is opened."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar()) as session:
        tokens = set()
        for _ in range(20):
            async with session.get(f"{web_chat}/chat") as page:
                tokens.add(page.cookies["helpbot_chat"].value)
    assert len(tokens) == 20
    async with store.sessions() as db:
        rows = await db.scalar(select(func.count(models.WebVisitor.id)))
    assert rows == 0


async def test_another_site_cannot_end_a_visitors_chat(web_chat: str) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await session.get(f"{web_chat}/chat")
        async with session.ws_connect(f"{web_chat}/chat/ws", origin=web_chat) as ws:
            await _receive(ws)
        forged = await session.post(
            f"{web_chat}/chat/end",
            headers={"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
            allow_redirects=False,
        )
        assert forged.status == 403
        async with session.ws_connect(f"{web_chat}/chat/ws", origin=web_chat) as ws:
            assert (await _receive(ws))["type"] in ("history", "reply")


async def test_a_colleagues_reply_after_the_tenant_ended_the_chat_is_reported_undelivered(
    bot: BotUnderTest,
) -> None:
    """Nobody can read the chat once it is ended: the colleague's reply was shown as
    sent and never reported (outside review). The colleague is told at once, and what
    the bot itself sends there is reported undelivered."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await session.get(f"{bot.web_url}/chat")
        async with session.ws_connect(f"{bot.web_url}/chat/ws", origin=bot.web_url) as ws:
            await _receive(ws)
            await ws.send_json({"type": "message", "text": "the radiator in my bedroom is cold"})
            await _receive(ws)
        ended = await session.post(
            f"{bot.web_url}/chat/end", headers={"Origin": bot.web_url}, allow_redirects=False
        )
        assert ended.status == 303
    await bot.settle()
    (case,) = await Casebook(bot.store).all_cases()
    assert case.staff_topic_id is not None
    priya = bot.tg.user(9001, "Priya")
    await bot.send(
        bot.tg.topic_message(bot.staff_room, case.staff_topic_id, priya, "/reply On Tuesday")
    )
    await bot.settle()
    topic = [
        m.get("text", "")
        for m in bot.tg.sent_messages(bot.staff_room.id, thread_id=case.staff_topic_id)
    ]
    # Told at once, and never "Sent" (the second look: "Sent" came after the failure).
    assert any("can't reach them there" in t for t in topic)
    assert not any("Sent to the tenant" in t for t in topic)
    # Anything else the bot would send the tenant there is reported undelivered.
    await bot.send(
        bot.tg.topic_message(
            bot.staff_room, case.staff_topic_id, priya, "/resolve bled the radiator"
        )
    )
    await bot.settle()
    assert (await bot.postroom.outbox.counts())["undelivered"][0] >= 1
    kinds = [e.kind for e in await Casebook(bot.store).timeline(case.id)]
    assert "undelivered" in kinds
