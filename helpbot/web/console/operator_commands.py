"""`helpbot staff add|disable` and `helpbot privacy sweep`: what an operator runs on the
server to let colleagues in, and to apply the retention rules on demand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TextIO

from helpbot.store.privacy import Privacy
from helpbot.store.records import Store
from helpbot.store.staff_accounts import AccountError, StaffAccounts
from helpbot.web.console.settings import ConsoleSettings


async def add_staff(
    database_url: str,
    email: str,
    role: str,
    name: str,
    telegram_user_id: str | None,
    base_url: str,
    out: TextIO,
    err: TextIO,
) -> int:
    store = Store.from_url(database_url)
    try:
        accounts = StaffAccounts(store)
        before = await accounts.by_email(email)
        account, token = await accounts.add(
            email, role, name=name, telegram_user_id=telegram_user_id
        )
        if before is not None and before.disabled_at is not None:
            # Re-added: what it signed in with before is gone (StaffAccounts.add).
            await store.audit(
                actor="cli",
                action="staff_reenabled",
                subject=account.email,
                detail={
                    "password_cleared": before.password_hash is not None,
                    "second_factor_cleared": before.totp_secret is not None,
                },
            )
        else:
            await store.audit(actor="cli", action="staff_added", subject=account.email)
    except AccountError as error:
        print(f"helpbot staff add: {error}", file=err)
        return 2
    finally:
        await store.close()
    link = f"{ConsoleSettings().console_url(base_url)}/set-password/{token}"
    print(f"{account.email} ({account.role}) can set a password within 72 hours at:", file=out)
    print(link, file=out)
    print("The link works once. Send it to them privately.", file=out)
    return 0


async def disable_staff(database_url: str, email: str, out: TextIO, err: TextIO) -> int:
    store = Store.from_url(database_url)
    try:
        found = await StaffAccounts(store).disable(email)
        if found:
            await store.audit(actor="cli", action="staff_disabled", subject=email.lower())
    finally:
        await store.close()
    if not found:
        print(f"helpbot staff disable: no account for {email}", file=err)
        return 1
    print(f"{email}: disabled, and signed out everywhere", file=out)
    return 0


async def sweep(database_url: str, dry_run: bool, out: TextIO) -> int:
    settings = ConsoleSettings()
    store = Store.from_url(database_url)
    try:
        counts = await Privacy(store).sweep(
            datetime.now(UTC),
            closed_case_days=settings.retention_closed_case_days,
            raw_days=settings.retention_raw_days,
            dry_run=dry_run,
        )
    finally:
        await store.close()
    if dry_run:
        print("dry run: nothing was changed", file=out)
    for line in counts.lines():
        print(line, file=out)
    return 0
