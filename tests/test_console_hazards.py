"""The hazard clock in the staff console (Awaab's Law): the case page shows the hazard,
its reason and due dates; a colleague decides the category and records the steps there
(the same desk actions as in the staff topic); the written summary downloads as a PDF;
the hazards page lists open hazards with someone at higher risk first; /metrics counts
them. Headless Chromium against the whole bot, on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import aiohttp
import pytest
from pypdf import PdfReader

from helpbot.store.hazard_book import HazardBook
from helpbot.testing.harness import BotUnderTest, tenant
from helpbot.working_days import add_working_days, local_day
from tests.console_fixtures import PRIYA, add_colleague, chromium, repair_case, screenshot, sign_in

pytestmark = pytest.mark.browser


async def test_a_hazard_is_decided_recorded_and_summarised_from_the_console(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    bea = tenant(bot.tg, 5002, "Bea")
    # The console acts at the real time, so the tenant writes at the real time too.
    due = add_working_days(local_day(datetime.now(UTC)), 10)
    # Bea's hazard has nobody at higher risk; Ann's has a baby: Ann's is listed first.
    await repair_case(bot, bea, "mould on the bathroom ceiling, a small patch")
    await bot.send(bot.tg.private_message(bea, "just me"))
    case = await repair_case(bot, ann, "There is black mould on the bedroom wall")
    await bot.send(bot.tg.private_message(ann, "my baby is 4 months old"))
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
        panel = page.locator(".hazard-panel")
        await panel.get_by_text("damp and mould", exact=True).wait_for()
        assert "baby" in await page.locator("#hazard-proposed").inner_text()
        assert "not yet" in await page.locator("#hazard-decided").inner_text()
        assert f"{due:%a %d %b %Y}" in await panel.locator(".hazard-steps").inner_text()
        await screenshot(page, "hazard")

        await panel.get_by_text("Decide the category").click()
        await page.get_by_label("Category").select_option("significant")
        await page.get_by_label("Reason (staff only)").fill("mould where the baby sleeps")
        await page.get_by_role("button", name="Decide").click()
        await page.get_by_text("Priya set the hazard to significant").first.wait_for()
        decided = await page.locator("#hazard-decided").inner_text()
        assert decided.startswith("significant by Priya")

        await page.locator(".hazard-panel").get_by_text("Record a step").click()
        await page.get_by_label("What was found").fill("Mould from a broken extractor fan.")
        await page.get_by_role("button", name="Investigation ended").click()
        await page.get_by_text("Investigate recorded").first.wait_for()
        await page.locator(".hazard-panel").get_by_text("Record a step").click()
        await page.get_by_label("What we will do").fill("We will fit a new fan.")
        await page.get_by_role("button", name="Send the written summary").click()
        await page.get_by_text("written summary was sent").first.wait_for()
        await bot.settle()
        summary = bot.replies_to(ann.id)[-1]
        assert "What we found: Mould from a broken extractor fan." in summary

        link = page.get_by_role("link", name="Download the written summary (PDF)")
        href = await link.get_attribute("href")
        response = await page.request.get(f"{bot.web_url}{href}")
        assert response.ok and response.headers["content-type"] == "application/pdf"
        text = PdfReader(io.BytesIO(await response.body())).pages[0].extract_text()
        assert case.ref in text and "Mould from a broken extractor fan." in text
        assert "We will fit a new fan." in text

        await page.goto(f"{bot.web_url}/console/hazards")
        rows = page.locator("table").first.locator("tbody tr")
        assert await rows.count() == 2
        assert case.ref in await rows.nth(0).inner_text()
        assert "a baby" in await rows.nth(0).inner_text()
        assert "100%" in await page.locator("#steps-met").inner_text()
        await screenshot(page, "hazards")

    hazard = await HazardBook(bot.store).hazard(case.id)
    assert hazard is not None and hazard.confirmed == "significant"
    assert await bot.store.audit_trail("console_hazard_summary_pdf")
    async with aiohttp.ClientSession() as session:
        metrics = await (await session.get(f"{bot.web_url}/metrics")).text()
    assert 'helpbot_hazards{category="significant",kind="damp_mould"} 2.0' in metrics
    assert 'helpbot_hazards_open{at_risk="yes"} 1.0' in metrics
    assert "helpbot_hazard_steps_met_ratio 1.0" in metrics


async def test_an_ordinary_repair_shows_no_clock_and_a_summary_pdf_is_not_found(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    case = await repair_case(bot, ann, "my kitchen tap is dripping")
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
        await page.get_by_text("an ordinary repair with no hazard clock").wait_for()
        response = await page.request.get(
            f"{bot.web_url}/console/cases/{case.ref}/hazard-summary.pdf"
        )
        assert response.status == 404
