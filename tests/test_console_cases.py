"""Working cases from the console: the inbox finds them, the case page shows the whole
timeline with tenants' words as text, and every action is the staff room's own action
through the inbox, so replies reach the tenant on their channel and a claim race has
exactly one winner. Real Chromium, the fake Bot API, SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest

from helpbot.store.casebook import Casebook
from helpbot.testing.harness import BotUnderTest, tenant
from tests.console_fixtures import (
    ARTIFACTS,
    PRIYA,
    SAM,
    add_colleague,
    chromium,
    repair_case,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

HOSTILE = "my boiler is broken <script>document.title='owned'</script><b>no heating</b>"


async def test_a_tenants_html_is_shown_as_text_and_search_finds_the_case(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    case = await repair_case(bot, ann, HOSTILE)
    other = await repair_case(bot, tenant(bot.tg, 5002, "Bob"), "the kitchen tap drips")
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, bot.web_url, PRIYA)
        await page.get_by_role("heading", name="Inbox").wait_for()
        await screenshot(page, "inbox")
        await page.get_by_label("Search").fill("boiler")
        await page.get_by_role("button", name="Filter").click()
        await page.wait_for_load_state("load")
        assert await page.get_by_role("link", name=case.ref).count() == 1
        assert await page.get_by_role("link", name=other.ref).count() == 0
        await page.get_by_label("Search").fill(other.ref)
        await page.get_by_role("button", name="Filter").click()
        await page.wait_for_load_state("load")
        assert await page.get_by_role("link", name=other.ref).count() == 1
        assert await page.get_by_role("link", name=case.ref).count() == 0

        await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
        timeline = page.locator(".timeline")
        await timeline.get_by_text("<script>", exact=False).first.wait_for()
        assert await page.title() != "owned"
        assert await page.locator(".timeline script, .timeline b").count() == 0
        await screenshot(page, "case")
        # Keyboard users see where they are; high-contrast (forced colours) still reads.
        await page.keyboard.press("Tab")
        outline = await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"
        await page.emulate_media(forced_colors="active")
        await page.screenshot(path=str(ARTIFACTS / "console-case-high-contrast-1280.png"))
        await page.emulate_media(forced_colors="none")
        await page.get_by_role("link", name="Ann").first.click()
        await page.get_by_role("heading", name="Ann").wait_for()
        assert await page.get_by_role("link", name=case.ref).count() == 1
        await screenshot(page, "tenant")
    viewed = await bot.store.audit_trail("console_view_case")
    assert [(v.actor, v.subject) for v in viewed] == [(f"console:{PRIYA.email}", case.ref)]
    assert await bot.store.audit_trail("console_view_tenant")


async def test_a_reply_from_the_console_reaches_the_tenant_on_telegram(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    case = await repair_case(bot, ann, "the extractor fan in my bathroom has stopped working")
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
        await page.get_by_label("Reply to the tenant").fill("An electrician comes on Tuesday")
        await page.get_by_role("button", name="Send reply").click()
        await page.get_by_text("Reply on its way to the tenant.").wait_for()
        await bot.settle()
        assert bot.replies_to(ann.id)[-1] == "An electrician comes on Tuesday\n\n— Priya, SHAL team"
        # The same history as a reply from the topic: claimed by her, reply on record.
        await page.reload()
        assert await page.locator("#assignee").inner_text() == "Priya"
        await page.locator(".timeline").get_by_text("An electrician comes on Tuesday").wait_for()
        # Colleagues in Telegram see it too, in the case's topic.
        topic = bot.replies_to(bot.staff_room.id, case.staff_topic_id)
        assert any("Priya has taken this case" in text for text in topic)
    timeline = await Casebook(bot.store).timeline(case.id)
    staff = [e for e in timeline if e.actor_kind == "staff"]
    assert [e.kind for e in staff] == ["claimed", "staff_reply"]
    people = {e.actor_id for e in staff}
    priya = await bot.store.person(_telegram(9001, "Priya"))
    assert people == {priya.id}  # the same person as Priya writing in the topic
    assert await bot.store.audit_trail("console_case_reply")


def _telegram(user_id: int, name: str):  # type: ignore[no-untyped-def]
    from helpbot.desk.events import Person

    return Person(channel="telegram", external_id=str(user_id), first_name=name)


async def test_two_colleagues_claim_at_once_and_exactly_one_wins(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    case = await repair_case(bot, ann, "my front door lock is stiff and hard to turn")
    await add_colleague(bot.store, PRIYA)
    await add_colleague(bot.store, SAM)
    async with chromium() as browser:
        first = await (await browser.new_context()).new_page()
        second = await (await browser.new_context()).new_page()
        await sign_in(first, bot.web_url, PRIYA)
        await sign_in(second, bot.web_url, SAM)
        for page in (first, second):
            await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
        await asyncio.gather(
            first.get_by_role("button", name="Claim", exact=True).click(),
            second.get_by_role("button", name="Claim", exact=True).click(),
        )
        for page in (first, second):
            await page.locator(".flash").wait_for()
        said = [await page.locator(".flash").inner_text() for page in (first, second)]
        holders = [await page.locator("#assignee").inner_text() for page in (first, second)]
    refreshed = await Casebook(bot.store).by_id(case.id)
    assert refreshed is not None and refreshed.assignee_name in ("Priya", "Sam")
    winner = refreshed.assignee_name
    # Both see the winner; the loser is told who has it; nothing was lost or doubled.
    assert holders == [winner, winner]
    assert sum("has taken this case" in text for text in said) == 1
    assert any(winner in text and "has taken" not in text for text in said)
    claims = [e for e in await Casebook(bot.store).timeline(case.id) if e.kind == "claimed"]
    assert len(claims) == 1 and claims[0].actor_name == winner


async def test_a_note_from_the_console_stays_with_staff(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    case = await repair_case(bot, ann, "my kitchen tap is dripping")
    await add_colleague(bot.store, PRIYA)
    before = len(bot.replies_to(ann.id))
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
        # The same form sent twice (a double click, a resend after a timeout) is one note.
        statuses = await page.evaluate(
            """async () => {
                const form = document.getElementById('note-text').form;
                const body = new URLSearchParams(new FormData(form));
                body.set('text', 'Tenant prefers mornings');
                const url = form.getAttribute('action');
                const send = () => fetch(url, {method: 'POST', body}).then(r => r.status);
                return [await send(), await send()];
            }"""
        )
        assert statuses == [200, 200]
        await page.reload()
        await page.locator(".timeline").get_by_text("Tenant prefers mornings").wait_for()
    await bot.settle()
    assert len(bot.replies_to(ann.id)) == before
    notes = [e for e in await Casebook(bot.store).timeline(case.id) if e.kind == "note"]
    assert [n.text for n in notes] == ["Tenant prefers mornings"]


async def test_a_reply_that_cannot_reach_the_tenant_yet_is_not_shown_as_sent(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    complaint = "I reported the broken window in my flat 3 weeks ago and nobody has come to fix it"
    await bot.send(bot.tg.group_message(bot.community, ann, complaint))
    (case,) = await Casebook(bot.store).all_cases()
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
        await page.get_by_label("Reply to the tenant").fill("We are looking into it")
        await page.get_by_role("button", name="Send reply").click()
        flash = page.locator(".flash")
        await flash.wait_for()
        text = await flash.inner_text()
    assert "hasn't opened a private chat" in text
    assert "Reply sent" not in text
    assert bot.replies_to(ann.id) == []


async def test_an_officer_sees_which_messages_the_bot_could_not_read(bot: BotUnderTest) -> None:
    """A case in another language says so in the inbox, at the top of the case and on
    the message itself: an officer working from the console alone saw no sign of it, and
    the staff-room note "Written in Polish" was the only one (walking the console)."""
    ann = tenant(bot.tg)
    polish = "Dzień dobry, kiedy przyjdzie hydraulik do mojego mieszkania?"
    await bot.send(bot.tg.private_message(ann, polish))
    await bot.send(bot.tg.private_message(ann, "thank you, the kitchen tap is still leaking"))
    (case,) = await Casebook(bot.store).all_cases()
    assert case.summary.startswith("[Polish] Dzień dobry")
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, bot.web_url, PRIYA)
        await page.get_by_role("heading", name="Inbox").wait_for()
        await page.get_by_text("[Polish] Dzień dobry", exact=False).first.wait_for()
        await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
        facts = page.locator(".facts")
        await facts.get_by_text("Written in").wait_for()
        assert "Polish" in await facts.locator("dd.language").inner_text()
        timeline = page.locator(".timeline li")
        polish_entry = timeline.filter(has_text="kiedy przyjdzie")
        english_entry = timeline.filter(has_text="kitchen tap is still leaking")
        assert "Written in Polish: the bot did not read it" in await polish_entry.inner_text()
        assert "Written in" not in await english_entry.inner_text()
        await screenshot(page, "case-in-polish")
