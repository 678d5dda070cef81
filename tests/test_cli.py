"""The command line the acceptance checks and operators use: exact output formats."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from helpbot.nlu.intents import LABELS


def _helpbot(*args: str, stdin: str = "", env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "helpbot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=180,
        env={**os.environ, **(env or {})},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_classify_writes_one_json_object_per_message_with_all_ten_scores(tmp_path: Path) -> None:
    messages = ["I can smell gas in my flat", "hiya!", "how do I join the tenants group?"]
    out = _helpbot("classify", stdin="\n".join(messages) + "\n")
    rows = [json.loads(line) for line in out.splitlines()]
    assert [row["text"] for row in rows] == messages
    for row in rows:
        assert set(row) == {"text", "intent", "scores", "why"}
        assert row["intent"] in LABELS
        assert set(row["scores"]) == set(LABELS)
        assert isinstance(row["why"], str) and row["why"]
        assert all(isinstance(score, float) for score in row["scores"].values())
    assert rows[0]["intent"] == "emergency"
    assert rows[1]["intent"] == "smalltalk"


def test_ask_prints_the_reply_a_tenant_would_get_and_touches_no_database(
    tmp_path: Path,
) -> None:
    database = tmp_path / "real.db"
    env = {"HELPBOT_DATABASE_URL": f"sqlite+aiosqlite:///{database}"}
    out = _helpbot("ask", "what's your phone number?", env=env)
    assert "01278 444344" in out
    rows = [
        json.loads(line)
        for line in _helpbot(
            "ask", "--jsonl", stdin="/start\nmy toilet won't flush\n", env=env
        ).splitlines()
    ]
    assert [set(row) for row in rows] == [{"text", "intent", "reply", "why"}] * 2
    assert "automated assistant" in rows[0]["reply"]
    assert rows[1]["intent"] == "repair"
    assert "repairs team" in rows[1]["reply"]
    assert not database.exists()


def test_classify_says_unclear_for_a_template_string_and_never_urgent() -> None:
    out = _helpbot("classify", stdin="{0} {text} {name!r}\n")
    row = json.loads(out)
    assert row["intent"] == "unclear"
    assert "placeholder" in row["why"]


def test_ask_offers_a_person_when_it_does_not_understand(tmp_path: Path) -> None:
    env = {"HELPBOT_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'x.db'}"}
    row = json.loads(_helpbot("ask", "--jsonl", stdin="asdfghjkl qwerty\n", env=env))
    assert row["intent"] == "unclear"
    assert "didn't understand" in row["reply"]


def test_a_serving_process_uses_one_blas_thread_unless_the_operator_says_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two BLAS threads per process on two cores made `serve --workers 2` slower than
    one worker (README, Speed); an operator's own setting is kept."""
    from helpbot import cli

    monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    cli.one_blas_thread()
    assert os.environ["OPENBLAS_NUM_THREADS"] == "1"
    assert os.environ["OMP_NUM_THREADS"] == "2"
    assert set(cli.SERVING) == {"serve", "work"}
