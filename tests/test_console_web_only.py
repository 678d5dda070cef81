"""The console where only the web chat runs (`make run` with no Telegram token): cases
from web visitors are listed, read and worked (there is no staff room, so no topic: the
console's actions name the case), a reply reaches the visitor's open tab, and a web
visitor's data is exported and erased like anyone's, console replies included."""

from __future__ import annotations

import json
import zipfile
from io import BytesIO

import aiohttp
import pytest
from sqlalchemy import String, cast, select

from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.privacy import Privacy
from helpbot.testing.harness import running_web_chat
from tests.console_fixtures import PRIYA, add_colleague, chromium, sign_in

pytestmark = pytest.mark.browser

WORDS = "the radiator in my bedroom at 3 Elm Close won't heat up"
REPLY = "Someone will bleed the radiator at 3 Elm Close on Tuesday"


async def test_a_web_visitors_case_is_read_exported_and_erased(store, understanding) -> None:  # type: ignore[no-untyped-def]
    async with running_web_chat(store, understanding) as (url, parts):
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
            await session.get(f"{url}/chat")
            async with session.ws_connect(f"{url}/chat/ws", origin=url) as ws:
                await ws.receive_json(timeout=10)
                await ws.send_json({"type": "message", "text": WORDS})
                await ws.receive_json(timeout=10)
                await parts.postroom.idle(30)
                (case,) = await Casebook(store).all_cases()
                assert case.staff_topic_id is None
                await add_colleague(store, PRIYA)
                async with chromium() as browser:
                    page = await browser.new_page()
                    await sign_in(page, url, PRIYA)
                    await page.goto(f"{url}/console/?channel=web")
                    await page.get_by_role("link", name=case.ref).click()
                    timeline = page.locator(".timeline")
                    await timeline.get_by_text("3 Elm Close", exact=False).wait_for()
                    await page.get_by_label("Reply to the tenant").fill(REPLY)
                    await page.get_by_role("button", name="Send reply").click()
                    await page.get_by_text("Reply on its way to the tenant.").wait_for()
                    assert await page.locator("#assignee").inner_text() == "Priya"
                    await timeline.get_by_text(REPLY).wait_for()
                # The visitor's open tab gets it, signed with Priya's first name.
                pushed = await ws.receive_json(timeout=10)
                assert pushed["type"] == "reply"
                assert pushed["text"] == f"{REPLY}\n\n— Priya, SHAL team"

        privacy = Privacy(store)
        archive = zipfile.ZipFile(BytesIO(await privacy.subject_access_zip(case.tenant_id) or b""))
        sent = json.loads(archive.read("messages_from_you.json"))
        assert WORDS in [m["text"] for m in sent]
        counts = await privacy.erase(case.tenant_id, actor="console:priya@shal.org")
        # Their message, our replies to them, the colleague's reply as the console sent
        # it (message and raw event) all go.
        assert counts is not None and counts.messages >= 3 and counts.raw_events >= 2
    async with store.sessions() as session:
        left = list(
            await session.scalars(
                select(models.Message.id).where(models.Message.text.contains("Elm Close"))
            )
        )
        raw = list(
            await session.scalars(
                select(models.InboxEvent.id).where(
                    cast(models.InboxEvent.payload, String).contains("Elm Close")
                )
            )
        )
        events = list(
            await session.scalars(
                select(models.CaseEvent.id).where(models.CaseEvent.text.contains("Elm Close"))
            )
        )
        queued = list(
            await session.scalars(
                select(models.OutboxItem.id).where(
                    cast(models.OutboxItem.payload, String).contains("Elm Close")
                )
            )
        )
    assert left == [] and raw == [] and events == [] and queued == []
