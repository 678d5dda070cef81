"""Scores a trained pipeline on the evaluation splits, without retraining.

The held-out messages (``intents/heldout/``) were written separately from the
training examples but by the same author; the challenge sets (``intents/challenge*/``)
were written by other authors with no sight of the examples. None is used for
training or threshold tuning. The challenge figures are the more honest estimate of
how the bot does on other people's messages.

Besides intent figures, every split reports false urgent alarms (emergency or
safeguarding decided for a message that is neither) and the calibration of the
reported scores (expected calibration error and a reliability diagram). A split
may have ``unclear.txt`` (messages that match no intent) and ``offtopic.txt``
(``dissatisfied<TAB>text`` / ``neutral<TAB>text`` posts about other services: none
may be urgent, and dissatisfaction should read as complaint, repair or hostile).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from helpbot.nlu.intents import INTENTS, LABELS, UNCLEAR
from helpbot.nlu.knowledge import load_heldout, outside_policy
from helpbot.nlu.memory import resident_mb
from helpbot.nlu.training import (
    KNOWLEDGE_ONLY_SPLITS,
    METADATA_FILE,
    MODEL_DIR,
    LabelledMessage,
    available_evaluation_splits,
    expected_calibration_error,
    load_split,
    read_messages,
)
from helpbot.nlu.understanding import Understanding

# The quality gate (also asserted by tests/test_understanding.py).
MIN_MACRO_F1 = 0.85
MIN_SAFETY_RECALL = 0.95
MIN_KB_PRECISION = 0.95
SAFETY = ("emergency", "safeguarding")
# Knowledge-base files whose precision is gated. The challenge KB questions are
# reported only: each has one strict expected entry, so an answer that also
# serves the tenant (all contact details for "your contact number") counts wrong.
KB_GATED_SPLITS = ("heldout",)
# Splits the intent quality gate applies to. challenge3 (in other voices, with the
# urgent sentence buried, Awaab's Law hazards and coercive control) is reported, and
# its figures are in intents/README.md; it is not gated because a gate on it would
# invite tuning to it (its misses guided issue 13's third pass, so its figure is
# already optimistic). challenge4 was measured once in pass three; it is used in pass
# four to choose the representation and find weak kinds, so it is a development set
# now (reported, not gated); challenge5 (written blind during pass four, measured once
# at its end) became a development set in pass five, challenge6 (likewise, pass five)
# in pass six, challenge7 (written blind during pass six, measured once at its end)
# in pass seven, and challenge8 (written blind during pass seven, measured once at its
# end) is the honest figure, reported and not gated for the same reason.
GATED_SPLITS = ("heldout", "challenge", "challenge2")
URGENT = frozenset(SAFETY)
DISSATISFIED = frozenset({"complaint", "repair", "hostile"})
# The representation comparison written by ``helpbot evaluate --compare``.
COMPARISON_FILE = "representations.json"


def labels_in(gold: Sequence[str], predicted: Sequence[str] = ()) -> tuple[str, ...]:
    """The ten intents, plus unclear when it is a gold label or was predicted."""
    if UNCLEAR in gold or UNCLEAR in predicted:
        return LABELS
    return INTENTS


def macro_f1(table: dict[str, dict[str, float]], gold: Sequence[str]) -> float:
    """Mean F1 over the ten intents, plus unclear when the split has unclear messages."""
    labels = [label for label in table if label in INTENTS or label in gold]
    return sum(table[label]["f1"] for label in labels) / len(labels)


def per_intent(gold: Sequence[str], predicted: Sequence[str]) -> dict[str, dict[str, float]]:
    """Precision, recall, F1 and support for every intent."""
    table: dict[str, dict[str, float]] = {}
    for label in labels_in(gold, predicted):
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
    """Rows are the true intent, columns the predicted one, in LABELS order."""
    index = {label: i for i, label in enumerate(LABELS)}
    matrix = [[0] * len(LABELS) for _ in LABELS]
    for g, p in zip(gold, predicted, strict=True):
        matrix[index[g]][index[p]] += 1
    return matrix


def save_confusion_plot(matrix: list[list[int]], path: Path, split: str = "heldout") -> None:
    """A readable PNG: labelled axes, a count in every non-empty cell."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(9, 8))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(LABELS)), labels=LABELS, rotation=45, ha="right")
    ax.set_yticks(range(len(LABELS)), labels=LABELS)
    ax.set_xlabel("predicted intent")
    ax.set_ylabel("true intent")
    ax.set_title(f"Intent confusion on {split} messages")
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
    short = [label[:5] for label in LABELS]
    print("confusion (rows true, columns predicted):", file=out)
    print(" " * 13 + " ".join(f"{s:>5}" for s in short), file=out)
    for label, row in zip(LABELS, matrix, strict=True):
        print(f"{label:>12} " + " ".join(f"{c:>5}" for c in row), file=out)


# Messages timed one by one, and in one batch: each text once, so the sentence encoder's
# cache of recent vectors (a message's windows, a retried event) never answers for it.
SPEED_SAMPLE = 600
SPEED_BATCH = 2000


def _speed(understanding: Understanding, messages: Sequence[LabelledMessage], out: TextIO) -> None:
    texts = list(dict.fromkeys(m.text for m in messages))
    for text in texts[:30]:
        understanding.classify(f"{text} (warm up)")
    step = max(1, len(texts) // SPEED_SAMPLE)
    timings = []  # CPU time of this thread per message: unaffected by other work
    for text in texts[::step][:SPEED_SAMPLE]:
        # Marked, so the reading is a first one: the splits were just read, and the
        # encoder keeps the vectors of the last few hundred messages.
        unseen = f"{text} (timed)"
        started = time.thread_time()
        understanding.classify(unseen)
        timings.append((time.thread_time() - started) * 1000)
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    batch = [f"{text} ({n})" for n, text in enumerate((texts * 4)[:SPEED_BATCH])]
    started = time.perf_counter()
    understanding.classify_many(batch)
    throughput = len(batch) / (time.perf_counter() - started)
    print(
        f"latency per message (CPU time, one thread): median {statistics.median(timings):.3f} ms,"
        f" p99 {p99:.3f} ms",
        file=out,
    )
    print(f"batch throughput (nlp.pipe): {throughput:,.0f} msgs/s", file=out)


@dataclass(frozen=True, slots=True)
class OfftopicResult:
    """Posts about other services (offtopic.txt): false urgent alarms and whether
    dissatisfaction is read as complaint/repair/hostile (macro-F1 over both classes)."""

    messages: int
    urgent: int
    dissatisfaction_f1: float
    flagged: int = 0  # flagged by the safety net (a safety line and a colleague's look)

    @property
    def urgent_rate(self) -> float:
        return self.urgent / self.messages if self.messages else 0.0


@dataclass(frozen=True, slots=True)
class SplitResult:
    """Intent figures for one evaluation split."""

    split: str
    messages: int
    macro_f1: float
    accuracy: float
    table: dict[str, dict[str, float]]
    matrix: list[list[int]]
    wrong: list[tuple[LabelledMessage, str]]
    false_alarms: int = 0
    non_urgent: int = 0
    ece: float = 0.0
    reliability: list[tuple[float, float, int]] | None = None
    offtopic: OfftopicResult | None = None
    urgent: int = 0  # urgent messages in the split...
    netted: int = 0  # ...of which called urgent or caught by the safety net
    flagged: int = 0  # other messages the safety net flags for a colleague

    @property
    def net_recall(self) -> float:
        return self.netted / self.urgent if self.urgent else 0.0

    @property
    def false_alarm_rate(self) -> float:
        return self.false_alarms / self.non_urgent if self.non_urgent else 0.0

    def failures(self) -> list[str]:
        """Why this split fails the quality gate (empty when it passes)."""
        failures = []
        if self.macro_f1 < MIN_MACRO_F1:
            failures.append(f"{self.split} macro-F1 {self.macro_f1:.3f} < {MIN_MACRO_F1}")
        for label in SAFETY:
            recall = self.table[label]["recall"]
            if recall < MIN_SAFETY_RECALL:
                failures.append(f"{self.split} {label} recall {recall:.3f} < {MIN_SAFETY_RECALL}")
        return failures


def load_offtopic(path: Path) -> list[tuple[str, str]]:
    """(``dissatisfied`` or ``neutral``, text) rows of an offtopic.txt file."""
    rows = []
    for line in read_messages(path):
        label, _, text = line.partition("\t")
        if text.strip():
            rows.append((label.strip(), text.strip()))
    return rows


def score_offtopic(understanding: Understanding, path: Path) -> OfftopicResult:
    rows = load_offtopic(path)
    results = understanding.classify_many(text for _, text in rows)
    predicted = [c.intent for c in results]
    gold = ["dissatisfied" if label == "dissatisfied" else "neutral" for label, _ in rows]
    read = ["dissatisfied" if p in DISSATISFIED else "neutral" for p in predicted]
    f1s = []
    for label in ("dissatisfied", "neutral"):
        tp = sum(g == r == label for g, r in zip(gold, read, strict=True))
        fp = sum(r == label != g for g, r in zip(gold, read, strict=True))
        fn = sum(g == label != r for g, r in zip(gold, read, strict=True))
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return OfftopicResult(
        messages=len(rows),
        urgent=sum(p in URGENT for p in predicted),
        dissatisfaction_f1=sum(f1s) / 2,
        flagged=sum(bool(c.risk) and c.intent not in URGENT for c in results),
    )


def save_reliability_plot(
    curves: Sequence[tuple[str, list[tuple[float, float, int]], float]], path: Path
) -> None:
    """Reliability diagram: the decided intent's score against how often it was right."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 7))
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", label="perfectly calibrated")
    for name, bins, ece in curves:
        points = [(c, a) for c, a, n in bins if n]
        ax.plot(
            [c for c, _ in points],
            [a for _, a in points],
            marker="o",
            label=f"{name} (ECE {ece:.3f})",
        )
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.set_xlabel("score of the decided intent (mean in bin)")
    ax.set_ylabel("share of decisions that were right")
    ax.set_title("Reliability of intent scores")
    ax.legend(loc="upper left", fontsize=8)
    fig.tight_layout()
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


@dataclass(frozen=True, slots=True)
class KnowledgeResult:
    """Knowledge-base figures for one file of (question, expected entry) cases."""

    source: str
    precision: float
    coverage: float
    answered: int
    cases: int
    answerable: int
    wrong: list[str]


def score_split(understanding: Understanding, intents_dir: Path, split: str) -> SplitResult:
    """Classifies every message of an evaluation split and tabulates the result."""
    messages = load_split(intents_dir, split)
    gold = [m.intent for m in messages]
    results = understanding.classify_many(m.text for m in messages)
    predicted = [c.intent for c in results]
    table = per_intent(gold, predicted)
    ece, bins = expected_calibration_error([c.scores for c in results], gold, predicted)
    offtopic_path = Path(intents_dir) / split / "offtopic.txt"
    return SplitResult(
        split=split,
        messages=len(messages),
        macro_f1=macro_f1(table, gold),
        accuracy=sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold),
        table=table,
        matrix=confusion(gold, predicted),
        wrong=[(m, p) for m, p in zip(messages, predicted, strict=True) if m.intent != p],
        false_alarms=sum(
            p in URGENT and g not in URGENT for g, p in zip(gold, predicted, strict=True)
        ),
        non_urgent=sum(g not in URGENT for g in gold),
        ece=ece,
        reliability=bins,
        offtopic=score_offtopic(understanding, offtopic_path) if offtopic_path.exists() else None,
        urgent=sum(g in URGENT for g in gold),
        netted=sum(
            g in URGENT and (c.intent in URGENT or bool(c.risk))
            for g, c in zip(gold, results, strict=True)
        ),
        flagged=sum(
            g not in URGENT and c.intent not in URGENT and bool(c.risk)
            for g, c in zip(gold, results, strict=True)
        ),
    )


def score_knowledge(understanding: Understanding, path: Path) -> KnowledgeResult:
    """Precision of given answers and coverage of answerable questions, via ``answer``."""
    cases = load_heldout(path)
    answered = correct = answerable = covered = 0
    wrong: list[str] = []
    for question, expected in cases:
        # A question the policy does not answer is expected to be abstained on, even
        # where an older set named the entry that recognises it (knowledge.outside_policy).
        expected = outside_policy(understanding.knowledge, expected)
        result = understanding.answer(question)
        answerable += bool(expected)
        if result is None:
            continue
        answered += 1
        if result.entry_id == expected:
            correct += 1
            covered += bool(expected)
        else:
            wrong.append(f"  {question!r}: expected {expected or 'abstain'}, got {result.entry_id}")
    return KnowledgeResult(
        source=path.parent.name,
        precision=correct / answered if answered else 1.0,
        coverage=covered / answerable if answerable else 0.0,
        answered=answered,
        cases=len(cases),
        answerable=answerable,
        wrong=wrong,
    )


def _print_split(result: SplitResult, out: TextIO) -> None:
    print(f"== {result.split}: {result.messages} messages ==", file=out)
    print(f"{'intent':>12} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>4}", file=out)
    for label, row in result.table.items():
        print(
            f"{label:>12} {row['precision']:6.3f} {row['recall']:6.3f} {row['f1']:6.3f}"
            f" {int(row['support']):4d}",
            file=out,
        )
    print(
        f"{result.split} macro-F1 {result.macro_f1:.3f}  accuracy {result.accuracy:.3f}",
        file=out,
    )
    print(
        f"false urgent alarms: {result.false_alarms}/{result.non_urgent}"
        f" ({result.false_alarm_rate:.3f}); calibration: ECE {result.ece:.3f}",
        file=out,
    )
    print(
        f"safety net: urgent messages called urgent or caught {result.netted}/{result.urgent}"
        f" ({result.net_recall:.3f}); other messages flagged for a colleague"
        f" {result.flagged}/{result.non_urgent}",
        file=out,
    )
    if result.offtopic is not None:
        off = result.offtopic
        print(
            f"off-topic posts ({off.messages}): urgent {off.urgent} ({off.urgent_rate:.3f}),"
            f" flagged by the safety net {off.flagged},"
            f" dissatisfaction macro-F1 {off.dissatisfaction_f1:.3f}",
            file=out,
        )
    _print_confusion(result.matrix, out)
    print(f"misclassified ({len(result.wrong)}):", file=out)
    for message, guess in result.wrong:
        print(f"  {message.intent:>12} -> {guess:<12} {message.text}", file=out)


def _plot_path(plot: Path, split: str) -> Path:
    """The held-out plot goes where asked; other splits get a suffixed sibling."""
    if split == "heldout":
        return plot
    return plot.with_name(f"{plot.stem}-{split}{plot.suffix}")


def print_comparison(intents_dir: Path, out: TextIO) -> None:
    """The representation comparison recorded by ``helpbot evaluate --compare``."""
    path = Path(intents_dir) / COMPARISON_FILE
    if not path.exists():
        print("representation comparison: not measured (helpbot evaluate --compare)", file=out)
        return
    data = json.loads(path.read_text())
    print(f"representation comparison ({data.get('note', '')}):", file=out)
    columns = data["columns"]
    print(" | ".join(columns), file=out)
    for row in data["rows"]:
        print(" | ".join(str(row.get(column, "")) for column in columns), file=out)


def evaluate(
    pipeline_dir: Path,
    intents_dir: Path,
    plot: Path | None = None,
    speed: bool = False,
    out: TextIO = sys.stdout,
    splits: Sequence[str] | None = None,
    reliability: Path | None = None,
) -> int:
    """Prints figures for every evaluation split; returns 0 if the quality gate passes, else 1.

    The splits are ``heldout`` plus, when present, the challenge sets (messages
    written by other authors); each is reported separately and each must meet the
    gate, because the held-out set shares its author with the examples and
    overestimates how the bot does on other people's messages. The calibration of
    the scores (ECE, out-of-fold and per split) is printed and drawn as a reliability
    diagram (``reliability``, default next to the pipeline).
    """
    pipeline_dir, intents_dir = Path(pipeline_dir), Path(intents_dir)
    knowledge_only = list(KNOWLEDGE_ONLY_SPLITS)
    if splits is None:
        splits = available_evaluation_splits(intents_dir)
    else:
        unknown = [s for s in splits if not (intents_dir / s).is_dir()]
        if unknown:
            print(f"no such evaluation folder under intents/: {', '.join(unknown)}", file=out)
            return 2
        knowledge_only = [s for s in splits if s in KNOWLEDGE_ONLY_SPLITS]
        splits = [s for s in splits if s not in KNOWLEDGE_ONLY_SPLITS]

    started = time.perf_counter()
    understanding = Understanding.load(pipeline_dir, intents_dir)
    load_seconds = time.perf_counter() - started
    metadata = json.loads((pipeline_dir / METADATA_FILE).read_text())
    results = [score_split(understanding, intents_dir, split) for split in splits]
    for result in results:
        _print_split(result, out)
        if plot is not None:
            path = _plot_path(Path(plot), result.split)
            save_confusion_plot(result.matrix, path, result.split)
            print(f"confusion matrix saved to {path}", file=out)
        print(file=out)

    knowledge = [
        score_knowledge(understanding, intents_dir / split / "knowledge.toml")
        for split in [*splits, *knowledge_only]
        if (intents_dir / split / "knowledge.toml").exists()
    ]
    for kb in knowledge:
        print(
            f"knowledge base ({kb.source}): precision {kb.precision:.3f},"
            f" coverage {kb.coverage:.3f} ({kb.answered} answered of {kb.cases} questions,"
            f" {kb.answerable} answerable)",
            file=out,
        )
        for line in kb.wrong:
            print(line, file=out)

    print(file=out)
    print(
        f"calibration: temperature {metadata.get('temperature', 1.0)}, out-of-fold ECE"
        f" {metadata.get('cv_ece', float('nan')):.3f}; per split: "
        + ", ".join(f"{r.split} {r.ece:.3f}" for r in results),
        file=out,
    )
    reliability = reliability or pipeline_dir.parent / "reliability.png"
    save_reliability_plot([(r.split, r.reliability or [], r.ece) for r in results], reliability)
    print(f"reliability diagram saved to {reliability}", file=out)
    print_comparison(intents_dir, out)

    if speed:
        size = sum(p.stat().st_size for p in (pipeline_dir / MODEL_DIR).rglob("*") if p.is_file())
        embedder = _embedding_bytes(understanding)
        print(
            f"pipeline size on disk: {size / 1e6:.1f} MB (+ {embedder / 1e6:.1f} MB of"
            f" sentence-encoder weights shipped in a package),"
            f" load time {load_seconds:.2f} s,"
            f" resident memory of this process {resident_mb():.0f} MB",
            file=out,
        )
        timed = [m for split in splits for m in load_split(intents_dir, split)]
        _speed(understanding, timed, out)

    print("summary:", file=out)
    for result in results:
        safety = ", ".join(
            f"{label} recall {result.table[label]['recall']:.3f}" for label in SAFETY
        )
        extra = (
            f", with safety net {result.net_recall:.3f},"
            f" false alarms {result.false_alarm_rate:.3f}, ECE {result.ece:.3f}"
        )
        if result.offtopic is not None:
            extra += (
                f", off-topic urgent {result.offtopic.urgent_rate:.3f}"
                f" / dissatisfaction F1 {result.offtopic.dissatisfaction_f1:.3f}"
            )
        print(f"  {result.split:>10}: macro-F1 {result.macro_f1:.3f}, {safety}{extra}", file=out)
    for kb in knowledge:
        gated = "" if kb.source in KB_GATED_SPLITS else " (reported, not gated)"
        correct = round(kb.coverage * kb.answerable)
        print(
            f"  {'KB ' + kb.source:>10}: precision {kb.precision:.3f},"
            f" coverage {kb.coverage:.3f} ({correct}/{kb.answerable}){gated}",
            file=out,
        )
    gated = [result for result in results if result.split in GATED_SPLITS]
    failures = [failure for result in gated for failure in result.failures()]
    for kb in knowledge:
        if kb.source in KB_GATED_SPLITS and kb.precision < MIN_KB_PRECISION:
            failures.append(
                f"{kb.source} knowledge-base precision {kb.precision:.3f} < {MIN_KB_PRECISION}"
            )
    print("quality gate: " + ("PASS" if not failures else "FAIL: " + "; ".join(failures)), file=out)
    return 0 if not failures else 1


def _embedding_bytes(understanding: Understanding) -> int:
    from helpbot.nlu.representation import embedder
    from helpbot.nlu.training import intent_head

    head = intent_head(understanding.nlp)
    if head is None or not head.uses_embeddings:
        return 0
    return embedder(head.embedding).size_bytes
