"""The staff console under test: the whole bot against the fake Bot API, colleagues'
accounts made as `helpbot staff add` makes them, and headless Chromium to drive pages."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from playwright.async_api import Browser, Page, async_playwright

from helpbot.config import REPO_ROOT
from helpbot.store import staff_models  # noqa: F401  (its tables truncated between tests)
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store
from helpbot.store.staff_accounts import StaffAccounts
from helpbot.testing.harness import BotUnderTest

ARTIFACTS = REPO_ROOT / "test-artifacts"
PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Colleague:
    email: str
    name: str
    telegram_id: int | None


PRIYA = Colleague("priya@shal.org", "Priya", 9001)
SAM = Colleague("sam@shal.org", "Sam", 9002)
ALEX = Colleague("alex@shal.org", "Alex", None)


async def add_colleague(store: Store, who: Colleague, role: str = "officer") -> None:
    accounts = StaffAccounts(store)
    _, token = await accounts.add(
        who.email,
        role,
        name=who.name,
        telegram_user_id=str(who.telegram_id) if who.telegram_id else None,
    )
    assert await accounts.set_password(token, PASSWORD) is not None


@asynccontextmanager
async def chromium() -> AsyncIterator[Browser]:
    path = shutil.which("chromium")
    assert path, "Debian's chromium is required (make test installs it)"
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=path,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            await browser.close()


async def sign_in(page: Page, base: str, who: Colleague, password: str = PASSWORD) -> None:
    await page.goto(f"{base}/console/")
    await page.get_by_label("Email").fill(who.email)
    await page.get_by_label("Password").fill(password)
    await page.get_by_role("button", name="Sign in").click()
    await page.wait_for_load_state("load")


async def repair_case(bot: BotUnderTest, tenant_user, text: str):  # type: ignore[no-untyped-def]
    """A tenant reports a repair privately; the case and its staff topic exist after."""
    await bot.send(bot.tg.private_message(tenant_user, text))
    cases = await Casebook(bot.store).all_cases()
    case = cases[-1]
    refreshed = await Casebook(bot.store).by_id(case.id)
    assert refreshed is not None and refreshed.staff_topic_id is not None
    return refreshed


async def screenshot(page: Page, name: str) -> None:
    """The page at 1280 and 320 px wide, for a reviewer; nothing may spill sideways."""
    ARTIFACTS.mkdir(exist_ok=True)
    for width in (1280, 320):
        await page.set_viewport_size({"width": width, "height": 900})
        await page.screenshot(path=str(ARTIFACTS / f"console-{name}-{width}.png"), full_page=True)
        overflow = await page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{name} spills sideways at {width}px"
    await page.set_viewport_size({"width": 1280, "height": 900})
