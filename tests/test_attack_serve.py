"""Start-up as an operator might get it wrong: a second process on the SQLite file.

SQLite serves one process (no row locks for claims; the sender of a process that
starts takes every send still marked "sending" as cut off by a crash). `serve
--workers 2` already refuses SQLite; `helpbot work`, the same extra process started
by hand, must refuse it too, before it touches the inbox."""

from __future__ import annotations

from pathlib import Path

import pytest

import helpbot.serve as serve_module
from helpbot.config import REPO_ROOT, Settings


async def test_an_extra_worker_process_on_the_sqlite_file_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def started(settings: Settings) -> None:
        raise AssertionError("a second process on the SQLite file was started")

    monkeypatch.setattr(serve_module, "load_understanding", started)
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{tmp_path / 'helpbot.db'}",
        intents_dir=REPO_ROOT / "intents",
    )
    assert await serve_module.work(settings) == 2
    assert "PostgreSQL" in capsys.readouterr().err
