"""`make benchmark` in its smallest form: both bots really run, in their own processes,
against the fake Bot API in its own process; every update must be answered once.
Figures are never asserted (shared, noisy machines)."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from helpbot.benchmark import profiling
from helpbot.benchmark.__main__ import Options, report, run
from helpbot.benchmark.load import Posted, measure
from helpbot.testing.bot_process import free_port
from tests.nlu_fixtures import INTENTS_DIR, PIPELINE_DIR


def small(tmp_path: Path, **changes: object) -> Options:
    options = Options(
        messages=24,
        chats=4,
        rate=12.0,
        seconds=1.0,
        round_trips_ms=(0.0,),
        only="sqlite",
        deadline=60.0,
        pipeline_dir=PIPELINE_DIR,
        intents_dir=INTENTS_DIR,
        logs=tmp_path,
    )
    for name, value in changes.items():
        setattr(options, name, value)
    return options


@pytest.mark.slow
async def test_a_small_run_answers_every_update_and_prints_the_table(tmp_path: Path) -> None:
    options = small(tmp_path)
    board = await run(options)
    assert [o.setup.label for o in board.outcomes] == [
        "echo no database 0 ms",
        "helpbot SQLite 0 ms",
    ]
    for outcome in board.outcomes:
        assert outcome.problem is None
        assert outcome.burst is not None and outcome.steady is not None
        assert (outcome.burst.updates, outcome.steady.updates) == (24, 12)
        assert outcome.burst.replies == 24 and outcome.steady.replies == 12
        assert outcome.burst.extra == outcome.steady.extra == 0
        assert outcome.burst.unaccepted == outcome.steady.unaccepted == 0
        assert len(outcome.burst.latencies) == 24
    echo, helpbot = board.outcomes
    # Every run counts helpbot's SQL (the echo bot has none) and samples both bots' Pss.
    assert echo.sql is None
    assert helpbot.sql is not None and helpbot.sql.statements > 0
    assert helpbot.sql.transactions + helpbot.sql.autocommit > 0
    assert echo.pss_mb > 0 and helpbot.pss_mb > 0
    text = report(board, options)
    row = next(line for line in text.splitlines() if line.startswith("| SQLite | 0 ms |"))
    assert row.endswith("| 36/36 / 36/36 |")
    assert "Targets (printed, not asserted):" in text
    assert "helpbot >= 0.7x echo throughput, SQLite (0 ms)" in text


async def test_postgresql_out_of_reach_marks_its_rows_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    closed = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    options = small(tmp_path, only="postgresql", pg_admin_url=closed, messages=8, rate=8.0)
    board = await run(options)
    assert [(o.setup.label, o.problem) for o in board.outcomes] == [
        ("echo no database 0 ms", None),
        ("helpbot PostgreSQL 0 ms", "PostgreSQL unavailable"),
        ("helpbot PostgreSQL, 2 workers 0 ms", "PostgreSQL unavailable"),
    ]
    text = report(board, options)
    assert "| PostgreSQL | 0 ms | PostgreSQL unavailable |" in text
    assert "Traceback" not in text


def test_a_missing_or_doubled_reply_is_counted_not_hidden() -> None:
    posted = [Posted(7, n, first_post=100.0 + n, accepted=100.0 + n) for n in range(3)]
    short = measure(posted, {7: [101.5, 102.5]})
    assert (short.updates, short.replies, short.extra) == (3, 2, 0)
    assert short.percentile(50) == 1500.0
    assert short.percentile(99) == math.inf  # the unanswered one is the slowest
    doubled = measure(posted, {7: [100.5, 101.5, 102.5, 102.6]})
    assert (doubled.replies, doubled.extra) == (3, 1)
    assert [round(x, 3) for x in doubled.latencies] == [0.5, 0.5, 0.5]


def test_profile_samples_are_charged_to_the_component_that_ran(tmp_path: Path) -> None:
    raw = tmp_path / "samples.txt"
    loop = "process 1:helpbot serve;thread (1): MainThread;run (asyncio/runners.py:118)"
    step = f"{loop};Worker.step (helpbot/postroom/worker.py:101)"
    raw.write_text(
        "\n".join(
            [
                f"{step};Session.execute (sqlalchemy/orm/session.py:2300) 6",
                f"{step};Understanding.classify (helpbot/nlu/understanding.py:74);"
                "Language.__call__ (spacy/language.py:1040) 3",
                f"{loop};EpollSelector.select (selectors.py:468) 50",  # waiting, not working
                f"{step} 1",
            ]
        )
    )
    total, own, anywhere = profiling.cpu_by_component(raw)
    assert total == 10
    assert own == {"sqlalchemy": 6, "spaCy/thinc/numpy": 3, "helpbot.postroom": 1}
    assert anywhere["helpbot.postroom"] == 10 and anywhere["helpbot.nlu"] == 3
    assert profiling.top_functions(raw)[0] == ("Worker.step (helpbot/postroom/worker.py)", 10)


def test_with_several_rounds_each_row_is_the_median_round_and_a_failure_counts_as_slowest() -> None:
    from helpbot.benchmark.__main__ import median_round
    from helpbot.benchmark.load import PhaseResult
    from helpbot.benchmark.scoreboard import Outcome, Setup

    setup = Setup("helpbot", "sqlite", 0.0)

    def round_at(throughput: float) -> Outcome:
        # One update answered in 1/throughput seconds.
        burst = measure([Posted(7, 1, first_post=0.0, accepted=0.0)], {7: [1 / throughput]})
        assert isinstance(burst, PhaseResult)
        return Outcome(setup, burst=burst)

    rounds = [round_at(300.0), round_at(100.0), round_at(200.0)]
    assert median_round(rounds) is rounds[2]
    failed = Outcome(setup, problem="failed to start")
    assert median_round([round_at(300.0), failed, round_at(200.0)]).burst is not None
    assert median_round([failed, round_at(300.0)]) is failed  # the lower middle of two
