"""The figures for messages in other languages, on sets written by people who had not
seen the word lists (tests/data/other_languages*.jsonl; intents/README.md, "Other
languages", has them by pass):

    python -m helpbot.nlu.other_language_sets tests/data/other_languages.jsonl ...

Each line of a set is ``{"text", "language", "urgent", "note"}``: ``language`` "en" for
English, ``urgent`` "emergency", "safeguarding" or "" (a set of everyday messages only,
such as the attack's, has no urgent ones).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from helpbot.config import REPO_ROOT
from helpbot.nlu.intents import SAFETY_LABELS as URGENT
from helpbot.nlu.understanding import Understanding


def figures(understanding: Understanding, path: Path) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    read = understanding.classify_many([row["text"] for row in rows])
    pairs = list(zip(rows, read, strict=True))
    other = [(r, c) for r, c in pairs if r["language"] != "en"]
    english = [(r, c) for r, c in pairs if r["language"] == "en"]
    urgent = [(r, c) for r, c in other if r.get("urgent")]
    calm = [(r, c) for r, c in other if not r.get("urgent")]

    def share(found: int, of: list[object]) -> str:
        return f"{found} / {len(of)}"

    return [
        f"{path.name}",
        "  recognised as another language: "
        + share(sum(bool(c.language) for _, c in other), other),
        f"  English taken for another: {share(sum(bool(c.language) for _, c in english), english)}",
        f"  urgent called urgent: {share(sum(c.intent in URGENT for _, c in urgent), urgent)}",
        "  urgent called urgent or given the safety line: "
        + share(sum(c.intent in URGENT or bool(c.risk) for _, c in urgent), urgent),
        f"  everyday called urgent: {share(sum(c.intent in URGENT for _, c in calm), calm)}",
        "  everyday given the safety line: "
        + share(sum(c.intent not in URGENT and bool(c.risk) for _, c in calm), calm),
        f"  given the hostile reply: {sum(c.intent == 'hostile' for _, c in other)}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m helpbot.nlu.other_language_sets")
    parser.add_argument("sets", nargs="+", type=Path)
    parser.add_argument("--pipeline-dir", type=Path, default=REPO_ROOT / "build/intent-pipeline")
    parser.add_argument("--intents-dir", type=Path, default=REPO_ROOT / "intents")
    args = parser.parse_args(argv)
    understanding = Understanding.load(args.pipeline_dir, args.intents_dir)
    for path in args.sets:
        print("\n".join(figures(understanding, path)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
