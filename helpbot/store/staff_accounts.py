"""Colleagues' console accounts: adding and disabling them, passwords (argon2), the
one-time set-password link, signed-in sessions with inactivity expiry, an admin's
second factor, and the record of failed sign-ins (wrong passwords and wrong codes alike)
that throttles guessing per account and per address."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from helpbot.store import models
from helpbot.store.database import rows_changed
from helpbot.store.records import Store
from helpbot.store.server_keys import server_key
from helpbot.store.staff_models import (
    ROLES,
    SignInAttempt,
    StaffAccount,
    StaffSession,
)

SETUP_LINK_LIFETIME = timedelta(hours=72)
THROTTLE_WINDOW = timedelta(minutes=15)
FAILURES_PER_ACCOUNT = 5
FAILURES_PER_ADDRESS = 20
MIN_PASSWORD = 12

_hasher = PasswordHasher()


def _unguessable_hash() -> str:
    """A hash in the hasher's own form and parameters whose password nobody knows (random
    salt and digest), written out rather than computed: hashing at import would take
    argon2's 64 MiB in every process of the bot while it starts, for nothing."""

    def b64(size: int) -> str:
        return base64.b64encode(secrets.token_bytes(size)).decode().rstrip("=")

    return (
        f"$argon2{_hasher.type.name.lower()}$v=19$m={_hasher.memory_cost},"
        f"t={_hasher.time_cost},p={_hasher.parallelism}"
        f"${b64(_hasher.salt_len)}${b64(_hasher.hash_len)}"
    )


# Verifying against this when the account does not exist costs the same time as a real
# check, so a wrong email cannot be told from a wrong password by timing.
_DUMMY_HASH = _unguessable_hash()


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def normal_email(email: str) -> str:
    return email.strip().lower()[:254]


def needs_second_factor(account: StaffAccount) -> bool:
    """An admin who has turned the second factor on must give a code after the password."""
    return account.role == "admin" and bool(account.totp_secret)


def totp_step(secret: str, code: str, at: float | None = None) -> int | None:
    """The TOTP time-step this code is for, allowing one step either side of now for an
    authenticator's clock; None if it is none of them."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(time.time() if at is None else at)
    offered = code.encode()
    for step in (now - 1, now, now + 1):
        if hmac.compare_digest(offered, totp.generate_otp(step).encode()):
            return step
    return None


# What checking a second-factor code came to: "locked" is a wrong code that reached the
# limit; "refused" means the limit was already reached, so the code was not looked at.
SecondFactor = Literal["passed", "wrong", "locked", "refused"]


class AccountError(ValueError):
    """A staff command or form was given something it cannot use; the message says what."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A live session: who, and the token every form of theirs must carry."""

    account: StaffAccount
    session_id: int
    csrf_token: str
    second_factor_done: bool


class StaffAccounts:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = store.sessions

    # -- accounts -------------------------------------------------------------------

    async def add(
        self,
        email: str,
        role: str,
        *,
        name: str = "",
        telegram_user_id: str | None = None,
        now: datetime | None = None,
    ) -> tuple[StaffAccount, str]:
        """A new account (or a fresh set-password link for a disabled or unfinished one)
        and the one-time token for its link. Re-adding a disabled account starts it
        afresh: its password, second factor and any sessions go, so only the new link
        lets anyone in. An active account with a password is refused."""
        email = normal_email(email)
        if "@" not in email or len(email) < 3:
            raise AccountError("that does not look like an email address")
        if role not in ROLES:
            raise AccountError(f"role must be one of {', '.join(ROLES)}")
        if telegram_user_id is not None and not telegram_user_id.isdigit():
            raise AccountError("the Telegram user id is a number (ask @userinfobot)")
        token = secrets.token_urlsafe(32)
        moment = now or models.utcnow()
        async with self.sessions.begin() as session:
            account = await session.scalar(select(StaffAccount).where(StaffAccount.email == email))
            if account is None:
                account = StaffAccount(email=email, created_at=moment)
                session.add(account)
            elif account.password_hash and account.disabled_at is None:
                raise AccountError("that colleague already has an account")
            elif account.disabled_at is not None:
                account.password_hash = None
                account.totp_secret = None
                account.totp_last_step = None
                await _end_sessions(session, account.id)
            account.role = role
            account.name = (name.strip() or email.split("@")[0].split(".")[0].title())[:128]
            account.telegram_user_id = telegram_user_id
            account.disabled_at = None
            account.setup_token_hash = _digest(token)
            account.setup_expires_at = moment + SETUP_LINK_LIFETIME
            await session.flush()
        return account, token

    async def disable(self, email: str) -> bool:
        """Stop an account signing in and end every session it has."""
        async with self.sessions.begin() as session:
            account = await session.scalar(
                select(StaffAccount).where(StaffAccount.email == normal_email(email))
            )
            if account is None:
                return False
            account.disabled_at = models.utcnow()
            account.setup_token_hash = None
            await _end_sessions(session, account.id)
        return True

    async def by_email(self, email: str) -> StaffAccount | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(StaffAccount).where(StaffAccount.email == normal_email(email))
            )

    async def by_id(self, account_id: int) -> StaffAccount | None:
        async with self.sessions() as session:
            return await session.get(StaffAccount, account_id)

    async def everyone(self) -> list[StaffAccount]:
        async with self.sessions() as session:
            return list(await session.scalars(select(StaffAccount).order_by(StaffAccount.email)))

    async def by_setup_token(self, token: str) -> StaffAccount | None:
        async with self.sessions() as session:
            account = await session.scalar(
                select(StaffAccount).where(StaffAccount.setup_token_hash == _digest(token))
            )
        if account is None or account.disabled_at is not None:
            return None
        if account.setup_expires_at is None or account.setup_expires_at < models.utcnow():
            return None
        return account

    async def set_password(self, token: str, password: str) -> StaffAccount | None:
        """Use a one-time link: the password is set and the link stops working."""
        if len(password) < MIN_PASSWORD:
            raise AccountError(f"use at least {MIN_PASSWORD} characters")
        account = await self.by_setup_token(token)
        if account is None:
            return None
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(StaffAccount)
                .where(
                    StaffAccount.id == account.id,
                    StaffAccount.setup_token_hash == _digest(token),
                )
                .values(password_hash=_hasher.hash(password), setup_token_hash=None)
            )
        return account if rows_changed(result) == 1 else None

    async def set_totp(
        self, account_id: int, secret: str | None, used_step: int | None = None
    ) -> None:
        """Turn the second factor on (or off); the step of the code that confirmed it is
        spent, so that code cannot sign in another browser."""
        async with self.sessions.begin() as session:
            await session.execute(
                update(StaffAccount)
                .where(StaffAccount.id == account_id)
                .values(totp_secret=secret, totp_last_step=used_step)
            )

    # -- signing in -----------------------------------------------------------------

    async def throttled(self, email: str, address: str) -> bool:
        async with self.sessions() as session:
            return await _throttled(session, email, address)

    async def check_password(self, email: str, password: str, address: str) -> StaffAccount | None:
        """The account if the password is right and it may sign in; a failure is recorded
        for throttling. Callers check ``throttled`` first."""
        async with self.sessions() as session:
            account = await session.scalar(
                select(StaffAccount).where(StaffAccount.email == normal_email(email))
            )
        stored = account.password_hash if account is not None else None
        try:
            _hasher.verify(stored or _DUMMY_HASH, password)
            good = stored is not None
        except (VerificationError, InvalidHashError):
            good = False
        if not good or account is None or account.disabled_at is not None:
            async with self.sessions.begin() as session:
                session.add(SignInAttempt(email=normal_email(email), address=address))
            return None
        if _hasher.check_needs_rehash(stored or ""):
            async with self.sessions.begin() as session:
                await session.execute(
                    update(StaffAccount)
                    .where(StaffAccount.id == account.id)
                    .values(password_hash=_hasher.hash(password))
                )
        return account

    async def forget_failures(self, email: str) -> None:
        async with self.sessions.begin() as session:
            await _forget_failures(session, email)

    async def open_session(self, account: StaffAccount) -> str:
        token = secrets.token_urlsafe(32)
        now = models.utcnow()
        async with self.sessions.begin() as session:
            session.add(
                StaffSession(
                    token_hash=_digest(token),
                    account_id=account.id,
                    csrf_token=secrets.token_urlsafe(32),
                    created_at=now,
                    last_seen_at=now,
                )
            )
            await session.execute(
                update(StaffAccount)
                .where(StaffAccount.id == account.id)
                .values(last_sign_in_at=now)
            )
        return token

    async def resume(self, token: str, idle: timedelta) -> SignedIn | None:
        """The live session for a cookie's token, touched; None if ended, idle too long or
        the account was disabled (then the session is ended here)."""
        now = models.utcnow()
        async with self.sessions.begin() as session:
            row = await session.scalar(
                select(StaffSession).where(StaffSession.token_hash == _digest(token))
            )
            if row is None or row.ended_at is not None:
                return None
            account = await session.get(StaffAccount, row.account_id)
            if account is None or account.disabled_at is not None or now - row.last_seen_at > idle:
                row.ended_at = now
                return None
            row.last_seen_at = now
            return SignedIn(account, row.id, row.csrf_token, row.second_factor_at is not None)

    async def second_factor_passed(self, session_id: int) -> None:
        async with self.sessions.begin() as session:
            await _second_factor_passed(session, session_id)

    async def check_second_factor(
        self, signed_in: SignedIn, code: str, address: str, at: float | None = None
    ) -> SecondFactor:
        """A code from the admin's authenticator, under the same limit as passwords: each
        wrong code is a failed sign-in for the account; once the limit is reached even the
        right code is refused until it expires. A code whose time-step was already used
        (or an earlier one) is wrong: a code lets in once. On success the session has
        passed and the account's failures are forgotten."""
        async with self.sessions.begin() as session:
            # One check at a time per account (a row lock on PostgreSQL; SQLite has one
            # connection): parallel guesses cannot all pass the count before any is kept.
            account = await session.scalar(
                select(StaffAccount)
                .where(StaffAccount.id == signed_in.account.id)
                .with_for_update()
            )
            if account is None or not account.totp_secret:
                return "wrong"
            if await _throttled(session, account.email, address):
                return "refused"
            step = totp_step(account.totp_secret, code, at)
            if step is not None and (account.totp_last_step or -1) < step:
                account.totp_last_step = step
                await _second_factor_passed(session, signed_in.session_id)
                await _forget_failures(session, account.email)
                return "passed"
            session.add(SignInAttempt(email=account.email, address=address))
            await session.flush()
            return "locked" if await _throttled(session, account.email, address) else "wrong"

    async def end_session(self, token: str) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(StaffSession)
                .where(StaffSession.token_hash == _digest(token), StaffSession.ended_at.is_(None))
                .values(ended_at=models.utcnow())
            )

    # -- the cookie key -------------------------------------------------------------

    async def cookie_key(self) -> str:
        """The console's cookie key, made once and shared by every process."""
        return await server_key(self.store, "cookie")


async def _end_sessions(session: AsyncSession, account_id: int) -> None:
    """End every open session of an account (disabled, or re-added afresh)."""
    await session.execute(
        update(StaffSession)
        .where(StaffSession.account_id == account_id, StaffSession.ended_at.is_(None))
        .values(ended_at=models.utcnow())
    )


async def _second_factor_passed(session: AsyncSession, session_id: int) -> None:
    await session.execute(
        update(StaffSession)
        .where(StaffSession.id == session_id)
        .values(second_factor_at=models.utcnow())
    )


async def _forget_failures(session: AsyncSession, email: str) -> None:
    await session.execute(delete(SignInAttempt).where(SignInAttempt.email == normal_email(email)))


async def _throttled(session: AsyncSession, email: str, address: str) -> bool:
    """Whether the account or the address has reached its limit of failures lately."""
    since = models.utcnow() - THROTTLE_WINDOW
    by_account = await session.scalar(
        select(func.count(SignInAttempt.id)).where(
            SignInAttempt.email == normal_email(email), SignInAttempt.at >= since
        )
    )
    by_address = await session.scalar(
        select(func.count(SignInAttempt.id)).where(
            SignInAttempt.address == address, SignInAttempt.at >= since
        )
    )
    return (by_account or 0) >= FAILURES_PER_ACCOUNT or (by_address or 0) >= FAILURES_PER_ADDRESS


def address_key(address: str, key: str) -> str:
    """A keyed hash of a network address: enough to throttle, useless to look anyone up."""
    return hmac.new(key.encode(), address.encode(), hashlib.sha256).hexdigest()[:32]
