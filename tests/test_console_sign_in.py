"""Signing in to the staff console: argon2 passwords, the one-time link, sessions that
end on sign-out, inactivity or disabling, CSRF on every form, throttled guessing, and
the headers every answer carries. In real headless Chromium where a browser matters."""

from __future__ import annotations

import io
import re
import time
from datetime import timedelta

import aiohttp
import pyotp
import pytest
from sqlalchemy import select, update

from helpbot.cli import main
from helpbot.store.models import utcnow
from helpbot.store.staff_accounts import StaffAccounts
from helpbot.store.staff_models import SignInAttempt, StaffAccount, StaffSession
from helpbot.testing.harness import BotUnderTest
from helpbot.web.console.operator_commands import add_staff, disable_staff
from tests.console_fixtures import (
    ALEX,
    PASSWORD,
    PRIYA,
    Colleague,
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


async def _form_token(client: aiohttp.ClientSession, url: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', await (await client.get(url)).text())
    assert found is not None, url
    return found.group(1)


async def _password(
    client: aiohttp.ClientSession, base: str, who: Colleague, password: str = PASSWORD
) -> tuple[int, str, str]:
    """Sign in with a password as the form does: the status, where it ended up, the page."""
    csrf = await _form_token(client, f"{base}/console/sign-in")
    answer = await client.post(
        f"{base}/console/sign-in", data={"csrf": csrf, "email": who.email, "password": password}
    )
    return answer.status, answer.url.path, await answer.text()


async def _code(client: aiohttp.ClientSession, base: str, code: str) -> tuple[int, str]:
    """Post a six-digit code from the second-factor page: the status and its page."""
    csrf = await _form_token(client, f"{base}/console/second-factor")
    answer = await client.post(
        f"{base}/console/second-factor", data={"csrf": csrf, "code": code}, allow_redirects=False
    )
    return answer.status, await answer.text()


def _wrong(totp: pyotp.TOTP) -> str:
    """A code no authenticator shows now or either side of now."""
    near = {totp.at(time.time(), counter_offset=k) for k in range(-2, 3)}
    return next(code for code in ("000000", "111111", "222222", "333333") if code not in near)


def _client() -> aiohttp.ClientSession:
    return aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))


async def _admin_with_second_factor(bot: BotUnderTest) -> pyotp.TOTP:
    await add_colleague(bot.store, ALEX, role="admin")
    secret = pyotp.random_base32()
    async with bot.store.sessions() as session:
        alex = await session.scalar(select(StaffAccount).where(StaffAccount.email == ALEX.email))
    assert alex is not None
    await StaffAccounts(bot.store).set_totp(alex.id, secret)
    return pyotp.TOTP(secret)


async def test_guessing_the_second_factor_locks_the_account_like_wrong_passwords(
    bot: BotUnderTest,
) -> None:
    """Someone with an admin's password cannot try code after code: five wrong codes and
    even the right one waits 15 minutes, and signing in again does not start the count
    afresh."""
    totp = await _admin_with_second_factor(bot)
    base = bot.web_url
    async with _client() as alex, _client() as thief, _client() as again:
        # Alex mistypes four times, then gets it right: in.
        assert (await _password(alex, base, ALEX))[1] == "/console/second-factor"
        for _ in range(4):
            status, page = await _code(alex, base, _wrong(totp))
            assert status == 401 and "That code is not right." in page
        assert (await _code(alex, base, totp.now()))[0] == 303
        assert (await alex.get(f"{base}/console/")).url.path == "/console/"

        # Someone else with the password guesses, signing in afresh part-way through.
        assert (await _password(thief, base, ALEX))[1] == "/console/second-factor"
        for _ in range(3):
            assert (await _code(thief, base, _wrong(totp)))[0] == 401
        assert (await _password(again, base, ALEX))[1] == "/console/second-factor"
        for _ in range(2):
            assert (await _code(again, base, _wrong(totp)))[0] == 401
        # Five wrong codes: the right code (one not used yet) is refused now.
        next_code = totp.at(time.time(), counter_offset=1)
        status, page = await _code(again, base, next_code)
        assert status == 429 and "Too many attempts. Wait 15 minutes" in page
        assert (await again.get(f"{base}/console/")).url.path == "/console/second-factor"
        # So is the password, as after five wrong passwords.
        status, _, page = await _password(thief, base, ALEX)
        assert status == 429 and "Too many attempts" in page

        # Fifteen minutes later the right code works.
        async with bot.store.sessions.begin() as session:
            await session.execute(update(SignInAttempt).values(at=utcnow() - timedelta(minutes=16)))
        next_code = totp.at(time.time(), counter_offset=1)
        assert (await _code(again, base, next_code))[0] == 303
        assert (await again.get(f"{base}/console/")).url.path == "/console/"

    trail = await bot.store.audit_trail()
    failed = [e for e in trail if e.action == "console_second_factor_failed"]
    assert len(failed) == 9 and {e.actor for e in failed} == {f"console:{ALEX.email}"}
    assert [e.action for e in trail].count("console_second_factor_locked") == 1
    assert await bot.store.audit_trail("console_second_factor_throttled")
    assert len(await bot.store.audit_trail("console_second_factor_passed")) == 2


async def test_a_second_factor_code_lets_in_only_once(bot: BotUnderTest) -> None:
    """A code seen over someone's shoulder (or in a proxy's log) is no use once used."""
    totp = await _admin_with_second_factor(bot)
    base = bot.web_url
    async with _client() as alex, _client() as onlooker:
        code = totp.now()
        await _password(alex, base, ALEX)
        assert (await _code(alex, base, code))[0] == 303
        await _password(onlooker, base, ALEX)
        status, page = await _code(onlooker, base, code)
        assert status == 401 and "That code is not right." in page
        assert (await onlooker.get(f"{base}/console/")).url.path == "/console/second-factor"
    assert len(await bot.store.audit_trail("console_second_factor_failed")) == 1


async def test_re_adding_a_disabled_colleague_wipes_the_old_password_and_second_factor(
    bot: BotUnderTest, database_url: str
) -> None:
    """`helpbot staff disable` then `staff add` again: only the new link lets them in."""
    totp = await _admin_with_second_factor(bot)
    base = bot.web_url
    out, err = io.StringIO(), io.StringIO()
    async with _client() as alex, _client() as later:
        await _password(alex, base, ALEX)
        assert (await _code(alex, base, totp.now()))[0] == 303
        assert await disable_staff(database_url, ALEX.email, out, err) == 0
        assert await add_staff(database_url, ALEX.email, "admin", "Alex", None, base, out, err) == 0
        link = re.search(r"/console/set-password/([A-Za-z0-9_-]{40,})", out.getvalue())
        assert link is not None

        # The old password and the old session are no way in.
        status, _, page = await _password(later, base, ALEX)
        assert status == 401 and "do not match" in page
        assert (await alex.get(f"{base}/console/")).url.path == "/console/sign-in"
        async with bot.store.sessions() as session:
            row = await session.scalar(select(StaffAccount).where(StaffAccount.email == ALEX.email))
        assert row is not None and row.password_hash is None and row.totp_secret is None

        # The new link sets a new password, which signs in (no old authenticator needed).
        url = f"{base}/console/set-password/{link.group(1)}"
        new = "a brand new passphrase for alex"
        csrf = await _form_token(later, url)
        answer = await later.post(url, data={"csrf": csrf, "password": new, "again": new})
        assert answer.url.path == "/console/sign-in"
        assert (await _password(later, base, ALEX, new))[1] == "/console/"

        # Adding someone who already has a working account is refused and changes nothing.
        assert await add_staff(database_url, ALEX.email, "officer", "", None, base, out, err) == 2
        assert "already has an account" in err.getvalue()
        assert (await _password(alex, base, ALEX, new))[1] == "/console/"

    readded = await bot.store.audit_trail("staff_reenabled")
    assert [(e.actor, e.subject) for e in readded] == [("cli", ALEX.email)]
    assert readded[0].detail["password_cleared"] is True
    assert readded[0].detail["second_factor_cleared"] is True
