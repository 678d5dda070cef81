"""The tenancy register that join requests are checked against (policy 3.5, 3.6.1):
imported from the housing system's CSV, all rows or none, on SQLite and PostgreSQL;
and the migration that adds it (and the moderation tables) goes up and down."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect

from helpbot.store.database import alembic_config, upgrade
from helpbot.store.records import Store
from helpbot.store.tenancy_register import RegisterError, TenancyRegister
from tests.conftest import _pg_admin, _pg_url

GOOD = """Tenancy reference,Postcode,Tenants,Occupants,Start date,End date
SH-000123,ta6 4sy,Ann Smith,Jo Smith; Sam Smith,2019-04-01,
SH-000456,TA6 5AB,Bob Jones,,12/01/2015,30/06/2024
"""


async def test_the_register_is_imported_and_a_reimport_updates_in_place(store: Store) -> None:
    register = TenancyRegister(store)
    first = await register.import_text(GOOD)
    assert (first.added, first.updated, first.unchanged) == (2, 0, 0)
    (ann,) = await register.candidates(["SH-000123"], None)
    assert ann.postcode == "TA6 4SY"
    assert ann.tenant_names == ["Ann Smith"] and ann.occupant_names == ["Jo Smith", "Sam Smith"]
    assert ann.end_date is None
    (bob,) = await register.candidates([], "TA6 5AB")
    assert (bob.start_date, bob.end_date) == (date(2015, 1, 12), date(2024, 6, 30))

    # Ann's tenancy ends; a new tenancy starts; Bob's row is the same.
    again = GOOD.replace("2019-04-01,", "2019-04-01,2026-10-31") + (
        "SH-000789,TA6 4SY,Cat Brown,,2026-11-01,\n"
    )
    second = await register.import_text(again)
    assert (second.added, second.updated, second.unchanged) == (1, 1, 1)
    assert await register.count() == 3
    (ann,) = await register.candidates(["SH-000123"], None)
    assert ann.end_date == date(2026, 10, 31)


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("SH-000789,NOT A POSTCODE,Cat Brown,,2026-11-01,", "postcode"),
        ("SH-000789,TA6 4SY,,,2026-11-01,", "no tenant name"),
        ("SH-000789,TA6 4SY,Cat Brown,,31/31/2026,", "start date"),
        ("SH-000789,TA6 4SY,Cat Brown,,2026-11-01,2020-01-01", "before the start date"),
        ("SH-000123,TA6 4SY,Cat Brown,,2026-11-01,", "appears twice"),
    ],
)
async def test_a_bad_row_is_reported_by_line_and_nothing_is_kept(
    store: Store, row: str, problem: str
) -> None:
    register = TenancyRegister(store)
    with pytest.raises(RegisterError) as raised:
        await register.import_text(GOOD + row + "\n")
    assert raised.value.line == 4
    assert str(raised.value).startswith("line 4: ") and problem in str(raised.value)
    assert "Cat" not in str(raised.value)  # names are personal data: never echoed
    assert await register.count() == 0


def test_the_import_command_reports_the_bad_line_and_keeps_nothing(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'helpbot.db'}"
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text(GOOD, encoding="utf-8")
    bad.write_text(GOOD.replace("SH-000456,TA6 5AB", "SH-000456,???"), encoding="utf-8")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("HELPBOT_")}}
    env["HELPBOT_DATABASE_URL"] = url

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "helpbot", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    failed = run("tenants", "import", str(bad))
    assert failed.returncode == 1
    assert failed.stderr.strip().splitlines()[-1] == (
        "helpbot tenants import: line 3: postcode is missing or not a UK postcode. "
        "Nothing was imported."
    )
    done = run("tenants", "import", str(good))
    assert done.returncode == 0, done.stderr
    assert "Imported 2 tenancies: 2 new, 0 updated, 0 unchanged; 0 ended" in done.stdout

    async def count() -> int:
        store = Store.from_url(url)
        try:
            return await TenancyRegister(store).count()
        finally:
            await store.close()

    assert asyncio.run(count()) == 2
    log = run("moderation", "log")
    assert log.returncode == 0 and "No moderation actions." in log.stdout


NEW_TABLES = {
    "tenancies",
    "join_requests",
    "group_members",
    "moderation_actions",
    "discussions",
    "staff_topics",
}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_migration_0003_upgrades_and_downgrades(backend: str, tmp_path: Path) -> None:
    if backend == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path / 'm.db'}"
        name = None
    else:
        name = f"helpbot_migrate_{uuid.uuid4().hex[:10]}"
        asyncio.run(_pg_admin(f'CREATE DATABASE "{name}"'))
        url = _pg_url(name)

    async def shape() -> tuple[set[str], set[str]]:
        store = Store.from_url(url)
        try:
            async with store.engine.connect() as connection:

                def read(sync):  # type: ignore[no-untyped-def]
                    found = inspect(sync)
                    people = {c["name"] for c in found.get_columns("people")}
                    return set(found.get_table_names()), people

                return await connection.run_sync(read)
        finally:
            await store.close()

    try:
        upgrade(url)
        tables, people = asyncio.run(shape())
        assert tables >= NEW_TABLES and "staff_since" in people
        command.downgrade(alembic_config(url), "0002")
        tables, people = asyncio.run(shape())
        assert not (NEW_TABLES & tables) and "staff_since" not in people
        assert "cases" in tables
        upgrade(url)
        tables, _ = asyncio.run(shape())
        assert tables >= NEW_TABLES
    finally:
        if name is not None:
            asyncio.run(_pg_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
