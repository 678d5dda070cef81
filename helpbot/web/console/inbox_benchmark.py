"""``python -m helpbot.web.console.inbox_benchmark``: the console inbox's server time at
100,000 cases.

Seeds a fresh database (PostgreSQL by default: HELPBOT_BENCH_PG or the local server) with
that many cases, tenants and messages, then times the inbox query under the filters
colleagues use most, including full-text search. Measured here, never asserted in a
test: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import insert, text

from helpbot.store import models
from helpbot.store.case_search import CaseFilter, CaseSearch
from helpbot.store.database import upgrade
from helpbot.store.records import Store

ADMIN = os.environ.get("HELPBOT_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
KINDS = ("complaint", "repair", "asb", "personal", "safeguarding", "emergency", "human")
HOUSING = (
    "boiler mould damp window door lock tap leak heating radiator noise neighbour fence "
    "roof gutter shower toilet kitchen stairs lift light bins parking garden"
).split()
# Everyday words besides: a housing word turns up in a few percent of messages, as in
# real ones, rather than in a third of them.
WORDS = HOUSING + [
    f"{a}{b}"
    for a in ("ca", "lo", "mi", "pe", "ru", "so", "ta", "vi")
    for b in (
        "ble",
        "dor",
        "fen",
        "gan",
        "lit",
        "mor",
        "nix",
        "pra",
        "quo",
        "ser",
        "tum",
        "vak",
        "wen",
        "yel",
        "zor",
        "bri",
    )
]
NAMES = (
    "Ann Bob Priya Sam Alex Jo Tom Mary John Sarah David Emma James Olivia Noah Amelia "
    "Oliver Isla George Ava Harry Mia Jack Grace Leo Ella Oscar Lily Charlie Freya"
).split()
FILTERS = {
    "open, newest first": CaseFilter(),
    "complaints overdue": CaseFilter(kind="complaint", due="overdue"),
    "unassigned repairs": CaseFilter(kind="repair", assignee="unassigned"),
    "search a word": CaseFilter(query="radiator"),
    "search a reference": CaseFilter(query="SHAL-04242", status=None),
    "search a name": CaseFilter(query="Priya", status=None),
    "page 40": CaseFilter(page=40),
}


async def seed(store: Store, cases: int, chunk: int = 5000, messages: int = 1) -> None:
    rng = random.Random(7)
    now = datetime.now(UTC)
    async with store.engine.begin() as connection:
        for start in range(1, cases + 1, chunk):
            ids = range(start, min(cases, start + chunk - 1) + 1)
            await connection.execute(
                insert(models.Person),
                [
                    {
                        "id": i,
                        "channel": "telegram",
                        "external_id": str(10_000 + i),
                        "first_name": f"{NAMES[i % len(NAMES)]} {i}",
                        "created_at": now,
                        "last_seen_at": now,
                    }
                    for i in ids
                ],
            )
            await connection.execute(
                insert(models.Chat),
                [
                    {
                        "id": i,
                        "channel": "telegram" if i % 4 else "web",
                        "external_id": str(10_000 + i),
                        "kind": "private",
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
            rows = []
            for i in ids:
                kind = KINDS[i % len(KINDS)]
                opened = now - timedelta(minutes=rng.randint(0, 60 * 24 * 365))
                received = opened.date()
                rows.append(
                    {
                        "id": i,
                        "ref": f"SHAL-{i:05d}",
                        "kind": kind,
                        "status": "open" if i % 3 else "closed",
                        "urgent": i % 97 == 0,
                        "summary": " ".join(rng.sample(WORDS, 4)),
                        "tenant_id": i,
                        "chat_id": i,
                        "assignee_id": None if i % 2 else i,
                        "assignee_name": None,
                        "stage": 1 if kind == "complaint" else None,
                        "received_on": received if kind == "complaint" else None,
                        "acknowledge_by": received + timedelta(days=7)
                        if kind == "complaint"
                        else None,
                        "respond_by": received + timedelta(days=28)
                        if kind == "complaint"
                        else None,
                        "created_at": opened,
                        "updated_at": opened,
                    }
                )
            await connection.execute(insert(models.Case), rows)
            await connection.execute(
                insert(models.Message),
                [
                    {
                        "chat_id": i,
                        "person_id": i,
                        "direction": "in",
                        "content": "text",
                        "text": " ".join(rng.sample(WORDS, 8)),
                        "case_id": i,
                        "status": "stored",
                        "created_at": now,
                    }
                    for i in ids
                    for _ in range(messages)
                ],
            )
        if store.postgres:
            for table in ("people", "chats", "cases"):
                await connection.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {cases})")
                )
    if store.postgres:
        # As autovacuum would after a bulk load: GIN indexes merge their pending lists.
        async with store.engine.connect() as connection:
            autocommit = await connection.execution_options(isolation_level="AUTOCOMMIT")
            await autocommit.execute(text("VACUUM ANALYZE"))


async def measure(store: Store, repeats: int) -> dict[str, float]:
    search = CaseSearch(store)
    today = date.today()
    found: dict[str, float] = {}
    for name, wanted in FILTERS.items():
        await search.inbox(wanted, me=2, today=today)  # warm
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            await search.inbox(wanted, me=2, today=today)
            times.append((time.perf_counter() - started) * 1000)
        found[name] = statistics.median(times)
    return found


async def main(
    cases: int, repeats: int, sqlite: bool, keep: str | None = None, messages: int = 1
) -> None:
    if keep:
        store = Store.from_url(keep)
        for label, ms in (await measure(store, repeats)).items():
            print(f"  {label:<22} median {ms:7.1f} ms")
        await store.close()
        return
    name = f"helpbot_bench_{uuid.uuid4().hex[:10]}"
    if sqlite:
        url = f"sqlite+aiosqlite:///{Path(tempfile.gettempdir()) / name}.db"
    else:
        admin = await asyncpg.connect(ADMIN)
        await admin.execute(f'CREATE DATABASE "{name}"')
        await admin.close()
        url = ADMIN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://") + "/" + name
    try:
        await asyncio.to_thread(upgrade, url)
        store = Store.from_url(url)
        started = time.perf_counter()
        await seed(store, cases, messages=messages)
        took = time.perf_counter() - started
        print(
            f"seeded {cases} cases, {cases * messages} messages in {took:.1f}s"
            f" ({store.engine.dialect.name})"
        )
        for label, ms in (await measure(store, repeats)).items():
            print(f"  {label:<22} median {ms:7.1f} ms")
        await store.close()
    finally:
        if sqlite:
            (Path(tempfile.gettempdir()) / f"{name}.db").unlink(missing_ok=True)
        else:
            admin = await asyncpg.connect(ADMIN)
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead")
    parser.add_argument("--url", help="measure an already seeded database (no seeding)")
    parser.add_argument(
        "--messages", type=int, default=1, help="tenant messages per case (default 1)"
    )
    arguments = parser.parse_args()
    asyncio.run(
        main(
            arguments.cases, arguments.repeats, arguments.sqlite, arguments.url, arguments.messages
        )
    )
