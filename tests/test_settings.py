"""An operator who mistypes a setting gets one line naming it, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from helpbot.config import SettingsError, load_settings


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("HELPBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "helpbot", *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("name", "value", "complaint"),
    [
        ("HELPBOT_PORT", "eighty", "HELPBOT_PORT"),
        ("HELPBOT_DATABASE_URL", "mysql://x", "HELPBOT_DATABASE_URL"),
        ("HELPBOT_TELEGRAM_TOKEN", "not-a-token", "HELPBOT_TELEGRAM_TOKEN"),
        ("HELPBOT_COMMUNITY_GROUP_IDS", "-100,abc", "HELPBOT_COMMUNITY_GROUP_IDS"),
        ("HELPBOT_WEBHOOK_SECRET", "has spaces!", "HELPBOT_WEBHOOK_SECRET"),
        ("HELPBOT_FLOOD_MESSAGES", "1", "HELPBOT_FLOOD_MESSAGES"),
        ("HELPBOT_ARGUMENT_COOLDOWN_GROUP_IDS", "-100,x", "HELPBOT_ARGUMENT_COOLDOWN_GROUP_IDS"),
        ("HELPBOT_JOIN_ANSWER_MINUTES", "soon", "HELPBOT_JOIN_ANSWER_MINUTES"),
    ],
)
def test_a_bad_setting_stops_start_up_with_one_line_naming_it(
    name: str, value: str, complaint: str
) -> None:
    result = _run({name: value}, "serve")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert complaint in lines[0]
    assert "Traceback" not in result.stderr


def test_a_webhook_address_without_a_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPBOT_WEBHOOK_URL", "https://bot.example.org/telegram/webhook")
    monkeypatch.delenv("HELPBOT_WEBHOOK_SECRET", raising=False)
    with pytest.raises(SettingsError, match="HELPBOT_WEBHOOK_SECRET"):
        load_settings()


def test_group_ids_are_read_as_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HELPBOT_COMMUNITY_GROUP_IDS", "-1001, -1002")
    monkeypatch.setenv("HELPBOT_STAFF_GROUP_ID", "-1003")
    settings = load_settings()
    assert settings.community_group_ids == (-1001, -1002)
    assert settings.staff_group_id == -1003


def test_every_command_has_help() -> None:
    for command in (
        [],
        ["serve"],
        ["train"],
        ["classify"],
        ["ask"],
        ["evaluate"],
        ["db"],
        ["db", "upgrade"],
        ["cases"],
        ["cases", "show"],
        ["tenants"],
        ["tenants", "import"],
        ["moderation"],
        ["moderation", "log"],
    ):
        result = _run({}, *command, "--help")
        assert result.returncode == 0, (command, result.stderr)
        assert "usage: helpbot" in result.stdout


def test_community_settings_reach_the_desk(monkeypatch: pytest.MonkeyPatch) -> None:
    from helpbot.serve import community_settings

    monkeypatch.setenv("HELPBOT_ARGUMENT_COOLDOWN_MINUTES", "15")
    monkeypatch.setenv("HELPBOT_ARGUMENT_COOLDOWN_GROUP_IDS", "-1001, -1002")
    monkeypatch.setenv("HELPBOT_WARNINGS_BEFORE_REMOVAL", "0")
    desk_settings = community_settings(load_settings())
    assert desk_settings.cooldown_for("-1002") == 15
    assert desk_settings.cooldown_for("-1009") == 0
    assert desk_settings.warnings_before_removal == 0
