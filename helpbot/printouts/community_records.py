"""``helpbot tenants import`` and ``helpbot moderation log``: the tenancy register and
the moderation log at the command line, for colleagues (3.5, 3.7).

Import errors name the line and column, never the value: the register holds names
and postcodes.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TextIO

from helpbot.desk.complaints_clock import LONDON
from helpbot.store.moderation_log import ModerationLog
from helpbot.store.records import Store
from helpbot.store.tenancy_register import RegisterError, TenancyRegister


async def import_tenancies(
    url: str, path: Path, out: TextIO, err: TextIO, *, dry_run: bool = False
) -> int:
    """Replace the register with a CSV file: all of it, or (on any bad row) none of it;
    a dry run only counts."""
    try:
        text = await asyncio.to_thread(path.read_text, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        print(f"helpbot tenants import: cannot read {path}: {type(error).__name__}", file=err)
        return 1
    store = Store.from_url(url)
    try:
        result = await TenancyRegister(store).import_text(text, dry_run=dry_run)
    except RegisterError as error:
        print(f"helpbot tenants import: {error}. Nothing was imported.", file=err)
        return 1
    finally:
        await store.close()
    counts = (
        f"{result.added} to add, {result.updated} to change, {result.unchanged} unchanged, "
        f"{result.ended} to end (not in the file)"
    )
    if dry_run:
        print(
            f"Dry run, nothing was changed: {result.total} tenancies in the file; {counts}.",
            file=out,
        )
        return 0
    print(
        f"Imported {result.total} tenancies: {result.added} new, {result.updated} updated, "
        f"{result.unchanged} unchanged; {result.ended} ended (not in the file).",
        file=out,
    )
    return 0


async def print_moderation_log(
    url: str, out: TextIO, limit: int = 200, action: str | None = None
) -> int:
    store = Store.from_url(url)
    try:
        lines = await ModerationLog(store).entries(limit=limit, action=action)
    finally:
        await store.close()
    if not lines:
        print("No moderation actions.", file=out)
        return 0
    print(f"{'WHEN':<17} {'ACTION':<15} {'MEMBER':<24} {'GROUP':<24} {'BY':<12} REASON", file=out)
    for line in lines:
        entry = line.entry
        member = "-"
        if entry.person_id is not None:
            handle = f" @{line.member_username}" if line.member_username else ""
            member = f"{line.member or '?'}{handle}"
        group = line.group or ("all groups" if entry.action in ("block", "unblock") else "-")
        by = entry.actor_name or entry.actor_kind
        reason = entry.reason
        if entry.until is not None:
            reason += f" (until {entry.until.astimezone(LONDON):%d %b %H:%M}"
            reason += (
                f", lifted {entry.lifted_at.astimezone(LONDON):%H:%M})" if entry.lifted_at else ")"
            )
        if entry.state:
            reason += f" [{entry.state}]"
        print(
            f"{entry.at.astimezone(LONDON):%d %b %Y %H:%M} {entry.action:<15} {member[:24]:<24} "
            f"{group[:24]:<24} {by[:12]:<12} {reason}".rstrip(),
            file=out,
        )
    return 0
