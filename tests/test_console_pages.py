"""The console's other pages as colleagues use them: complaint deadlines (overdue first,
as CSV too), the community page approving a join request through the desk, reports as
a chart and CSV, the admin's audit log and second factor."""

from __future__ import annotations

import csv
import io
import time
from datetime import date, timedelta

import pyotp
import pytest
from sqlalchemy import select

from helpbot.store.casebook import Casebook
from helpbot.store.membership import Membership
from helpbot.store.staff_models import StaffAccount
from helpbot.store.tenancy_register import TenancyRegister
from helpbot.testing.harness import BotUnderTest, tenant
from tests.console_fixtures import ALEX, PRIYA, add_colleague, chromium, screenshot, sign_in

pytestmark = pytest.mark.browser

COMPLAINT = "I reported the broken window in my flat 3 weeks ago and nobody has come to fix it"
REGISTER = """tenancy_ref,postcode,tenants,occupants,start_date,end_date
SH-000123,TA6 4SY,Ann Smith,Jo Smith,2019-04-01,
"""


async def _complaint(bot: BotUnderTest, user_id: int, name: str):  # type: ignore[no-untyped-def]
    who = tenant(bot.tg, user_id, name)
    await bot.send(bot.tg.group_message(bot.community, who, COMPLAINT))
    return (await Casebook(bot.store).all_cases())[-1]


async def test_deadlines_list_overdue_complaints_first_and_export_as_csv(
    bot: BotUnderTest,
) -> None:
    late = await _complaint(bot, 5001, "Ann")
    fresh = await _complaint(bot, 5002, "Bob")
    await Casebook(bot.store).change(
        late.id, acknowledge_by=date.today() - timedelta(days=14), received_on=date(2026, 1, 5)
    )
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/deadlines")
        rows = page.locator("table.deadlines tbody tr")
        assert await rows.count() == 2
        assert late.ref in await rows.nth(0).inner_text()
        assert "overdue" in await rows.nth(0).inner_text()
        assert fresh.ref in await rows.nth(1).inner_text()
        await screenshot(page, "deadlines")
        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="Download as CSV").click()
        text = (await (await waiting.value).path()).read_text()
        # The inbox's due filter agrees.
        await page.goto(f"{bot.web_url}/console/?due=overdue")
        assert await page.get_by_role("link", name=late.ref).count() == 1
        assert await page.get_by_role("link", name=fresh.ref).count() == 0
    table = list(csv.DictReader(io.StringIO(text)))
    assert [row["ref"] for row in table] == [late.ref, fresh.ref]
    assert int(table[0]["overdue_working_days"]) >= 9
    assert table[1]["overdue_working_days"] == "0"


async def test_a_join_request_is_approved_from_the_community_page(bot: BotUnderTest) -> None:
    await TenancyRegister(bot.store).import_text(REGISTER)
    ann = tenant(bot.tg)
    await bot.send(bot.tg.join_request(bot.community, ann))
    for answer in ("Ann Smith", "sh-000123", "ta6 4sy"):
        await bot.send(bot.tg.private_message(ann, answer))
    rules = bot.tg.sent_messages(ann.id)[-1]
    accept = next(
        b for row in rules["reply_markup"]["inline_keyboard"] for b in row if "accept" in b["text"]
    )
    await bot.send(bot.tg.callback(ann, rules, accept["callback_data"]))
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/community")
        await page.get_by_text("Register match: exact").wait_for()
        await screenshot(page, "community")
        await page.get_by_role("button", name="Approve").click()
        await page.get_by_text("None waiting.").wait_for()
    await bot.settle()
    assert bot.tg.join_request_status(bot.community.id, ann.id) == "approved"
    (request,) = await Membership(bot.store).requests()
    assert request.status == "approved" and request.decided_by_name == "Priya"
    assert [e.action for e in await bot.store.audit_trail("join_approved")] == ["join_approved"]


async def test_reports_show_a_chart_and_figures_as_csv(bot: BotUnderTest) -> None:
    await _complaint(bot, 5001, "Ann")
    await bot.send(
        bot.tg.private_message(tenant(bot.tg, 5002, "Bob"), "my kitchen tap is dripping")
    )
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/reports")
        chart = page.get_by_role("img", name="Bar chart of cases opened and closed")
        await chart.wait_for()
        assert await chart.evaluate("img => img.naturalWidth") > 0
        await screenshot(page, "reports")
        answer = await page.request.get(f"{bot.web_url}/console/reports.csv")
        text = await answer.text()
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    this_week = [r for r in rows[1:] if len(r) > 2 and r[1] == "opened" and any(r[2:])]
    opened = {header[i]: int(v) for r in this_week for i, v in enumerate(r) if i >= 2 and v}
    assert opened.get("complaint") == 1 and opened.get("repair") == 1
    assert ["cases_from_channel", "telegram", "1"] in rows


async def test_an_admin_reads_the_audit_log_and_turns_on_a_second_factor(
    bot: BotUnderTest,
) -> None:
    await add_colleague(bot.store, ALEX, role="admin")
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        officer = await (await browser.new_context()).new_page()
        await sign_in(officer, bot.web_url, PRIYA)
        answer = await officer.goto(f"{bot.web_url}/console/audit")
        assert answer is not None and answer.status == 403

        page = await (await browser.new_context()).new_page()
        page.set_default_timeout(15_000)
        await sign_in(page, bot.web_url, ALEX)
        await page.goto(f"{bot.web_url}/console/audit")
        await page.get_by_role("cell", name="console_signed_in").first.wait_for()
        await screenshot(page, "audit")
        await page.goto(f"{bot.web_url}/console/account")
        secret = (await page.locator("code.wrap").first.inner_text()).strip()
        await page.get_by_label("Code").fill(pyotp.TOTP(secret).now())
        await page.get_by_role("button", name="Turn on").click()
        await page.get_by_text("Second factor turned on.").wait_for()
        await page.get_by_role("button", name="Sign out").click()
        await page.wait_for_load_state("load")
        # Next time: the password alone is not enough.
        await sign_in(page, bot.web_url, ALEX)
        assert page.url.endswith("/console/second-factor")
        await page.goto(f"{bot.web_url}/console/audit")
        assert page.url.endswith("/console/second-factor")
        await page.get_by_label("Six-digit code").fill("000000")
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_text("That code is not right.").wait_for()
        # The code that turned it on is spent: the authenticator's next one.
        next_code = pyotp.TOTP(secret).at(time.time(), counter_offset=1)
        await page.get_by_label("Six-digit code").fill(next_code)
        await page.get_by_role("button", name="Continue").click()
        await page.get_by_role("heading", name="Inbox").wait_for()
    async with bot.store.sessions() as session:
        alex = await session.scalar(select(StaffAccount).where(StaffAccount.email == ALEX.email))
    assert alex is not None and alex.totp_secret == secret
    assert await bot.store.audit_trail("console_second_factor_failed")


async def test_a_held_post_is_released_from_the_community_page(bot: BotUnderTest) -> None:
    cal = tenant(bot.tg, 5003, "Cal")
    await bot.send(bot.tg.private_message(cal, "hello"))
    await bot.send(bot.tg.chat_member_update(bot.community, cal, "left", "member"))
    post = "Free paint <img src=x> for anyone who wants it: https://example.org/paint"
    await bot.send(bot.tg.group_message(bot.community, cal, post))
    assert bot.tg.sent_messages(bot.community.id) == []
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/community")
        held = page.locator("blockquote", has_text="https://example.org/paint")
        await held.wait_for()
        assert "<img src=x>" in await held.inner_text()  # shown as text
        await page.get_by_role("button", name="Release").click()
        await page.get_by_text("None held.").wait_for()
    await bot.settle()
    (public,) = bot.tg.sent_messages(bot.community.id)
    assert public["text"].startswith("Cal shared (checked by the SHAL team)")


async def test_a_console_account_not_on_the_telegram_staff_list_still_decides(
    store,  # type: ignore[no-untyped-def]
    understanding,
) -> None:
    """HELPBOT_STAFF_USER_IDS is the Telegram staff group's list; a colleague signed in
    to the console is vouched for by the console (here Alex, with no Telegram link),
    and the decision is still announced in the staff room."""
    from helpbot.testing.harness import running_bot

    async with running_bot(store, understanding, staff_user_ids=(9001,)) as bot:
        await TenancyRegister(bot.store).import_text(REGISTER)
        ann = tenant(bot.tg)
        await bot.send(bot.tg.join_request(bot.community, ann))
        for answer in ("Ann Smith", "sh-000123", "ta6 4sy"):
            await bot.send(bot.tg.private_message(ann, answer))
        rules = bot.tg.sent_messages(ann.id)[-1]
        accept = next(
            b
            for row in rules["reply_markup"]["inline_keyboard"]
            for b in row
            if "accept" in b["text"]
        )
        await bot.send(bot.tg.callback(ann, rules, accept["callback_data"]))
        await add_colleague(bot.store, ALEX)
        async with chromium() as browser:
            page = await browser.new_page()
            await sign_in(page, bot.web_url, ALEX)
            await page.goto(f"{bot.web_url}/console/community")
            await page.get_by_role("button", name="Approve").click()
            await page.get_by_text("None waiting.").wait_for()
        await bot.settle()
        assert bot.tg.join_request_status(bot.community.id, ann.id) == "approved"
        (request,) = await Membership(bot.store).requests()
        assert request.decided_by_name == "Alex"
        assert any("approved by Alex" in text for text in bot.replies_to(bot.staff_room.id))
        assert await bot.store.audit_trail("refused_staff_button") == []


async def test_a_complaints_timeline_says_which_deadlines_were_met_or_missed(
    bot: BotUnderTest,
) -> None:
    """Ann's complaint went unacknowledged past its date; Bob's was acknowledged on time.
    Each case page says so, and says again once the late step is taken."""
    late = await _complaint(bot, 5001, "Ann")
    fresh = await _complaint(bot, 5002, "Bob")
    overdue = date.today() - timedelta(days=14)
    await Casebook(bot.store).change(late.id, acknowledge_by=overdue)
    for who in (5001, 5002):  # both open the private chat, so a reply reaches them
        case = late if who == 5001 else fresh
        await bot.send(
            bot.tg.command(tenant(bot.tg, who), tenant(bot.tg, who), "start", case.link_token or "")
        )
    await add_colleague(bot.store, PRIYA)
    due = f"Acknowledgement due {overdue:%a %d %b %Y}"
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/cases/{late.ref}")
        timeline = page.locator(".timeline")
        missed = timeline.locator(".kind-deadline_missed")
        assert await missed.count() == 1
        assert due in await missed.inner_text() and "overdue" in await missed.inner_text()
        await page.get_by_label("Reply to the tenant").fill("Sorry for the wait; we are on it")
        await page.get_by_role("button", name="Send reply").click()
        await page.get_by_text("Reply on its way to the tenant.").wait_for()
        text = await timeline.locator(".kind-deadline_missed").inner_text()
        assert due in text and "working day(s) late" in text
        assert await timeline.locator(".kind-deadline_met").count() == 0

        await page.goto(f"{bot.web_url}/console/cases/{fresh.ref}")
        assert await timeline.locator(".kind-deadline_met, .kind-deadline_missed").count() == 0
        await page.get_by_label("Reply to the tenant").fill("Thanks, we have your complaint")
        await page.get_by_role("button", name="Send reply").click()
        await page.get_by_text("Reply on its way to the tenant.").wait_for()
        met = timeline.locator(".kind-deadline_met")
        assert await met.count() == 1 and "met on" in await met.inner_text()
        await screenshot(page, "case-deadline-met")


async def test_a_tenant_on_telegram_and_the_web_chat_is_linked_as_one_person(
    bot: BotUnderTest,
) -> None:
    import aiohttp

    await TenancyRegister(bot.store).import_text(REGISTER)
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "my kitchen tap is dripping"))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await session.get(f"{bot.web_url}/chat")
        async with session.ws_connect(f"{bot.web_url}/chat/ws", origin=bot.web_url) as ws:
            await ws.receive_json(timeout=10)
            await ws.send_json({"type": "message", "text": "the bathroom light is broken"})
            await ws.receive_json(timeout=10)
    await bot.settle()
    by_telegram, by_web = await Casebook(bot.store).all_cases()
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        for case in (by_telegram, by_web):
            await page.goto(f"{bot.web_url}/console/tenants/{case.tenant_id}")
            await page.get_by_label("Tenancy reference", exact=False).fill("sh-000999")
            await page.get_by_role("button", name="Link to this tenancy").click()
            await page.get_by_text("The register has no tenancy with that reference.").wait_for()
            await page.get_by_label("Tenancy reference", exact=False).fill(" sh-000123 ")
            await page.get_by_role("button", name="Link to this tenancy").click()
            await page.get_by_text("Linked to tenancy SH-000123.").wait_for()
            await page.get_by_text("SH-000123, TA6 4SY").wait_for()
        # Ann's page now shows her web chat identity, and both cases.
        await page.goto(f"{bot.web_url}/console/tenants/{by_telegram.tenant_id}")
        await page.get_by_role("heading", name="Same person on other channels").wait_for()
        assert await page.get_by_role("link", name=by_telegram.ref).count() == 1
        assert await page.get_by_role("link", name=by_web.ref).count() == 1
        await screenshot(page, "tenant-linked")
    linked = await bot.store.audit_trail("console_tenancy_linked")
    assert sorted(e.subject or "" for e in linked) == sorted(
        f"person:{case.tenant_id}" for case in (by_telegram, by_web)
    )
