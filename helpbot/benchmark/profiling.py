"""``--profile``: where one update's cost goes, measured in the bot's own process.

Two instruments, both outside the bot's code: the SQL census (``census/``, a
sitecustomize that counts statements and transactions on every SQLAlchemy engine) and
py-spy sampling the bot and its children during the burst. The figures are per
update, so they hold on a noisy machine where throughput does not.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import json
import os
import re
import shutil
import signal
import sys
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

from helpbot.benchmark.scoreboard import Sql

CENSUS_DIR = Path(__file__).resolve().parent / "census"

# Which component a frame belongs to, by the file it is in (first match wins).
COMPONENTS = tuple(
    (name, re.compile(r"(?:^|/|<)(?:" + packages + r")[/ ]"))
    for name, packages in (
        ("sqlalchemy", "sqlalchemy"),
        ("asyncpg", "asyncpg"),
        ("aiosqlite/sqlite3", "aiosqlite|sqlite3"),
        ("python-telegram-bot", "telegram"),
        ("spaCy/thinc/numpy", "spacy|thinc|numpy|srsly|catalogue|cymem|preshed"),
        ("aiohttp/yarl/multidict", "aiohttp|yarl|multidict|frozenlist|aiosignal"),
        ("helpbot.postroom", "helpbot/postroom"),
        ("helpbot.desk", "helpbot/desk"),
        ("helpbot.store", "helpbot/store"),
        ("helpbot.channels", "helpbot/channels"),
        ("helpbot.nlu", "helpbot/nlu"),
        ("helpbot (other)", "helpbot"),
        ("asyncio", "asyncio"),
        ("json", "json"),
        ("logging", "logging"),
        ("greenlet", "greenlet"),
    )
)
_FRAME = re.compile(r"\((?P<file>[^()]*?):\d+\)$")


def _idle_frames() -> tuple[str, ...]:
    """Innermost frames that mean a thread was waiting, not working: the event loop's
    select and aiosqlite's thread waiting for its next statement."""
    frames = ["select (selectors.py:"]
    with contextlib.suppress(ImportError, OSError, TypeError):
        import aiosqlite.core

        lines, first = inspect.getsourcelines(aiosqlite.core._connection_worker_thread)
        for offset, line in enumerate(lines):
            if "tx.get()" in line:
                frames.append(f"(aiosqlite/core.py:{first + offset})")
    return tuple(frames)


def idle(frame: str, frames: tuple[str, ...]) -> bool:
    return any(marker in frame for marker in frames)


def component(frame: str) -> str:
    match = _FRAME.search(frame)
    path = match.group("file") if match else frame
    for name, pattern in COMPONENTS:
        if pattern.search(path):
            return name
    return "other (stdlib, C)"


def census_env(folder: Path) -> dict[str, str]:
    """What a bot process needs in its environment to be counted."""
    existing = os.environ.get("PYTHONPATH", "")
    path = str(CENSUS_DIR) + (os.pathsep + existing if existing else "")
    return {"PYTHONPATH": path, "HELPBOT_BENCH_CENSUS": str(folder)}


async def census(pids: list[int], folder: Path) -> tuple[Counter[str], Counter[str]]:
    """(statements, transactions) so far, summed over ``pids``: each is asked (SIGUSR1)
    to write its counts, and read back once it has."""
    before = {pid: _seq(folder / f"{pid}.json") for pid in pids}
    for pid in pids:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGUSR1)
    statements: Counter[str] = Counter()
    transactions: Counter[str] = Counter()
    for pid in pids:
        path = folder / f"{pid}.json"
        for _ in range(50):
            if _seq(path) > before[pid]:
                break
            await asyncio.sleep(0.1)
        with contextlib.suppress(OSError, ValueError):
            record = json.loads(path.read_text())
            statements.update(record["statements"])
            transactions.update(record["transactions"])
            # The garbage collector's time rides along (milliseconds, and collections).
            collector = record.get("gc", {})
            transactions["gc_ms"] += round(1000 * float(collector.get("seconds", 0.0)))
            transactions["gc_collections"] += int(collector.get("collections", 0))
    return statements, transactions


def _seq(path: Path) -> int:
    try:
        return int(json.loads(path.read_text())["seq"])
    except (OSError, ValueError, KeyError):
        return 0


def py_spy() -> str | None:
    """py-spy next to this Python, or on PATH (it is optional: ``pip install py-spy``)."""
    beside = Path(sys.executable).parent / "py-spy"
    return str(beside) if beside.exists() else shutil.which("py-spy")


@contextlib.asynccontextmanager
async def sampling(pid: int, output: Path) -> AsyncIterator[bool]:
    """py-spy on ``pid`` and its children while the block runs; yields False (and
    samples nothing) when py-spy is missing."""
    program = py_spy()
    if program is None:
        yield False
        return
    with output.with_suffix(".py-spy.log").open("wb") as log:
        process = await asyncio.create_subprocess_exec(
            program,
            "record",
            "--pid",
            str(pid),
            "--subprocesses",
            "--nonblocking",
            "--threads",
            "--format",
            "raw",
            "--rate",
            "200",
            "--output",
            str(output),
            stdout=log,
            stderr=log,
        )
    try:
        await asyncio.sleep(0.5)  # attached before the load starts
        yield True
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGINT)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()


def cpu_by_component(raw: Path) -> tuple[int, Counter[str], Counter[str]]:
    """(samples, self samples by component, inclusive samples by component) from py-spy's
    raw (collapsed) output, waiting left out: self is the innermost frame's component;
    inclusive counts a sample once for every component anywhere on its stack."""
    own: Counter[str] = Counter()
    anywhere: Counter[str] = Counter()
    total = 0
    waiting = _idle_frames()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        frames = [f for f in stack.split(";") if not f.startswith(("process ", "thread "))]
        if not frames or idle(frames[-1], waiting):
            continue
        total += n
        own[component(frames[-1])] += n
        for name in {component(f) for f in frames}:
            anywhere[name] += n
    return total, own, anywhere


def top_functions(raw: Path, limit: int = 15) -> list[tuple[str, int]]:
    """Inclusive samples of helpbot's own functions (where the time is spent from)."""
    counts: Counter[str] = Counter()
    waiting = _idle_frames()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not count.isdigit() or idle(stack.rsplit(";", 1)[-1], waiting):
            continue
        seen = {
            re.sub(r":\d+\)$", ")", frame)
            for frame in stack.split(";")
            if re.search(r"\((?:.*/)?helpbot/", frame)
        }
        for frame in seen:
            counts[frame] += int(count)
    return counts.most_common(limit)


def per_update(updates: int, statements: Counter[str], transactions: Counter[str]) -> Sql:
    """The census over a phase, per update answered."""
    per = max(1, updates)
    return Sql(
        statements=sum(statements.values()) / per,
        transactions=transactions["begin"] / per,
        autocommit=transactions["autocommit"] / per,
    )


def report(
    label: str,
    updates: int,
    statements: Counter[str],
    transactions: Counter[str],
    raw: Path | None,
) -> list[str]:
    """Lines for the profile section of the benchmark's output."""
    per = max(1, updates)
    lines = [f"### {label}: per update, over a burst of {updates:,}"]
    total_statements = sum(statements.values())
    lines.append(
        f"- SQL: {total_statements / per:.2f} statements, "
        f"{transactions['begin'] / per:.2f} transactions "
        f"({transactions['commit'] / per:.2f} commits, "
        f"{transactions['rollback'] / per:.2f} rollbacks) "
        f"and {transactions['autocommit'] / per:.2f} single statements in autocommit"
    )
    lines.append(
        f"- garbage collector: {transactions['gc_ms'] / per:.3f} ms in "
        f"{transactions['gc_collections'] / per:.2f} collections"
    )
    for statement, n in statements.most_common(12):
        lines.append(f"  - {n / per:5.2f} x {statement}")
    if raw is not None and raw.exists():
        total, own, anywhere = cpu_by_component(raw)
        if total:
            lines.append(f"- CPU by component ({total:,} busy py-spy samples; self / inclusive):")
            for name, n in own.most_common():
                lines.append(
                    f"  - {name}: {100 * n / total:.1f}% / {100 * anywhere[name] / total:.1f}%"
                )
            lines.append("- helpbot functions, inclusive share of samples:")
            for frame, n in top_functions(raw):
                lines.append(f"  - {100 * n / total:5.1f}% {frame}")
    return lines
