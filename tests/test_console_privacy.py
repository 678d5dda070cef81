"""UK GDPR from the console: a tenant's subject-access export holds what they sent and
nothing of anyone else's; erasure removes their words and identity but keeps the case
facts; the retention sweep counts first (dry run), then anonymises and deletes."""

from __future__ import annotations

import asyncio
import io
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import String, cast, select, update

from helpbot.cli import main
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.testing.harness import BotUnderTest, tenant
from tests.console_fixtures import (
    ALEX,
    PRIYA,
    SAM,
    add_colleague,
    chromium,
    repair_case,
    screenshot,
    sign_in,
)

pytestmark = pytest.mark.browser

ANNS_WORDS = "there is black mould behind the wardrobe at 14 Acacia Road"
BOBS_WORDS = "the kitchen tap at Bob's flat is dripping"


async def _public_copies(bot: BotUnderTest, words: str) -> int:
    """Copies of words in the community group's history and in raw platform payloads."""
    async with bot.store.sessions() as session:
        group = await session.scalar(
            select(models.Chat.id).where(models.Chat.external_id == str(bot.community.id))
        )
        in_group = await session.scalars(
            select(models.Message.id).where(
                models.Message.chat_id == group, models.Message.text.contains(words)
            )
        )
        raw = await session.scalars(
            select(models.InboxEvent.id).where(
                cast(models.InboxEvent.payload, String).contains(words)
            )
        )
        return len(list(in_group)) + len(list(raw))


async def _texts_mentioning(bot: BotUnderTest, words: str) -> int:
    async with bot.store.sessions() as session:
        messages = await session.scalars(
            select(models.Message.id).where(models.Message.text.contains(words))
        )
        events = await session.scalars(
            select(models.CaseEvent.id).where(models.CaseEvent.text.contains(words))
        )
        raw = await session.scalars(
            select(models.InboxEvent.id).where(
                cast(models.InboxEvent.payload, String).contains(words)
            )
        )
        return len(list(messages)) + len(list(events)) + len(list(raw))


async def test_export_holds_only_the_tenants_own_data_and_erasure_removes_it(
    bot: BotUnderTest,
) -> None:
    ann, bob = tenant(bot.tg), tenant(bot.tg, 5002, "Bob")
    case = await repair_case(bot, ann, ANNS_WORDS)
    await repair_case(bot, bob, BOBS_WORDS)
    await add_colleague(bot.store, PRIYA, role="lead")
    person = await bot.store.person(_telegram_person(ann.id, "Ann"))
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/tenants/{person.id}")
        async with page.expect_download() as waiting:
            await page.get_by_role("link", name="Download subject-access export").click()
        download = await waiting.value
        body = await asyncio.to_thread(Path(await download.path()).read_bytes)
        archive = zipfile.ZipFile(io.BytesIO(body))
        everything = "".join(archive.read(name).decode() for name in archive.namelist())
        assert ANNS_WORDS in json.loads(archive.read("messages_from_you.json"))[0]["text"]
        assert case.ref in everything and "Ann" in everything
        assert "Bob" not in everything and BOBS_WORDS not in everything
        assert "<script" not in archive.read("index.html").decode()

        await page.get_by_label("Type ERASE to confirm").fill("ERASE")
        await page.get_by_role("button", name="Erase personal data").click()
        await page.get_by_text("Case facts kept").wait_for()
        await screenshot(page, "tenant-erased")
    assert await _texts_mentioning(bot, "Acacia") == 0
    assert await _texts_mentioning(bot, BOBS_WORDS) > 0  # nobody else's data touched
    # Nor in the staff group: Ann's case topic is gone with her words; Bob's stays.
    await bot.settle()
    group = bot.staff_room.id
    live = [bot.tg.message(group, m["message_id"]) for m in bot.tg.sent_messages(group)]
    staff = [m.get("text", "") for m in live if m is not None]
    assert not any("Acacia" in text for text in staff)
    assert any(BOBS_WORDS in text for text in staff)
    assert case.staff_topic_id not in bot.tg.topics[bot.staff_room.id]
    kept = await Casebook(bot.store).by_id(case.id)
    assert kept is not None and kept.kind == "repair" and kept.created_at == case.created_at
    async with bot.store.sessions() as session:
        erased = await session.get(models.Person, person.id)
    assert erased is not None and erased.first_name == "[erased]" and erased.username is None
    (record,) = await bot.store.audit_trail("privacy_erasure")
    assert record.subject == f"person:{person.id}" and record.actor == f"console:{PRIYA.email}"
    assert "Acacia" not in json.dumps(record.detail)


def _telegram_person(user_id: int, name: str):  # type: ignore[no-untyped-def]
    from helpbot.desk.events import Person

    return Person(channel="telegram", external_id=str(user_id), first_name=name)


async def test_an_officer_cannot_export_or_erase(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await repair_case(bot, ann, ANNS_WORDS)
    await add_colleague(bot.store, SAM)
    person = await bot.store.person(_telegram_person(ann.id, "Ann"))
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, SAM)
        answer = await page.goto(f"{bot.web_url}/console/tenants/{person.id}/export.zip")
        assert answer is not None and answer.status == 403
        await page.goto(f"{bot.web_url}/console/tenants/{person.id}")
        assert await page.get_by_role("button", name="Erase personal data").count() == 0
    assert await _texts_mentioning(bot, "Acacia") > 0


async def test_the_retention_sweep_counts_first_then_anonymises_old_closed_cases(
    bot: BotUnderTest,
    monkeypatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    ann = tenant(bot.tg)
    old = await repair_case(bot, ann, ANNS_WORDS)
    recent = await repair_case(bot, tenant(bot.tg, 5002, "Bob"), BOBS_WORDS)
    long_ago = datetime.now(UTC) - timedelta(days=7 * 365)
    await Casebook(bot.store).change(old.id, status="closed", closed_at=long_ago)
    async with bot.store.sessions.begin() as session:
        await session.execute(
            update(models.InboxEvent).values(finished_at=datetime.now(UTC) - timedelta(days=40))
        )
    url = bot.store.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("HELPBOT_DATABASE_URL", url)
    assert await asyncio.to_thread(main, ["privacy", "sweep", "--dry-run"]) == 0
    printed = capsys.readouterr().out
    assert "dry run" in printed and "closed cases anonymised: 1" in printed
    assert await _texts_mentioning(bot, "Acacia") > 0  # nothing changed yet

    await add_colleague(bot.store, ALEX, role="admin")
    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, bot.web_url, ALEX)
        await page.goto(f"{bot.web_url}/console/privacy")
        await page.get_by_text("closed cases anonymised: 1 would be changed").wait_for()
        await screenshot(page, "privacy")
        page.on("dialog", lambda dialog: dialog.accept())
        await page.get_by_role("button", name="Run the sweep now").click()
        await page.get_by_text("closed cases anonymised: 1 were changed").wait_for()
    assert await _texts_mentioning(bot, "Acacia") == 0
    assert await _texts_mentioning(bot, "dripping") > 0  # the open case keeps its words
    kept = await Casebook(bot.store).by_id(old.id)
    assert kept is not None and kept.status == "closed" and kept.kind == "repair"
    assert (await Casebook(bot.store).by_id(recent.id)).summary  # type: ignore[union-attr]
    async with bot.store.sessions() as session:
        left = list(await session.scalars(select(models.InboxEvent.id)))
    assert left == []  # raw payloads older than 30 days are gone
    # Run again: nothing more to do.
    assert await asyncio.to_thread(main, ["privacy", "sweep"]) == 0
    assert "closed cases anonymised: 0" in capsys.readouterr().out


async def test_metrics_answer_a_remote_scraper_with_the_token(
    bot: BotUnderTest, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HELPBOT_METRICS_TOKEN", "scrape-me-please")
    from aiohttp import web

    from helpbot.web.console.guard import metrics_guard
    from helpbot.web.console.settings import ConsoleSettings
    from helpbot.web.metrics import StoreMetrics

    app = web.Application()
    app.router.add_get(
        "/metrics", metrics_guard(StoreMetrics(bot.store).handler, ConsoleSettings())
    )
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    base = f"http://127.0.0.1:{runner.addresses[0][1]}"
    try:
        remote = {"X-Forwarded-For": "203.0.113.9"}
        async with aiohttp.ClientSession() as session:
            refused = await session.get(f"{base}/metrics", headers=remote)
            wrong = await session.get(
                f"{base}/metrics", headers=remote | {"Authorization": "Bearer guess"}
            )
            allowed = await session.get(
                f"{base}/metrics", headers=remote | {"Authorization": "Bearer scrape-me-please"}
            )
            assert (refused.status, wrong.status, allowed.status) == (403, 403, 200)
            assert "helpbot_cases_open" in await allowed.text()
    finally:
        await runner.cleanup()


async def test_a_group_post_removed_for_personal_data_is_not_kept_in_raw_form(
    bot: BotUnderTest,
    monkeypatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    ann = tenant(bot.tg)
    exposed = "can someone from shal ring me on 07700 900123 about my rent arrears"
    post = bot.tg.group_message(bot.community, ann, exposed)
    await bot.send(post)
    assert bot.tg.is_deleted(bot.community.id, post["message"]["message_id"])
    await bot.send(bot.tg.group_message(bot.community, tenant(bot.tg, 5002, "Bob"), "morning all"))
    assert await _texts_mentioning(bot, "07700 900123") > 0  # stored until the sweep

    url = bot.store.engine.url.render_as_string(hide_password=False)
    monkeypatch.setenv("HELPBOT_DATABASE_URL", url)
    assert await asyncio.to_thread(main, ["privacy", "sweep", "--dry-run"]) == 0
    assert "text blanked: 1" in capsys.readouterr().out
    assert await _texts_mentioning(bot, "07700 900123") > 0
    assert await asyncio.to_thread(main, ["privacy", "sweep"]) == 0
    # The public post's raw forms are gone: its row in the group's history and the
    # platform's payload. What the tenant asked lives on in their private case, where
    # colleagues need it to call back (3.12, 3.13).
    assert await _public_copies(bot, "07700 900123") == 0
    assert await _texts_mentioning(bot, "morning all") > 0  # other posts are kept


async def test_ids_too_long_for_the_database_are_not_found_not_a_fault(bot: BotUnderTest) -> None:
    """A 23-digit id in a path reached the database driver and came back as a 500
    ("console fault OverflowError", outside review). Ids are range-checked first."""
    ann = tenant(bot.tg)
    case = await repair_case(bot, ann, ANNS_WORDS)
    await add_colleague(bot.store, PRIYA)
    huge = "9" * 23
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        for path in (f"tenants/{huge}", f"cases/{case.ref}/files/{huge}"):
            answer = await page.goto(f"{bot.web_url}/console/{path}")
            assert answer is not None and answer.status == 404, path
