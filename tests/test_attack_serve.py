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


def test_the_model_gets_two_cores_unless_the_process_forks_workers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A runtime thread pool does not survive a fork: ``serve --workers 2`` loads the model
    on one core before forking; a process on its own may use two."""
    monkeypatch.setattr(serve_module.os, "cpu_count", lambda: 8)
    settings = Settings(database_url="postgresql+asyncpg://nobody@127.0.0.1:1/none")
    assert settings.cores_for_the_model(forks=False) == 2
    assert settings.cores_for_the_model(forks=True) == 1
    assert Settings(model_threads=3).cores_for_the_model(forks=False) == 3
    assert Settings(model_threads=3).cores_for_the_model(forks=True) == 1
    monkeypatch.setattr(serve_module.os, "cpu_count", lambda: 1)
    assert settings.cores_for_the_model(forks=False) == 1

    asked: list[int] = []

    class Loaded(Exception):
        pass

    def load(settings: Settings, *, say_so: bool = False, threads: int = 1) -> None:
        asked.append(threads)
        raise Loaded

    monkeypatch.setattr(serve_module, "upgrade", lambda url: None)
    monkeypatch.setattr(serve_module, "load_understanding", load)
    with pytest.raises(Loaded):
        serve_module.serve_processes(settings, 2, polling=None)
    assert asked == [1]
