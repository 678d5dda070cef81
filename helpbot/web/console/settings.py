"""The console's HELPBOT_* settings, read here so the console stays one area; documented
in deploy/helpbot.env.example and docs/staff-console.md."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ConsoleSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="HELPBOT_", env_file=".env", extra="ignore", frozen=True
    )

    public_url: str | None = None  # https://... makes the session cookie Secure
    console_secret: str | None = None  # cookie key; unset: one is made and kept in the store
    console_idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # Every request comes through a proxy that sets X-Forwarded-For itself: take the
    # address from its last entry (helpbot/web/visitor_address.py).
    trust_proxy: bool = False
    console_trust_proxy: bool = False  # the older name of trust_proxy, still honoured
    metrics_token: str | None = None  # GET /metrics with "Authorization: Bearer <token>"
    retention_closed_case_days: int = Field(default=6 * 365, ge=30)  # then anonymised
    retention_raw_days: int = Field(default=30, ge=1)  # raw channel payloads deleted

    @property
    def trusts_proxy(self) -> bool:
        return self.trust_proxy or self.console_trust_proxy

    @property
    def secure_cookie(self) -> bool:
        return bool(self.public_url and self.public_url.startswith("https://"))

    def console_url(self, fallback: str) -> str:
        return (self.public_url or fallback).rstrip("/") + "/console"
