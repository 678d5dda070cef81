"""The side-by-side table: each of helpbot's set-ups next to the echo bot at the same
Bot API round trip, with the ratio, and the targets (printed, never asserted)."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from helpbot.benchmark.load import PhaseResult

RSS_LIMIT_MB = 300.0
STEADY_P99_MS = 10.0
THROUGHPUT_RATIO = 0.7
LATENCY_HOLD = 0.10


@dataclass(frozen=True)
class Setup:
    """One bot run: which bot, on which database, behind which round trip."""

    bot: str  # "echo" or "helpbot"
    database: str  # "none", "sqlite" or "postgresql"
    round_trip_ms: float
    workers: int = 1

    @property
    def label(self) -> str:
        database = {"none": "no database", "sqlite": "SQLite", "postgresql": "PostgreSQL"}
        workers = f", {self.workers} workers" if self.workers > 1 else ""
        return f"{self.bot} {database[self.database]}{workers} {self.round_trip_ms:g} ms"

    @property
    def slug(self) -> str:
        return f"{self.bot}-{self.database}-{self.round_trip_ms:g}ms" + (
            f"-w{self.workers}" if self.workers > 1 else ""
        )


@dataclass(frozen=True)
class Sql:
    """helpbot's SQL per update answered in the burst (the census): statement executions
    (an executemany or a multi-row INSERT is one), BEGIN...COMMIT transactions, and
    single statements run in autocommit. On PostgreSQL each statement is a round trip,
    and so are each transaction's BEGIN and COMMIT. Deterministic, unlike timings."""

    statements: float
    transactions: float
    autocommit: float

    def shown(self) -> str:
        return f"{self.statements:.2f} / {self.transactions:.2f} + {self.autocommit:.2f}"


@dataclass
class Outcome:
    setup: Setup
    burst: PhaseResult | None = None
    steady: PhaseResult | None = None
    rss_mb: float = math.nan
    pss_mb: float = math.nan  # peak of the family's summed Pss, sampled
    sql: Sql | None = None
    problem: str | None = None  # "unavailable: ...", "failed: ..."
    profile: list[str] = field(default_factory=list)  # --profile's lines

    @property
    def complete(self) -> bool:
        """Every update answered exactly once in both phases."""
        return all(
            phase is not None and phase.replies == phase.updates and not phase.extra
            for phase in (self.burst, self.steady)
        )


Figure = Callable[["Outcome | None"], float]


@dataclass
class Scoreboard:
    outcomes: list[Outcome] = field(default_factory=list)

    def echo(self, round_trip_ms: float) -> Outcome | None:
        for outcome in self.outcomes:
            if outcome.setup.bot == "echo" and outcome.setup.round_trip_ms == round_trip_ms:
                return outcome
        return None

    def helpbot(self, database: str, round_trip_ms: float, workers: int = 1) -> Outcome | None:
        for outcome in self.outcomes:
            s = outcome.setup
            if (s.bot, s.database, s.round_trip_ms, s.workers) == (
                "helpbot",
                database,
                round_trip_ms,
                workers,
            ):
                return outcome
        return None

    def table(self) -> str:
        header = (
            "| helpbot set-up | round trip | burst updates/s: echo / helpbot (ratio) "
            "| burst p50 ms: echo / helpbot | burst p99 ms: echo / helpbot "
            "| steady p99 ms: echo / helpbot | CPU ms per update: echo / helpbot (ratio) "
            "| peak RSS MB (sum): echo / helpbot | peak PSS MB: echo / helpbot "
            "| SQL per update: statements / transactions + autocommit "
            "| replies: echo / helpbot |"
        )
        lines = [header, _rule(header)]
        for outcome in self.outcomes:
            s = outcome.setup
            if s.bot != "helpbot":
                continue
            echo = self.echo(s.round_trip_ms)
            database = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}[s.database]
            name = database + (f", --workers {s.workers}" if s.workers > 1 else "")
            trip = f"{s.round_trip_ms:g} ms"
            if outcome.problem:
                lines.append(f"| {name} | {trip} | {outcome.problem} |" + " |" * 8)
                continue
            lines.append(
                "| "
                + " | ".join(
                    [
                        name,
                        trip,
                        _pair(echo, outcome, lambda o: _burst(o).throughput, "{:,.0f}", True),
                        _pair(echo, outcome, lambda o: _burst(o).percentile(50), "{:,.1f}"),
                        _pair(echo, outcome, lambda o: _burst(o).percentile(99), "{:,.1f}"),
                        _pair(echo, outcome, lambda o: _steady(o).percentile(99), "{:,.1f}"),
                        _pair(
                            echo, outcome, lambda o: _burst(o).cpu_ms_per_update, "{:,.2f}", True
                        ),
                        _pair(echo, outcome, lambda o: o.rss_mb, "{:,.0f}"),
                        _pair(echo, outcome, lambda o: o.pss_mb, "{:,.0f}"),
                        outcome.sql.shown() if outcome.sql else "-",
                        f"{_replies(echo)} / {_replies(outcome)}",
                    ]
                )
                + " |"
            )
        return "\n".join(lines)

    def targets(self) -> str:
        """Each target with the figures it is judged on: met, missed or not measured."""
        lines = []
        for database, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
            echo, bot = self.echo(0.0), self.helpbot(database, 0.0)
            ratio = _ratio(bot, echo, lambda o: _burst(o).throughput)
            lines.append(
                _target(
                    f"helpbot >= {THROUGHPUT_RATIO}x echo throughput, {name} (0 ms)",
                    "-" if math.isnan(ratio) else f"{ratio:.2f}x",
                    None if math.isnan(ratio) else ratio >= THROUGHPUT_RATIO,
                )
            )
        for database, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
            bot = self.helpbot(database, 0.0)
            p99 = _steady(bot).percentile(99) if _usable(bot) else math.nan
            lines.append(
                _target(
                    f"p99 POST to reply < {STEADY_P99_MS:g} ms at a steady rate, {name}",
                    _shown("{:,.1f} ms", p99),
                    None if math.isnan(p99) else p99 < STEADY_P99_MS,
                )
            )
        for database, name in (("sqlite", "SQLite"), ("postgresql", "PostgreSQL")):
            fast, slow = self.helpbot(database, 0.0), self.helpbot(database, 50.0)
            if _usable(fast) and _usable(slow) and _burst(fast).throughput:
                change = _burst(slow).throughput / _burst(fast).throughput - 1
                lines.append(
                    _target(
                        f"50 ms round trip within {LATENCY_HOLD:.0%} of 0 ms throughput, {name}",
                        f"{change:+.0%}",
                        change >= -LATENCY_HOLD,
                    )
                )
            else:
                lines.append(_target(f"50 ms round trip within 10% of 0 ms, {name}", "-", None))
        peaks = [
            (o.setup.label, o.pss_mb, o.rss_mb)
            for o in self.outcomes
            if o.setup.bot == "helpbot" and _usable(o)
        ]
        if peaks:
            # Judged on Pss: a page a forked worker shares with its parent is memory
            # taken once, though it shows in each process's RSS. The RSS sum is shown too.
            label, peak, rss = max(peaks, key=lambda item: item[1])
            lines.append(
                _target(
                    f"peak memory (PSS, summed over the bot's processes) < {RSS_LIMIT_MB:g} MB "
                    "per set-up",
                    f"highest {peak:,.0f} MB ({label}; its RSS summed: {rss:,.0f} MB)",
                    peak < RSS_LIMIT_MB,
                )
            )
        one = self.helpbot("postgresql", 0.0)
        several = next(
            (
                o
                for o in self.outcomes
                if o.setup.bot == "helpbot"
                and o.setup.database == "postgresql"
                and o.setup.workers > 1
            ),
            None,
        )
        if _usable(one) and _usable(several):
            assert one is not None and several is not None
            a, b = _burst(one).throughput, _burst(several).throughput
            lines.append(
                _target(
                    f"{several.setup.workers} workers on PostgreSQL > 1 worker",
                    f"{b:,.0f} vs {a:,.0f} updates/s",
                    b > a,
                )
            )
        else:
            lines.append(_target("several workers on PostgreSQL > 1 worker", "-", None))
        return "\n".join(lines)


def _rule(header: str) -> str:
    return "|" + "---|" * (header.count("|") - 1)


def _burst(outcome: Outcome | None) -> PhaseResult:
    assert outcome is not None and outcome.burst is not None
    return outcome.burst


def _steady(outcome: Outcome | None) -> PhaseResult:
    assert outcome is not None and outcome.steady is not None
    return outcome.steady


def _usable(outcome: Outcome | None) -> bool:
    return (
        outcome is not None
        and not outcome.problem
        and outcome.burst is not None
        and outcome.steady is not None
    )


def _ratio(bot: Outcome | None, echo: Outcome | None, figure: Figure) -> float:
    if not (_usable(bot) and _usable(echo)):
        return math.nan
    base = figure(echo)
    return figure(bot) / base if base else math.nan


def _pair(
    echo: Outcome | None, bot: Outcome, figure: Figure, style: str, ratio: bool = False
) -> str:
    left = _shown(style, figure(echo)) if _usable(echo) else "-"
    right = _shown(style, figure(bot)) if _usable(bot) else "-"
    text = f"{left} / {right}"
    if ratio:
        value = _ratio(bot, echo, figure)
        if not math.isnan(value):
            text += f" ({value:.2f}x)"
    return text


def _shown(style: str, value: float) -> str:
    if math.isinf(value):
        return "unanswered"  # the percentile falls among updates never answered
    return "-" if math.isnan(value) else style.format(value)


def _replies(outcome: Outcome | None) -> str:
    if not _usable(outcome):
        return "-"
    assert outcome is not None
    got = sum(p.replies for p in (_burst(outcome), _steady(outcome)))
    wanted = sum(p.updates for p in (_burst(outcome), _steady(outcome)))
    extra = sum(p.extra for p in (_burst(outcome), _steady(outcome)))
    return f"{got:,}/{wanted:,}" + (f" +{extra} extra" if extra else "")


def _target(what: str, figure: str, met: bool | None) -> str:
    verdict = "not measured" if met is None else ("met" if met else "MISSED")
    return f"- {what}: {figure} ({verdict})"
