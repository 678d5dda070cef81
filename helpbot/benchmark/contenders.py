"""The two bots under load, each in its own process, and what they cost the machine.

CPU time and peak memory are read from /proc for the bot's process and all its
children (``serve --workers N`` forks N-1 workers), so a figure is the whole bot's.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from helpbot.benchmark.echo_bot import READY
from helpbot.testing.bot_process import BotProcess, free_port

TOKEN = "123456:BENCH-TOKEN"
SECRET = "benchmark-webhook-secret"
WEBHOOK_PATH = "/telegram/webhook"
_TICK = os.sysconf("SC_CLK_TCK")


class BotFailed(RuntimeError):
    """A bot did not start or died; the message says where its log is."""


class DatabaseUnavailable(RuntimeError):
    """PostgreSQL could not be reached; its rows are marked unavailable."""


# --- what a process family costs -----------------------------------------------------------


def family(pid: int) -> list[int]:
    """``pid`` and every descendant alive now."""
    parents: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError, ValueError):
            stat = Path(f"/proc/{entry}/stat").read_text()
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            parents.setdefault(ppid, []).append(int(entry))
    found, queue = [], [pid]
    while queue:
        current = queue.pop()
        found.append(current)
        queue.extend(parents.get(current, []))
    return found


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by ``pids``."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / _TICK
    return total


def peak_rss_mb(pids: list[int]) -> float:
    """Sum of each process's peak resident set (VmHWM), in MB."""
    return _summed_mb(pids, "status", "VmHWM:")


def pss_mb(pids: list[int]) -> float:
    """Sum of each process's proportional set size (Pss), in MB: a page shared by k of
    them counts 1/k in each, so the sum is the memory the family really takes (pages a
    forked worker still shares with its parent count once, not twice)."""
    return _summed_mb(pids, "smaps_rollup", "Pss:")


def _summed_mb(pids: list[int], proc_file: str, field: str) -> float:
    """A kB field of /proc/PID/<proc_file>, summed over ``pids``, in MB; a process gone
    meanwhile counts nothing."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, ValueError):
            for line in Path(f"/proc/{pid}/{proc_file}").read_text().splitlines():
                if line.startswith(field):
                    total += int(line.split()[1]) / 1024
                    break
    return total


@contextlib.asynccontextmanager
async def peak_pss(contender: Contender, every: float = 0.25) -> AsyncIterator[list[float]]:
    """Samples ``pss_mb`` of the contender's family while the block runs; the list's one
    element is the highest seen (the kernel keeps no peak of Pss, unlike VmHWM)."""
    peak = [pss_mb(contender.pids())]

    async def sample() -> None:
        while True:
            await asyncio.sleep(every)
            peak[0] = max(peak[0], pss_mb(contender.pids()))

    task = asyncio.get_running_loop().create_task(sample())
    try:
        yield peak
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        peak[0] = max(peak[0], pss_mb(contender.pids()))


async def settled(pids: list[int], *, timeout: float = 60.0) -> None:  # noqa: ASYNC109
    """Wait until ``pids`` are idle (a worker has loaded its pipeline), bounded."""
    give_up = time.monotonic() + timeout
    before = cpu_seconds(pids)
    while time.monotonic() < give_up:
        await asyncio.sleep(0.5)
        now = cpu_seconds(pids)
        if now - before < 0.05:
            return
        before = now


# --- the bots ------------------------------------------------------------------------------


class Contender:
    """One bot process (and its children) serving a webhook."""

    name = "bot"

    def __init__(self, log: Path) -> None:
        self.log = log
        self.port = free_port()
        self._pids: list[int] = []

    @property
    def webhook_url(self) -> str:
        return f"http://127.0.0.1:{self.port}{WEBHOOK_PATH}"

    @property
    def pid(self) -> int | None:
        raise NotImplementedError

    def pids(self) -> list[int]:
        """The process and its children; remembered so they can be stopped later."""
        if self.pid is not None:
            alive = family(self.pid)
            self._pids = sorted(set(self._pids) | set(alive))
            return alive
        return []

    async def start(self) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        raise NotImplementedError

    def kill_leftovers(self) -> None:
        """Children a parent failed to stop (it was killed first) go too."""
        for pid in self._pids:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)


class EchoBot(Contender):
    name = "echo"

    def __init__(self, log: Path, base_url: str, pipeline_dir: Path, intents_dir: Path) -> None:
        super().__init__(log)
        self.args = [
            "--token",
            TOKEN,
            "--base-url",
            base_url,
            "--port",
            str(self.port),
            "--secret",
            SECRET,
            "--pipeline-dir",
            str(pipeline_dir),
            "--intents-dir",
            str(intents_dir),
        ]
        self.process: asyncio.subprocess.Process | None = None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    async def start(self) -> None:
        with self.log.open("ab") as handle:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "helpbot.benchmark.echo_bot",
                *self.args,
                stdout=asyncio.subprocess.PIPE,
                stderr=handle,
                # As helpbot's serving processes (cli.one_blas_thread): a fair baseline.
                env={"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", **os.environ},
            )
        assert self.process.stdout is not None
        async with asyncio.timeout(60):
            line = (await self.process.stdout.readline()).decode()
        if not line.startswith(READY):
            raise BotFailed(f"the echo bot did not start; see {self.log}")
        self.pids()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        self.kill_leftovers()


class Helpbot(Contender):
    name = "helpbot"

    def __init__(
        self,
        log: Path,
        base_url: str,
        database_url: str,
        pipeline_dir: Path,
        intents_dir: Path,
        workers: int = 1,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        super().__init__(log)
        env = (extra_env or {}) | {
            "HELPBOT_DATABASE_URL": database_url,
            "HELPBOT_TELEGRAM_TOKEN": TOKEN,
            "HELPBOT_TELEGRAM_BASE_URL": base_url,
            "HELPBOT_WEBHOOK_URL": self.webhook_url,
            "HELPBOT_WEBHOOK_SECRET": SECRET,
            # The load sends some 40 messages a minute from each chat, which a tenant
            # never does; the bot under test answers every one, as the echo bot does.
            # The check itself still runs (one count a message), so its cost is measured.
            "HELPBOT_PRIVATE_FLOOD_MESSAGES": "1000",
            "HELPBOT_PORT": str(self.port),
            "HELPBOT_PIPELINE_DIR": str(pipeline_dir),
            "HELPBOT_INTENTS_DIR": str(intents_dir),
        }
        args = ("--workers", str(workers)) if workers > 1 else ()
        self.process = BotProcess(env, log=log, args=args)
        self.workers = workers

    @property
    def pid(self) -> int | None:
        return self.process.process.pid if self.process.process else None

    async def start(self) -> None:
        try:
            await self.process.start()
        except (RuntimeError, TimeoutError) as error:
            raise BotFailed(f"helpbot did not start ({error}); see {self.log}") from None
        if self.workers > 1:
            for _ in range(300):  # the children are forked at once; 60 s at most
                if len(self.pids()) >= self.workers:
                    break
                await asyncio.sleep(0.2)
        await settled(self.pids())

    async def stop(self) -> None:
        self.pids()
        await self.process.stop(timeout=20)
        self.kill_leftovers()


# --- databases -----------------------------------------------------------------------------


@contextlib.asynccontextmanager
async def postgres_database(admin_url: str) -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database (the bot migrates it), dropped afterwards."""
    name = f"helpbot_bench_{uuid.uuid4().hex[:12]}"
    try:
        connection = await asyncpg.connect(admin_url, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        raise DatabaseUnavailable(f"{type(error).__name__}: {error}") from None
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base = admin_url.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    try:
        yield f"{base}/{name}"
    finally:
        connection = await asyncpg.connect(admin_url, timeout=10)
        try:
            await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await connection.close()


async def postgres_reachable(admin_url: str) -> str | None:
    """None if PostgreSQL answers, else why not (one line)."""
    try:
        connection = await asyncpg.connect(admin_url, timeout=5)
    except (OSError, asyncpg.PostgresError, TimeoutError) as error:
        return f"{type(error).__name__}: {error}"
    await connection.close()
    return None
