"""SQL census for ``python -m helpbot.benchmark``: counts every statement and transaction a
helpbot process runs, without a line of the bot changed.

This directory is put first on the bot's PYTHONPATH, so Python imports this module at
start-up. It listens on every SQLAlchemy engine; on SIGUSR1 it writes its counts so
far to ``$HELPBOT_BENCH_CENSUS/<pid>.json``. A statement costs a counter increment (the
statement's text is sorted into "VERB table" only when the counts are written), so
the census runs in every benchmark run: statements per update is a figure that holds
however busy the machine is.

A transaction is a BEGIN ... COMMIT/ROLLBACK block; a block in autocommit mode (one
statement that commits on its own, no BEGIN or COMMIT sent) is counted apart.
"""

from __future__ import annotations

import gc
import json
import os
import re
import signal
import time
from collections import Counter
from pathlib import Path
from typing import Any

_FOLDER = os.environ.get("HELPBOT_BENCH_CENSUS")
_TABLE = re.compile(
    r"^\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|SELECT\b.*?\bFROM)\s+\"?(\w+)", re.I | re.S
)


def statement_kind(statement: str) -> str:
    """ "INSERT messages", "SELECT cases", "BEGIN"...: the verb and the first table."""
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "?"
    match = _TABLE.match(statement)
    return f"{verb} {match.group(1) if match else ''}".strip()


def _install(folder: Path) -> None:
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    statements: Counter[str] = Counter()
    transactions: Counter[str] = Counter()
    writes = {"n": 0}
    collector = {"started": 0.0, "seconds": 0.0, "collections": 0}

    def on_collect(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            collector["started"] = time.perf_counter()
        else:
            collector["seconds"] += time.perf_counter() - collector["started"]
            collector["collections"] += 1

    gc.callbacks.append(on_collect)

    def on_statement(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements[statement] += 1

    def autocommit(conn: Any) -> bool:
        return bool(conn.get_execution_options().get("isolation_level") == "AUTOCOMMIT")

    def on(name: str) -> Any:
        def count(conn: Any, *args: Any) -> None:
            if not autocommit(conn):
                transactions[name] += 1
            elif name == "begin":
                transactions["autocommit"] += 1

        return count

    event.listen(Engine, "before_cursor_execute", on_statement)
    for name in ("begin", "commit", "rollback"):
        event.listen(Engine, name, on(name))

    def dump(signum: int, frame: Any) -> None:
        writes["n"] += 1
        kinds: Counter[str] = Counter()
        for statement, n in list(statements.items()):
            kinds[statement_kind(statement)] += n
        record = {
            "seq": writes["n"],
            "statements": dict(kinds),
            "transactions": dict(transactions),
            "gc": {"seconds": collector["seconds"], "collections": collector["collections"]},
        }
        target = folder / f"{os.getpid()}.json"
        partial = target.with_suffix(".part")
        partial.write_text(json.dumps(record))
        partial.replace(target)

    signal.signal(signal.SIGUSR1, dump)


if _FOLDER:
    _install(Path(_FOLDER))
