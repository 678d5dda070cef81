"""``make benchmark``: helpbot side by side with a bare python-telegram-bot echo bot.

Every part runs in its own process: the fake Bot API (with a simulated round trip),
the bot under load, and this process, which generates the load (webhook POSTs with
the secret header) and reads the replies back from the fake. Each set-up gets a
burst (throughput, POST-to-reply p50/p99) and a steady rate (p99); CPU and peak
memory are read from /proc for the bot and its children. Speed is measured here,
never asserted in tests: these machines are shared and noisy.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import math
import os
import platform
import shutil
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from helpbot.benchmark import profiling
from helpbot.benchmark.contenders import (
    SECRET,
    TOKEN,
    BotFailed,
    Contender,
    DatabaseUnavailable,
    EchoBot,
    Helpbot,
    cpu_seconds,
    peak_pss,
    peak_rss_mb,
    postgres_database,
    postgres_reachable,
)
from helpbot.benchmark.load import (
    PhaseResult,
    Tenants,
    Webhook,
    burst,
    measure,
    replies_by_chat,
    steady,
    wait_for_replies,
)
from helpbot.benchmark.scoreboard import Outcome, Scoreboard, Setup
from helpbot.config import REPO_ROOT
from helpbot.nlu.training import ensure_trained
from helpbot.testing.fake_telegram import FakeTelegramProcess

PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"
WARM_UP = 20


@dataclass
class Options:
    messages: int = 2000
    chats: int = 100
    in_flight: int = 64
    rate: float = 200.0
    seconds: float = 10.0
    round_trips_ms: tuple[float, ...] = (0.0, 50.0)
    only: str | None = None  # "sqlite" or "postgresql"
    workers: int = 2
    deadline: float = 60.0  # seconds a phase may take to be answered after its last POST
    pg_admin_url: str = PG_ADMIN
    pipeline_dir: Path = REPO_ROOT / "build" / "intent-pipeline"
    intents_dir: Path = REPO_ROOT / "intents"
    logs: Path = REPO_ROOT / "build" / "benchmark"
    profile: bool = False  # SQL census and py-spy on helpbot during the burst
    # Every set-up this many times, echo and helpbot taking turns; each row is the round
    # with the set-up's median burst throughput. On a shared machine one round can land
    # in a busy spell that the next misses.
    rounds: int = 1

    def setups(self) -> list[Setup]:
        """Echo first at each round trip, then helpbot's set-ups at that round trip."""
        databases = [d for d in ("sqlite", "postgresql") if self.only in (None, d)]
        setups = []
        for trip in self.round_trips_ms:
            setups.append(Setup("echo", "none", trip))
            setups += [Setup("helpbot", database, trip) for database in databases]
            if trip == self.round_trips_ms[0] and "postgresql" in databases and self.workers > 1:
                setups.append(Setup("helpbot", "postgresql", trip, self.workers))
        return setups


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


@contextlib.asynccontextmanager
async def database_for(setup: Setup, options: Options, folder: Path) -> AsyncIterator[str]:
    if setup.database == "postgresql":
        async with postgres_database(options.pg_admin_url) as url:
            yield url
    else:
        yield f"sqlite+aiosqlite:///{folder / f'{setup.slug}.db'}"


async def phase(
    fake: FakeTelegramProcess,
    bot: Contender,
    webhook: Webhook,
    tenants: Tenants,
    options: Options,
    *,
    count: int,
    chats: int,
    rate: float | None,
) -> PhaseResult:
    """One burst (``rate`` None) or steady run; waits for the replies, bounded."""
    chat_ids = tenants.chats(min(chats, count))
    updates = tenants.updates(chat_ids, count)
    cpu_before = cpu_seconds(bot.pids())
    fake_before = cpu_seconds([fake.pid or 0])
    driver_before = time.process_time()
    if rate is None:
        posted = await burst(webhook, updates, options.in_flight)
    else:
        posted = await steady(webhook, updates, rate, options.in_flight)
    await wait_for_replies(fake, chat_ids, count, options.deadline)
    result = measure(posted, await replies_by_chat(fake, chat_ids))
    result.cpu_seconds = cpu_seconds(bot.pids()) - cpu_before
    result.fake_cpu_seconds = cpu_seconds([fake.pid or 0]) - fake_before
    result.driver_cpu_seconds = time.process_time() - driver_before
    return result


@contextlib.asynccontextmanager
async def serving(
    setup: Setup,
    options: Options,
    fake: FakeTelegramProcess,
    folder: Path,
    tenants: Tenants,
    extra_env: dict[str, str] | None,
) -> AsyncIterator[tuple[Contender, Webhook]]:
    """The bot on a fresh database, warmed up (first-call costs, caches; unmeasured)."""
    log = options.logs / f"{setup.slug}.log"
    async with database_for(setup, options, folder) as url:
        bot: Contender
        if setup.bot == "echo":
            bot = EchoBot(log, fake.base_url, options.pipeline_dir, options.intents_dir)
        else:
            bot = Helpbot(
                log,
                fake.base_url,
                url,
                options.pipeline_dir,
                options.intents_dir,
                workers=setup.workers,
                extra_env=extra_env,
            )
        try:
            await bot.start()
            async with Webhook(bot.webhook_url, SECRET, deadline=options.deadline) as webhook:
                await phase(
                    fake, bot, webhook, tenants, options, count=WARM_UP, chats=WARM_UP, rate=None
                )
                yield bot, webhook
        finally:
            await bot.stop()


async def run_setup(setup: Setup, options: Options, tenants: Tenants, folder: Path) -> Outcome:
    """A burst, then a steady rate; if the burst was cut off unfinished, the steady rate
    gets a fresh bot and database so the burst's backlog does not count against it.
    helpbot's SQL is counted over the burst in every run (the census costs a counter
    per statement); ``--profile`` adds py-spy and the statements by kind."""
    outcome = Outcome(setup)
    (options.logs / f"{setup.slug}.log").unlink(missing_ok=True)
    counted = setup.bot == "helpbot"
    profile = options.profile and counted
    census = options.logs / f"{setup.slug}.census"
    samples = options.logs / f"{setup.slug}.py-spy.txt"
    if counted:
        shutil.rmtree(census, ignore_errors=True)
        census.mkdir(parents=True)
    if profile:
        samples.unlink(missing_ok=True)
    extra_env = profiling.census_env(census) if counted else None
    steady_count = max(1, round(options.rate * options.seconds))
    async with (
        FakeTelegramProcess(TOKEN, latency_ms=setup.round_trip_ms, allow_unstarted=True) as fake,
        contextlib.AsyncExitStack() as stack,
    ):
        bot, webhook = await stack.enter_async_context(
            serving(setup, options, fake, folder, tenants, extra_env)
        )
        pss = await stack.enter_async_context(peak_pss(bot))
        statements, transactions = Counter[str](), Counter[str]()
        if counted:
            statements, transactions = await profiling.census(bot.pids(), census)
        async with profiling.sampling(bot.pid or 0, samples) if profile else _nothing():
            outcome.burst = await phase(
                fake,
                bot,
                webhook,
                tenants,
                options,
                count=options.messages,
                chats=options.chats,
                rate=None,
            )
        if counted:
            after, after_transactions = await profiling.census(bot.pids(), census)
            outcome.sql = profiling.per_update(
                outcome.burst.replies, after - statements, after_transactions - transactions
            )
            if profile:
                outcome.profile = profiling.report(
                    setup.label,
                    outcome.burst.replies,
                    after - statements,
                    after_transactions - transactions,
                    samples if samples.exists() else None,
                )
        if outcome.burst.replies < outcome.burst.updates:
            say(f"{setup.label}: burst cut off unfinished; a fresh bot for the steady rate")
            outcome.rss_mb = peak_rss_mb(bot.pids())
            outcome.pss_mb = pss[0]
            await stack.aclose()
            bot, webhook = await stack.enter_async_context(
                serving(setup, options, fake, folder, tenants, extra_env)
            )
            pss = await stack.enter_async_context(peak_pss(bot))
        outcome.steady = await phase(
            fake,
            bot,
            webhook,
            tenants,
            options,
            count=steady_count,
            chats=options.chats,
            rate=options.rate,
        )
        rss = peak_rss_mb(bot.pids())
        outcome.rss_mb = rss if math.isnan(outcome.rss_mb) else max(rss, outcome.rss_mb)
        outcome.pss_mb = max(pss[0], 0.0 if math.isnan(outcome.pss_mb) else outcome.pss_mb)
    return outcome


@contextlib.asynccontextmanager
async def _nothing() -> AsyncIterator[bool]:
    yield False


async def run(options: Options) -> Scoreboard:
    """Every set-up in turn; a set-up that cannot run is marked, the rest go on."""
    ensure_trained(options.intents_dir, options.pipeline_dir)
    options.logs.mkdir(parents=True, exist_ok=True)
    board = Scoreboard()
    tenants = Tenants()
    postgres_problem: str | None = None
    setups = options.setups()
    if any(s.database == "postgresql" for s in setups):
        postgres_problem = await postgres_reachable(options.pg_admin_url)
        if postgres_problem:
            say(
                f"PostgreSQL unavailable at {options.pg_admin_url.split('@')[-1]} "
                f"({postgres_problem}): its rows are marked unavailable"
            )
    rounds: dict[Setup, list[Outcome]] = {setup: [] for setup in setups}
    with tempfile.TemporaryDirectory(prefix="helpbot-bench-") as folder:
        for round_ in range(options.rounds):
            if options.rounds > 1:
                say(f"round {round_ + 1} of {options.rounds}")
            for setup in setups:
                rounds[setup].append(
                    await _run_one(setup, options, tenants, Path(folder), postgres_problem)
                )
    board.outcomes = [median_round(rounds[setup]) for setup in setups]
    return board


def median_round(outcomes: list[Outcome]) -> Outcome:
    """The round with the median burst throughput (the lower middle of an even count);
    a round that failed counts as the slowest."""
    ranked = sorted(outcomes, key=lambda o: o.burst.throughput if o.burst else -1.0)
    return ranked[(len(ranked) - 1) // 2]


async def _run_one(
    setup: Setup, options: Options, tenants: Tenants, folder: Path, postgres_problem: str | None
) -> Outcome:
    if setup.database == "postgresql" and postgres_problem:
        return Outcome(setup, problem="PostgreSQL unavailable")
    say(f"{setup.label}: running")
    started = time.monotonic()
    try:
        outcome = await run_setup(setup, options, tenants, folder)
    except DatabaseUnavailable as error:
        say(f"{setup.label}: PostgreSQL unavailable ({error})")
        outcome = Outcome(setup, problem="PostgreSQL unavailable")
    except BotFailed as error:
        say(f"{setup.label}: {error}")
        outcome = Outcome(setup, problem="failed to start")
    say(f"{setup.label}: {_brief(outcome)} ({time.monotonic() - started:.0f} s)")
    return outcome


def _brief(outcome: Outcome) -> str:
    if outcome.problem or outcome.burst is None or outcome.steady is None:
        return outcome.problem or "no figures"
    b, s = outcome.burst, outcome.steady
    return (
        f"{b.throughput:,.0f} updates/s, p50 {b.percentile(50):.1f} ms, "
        f"p99 {b.percentile(99):.1f} ms; steady {s.offered_rate:.0f}/s p50 "
        f"{s.percentile(50):.1f}, p90 {s.percentile(90):.1f}, p99 {s.percentile(99):.1f} ms; "
        f"replies {b.replies + s.replies}/{b.updates + s.updates}; "
        f"CPU ms per burst update: bot {b.cpu_ms_per_update:.2f}, fake "
        f"{b.fake_cpu_seconds * 1000 / max(1, b.replies):.2f}, load generator "
        f"{b.driver_cpu_seconds * 1000 / max(1, b.replies):.2f}"
    )


def report(board: Scoreboard, options: Options) -> str:
    """The table, what it measured, and the targets."""
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}"
    lines = [
        f"helpbot benchmark, {when}; {machine}",
        f"burst: {options.messages:,} updates over {options.chats} chats, "
        f"{options.in_flight} POSTs in flight; steady: {options.rate:g} updates/s for "
        f"{options.seconds:g} s; fake Bot API, bots and load generator each in their own "
        "process"
        + (
            f"; each row the median of {options.rounds} rounds (burst throughput), the "
            "set-ups taking turns"
            if options.rounds > 1
            else ""
        ),
        "",
        board.table(),
        "",
        _outside_the_bot(board),
        "",
        "Targets (printed, not asserted):",
        board.targets(),
    ]
    for outcome in board.outcomes:
        if outcome.profile:
            lines += ["", *outcome.profile]
    return "\n".join(lines)


def _outside_the_bot(board: Scoreboard) -> str:
    """The fake's and the load generator's CPU per update: on a machine of two cores they
    compete with the bot, so this says how much of a figure is theirs."""
    bursts = [o.burst for o in board.outcomes if o.burst is not None and o.burst.replies]
    if not bursts:
        return "No burst was answered."
    fake = [b.fake_cpu_seconds * 1000 / b.replies for b in bursts]
    driver = [b.driver_cpu_seconds * 1000 / b.replies for b in bursts]
    return (
        f"CPU per burst update outside the bot: fake Bot API {min(fake):.2f}-{max(fake):.2f} "
        f"ms, load generator {min(driver):.2f}-{max(driver):.2f} ms (same cores as the bot)."
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpbot.benchmark", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="a run of about a minute")
    parser.add_argument("--messages", type=int, help="updates in the burst (default 2000)")
    parser.add_argument("--chats", type=int, help="chats they come from (default 100)")
    parser.add_argument("--in-flight", type=int, help="webhook POSTs at once (default 64)")
    parser.add_argument("--rate", type=float, help="steady updates/s (default 200)")
    parser.add_argument("--seconds", type=float, help="steady run length (default 10)")
    parser.add_argument(
        "--round-trips",
        help="simulated Bot API round trips in ms, comma-separated (default 0,50)",
    )
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="one database only")
    parser.add_argument(
        "--workers", type=int, default=2, help="the extra PostgreSQL row's --workers (default 2)"
    )
    parser.add_argument(
        "--deadline", type=float, help="seconds to wait for a phase's replies (default 60)"
    )
    parser.add_argument(
        "--rounds",
        type=int,
        help="run every set-up this many times in turn; each row is its median round (default 1)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="count helpbot's SQL per update and sample its CPU with py-spy during the burst",
    )
    parser.add_argument(
        "--pg-admin-url",
        default=os.environ.get("HELPBOT_BENCH_PG", PG_ADMIN),
        help="PostgreSQL to create a throwaway database in (default: local, user postgres)",
    )
    return parser


def options_from(argv: list[str] | None) -> Options:
    args = _parser().parse_args(argv)
    options = Options(
        pg_admin_url=args.pg_admin_url, only=args.only, workers=args.workers, profile=args.profile
    )
    if args.quick:
        options.messages, options.chats, options.rate, options.seconds = 300, 30, 100.0, 3.0
        options.deadline = 30.0
    for name in ("messages", "chats", "in_flight", "rate", "seconds", "deadline", "rounds"):
        if getattr(args, name) is not None:
            setattr(options, name, getattr(args, name))
    if args.round_trips:
        options.round_trips_ms = tuple(float(x) for x in args.round_trips.split(",") if x.strip())
    return options


def main(argv: list[str] | None = None) -> int:
    options = options_from(argv)
    try:
        board = asyncio.run(run(options))
    except KeyboardInterrupt:
        say("interrupted: every process the benchmark started has been stopped")
        return 130
    print(report(board, options))
    return 0


if __name__ == "__main__":
    sys.exit(main())
