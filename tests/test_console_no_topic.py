"""Working a case that has no staff topic from the console: a Telegram bot run without a
staff room, and a staff room where Telegram refused to make the case's topic. Every
action (note, claim, reply, extend, escalate, resolve, publish, close, reopen) is the
desk's own, reaches the tenant through the fake Bot API and lands on the timeline.
Real Chromium, SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page

from helpbot.store.casebook import Casebook
from helpbot.store.records import Store
from helpbot.testing.harness import BotUnderTest, running_bot, tenant
from tests.console_fixtures import PRIYA, add_colleague, chromium, screenshot, sign_in

pytestmark = pytest.mark.browser

COMPLAINT = "I reported the broken window in my flat 3 weeks ago and nobody has come to fix it"


@pytest.fixture
async def bot(store: Store, understanding) -> AsyncIterator[BotUnderTest]:  # type: ignore[no-untyped-def]
    """Telegram with community groups but no staff room (HELPBOT_STAFF_GROUP_ID unset)."""
    async with running_bot(store, understanding, staff_group_id=None) as running:
        yield running


async def act(page: Page, button: str, *, fill: dict[str, str] | None = None) -> str:
    """Press a case action (filling its fields first) and read what the desk answered."""
    for label, value in (fill or {}).items():
        await page.get_by_label(label).fill(value)
    await page.get_by_role("button", name=button, exact=True).click()
    flash = page.locator(".flash")
    await flash.wait_for()
    return await flash.inner_text()


async def test_every_action_works_on_a_case_without_a_staff_room(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    post = bot.tg.group_message(bot.community, ann, COMPLAINT)
    await bot.send(post)
    (case,) = await Casebook(bot.store).all_cases()
    assert case.staff_topic_id is None
    await bot.send(bot.tg.command(ann, ann, "start", case.link_token or ""))
    await add_colleague(bot.store, PRIYA)

    def told() -> list[str]:
        return bot.replies_to(ann.id)

    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("dialog", lambda dialog: dialog.accept())
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
        assert await page.get_by_text("Actions need the Telegram staff room").count() == 0

        assert "Note saved" in await act(
            page, "Add note", fill={"Internal note (staff only)": "Tenant works nights"}
        )
        assert "Priya has taken this case" in await act(page, "Claim")

        heard = len(told())
        said = await act(
            page,
            "Send reply",
            fill={"Reply to the tenant (signed with your first name)": "A glazier comes Monday"},
        )
        assert "Reply on its way to the tenant." in said
        await bot.settle()
        assert told()[heard] == "A glazier comes Monday\n\n— Priya, SHAL team"
        assert any(f"We've acknowledged your complaint {case.ref}" in t for t in told()[heard:])

        await page.get_by_text("Extend the response deadline").click()
        said = await act(
            page,
            "Extend",
            fill={
                "Working days (the Code allows up to 10 at stage 1, 20 at stage 2)": "5",
                "Reason, as the tenant will read it": "the glass is made to order",
            },
        )
        assert "Response date moved" in said
        await bot.settle()
        assert "the glass is made to order" in told()[-1]

        await page.locator("summary", has_text="Resolve").click()
        await act(
            page,
            "Resolve",
            fill={"Resolution, as the tenant will read it": "The new window is in and sealed."},
        )
        await bot.settle()
        question = bot.tg.sent_messages(ann.id)[-1]
        assert "The new window is in and sealed." in question["text"]
        assert [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row] == [
            "Yes",
            "No",
        ]

        await page.get_by_text("Publish the resolution").click()
        said = await act(
            page,
            "Ask for consent",
            fill={"Text to publish under the original post": "Sorted: the window is replaced."},
        )
        assert "Asked the tenant for consent" in said
        await bot.settle()
        assert "Sorted: the window is replaced." in told()[-1]

        said = await act(page, "Escalate to stage 2")
        assert "Escalated to stage 2" in said
        await bot.settle()
        assert f"Your complaint {case.ref} is now at stage 2" in told()[-1]

        assert "Case closed" in await act(page, "Close")
        await bot.settle()
        assert f"Your case {case.ref} is now closed" in told()[-1]
        assert "Case reopened" in await act(page, "Reopen")
        await bot.settle()
        assert f"We've reopened your case {case.ref}" in told()[-1]
        await screenshot(page, "case-without-topic")

    # Nothing went to a staff room (there is none), nothing was lost on the way, and the
    # history is the same as from a topic.
    assert bot.tg.sent_messages(bot.staff_room.id) == []
    kinds = [e.kind for e in await Casebook(bot.store).timeline(case.id) if e.actor_kind == "staff"]
    assert kinds == [
        "note",
        "claimed",
        "staff_reply",
        "acknowledged",
        "extended",
        "resolved",
        "consent_asked",
        "escalated",
        "closed",
        "reopened",
    ]
    audited = {e.action for e in await bot.store.audit_trail()}
    assert {
        "case_note",
        "case_claim",
        "case_reply",
        "case_extend",
        "case_resolve",
        "case_publish",
        "case_escalate",
        "case_close",
        "case_reopen",
    } <= audited
    undelivered = [
        e for e in await Casebook(bot.store).timeline(case.id) if e.kind == "undelivered"
    ]
    assert undelivered == []


async def test_a_case_whose_topic_telegram_refused_is_still_worked_from_the_console(
    store: Store,
    understanding,  # type: ignore[no-untyped-def]
) -> None:
    async with running_bot(store, understanding) as bot:
        bot.tg.faults.fail_next(
            "createForumTopic",
            status=400,
            count=50,
            description="Bad Request: not enough rights to create a topic",
        )
        ann = tenant(bot.tg)
        await bot.send(bot.tg.private_message(ann, "the kitchen tap drips all night"))
        (case,) = await Casebook(bot.store).all_cases()
        assert case.staff_topic_id is None
        await add_colleague(bot.store, PRIYA)
        async with chromium() as browser:
            page = await browser.new_page()
            await sign_in(page, bot.web_url, PRIYA)
            await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
            said = await act(
                page,
                "Send reply",
                fill={"Reply to the tenant (signed with your first name)": "A plumber is booked"},
            )
            assert "Reply on its way to the tenant." in said
            await page.locator("#assignee").get_by_text("Priya").wait_for()
        await bot.settle()
        assert bot.replies_to(ann.id)[-1] == "A plumber is booked\n\n— Priya, SHAL team"
        kinds = [e.kind for e in await Casebook(bot.store).timeline(case.id)]
        assert "claimed" in kinds and "staff_reply" in kinds
