"""`helpbot serve`, as `make run` starts it: the web chat comes up on SQLite with no
Telegram token, says where it is, and shuts down cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path


def test_serve_brings_the_web_chat_up_and_stops_cleanly(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HELPBOT_")}
    env |= {
        "HELPBOT_PORT": "0",
        "HELPBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'helpbot.db'}",
    }
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "helpbot", "serve"],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=log,
        text=True,
    )
    try:
        assert process.stdout is not None
        address = ""
        for line in process.stdout:
            if line.startswith("helpbot web chat: "):
                address = line.split(": ", 1)[1].strip()
            if line.startswith("helpbot telegram: "):
                assert "off" in line
                break
        assert address.endswith("/chat"), address
        with urllib.request.urlopen(address, timeout=10) as page:
            assert page.status == 200
            assert "Chat with SHAL" in page.read().decode()
        health = address.removesuffix("/chat") + "/healthz"
        with urllib.request.urlopen(health, timeout=10) as answer:
            assert answer.status == 200
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=30) == 0
        assert (tmp_path / "helpbot.db").exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
