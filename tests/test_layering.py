"""How the code is layered: policy can be read and tested alone (issue: the desk as
feature routers over narrow ports). These read the source with ``ast`` and run imports
in a fresh interpreter, so nothing already imported by the test run can hide a leak."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import helpbot

ROOT = Path(helpbot.__file__).resolve().parent
HEAVY = ("sqlalchemy", "spacy", "telegram", "aiohttp")
# The only parts of the desk the store may import: the contract it implements.
DESK_CONTRACT = {"helpbot.desk.events", "helpbot.desk.records", "helpbot.desk.ports"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_only(tree: ast.AST) -> set[int]:
    """Imports under ``if TYPE_CHECKING:``: read by type checkers, never run."""
    skipped: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                skipped.update(id(n) for n in ast.walk(inner))
    return skipped


def imports_of(path: Path, *, runtime_only: bool = False) -> set[str]:
    """helpbot modules a file imports, at module level or inside functions alike."""
    tree = ast.parse(path.read_text(), str(path))
    skipped = _type_only(tree) if runtime_only else set()
    found: set[str] = set()
    package = (
        module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    )
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("helpbot")}


def helpbot_graph(*, runtime_only: bool = False) -> dict[str, set[str]]:
    files = {module_name(p): p for p in ROOT.rglob("*.py") if "migrations" not in p.parts}
    return {
        name: {i for i in imports_of(path, runtime_only=runtime_only) if i in files} - {name}
        for name, path in files.items()
    }


def test_importing_every_desk_module_loads_no_database_nlu_or_platform_library() -> None:
    desk_modules = sorted(module_name(p) for p in (ROOT / "desk").rglob("*.py"))
    script = (
        "import importlib, json, sys\n"
        f"for name in {desk_modules!r}:\n"
        "    importlib.import_module(name)\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout) == []
    assert "helpbot.desk.front_desk" in desk_modules


def test_a_heavy_import_in_the_desk_would_be_caught() -> None:
    """The check above can fail: importing the store really does load SQLAlchemy."""
    script = "import sys, helpbot.store.records; print('sqlalchemy' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "True"


def test_the_store_imports_only_the_desks_contract() -> None:
    graph = helpbot_graph()
    reaching = {
        (name, target)
        for name, targets in graph.items()
        if name.startswith("helpbot.store")
        for target in targets
        if target.startswith("helpbot.desk") and target not in DESK_CONTRACT | {"helpbot.desk"}
    }
    assert reaching == set()


def test_the_desk_never_imports_the_store_channels_or_the_post_room() -> None:
    graph = helpbot_graph()
    outward = {
        (name, target)
        for name, targets in graph.items()
        if name.startswith("helpbot.desk")
        for target in targets
        if target.split(".")[1] in {"store", "channels", "postroom", "web", "serve", "testing"}
    }
    assert outward == set()


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for target in sorted(graph.get(node, ())):
            if state.get(target) == 1:
                return [*path[path.index(target) :], target]
            if target not in state and (cycle := visit(target)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles_inside_helpbot() -> None:
    """Counted as run: an import inside a function counts, one under ``if TYPE_CHECKING``
    (a type-only back reference) does not."""
    assert find_cycle(helpbot_graph(runtime_only=True)) is None


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
