"""A tenant's photo on the case page: an officer sees the picture itself, fetched from
Telegram (the fake Bot API's getFile and download) for a signed-in colleague only, each
view in the audit log; a file from another case is not found; after erasure the case
page says the file is no longer kept. Real Chromium, SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import logging

import aiohttp
import pytest
from sqlalchemy import select

from helpbot.desk.events import Person
from helpbot.store import models
from helpbot.store.privacy import Privacy
from helpbot.testing.harness import BotUnderTest, tenant
from tests.console_fixtures import PRIYA, add_colleague, chromium, repair_case, screenshot, sign_in

pytestmark = pytest.mark.browser

# A real 8x6 JPEG, so Chromium can draw it.
MOULD_PHOTO = base64.b64decode(
    "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERX"
    "RTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2Nj"
    "Y2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAAGAAgDASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAA"
    "AAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAk"
    "M2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKT"
    "lJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QA"
    "HwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdh"
    "cRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hp"
    "anN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk"
    "5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwCjRRRXnn0R/9k="
)
CAPTION = "the mould behind the wardrobe at 14 Acacia Road"


async def _photo_ids(bot: BotUnderTest, case_id: int) -> list[int]:
    async with bot.store.sessions() as session:
        return list(
            await session.scalars(
                select(models.Message.id).where(
                    models.Message.case_id == case_id, models.Message.content == "photo"
                )
            )
        )


async def _text_id(bot: BotUnderTest, case_id: int) -> int:
    async with bot.store.sessions() as session:
        found = await session.scalar(
            select(models.Message.id).where(
                models.Message.case_id == case_id,
                models.Message.direction == "in",
                models.Message.content == "text",
            )
        )
    assert found is not None
    return found


async def test_an_officer_sees_the_tenants_photo_and_a_stranger_does_not(
    bot: BotUnderTest, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    ann, bob = tenant(bot.tg), tenant(bot.tg, 5002, "Bob")
    case = await repair_case(bot, ann, "there is black mould in my bedroom")
    await bot.send(bot.tg.photo(ann, ann, caption=CAPTION, content=MOULD_PHOTO))
    other = await repair_case(bot, bob, "the kitchen tap drips all night")
    await bot.send(bot.tg.photo(bob, bob, caption="the tap", content=b"\xff\xd8 bob's photo"))
    (photo_id,) = await _photo_ids(bot, case.id)
    (bobs_photo_id,) = await _photo_ids(bot, other.id)
    await add_colleague(bot.store, PRIYA)
    href = f"/console/cases/{case.ref}/files/{photo_id}"

    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
        image = page.locator(f'.timeline img[src="{href}"]')
        await image.wait_for()
        await page.wait_for_function(
            "img => img.complete && img.naturalWidth > 0", arg=await image.element_handle()
        )
        assert await image.evaluate("img => [img.naturalWidth, img.naturalHeight]") == [8, 6]
        assert await page.get_by_role("link", name="Open the photo").count() == 1
        await page.get_by_text(CAPTION).first.wait_for()
        await screenshot(page, "case-photo")

        answer = await page.request.get(bot.web_url + href)
        assert answer.status == 200
        assert await answer.body() == MOULD_PHOTO  # exactly what the tenant sent
        headers = answer.headers
        assert headers["content-type"] == "image/jpeg"
        assert headers["content-disposition"].startswith("inline")
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["cache-control"] == "private, no-store"

        # Bob's photo is not on Ann's case, and Ann's words are not a file.
        for wrong in (bobs_photo_id, await _text_id(bot, case.id), 999999):
            refused = await page.request.get(
                f"{bot.web_url}/console/cases/{case.ref}/files/{wrong}"
            )
            assert refused.status == 404
            assert b"Traceback" not in await refused.body()
        missing = await page.request.get(f"{bot.web_url}/console/cases/NOPE-1/files/{photo_id}")
        assert missing.status == 404

    async with aiohttp.ClientSession() as stranger:
        async with stranger.get(bot.web_url + href, allow_redirects=False) as response:
            assert response.status in (303, 403)
            assert response.headers.get("Location", "").endswith("/console/sign-in")
            assert await response.read() != MOULD_PHOTO

    # The thumbnail and the direct fetch: each a view by Priya of that photo; the
    # stranger's try and the refused ids are not views of anything.
    views = await bot.store.audit_trail("console_view_file")
    assert len(views) >= 2
    assert {(v.actor, v.subject, v.detail["message_id"]) for v in views} == {
        (f"console:{PRIYA.email}", case.ref, photo_id)
    }
    assert not [r for r in caplog.records if "Acacia" in r.getMessage()]


async def test_after_erasure_the_case_says_the_file_is_no_longer_kept(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    case = await repair_case(bot, ann, "there is black mould in my bedroom")
    await bot.send(bot.tg.photo(ann, ann, caption=CAPTION, content=MOULD_PHOTO))
    (photo_id,) = await _photo_ids(bot, case.id)
    person = await bot.store.person(Person(channel="telegram", external_id=str(ann.id)))
    await add_colleague(bot.store, PRIYA)
    assert await Privacy(bot.store).erase(person.id, actor="console:lead@shal.org") is not None

    async with chromium() as browser:
        page = await browser.new_page(viewport={"width": 1280, "height": 900})
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
        await page.get_by_text("The file is no longer kept.").wait_for()
        assert await page.locator(".timeline img").count() == 0
        assert await page.get_by_text(CAPTION).count() == 0
        answer = await page.request.get(f"{bot.web_url}/console/cases/{case.ref}/files/{photo_id}")
        assert answer.status == 410
        assert await answer.body() != MOULD_PHOTO


async def test_a_document_that_claims_to_be_a_web_page_downloads_and_never_runs(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    case = await repair_case(bot, ann, "there is black mould in my bedroom")
    page_bytes = b"<script>alert('owned')</script>"
    await bot.send(
        bot.tg.document(
            ann, ann, file_name="letter.html", mime_type="text/html", content=page_bytes
        )
    )
    async with bot.store.sessions() as session:
        document_id = await session.scalar(
            select(models.Message.id).where(
                models.Message.case_id == case.id, models.Message.content == "document"
            )
        )
    await add_colleague(bot.store, PRIYA)
    async with chromium() as browser:
        page = await browser.new_page()
        await sign_in(page, bot.web_url, PRIYA)
        await page.goto(f"{bot.web_url}/console/cases/{case.ref}")
        await page.get_by_role("link", name="Open the document").wait_for()
        assert await page.locator(".timeline img").count() == 0
        answer = await page.request.get(
            f"{bot.web_url}/console/cases/{case.ref}/files/{document_id}"
        )
        assert answer.status == 200 and await answer.body() == page_bytes
        assert answer.headers["content-type"] == "application/octet-stream"
        assert answer.headers["content-disposition"] == 'attachment; filename="letter.html"'
        assert "sandbox" in answer.headers["content-security-policy"]
