"""`helpbot serve` as `make run` starts it prints the console's address and how to make
the first account; the printed set-password link then works in a real browser."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.console_fixtures import PASSWORD, chromium

pytestmark = pytest.mark.browser


def _serve_and_add_an_admin(tmp_path: Path) -> tuple[subprocess.Popen[str], str]:
    """Start the server as `make run` does and add the first account as its hint says."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPBOT_")}
    env |= {
        "HELPBOT_PORT": "0",
        "HELPBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'helpbot.db'}",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "helpbot", "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=(tmp_path / "serve.log").open("w"),
        text=True,
    )
    assert process.stdout is not None
    console, hint = "", ""
    for line in process.stdout:
        if line.startswith("helpbot staff console: "):
            console = line.split(": ", 1)[1].strip()
        if "helpbot staff add" in line:
            hint = line
        if line.startswith("helpbot telegram: "):
            break
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/console/", console), console
    assert "--role admin" in hint
    port = console.split(":")[2].split("/")[0]
    added = subprocess.run(
        [sys.executable, "-m", "helpbot", "staff", "add", "lead@shal.org", "--role", "admin"],
        env=env | {"HELPBOT_PORT": port},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    )
    link = re.search(r"http://\S+/console/set-password/\S+", added.stdout)
    assert link is not None, added.stdout
    return process, link.group(0)


def _stop(process: subprocess.Popen[str]) -> int:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    return process.wait(timeout=30)


async def test_serve_prints_the_console_and_the_first_account_signs_in(tmp_path: Path) -> None:
    process, link = await asyncio.to_thread(_serve_and_add_an_admin, tmp_path)
    try:
        async with chromium() as browser:
            page = await browser.new_page()
            await page.goto(link)
            await page.get_by_label("New password").fill(PASSWORD)
            await page.get_by_label("The same again").fill(PASSWORD)
            await page.get_by_role("button", name="Set password").click()
            await page.get_by_text("Your password is set").wait_for()
            await page.get_by_label("Email").fill("lead@shal.org")
            await page.get_by_label("Password").fill(PASSWORD)
            await page.get_by_role("button", name="Sign in").click()
            await page.get_by_role("heading", name="Inbox").wait_for()
            # The link worked once: it is dead now.
            again = await page.goto(link)
            assert again is not None and again.status == 404
    finally:
        assert await asyncio.to_thread(_stop, process) == 0
