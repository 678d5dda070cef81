"""A colleague folds a duplicate case into the tenant's other case (/merge, in the
case's topic or from the console): one matter told twice, or a short follow-up read
alone as urgent that opened a second case (intents/README.md, ninth pass). The
duplicate's messages are filed on the case that stays, the duplicate closes, and the
tenant and both topics are told. Urgency and the complaints clock are never lost.
Through the fake Bot API (and real Chromium for the console), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.testing.harness import BotUnderTest, tenant
from tests.console_fixtures import PRIYA, add_colleague, chromium, sign_in
from tests.test_matters import cases
from tests.test_matters import topic_of as topic

WINDOW = "the window in my bedroom won't close"
AGAIN = "new issue: the bedroom window again, the catch has snapped off"
GAS = "I smell gas in the kitchen"


async def in_topic(bot: BotUnderTest, case: models.Case, text: str) -> None:
    priya = bot.tg.user(9001, "Priya")
    fresh = await Casebook(bot.store).by_id(case.id)
    assert fresh is not None and fresh.staff_topic_id is not None
    await bot.send(bot.tg.topic_message(bot.staff_room, fresh.staff_topic_id, priya, text))


async def filed_on(bot: BotUnderTest, case: models.Case) -> list[str]:
    async with bot.store.sessions() as session:
        rows = await session.scalars(
            select(models.Message)
            .where(models.Message.case_id == case.id, models.Message.direction == "in")
            .order_by(models.Message.id)
        )
        return [m.text for m in rows]


async def test_a_window_reported_twice_is_merged_into_the_first_case(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, WINDOW))
    await bot.send(bot.tg.private_message(ann, AGAIN))
    first, second = await cases(bot)
    assert (first.kind, second.kind) == ("repair", "repair")

    await in_topic(bot, second, f"/merge {first.ref.lower()}")

    first, second = await cases(bot)
    assert (first.status, second.status) == ("open", "closed")
    assert AGAIN in await filed_on(bot, first) and await filed_on(bot, second) == []
    assert (
        f"Your case {second.ref} is about the same thing as your case {first.ref}"
        in (bot.replies_to(ann.id)[-1])
    )
    assert any(f"Merged into {first.ref} and closed" in t for t in await topic(bot, second))
    assert any(f"Priya merged {second.ref} into this case" in t for t in await topic(bot, first))
    kinds = [e.kind for e in await Casebook(bot.store).timeline(second.id)]
    assert "merged_into" in kinds
    assert "merged_from" in [e.kind for e in await Casebook(bot.store).timeline(first.id)]
    assert [a.subject for a in await bot.store.audit_trail("case_merge")] == [second.ref]
    # Ann's next words carry on the case that stayed.
    await bot.send(bot.tg.private_message(ann, "any news on when someone can come?"))
    assert "any news on when someone can come?" in await filed_on(bot, first)
    assert len(await cases(bot)) == 2


async def test_an_urgent_case_is_never_folded_into_a_repair_only_the_other_way(
    bot: BotUnderTest,
) -> None:
    """Ann's window, then a gas smell (a new emergency case). Folding the gas case into
    the window would lose its urgency: refused, with the way that works. Folding the
    window into the gas case is allowed; the emergency stays urgent and open."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, WINDOW))
    await bot.send(bot.tg.private_message(ann, GAS))
    window, gas = await cases(bot)
    assert gas.urgent and not window.urgent

    await in_topic(bot, gas, f"/merge {window.ref}")
    assert any("Merge the other way round" in t for t in await topic(bot, gas))
    window, gas = await cases(bot)
    assert (window.status, gas.status) == ("open", "open")

    await in_topic(bot, window, f"/merge {gas.ref}")
    window, gas = await cases(bot)
    assert (window.status, gas.status, gas.urgent) == ("closed", "open", True)
    assert WINDOW in await filed_on(bot, gas)


async def test_merge_refuses_what_it_cannot_do_and_says_why(bot: BotUnderTest) -> None:
    """No reference, another tenant's case, itself, a closed case: each a plain answer,
    nothing moved or closed."""
    ann, bob = tenant(bot.tg), tenant(bot.tg, 5002, "Bob")
    await bot.send(bot.tg.private_message(ann, WINDOW))
    await bot.send(bot.tg.private_message(bob, "the kitchen tap drips all night"))
    await bot.send(bot.tg.private_message(ann, AGAIN))
    anns, bobs, again = await cases(bot)

    await in_topic(bot, again, "/merge")
    await in_topic(bot, again, f"/merge {bobs.ref}")
    await in_topic(bot, again, f"/merge {again.ref}")
    said = await topic(bot, again)
    assert any("Which case is this the same as?" in t for t in said)
    assert sum(1 for t in said if "isn't another open case of this tenant's" in t) == 2

    await in_topic(bot, anns, "/close")
    await in_topic(bot, again, f"/merge {anns.ref}")
    refused = f"{anns.ref} is resolved or closed: /reopen it first"
    assert any(refused in t for t in await topic(bot, again))
    statuses = [c.status for c in await cases(bot)]
    assert statuses == ["closed", "open", "open"]
    assert AGAIN in await filed_on(bot, again)


@pytest.mark.browser
async def test_an_officer_merges_a_duplicate_from_the_console(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, WINDOW))
    await bot.send(bot.tg.private_message(ann, AGAIN))
    first, second = await cases(bot)
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page()
        page.on("dialog", lambda dialog: dialog.accept())
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/cases/{second.ref}")
        await page.get_by_text("Merge into another case of this tenant's").click()
        await page.get_by_label("The case this one is the same as").fill(first.ref)
        await page.get_by_role("button", name="Merge", exact=True).click()
        await page.wait_for_load_state("load")
        await bot.settle()
    first, second = await cases(bot)
    assert (first.status, second.status) == ("open", "closed")
    assert AGAIN in await filed_on(bot, first)
    assert f"your case {first.ref}" in bot.replies_to(ann.id)[-1]
