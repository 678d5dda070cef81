"""Scores a trained pipeline on the held-out split, without retraining.

The held-out messages (``intents/heldout/``) were written separately from the
training examples and are never used for training or threshold tuning, so these
figures are the honest estimate of how the bot does on messages it has not seen.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from helpbot.nlu.intents import INTENTS
from helpbot.nlu.knowledge import load_heldout
from helpbot.nlu.training import MODEL_DIR, LabelledMessage, load_split
from helpbot.nlu.understanding import Understanding

# The quality gate (also asserted by tests/test_understanding.py).
MIN_MACRO_F1 = 0.85
MIN_SAFETY_RECALL = 0.95
MIN_KB_PRECISION = 0.95
SAFETY = ("emergency", "safeguarding")


def per_intent(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support for every intent."""
    table: dict[str, dict[str, float]] = {}
    for label in INTENTS:
        pairs = list(zip(gold, predicted, strict=True))
        tp = sum(g == p == label for g, p in pairs)
        fp = sum(p == label != g for g, p in pairs)
        fn = sum(g == label != p for g, p in pairs)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    return table


def confusion(gold: Sequence[str], predicted: Sequence[str]) -> list[list[int]]:
    """Rows are the true intent, columns the predicted one, in INTENTS order."""
    index = {label: i for i, label in enumerate(INTENTS)}
    matrix = [[0] * len(INTENTS) for _ in INTENTS]
    for g, p in zip(gold, predicted, strict=True):
        matrix[index[g]][index[p]] += 1
    return matrix


def save_confusion_plot(matrix: list[list[int]], path: Path) -> None:
    """A readable PNG: labelled axes, a count in every non-empty cell."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 8))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(INTENTS)), labels=INTENTS, rotation=45, ha="right")
    ax.set_yticks(range(len(INTENTS)), labels=INTENTS)
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("true intent")
    ax.set_title("Intent confusion on held-out messages")
    peak = max(max(row) for row in matrix) or 1
    for i, row in enumerate(matrix):
        for j, count in enumerate(row):
            if count:
                colour = "white" if count > peak / 2 else "black"
                ax.text(j, i, str(count), ha="center", va="center", color=colour)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _print_confusion(matrix: list[list[int]], out: TextIO) -> None:
    short = [label[:5] for label in INTENTS]
    print("confusion (rows true, columns predicted):", file=out)
    print(" " * 13 + " ".join(f"{s:>5}" for s in short), file=out)
    for label, row in zip(INTENTS, matrix, strict=True):
        print(f"{label:>12} " + " ".join(f"{c:>5}" for c in row), file=out)


def _speed(understanding: Understanding, messages: Sequence[LabelledMessage], out: TextIO) -> None:
    texts = [m.text for m in messages]
    for text in texts[:50]:
        understanding.classify(text)  # warm up
    timings = []
    for _ in range(3):
        for text in texts:
            started = time.perf_counter()
            understanding.classify(text)
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    batch = texts * 20
    started = time.perf_counter()
    understanding.classify_many(batch)
    throughput = len(batch) / (time.perf_counter() - started)
    print(
        f"latency per message: median {statistics.median(timings):.3f} ms, p99 {p99:.3f} ms",
        file=out,
    )
    print(f"batch throughput (nlp.pipe): {throughput:,.0f} msgs/s", file=out)


def evaluate(
    pipeline_dir: Path,
    intents_dir: Path,
    plot: Path | None = None,
    speed: bool = False,
    out: TextIO = sys.stdout,
) -> int:
    """Prints held-out figures; returns 0 if the quality gate passes, else 1."""
    pipeline_dir, intents_dir = Path(pipeline_dir), Path(intents_dir)
    started = time.perf_counter()
    understanding = Understanding.load(pipeline_dir, intents_dir)
    load_seconds = time.perf_counter() - started
    messages = load_split(intents_dir, "heldout")
    gold = [m.intent for m in messages]
    predicted = [c.intent for c in understanding.classify_many(m.text for m in messages)]

    table = per_intent(gold, predicted)
    macro_f1 = sum(row["f1"] for row in table.values()) / len(table)
    accuracy = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    print(f"held-out messages: {len(messages)}", file=out)
    print(f"{'intent':>12} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>4}", file=out)
    for label, row in table.items():
        print(
            f"{label:>12} {row['precision']:6.3f} {row['recall']:6.3f} {row['f1']:6.3f}"
            f" {int(row['support']):4d}",
            file=out,
        )
    print(f"macro-F1 {macro_f1:.3f}  accuracy {accuracy:.3f}", file=out)
    matrix = confusion(gold, predicted)
    _print_confusion(matrix, out)
    wrong = [(m, p) for m, p in zip(messages, predicted, strict=True) if m.intent != p]
    print(f"misclassified ({len(wrong)}):", file=out)
    for message, guess in wrong:
        print(f"  {message.intent:>12} -> {guess:<12} {message.text}", file=out)

    cases = load_heldout(intents_dir / "heldout" / "knowledge.toml")
    answered = correct = answerable = covered = 0
    kb_wrong: list[str] = []
    for question, expected in cases:
        result = understanding.answer(question)
        answerable += bool(expected)
        if result is None:
            continue
        answered += 1
        if result.entry_id == expected:
            correct += 1
            covered += bool(expected)
        else:
            kb_wrong.append(
                f"  {question!r}: expected {expected or 'abstain'}, got {result.entry_id}"
            )
    kb_precision = correct / answered if answered else 1.0
    kb_coverage = covered / answerable if answerable else 0.0
    print(
        f"knowledge base: precision {kb_precision:.3f}, coverage {kb_coverage:.3f}"
        f" ({answered} answered of {len(cases)} held-out questions, {answerable} answerable)",
        file=out,
    )
    for line in kb_wrong:
        print(line, file=out)

    if plot is not None:
        save_confusion_plot(matrix, Path(plot))
        print(f"confusion matrix saved to {plot}", file=out)
    if speed:
        size = sum(p.stat().st_size for p in (pipeline_dir / MODEL_DIR).rglob("*") if p.is_file())
        print(
            f"pipeline size on disk: {size / 1e6:.1f} MB, load time {load_seconds:.2f} s", file=out
        )
        _speed(understanding, messages, out)

    failures = []
    if macro_f1 < MIN_MACRO_F1:
        failures.append(f"macro-F1 {macro_f1:.3f} < {MIN_MACRO_F1}")
    for label in SAFETY:
        if table[label]["recall"] < MIN_SAFETY_RECALL:
            failures.append(f"{label} recall {table[label]['recall']:.3f} < {MIN_SAFETY_RECALL}")
    if kb_precision < MIN_KB_PRECISION:
        failures.append(f"knowledge-base precision {kb_precision:.3f} < {MIN_KB_PRECISION}")
    print("quality gate: " + ("PASS" if not failures else "FAIL: " + "; ".join(failures)), file=out)
    return 0 if not failures else 1
