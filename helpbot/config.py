"""Settings from environment variables (and an optional ``.env``).

Every setting is ``HELPBOT_<NAME>``; ``deploy/helpbot.env.example`` documents them.
A bad value stops start-up with one line naming the setting, never a traceback.
"""

from __future__ import annotations

import os
import re
from datetime import time
from pathlib import Path
from typing import Annotated

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent
_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_TOKEN_RE = re.compile(r"^\d+:[A-Za-z0-9_-]+$")


class SettingsError(Exception):
    """A setting is missing or wrong; the message names it and says what is wrong."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HELPBOT_", env_file=".env", extra="ignore", frozen=True
    )

    database_url: str = "sqlite+aiosqlite:///helpbot.db"
    telegram_token: str | None = None
    telegram_base_url: str = "https://api.telegram.org/bot"
    webhook_url: str | None = None
    webhook_secret: str | None = None
    staff_group_id: int | None = None
    # Safe when empty: no group is a community group and nobody is staff until listed.
    community_group_ids: Annotated[tuple[int, ...], NoDecode] = ()
    staff_user_ids: Annotated[tuple[int, ...], NoDecode] = ()
    # Team leads among them: may hand on or take over a case another colleague claimed.
    staff_lead_ids: Annotated[tuple[int, ...], NoDecode] = ()
    host: str = "127.0.0.1"
    port: int = Field(default=8080, ge=0, le=65535)
    intents_dir: Path = REPO_ROOT / "intents"
    pipeline_dir: Path = REPO_ROOT / "build" / "intent-pipeline"
    log_level: str = "INFO"
    public_url: str | None = None  # where the web chat is reachable, for links
    # Every web request comes through a proxy that sets X-Forwarded-For itself
    # (helpbot/web/visitor_address.py); HELPBOT_CONSOLE_TRUST_PROXY is the older name.
    trust_proxy: bool = False
    console_trust_proxy: bool = False
    # What the bot may promise (issue 12): the office's hours on working days, "09:00-17:00"
    # (unset: the bot never says whether the office is open), and the number to call when
    # it is closed or when no staff room can see an urgent report.
    office_hours: str | None = None
    out_of_hours_phone: str = "01278 444344"

    # Facebook: the Page's Messenger and comments (docs/facebook.md). All four or none.
    facebook_page_id: str | None = None
    facebook_page_token: str | None = None
    facebook_app_secret: str | None = None
    facebook_verify_token: str | None = None
    facebook_graph_url: str = "https://graph.facebook.com/v21.0"
    facebook_human_agent: bool = True  # the app has Meta's Human Agent permission

    # The message path (inbox, workers, outbox, sender); helpbot.env.example explains each.
    workers: int | None = Field(default=None, ge=1, le=64)
    model_threads: int | None = Field(default=None, ge=1, le=16)
    event_attempts: int = Field(default=5, ge=1, le=100)
    deliver_hours: float = Field(default=24.0, gt=0, le=24 * 14)
    send_timeout_seconds: float = Field(default=30.0, ge=1, le=600)
    send_lease_seconds: float = Field(default=120.0, ge=5, le=3600)
    shutdown_grace_seconds: float = Field(default=10.0, ge=0, le=600)
    health_max_wait_seconds: float = Field(default=60.0, ge=1, le=24 * 3600)

    # Community groups (policy 3.5-3.11); deploy/helpbot.env.example explains each one.
    join_answer_minutes: int = Field(default=60, ge=5, le=7 * 24 * 60)
    new_member_days: int = Field(default=7, ge=0, le=365)
    mass_mention_limit: int = Field(default=5, ge=2, le=100)
    flood_messages: int = Field(default=6, ge=2, le=100)
    flood_seconds: int = Field(default=10, ge=1, le=3600)
    flood_pause_minutes: int = Field(default=5, ge=1, le=24 * 60)
    argument_window_minutes: int = Field(default=10, ge=1, le=24 * 60)
    argument_quiet_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    argument_cooldown_minutes: int = Field(default=0, ge=0, le=7 * 24 * 60)
    argument_cooldown_group_ids: Annotated[tuple[int, ...], NoDecode] = ()
    private_hostile_limit: int = Field(default=2, ge=1, le=20)
    # A private chat past this many messages a minute is held back (cases/private_flood.py).
    private_flood_messages: int = Field(default=20, ge=0, le=1000)
    private_cooldown_minutes: int = Field(default=60, ge=1, le=7 * 24 * 60)
    warnings_before_removal: int = Field(default=3, ge=0, le=20)

    # Complaints: the most a stage's response date may be moved, in working days, in all.
    # The Complaint Handling Code (2024) allows no more than 10 at stage 1 and 20 at
    # stage 2 without good reason; the settings may be stricter, never looser.
    complaint_extension_days: int = Field(default=10, ge=1, le=10)
    complaint_stage2_extension_days: int = Field(default=20, ge=1, le=20)

    @field_validator(
        "community_group_ids",
        "staff_user_ids",
        "staff_lead_ids",
        "argument_cooldown_group_ids",
        mode="before",
    )
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            items = [item.strip() for item in value.split(",") if item.strip()]
            try:
                return tuple(int(item) for item in items)
            except ValueError:
                raise ValueError("must be a comma-separated list of numeric ids") from None
        if isinstance(value, int):
            return (value,)
        return value

    def cores_for_the_model(self, *, forks: bool) -> int:
        """Cores the language model may use: HELPBOT_MODEL_THREADS, else 2 where there
        are two (the event loop waits for each reading, so a reading done sooner is a
        reply sent sooner); always 1 in a process that forks workers (a runtime thread
        pool does not survive a fork)."""
        if forks:
            return 1
        if self.model_threads is not None:
            return self.model_threads
        return min(2, os.cpu_count() or 1)

    @field_validator("workers", "staff_group_id", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("office_hours", mode="before")
    @classmethod
    def _check_office_hours(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if not isinstance(value, str) or office_hours(value) is None:
            raise ValueError('must be opening and closing times like "09:00-17:00"')
        return value.strip()

    @field_validator("out_of_hours_phone")
    @classmethod
    def _check_phone(cls, value: str) -> str:
        if not re.fullmatch(r"[0-9 +()-]{3,24}", value.strip()):
            raise ValueError("must be a phone number (digits and spaces)")
        return value.strip()

    @field_validator("database_url")
    @classmethod
    def _check_database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
            raise ValueError(
                "must start with sqlite+aiosqlite:// or postgresql+asyncpg:// (async drivers)"
            )
        return value

    @field_validator("telegram_token")
    @classmethod
    def _check_token(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not _TOKEN_RE.match(value):
            raise ValueError("does not look like a bot token from @BotFather (digits:letters)")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _check_webhook_url(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("must be an https:// address Telegram can reach")
        return value

    @field_validator("webhook_secret")
    @classmethod
    def _check_secret(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        if not _SECRET_RE.match(value):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ or -")
        return value

    @field_validator(
        "facebook_page_id",
        "facebook_page_token",
        "facebook_app_secret",
        "facebook_verify_token",
        mode="before",
    )
    @classmethod
    def _facebook_empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("facebook_page_id")
    @classmethod
    def _check_page_id(cls, value: str | None) -> str | None:
        if value is not None and not (value.isdigit() and len(value) <= 32):
            raise ValueError("must be the Page's numeric id (Page settings, About)")
        return value

    @field_validator("facebook_app_secret", "facebook_verify_token", "facebook_page_token")
    @classmethod
    def _check_facebook_secret(cls, value: str | None) -> str | None:
        if value is not None and (len(value) > 512 or not value.isprintable() or " " in value):
            raise ValueError("must be one word of printable characters, as Meta gave it")
        return value

    @field_validator("facebook_graph_url")
    @classmethod
    def _check_graph_url(cls, value: str) -> str:
        if not value.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise ValueError("must be an https:// address (or a local fake Graph API)")
        return value.rstrip("/")

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return upper

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> Settings:
        if self.webhook_url and not self.webhook_secret:
            raise ValueError("HELPBOT_WEBHOOK_SECRET: must be set when HELPBOT_WEBHOOK_URL is set")
        return self

    @model_validator(mode="after")
    def _facebook_all_or_none(self) -> Settings:
        names = ("page_id", "page_token", "app_secret", "verify_token")
        given = [n for n in names if getattr(self, f"facebook_{n}") is not None]
        if given and len(given) < len(names):
            missing = next(n for n in names if n not in given)
            raise ValueError(
                f"HELPBOT_FACEBOOK_{missing.upper()}: must be set with the other "
                "HELPBOT_FACEBOOK_* settings (all four, or none to leave Facebook off)"
            )
        return self

    def unset_lists(self) -> list[str]:
        """What start-up should say about lists left empty: with Telegram on, an empty
        staff list means nobody is staff and an empty community list means no group is
        served, which is safe but rarely what an operator meant."""
        if not self.telegram_enabled:
            return []
        notes: list[str] = []
        if self.staff_group_id is not None and not self.staff_user_ids:
            notes.append(
                "HELPBOT_STAFF_USER_IDS is empty, so nobody is treated as staff: no one can "
                "work cases in the staff group or moderate. Set it to your colleagues' "
                "Telegram user ids, separated by commas."
            )
        if not self.community_group_ids:
            notes.append(
                "HELPBOT_COMMUNITY_GROUP_IDS is empty, so no group is a community group: "
                "the bot ignores every group it is added to. Set it to your community "
                "groups' ids (they start with -100), separated by commas."
            )
        return notes

    @property
    def facebook_enabled(self) -> bool:
        return self.facebook_page_id is not None

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None


def office_hours(value: str | None) -> tuple[time, time] | None:
    """ "09:00-17:00" as (opening, closing); None if unset or not that shape."""
    if not value:
        return None
    match = re.fullmatch(r"\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*", value)
    if match is None:
        return None
    hours = [int(part) for part in match.groups()]
    if hours[0] > 23 or hours[2] > 23 or hours[1] > 59 or hours[3] > 59:
        return None
    opens, closes = time(hours[0], hours[1]), time(hours[2], hours[3])
    return (opens, closes) if opens < closes else None


def load_settings(**overrides: object) -> Settings:
    """Read settings, turning validation errors into one readable line."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        location = first.get("loc") or ()
        message = str(first.get("msg", "is not valid")).removeprefix("Value error, ")
        if location:
            name = "HELPBOT_" + str(location[0]).upper()
            raise SettingsError(f"{name}: {message}") from None
        raise SettingsError(message) from None
