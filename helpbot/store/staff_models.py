"""Tables for the staff console: colleagues' accounts, their signed-in sessions, sign-in
attempts (for throttling) and the console's own secret. Kept apart from models.py so the
console is one area of the schema; they share the one ``Base``."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from helpbot.store.models import Base, BigId, utcnow

ROLES = ("officer", "lead", "admin")


class StaffAccount(Base):
    """A colleague who signs in to the console. Linked to their Telegram user, a claim or
    reply from the console is the same person in a case's history as one from the topic."""

    __tablename__ = "staff_accounts"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(128), default="")
    role: Mapped[str] = mapped_column(String(16), default="officer")
    password_hash: Mapped[str | None] = mapped_column(String(256))
    # A one-time link to set the password: only its hash is kept.
    setup_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    setup_expires_at: Mapped[datetime | None] = mapped_column()
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    # The last TOTP time-step accepted: a code for it or an earlier one is not taken again.
    totp_last_step: Mapped[int | None] = mapped_column()
    telegram_user_id: Mapped[str | None] = mapped_column(String(64))
    disabled_at: Mapped[datetime | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_sign_in_at: Mapped[datetime | None] = mapped_column()


class StaffSession(Base):
    """One signed-in browser. The cookie carries a random token; only its hash is here,
    so a copied database signs no one in. Ended on sign-out, inactivity or disabling."""

    __tablename__ = "staff_sessions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[int] = mapped_column(index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column()
    second_factor_at: Mapped[datetime | None] = mapped_column()


class SignInAttempt(Base):
    """A failed or refused sign-in (a wrong password or a wrong second-factor code), for
    throttling per account and per address. The address is kept only as a keyed hash."""

    __tablename__ = "sign_in_attempts"
    __table_args__ = (
        Index("ix_sign_in_attempts_email_at", "email", "at"),
        Index("ix_sign_in_attempts_address_at", "address", "at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    email: Mapped[str] = mapped_column(String(254))
    address: Mapped[str] = mapped_column(String(64))


class ConsoleSecret(Base):
    """The key the console's session cookies are encrypted with, made once and shared by
    every process (unless HELPBOT_CONSOLE_SECRET sets one)."""

    __tablename__ = "console_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
