"""Reassigning a case and a lead's takeover, from the console: the same desk action as
`/assign` and `/takeover` in the staff room, with the same rules (an officer cannot take
a colleague's case, a lead can), the same history and audit, and the colleague who
loses the case told in its topic. Real Chromium, the fake Bot API, SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from playwright.async_api import Page

from helpbot.store.casebook import Casebook
from helpbot.testing.harness import BotUnderTest, tenant
from tests.console_fixtures import (
    PRIYA,
    SAM,
    Colleague,
    add_colleague,
    chromium,
    repair_case,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

LENA = Colleague("lena@shal.org", "Lena", None)  # a team lead, console only


async def open_case(page: Page, base: str, ref: str) -> None:
    await page.goto(f"{base}/console/cases/{ref}")
    await page.get_by_role("heading", name=ref).wait_for()


async def act(page: Page, button: str) -> str:
    await page.get_by_role("button", name=button).click()
    flash = page.locator(".flash")
    await flash.wait_for()
    return await flash.inner_text()


async def test_a_colleague_reassigns_their_case_and_the_new_holder_is_told(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    case = await repair_case(bot, ann, "the extractor fan in my bathroom has stopped working")
    await add_colleague(bot.store, PRIYA)
    await add_colleague(bot.store, SAM)
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, bot.web_url, PRIYA)
        await open_case(page, bot.web_url, case.ref)
        assert "Priya has taken this case" in await act(page, "Claim")
        await page.get_by_label("Give this case to a colleague").select_option(
            label=f"Sam ({SAM.email})"
        )
        said = await act(page, "Reassign")
        assert "Sam now has this case" in said
        assert await page.locator("#assignee").inner_text() == "Sam"
        await page.locator(".timeline").get_by_text("from Priya to Sam").wait_for()
        await screenshot(page, "case-reassigned")
    # Sam is told in the case's topic; the tenant hears nothing of it.
    topic = bot.replies_to(bot.staff_room.id, case.staff_topic_id)
    assert any(f"Sam, Priya has given you {case.ref}" in text for text in topic)
    assert all("Sam" not in text for text in bot.replies_to(ann.id))
    moves = [e for e in await Casebook(bot.store).timeline(case.id) if e.kind == "assigned"]
    assert [(m.actor_name, m.text) for m in moves] == [("Priya", "from Priya to Sam")]
    assert [e.subject for e in await bot.store.audit_trail("console_case_assign")] == [case.ref]
    assert [e.actor for e in await bot.store.audit_trail("case_assign")] == [
        f"staff:telegram:{PRIYA.telegram_id}"
    ]


async def test_an_officer_cannot_take_over_a_claimed_case_and_a_lead_can(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    case = await repair_case(bot, ann, "my front door lock is stiff and hard to turn")
    await add_colleague(bot.store, PRIYA)
    await add_colleague(bot.store, SAM)
    await add_colleague(bot.store, LENA, role="lead")
    async with chromium() as browser:
        priya = await (await browser.new_context()).new_page()
        await sign_in(priya, bot.web_url, PRIYA)
        await open_case(priya, bot.web_url, case.ref)
        await act(priya, "Claim")

        # Sam, an officer: no Take over button, and the desk refuses him either way.
        sam = await (await browser.new_context()).new_page()
        await sign_in(sam, bot.web_url, SAM)
        await open_case(sam, bot.web_url, case.ref)
        assert await sam.get_by_role("button", name="Take over from Priya").count() == 0
        await sam.get_by_label("Give this case to a colleague").select_option(
            label=f"Sam ({SAM.email})"
        )
        said = await act(sam, "Reassign")
        assert "Only Priya or a team lead can hand it on" in said
        assert await sam.locator("#assignee").inner_text() == "Priya"
        # A takeover posted by hand (the form a lead sees) is refused all the same.
        status = await sam.evaluate(
            """async () => {
                const form = document.getElementById('assign-to').form;
                const body = new URLSearchParams(new FormData(form));
                body.set('action', 'takeover');
                body.set('nonce', 'forged-takeover');
                const answer = await fetch(form.getAttribute('action'), {method: 'POST', body});
                return answer.status;
            }"""
        )
        assert status == 200
        await sam.reload()
        assert await sam.locator("#assignee").inner_text() == "Priya"
        await screenshot(sam, "case-takeover-refused")

        # Lena, a lead: she takes it over; Priya is told in the staff room.
        lena = await (await browser.new_context()).new_page()
        lena.on("dialog", lambda dialog: dialog.accept())
        await sign_in(lena, bot.web_url, LENA)
        await open_case(lena, bot.web_url, case.ref)
        said = await act(lena, "Take over from Priya")
        assert "Lena now has this case" in said
        assert await lena.locator("#assignee").inner_text() == "Lena"
        await lena.locator(".timeline").get_by_text("from Priya to Lena").wait_for()
        assert await lena.get_by_role("button", name="Take over from Priya").count() == 0
        await screenshot(lena, "case-taken-over")
    topic = bot.replies_to(bot.staff_room.id, case.staff_topic_id)
    assert any(f"Priya, Lena (team lead) has taken over {case.ref} from you" in t for t in topic)
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None and stored.assignee_name == "Lena"
    timeline = await Casebook(bot.store).timeline(case.id)
    assert [e.kind for e in timeline if e.actor_kind == "staff"] == ["claimed", "taken_over"]
    refused = await bot.store.audit_trail("case_takeover_refused")
    assert [e.actor for e in refused] == [f"staff:telegram:{SAM.telegram_id}"] * 2
    (taken,) = await bot.store.audit_trail("case_taken_over")
    assert taken.subject == case.ref and taken.actor.startswith("staff:console:staff-")
