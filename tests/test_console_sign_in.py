"""Signing in to the staff console: argon2 passwords, the one-time link, sessions that
end on sign-out, inactivity or disabling, CSRF on every form, throttled guessing, and
the headers every answer carries. In real headless Chromium where a browser matters."""

from __future__ import annotations

import re
from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import select, update

from helpbot.cli import main
from helpbot.store.staff_models import StaffAccount, StaffSession
from helpbot.testing.harness import BotUnderTest
from tests.console_fixtures import (
    PASSWORD,
    PRIYA,
    add_colleague,
    chromium,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser


async def test_a_colleague_signs_in_and_out_in_a_real_browser(bot: BotUnderTest) -> None:
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await page.goto(f"{bot.web_url}/console/deadlines")
        assert page.url.endswith("/console/sign-in")
        await page.keyboard.press("Tab")
        assert "Skip" in await page.evaluate("document.activeElement.textContent")
        await screenshot(page, "sign-in")
        await page.get_by_label("Email").fill(PRIYA.email)
        await page.get_by_label("Password").fill(PASSWORD)
        await page.get_by_role("button", name="Sign in").click()
        # Back where she was going, signed in.
        await page.get_by_role("heading", name="Complaint deadlines").wait_for()
        assert page.url.endswith("/console/deadlines")
        cookie = next(c for c in await page.context.cookies() if c["name"] == "helpbot_console")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
        await page.get_by_role("button", name="Sign out").click()
        await page.get_by_text("You have signed out.").wait_for()
        await page.goto(f"{bot.web_url}/console/")
        assert page.url.endswith("/console/sign-in")
    trail = [e.action for e in await bot.store.audit_trail()]
    assert "console_signed_in" in trail and "console_signed_out" in trail


async def test_an_old_cookie_does_not_come_back_to_life_after_sign_out(bot: BotUnderTest) -> None:
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        saved = await page.context.cookies()
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_load_state("load")
        thief = await browser.new_context()
        await thief.add_cookies(saved)  # type: ignore[arg-type]
        stolen = await thief.new_page()
        await stolen.goto(f"{bot.web_url}/console/")
        assert stolen.url.endswith("/console/sign-in")


async def test_a_wrong_password_is_refused_and_guessing_is_throttled(bot: BotUnderTest) -> None:
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA, password="not the password")
        error = await page.locator("#sign-in-error").inner_text()
        assert "do not match" in error
        for _ in range(4):
            await sign_in(page, bot.web_url, PRIYA, password="still wrong")
        # Five failures: even the right password waits now.
        await sign_in(page, bot.web_url, PRIYA)
        assert "Too many attempts" in await page.locator("#sign-in-error").inner_text()
        assert page.url.endswith("/console/sign-in")
    # An email with no account is refused in the same words (no account discovery).
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        page_html = await (await session.get(f"{bot.web_url}/console/sign-in")).text()
        csrf = re.search(r'name="csrf" value="([^"]+)"', page_html)
        assert csrf is not None
        answer = await session.post(
            f"{bot.web_url}/console/sign-in",
            data={"csrf": csrf.group(1), "email": "nobody@shal.org", "password": "x" * 12},
        )
        assert answer.status == 401 and "do not match" in await answer.text()


async def test_a_form_without_its_csrf_token_is_refused(bot: BotUnderTest) -> None:
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        # Another site's page posting to the console with Priya's cookie and no token.
        forged = await page.evaluate(
            """async (url) => {
                const answer = await fetch(url, {method: 'POST', body: new URLSearchParams(
                    {action: 'note', text: 'forged'}), credentials: 'include'});
                return [answer.status, await answer.text()];
            }""",
            f"{bot.web_url}/console/sign-out",
        )
        assert forged[0] == 403 and "expired" in forged[1]
        # Still signed in: the forged sign-out did nothing.
        await page.goto(f"{bot.web_url}/console/")
        assert page.url.endswith("/console/")
    refused = await bot.store.audit_trail("console_csrf_refused")
    assert refused and refused[-1].actor == f"console:{PRIYA.email}"


async def test_a_session_left_idle_ends_and_a_disabled_colleague_is_signed_out(
    bot: BotUnderTest,
) -> None:
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        async with bot.store.sessions.begin() as session:
            row = await session.scalar(select(StaffSession))
            assert row is not None
            row.last_seen_at = row.last_seen_at - timedelta(minutes=31)
        await page.goto(f"{bot.web_url}/console/")
        assert page.url.endswith("/console/sign-in")
        await page.get_by_text("signed out after a period of inactivity").wait_for()

        await sign_in(page, bot.web_url, PRIYA)
        assert page.url.endswith("/console/")
        async with bot.store.sessions.begin() as session:
            await session.execute(update(StaffAccount).values(disabled_at=StaffAccount.created_at))
        await page.goto(f"{bot.web_url}/console/")
        assert page.url.endswith("/console/sign-in")
        await sign_in(page, bot.web_url, PRIYA)
        assert page.url.endswith("/console/sign-in")


async def test_every_answer_carries_the_security_headers(bot: BotUnderTest) -> None:
    async with aiohttp.ClientSession() as session:
        for path, status in (
            ("/console/", 303),
            ("/console/sign-in", 200),
            ("/console/cases/SHAL-00001", 303),
            ("/console/no-such-page", 303),
            ("/nowhere", 404),
        ):
            answer = await session.get(f"{bot.web_url}{path}", allow_redirects=False)
            assert answer.status == status, path
            assert answer.headers["X-Content-Type-Options"] == "nosniff", path
            assert answer.headers["X-Frame-Options"] == "DENY", path
            csp = answer.headers["Content-Security-Policy"]
            assert "frame-ancestors 'none'" in csp, path
            if path.startswith("/console"):
                assert "script-src 'self'" in csp and "unsafe-inline" not in csp
                assert answer.headers["Cache-Control"] == "no-store"


async def test_metrics_need_a_token_or_a_local_address(bot: BotUnderTest, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    async with aiohttp.ClientSession() as session:
        local = await session.get(f"{bot.web_url}/metrics")
        assert local.status == 200
        proxied = await session.get(
            f"{bot.web_url}/metrics", headers={"X-Forwarded-For": "203.0.113.9"}
        )
        assert proxied.status == 403
        assert "helpbot_" not in await proxied.text()


def test_staff_add_prints_a_one_time_link_and_disable_stops_the_account(
    database_url: str,
    monkeypatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    monkeypatch.setenv("HELPBOT_DATABASE_URL", database_url)
    assert main(["staff", "add", "Priya@SHAL.org", "--role", "lead", "--name", "Priya"]) == 0
    printed = capsys.readouterr().out
    assert "priya@shal.org (lead)" in printed
    assert re.search(r"/console/set-password/[A-Za-z0-9_-]{40,}", printed)
    assert main(["staff", "add", "not-an-email", "--role", "lead"]) == 2
    assert main(["staff", "disable", "priya@shal.org"]) == 0
    assert main(["staff", "disable", "nobody@shal.org"]) == 1
