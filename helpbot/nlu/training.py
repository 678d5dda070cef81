"""Builds the intent pipeline from ``intents/`` so the model is an artefact, not a commit.

Layout read here (see intents/README.md):

- ``intents/examples/<intent>.txt``: training messages, one per line, ``#`` comments.
- ``intents/heldout/<intent>.txt`` and ``intents/challenge*/<intent>.txt``: evaluation
  messages (held-out, and challenge sets written by other authors); never read by
  this module except to refuse overlaps, so evaluation stays honest.
- ``intents/config.cfg``: the spaCy config (architecture, optimiser, epochs).

The examples are split into five folds by a hash of the text, so no line ever
moves between folds when unrelated lines are added; fold 0 is the "dev" split.
Five models, each fitted without one fold, score the fold they did not see; the
per-label thresholds are chosen on those out-of-fold scores (every example, each
scored by a model that never saw it, instead of one fifth of them), then the model
is refitted on every example with the same settings.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import sys
import time
import tomllib
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import compounding, fix_random_seed, load_config, minibatch

from helpbot.nlu.intents import INTENTS, primary_intent

# Bump when the way the pipeline is built changes, so ensure_trained rebuilds.
TRAINING_VERSION = "4"
METADATA_FILE = "thresholds.json"
MODEL_DIR = "model"
# Messages this long carry no extra signal and only cost time (understanding truncates too).
MAX_CHARS = 2000
# Emergencies and safeguarding must not be missed: their thresholds are tuned for F2
# (recall weighted four times precision).
SAFETY_LABELS: tuple[str, ...] = ("emergency", "safeguarding")
SAFETY_BETA = 2.0
FOLDS = 5  # cross-validation folds for choosing thresholds; fold 0 is the dev split
DEV_SHARE = FOLDS  # one message in five goes to dev

Split = Literal["train", "dev", "examples", "heldout", "challenge", "challenge2"]
# Evaluation-only folders under intents/, in report order. "heldout" is required;
# the challenge sets (messages written by authors other than the examples' author,
# with no sight of examples/) are optional. None is ever trained or tuned on.
EVALUATION_SPLITS: tuple[str, ...] = ("heldout", "challenge", "challenge2")


@dataclass(frozen=True, slots=True)
class LabelledMessage:
    text: str
    intent: str


# Text-speak, contractions typed without an apostrophe and non-UK words folded into
# one spelling, so "u cant" and "you can't", "apartment" and "flat" are the same
# words to the model and to the safety cues. Only unambiguous forms: not "ill"
# (ill/I'll), "id" (ID/I'd) or "its".
SPELLINGS: dict[str, str] = {
    "u": "you",
    "ya": "you",
    "ur": "your",
    "yer": "your",
    "r": "are",
    "pls": "please",
    "plz": "please",
    "plse": "please",
    "thx": "thanks",
    "thnx": "thanks",
    "2day": "today",
    "2nite": "tonight",
    "tonite": "tonight",
    "nite": "night",
    "b4": "before",
    "cos": "because",
    "coz": "because",
    "cuz": "because",
    "wiv": "with",
    "wot": "what",
    "wat": "what",
    "summat": "something",
    "nowt": "nothing",
    "owt": "anything",
    "lecky": "electric",
    "leccy": "electric",
    "some1": "someone",
    "sum1": "someone",
    "no1": "no one",
    "any1": "anyone",
    "every1": "everyone",
    "2moro": "tomorrow",
    "tmrw": "tomorrow",
    "ppl": "people",
    "msg": "message",
    "n": "and",
    "&": "and",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "dont": "don't",
    "cant": "can't",
    "wont": "won't",
    "didnt": "didn't",
    "doesnt": "doesn't",
    "isnt": "isn't",
    "wasnt": "wasn't",
    "hasnt": "hasn't",
    "havent": "haven't",
    "aint": "isn't",
    "im": "i'm",
    "ive": "i've",
    "theres": "there's",
    "thats": "that's",
    "whats": "what's",
    "neighbor": "neighbour",
    "neighbors": "neighbours",
    "nabor": "neighbour",
    "naybor": "neighbour",
    "apartment": "flat",
    "apartments": "flats",
    "elevator": "lift",
    "faucet": "tap",
    "trash": "rubbish",
    "garbage": "rubbish",
    "mam": "mum",
    "mom": "mum",
}
# Skin-tone modifiers, emoji variation selector and zero-width joiner: "👍🏽" is "👍".
_EMOJI_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f\u200d]")
# Words this long also contribute their first four letters as a feature (see model_text).
PREFIX_LENGTH = 4
_PREFIX_MARK = "zq"  # no English word starts with "zq", so prefixes never collide with words


def normalise(text: str) -> str:
    """The form of a message the classifier and the safety cues see, in training and in use.

    Tenants write "GAS!!!!" and "gas!", "u cant" and "you can't", "👍🏽" and "👍":
    lower-casing, squeezing repeated characters, folding spellings (``SPELLINGS``)
    and dropping emoji modifiers make each pair the same words.
    """
    text = unicodedata.normalize("NFKC", text)[:MAX_CHARS]
    text = text.replace("\u2019", "'").replace("\u2018", "'")
    text = _EMOJI_MODIFIERS.sub("", text)
    text = re.sub(r"([!?.])\1+", r"\1\1", text)
    text = re.sub(r"([a-z])\1{2,}", r"\1\1", text.lower())
    text = re.sub(r"\bmy self\b", "myself", text)
    return " ".join(SPELLINGS.get(word, word) for word in text.split())


def model_text(text: str) -> str:
    """What the statistical model reads: the normalised text plus word prefixes.

    The bag-of-words model hashes whole tokens, so "smel", "smelling" and "smell"
    would be unrelated words. Appending the first four letters of every word of
    four or more letters (as ``zqsmel``) gives misspellings and word forms a shared
    feature. Measured on 5-fold CV and a typo-perturbed held-out copy (README).
    Safety cues still read ``normalise(text)``.
    """
    normalised = normalise(text)
    prefixes = [
        _PREFIX_MARK + word[:PREFIX_LENGTH]
        for word in re.findall(rf"[a-z]{{{PREFIX_LENGTH},}}", normalised)
    ]
    return " ".join([normalised, *prefixes])


@dataclass(frozen=True, slots=True)
class SafetyCues:
    """Hand-written phrases that force emergency/safeguarding (intents/safety_cues.toml).

    The model learns from ~150 examples a label and can miss a phrasing it has
    never seen; these cues make sure the commonest signs of danger are never
    missed. Thresholds are tuned with the cues applied, so both agree.
    """

    patterns: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    guard: re.Pattern[str] | None = None
    score: float = 0.9

    @classmethod
    def load(cls, intents_dir: Path) -> SafetyCues:
        path = Path(intents_dir) / "safety_cues.toml"
        if not path.exists():
            return cls()
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        patterns = {
            label: tuple(re.compile(p) for p in data.get(label, [])) for label in SAFETY_LABELS
        }
        guard = re.compile(data["question_guard"]) if data.get("question_guard") else None
        return cls(patterns, guard, float(data.get("score", 0.9)))

    def matches(self, normalised: str) -> list[str]:
        """Safety labels whose cues appear in an already normalised message."""
        if self.guard is not None and self.guard.search(normalised):
            return []
        return [
            label
            for label, patterns in self.patterns.items()
            if any(p.search(normalised) for p in patterns)
        ]

    def apply(self, normalised: str, scores: dict[str, float]) -> dict[str, float]:
        for label in self.matches(normalised):
            scores[label] = max(scores.get(label, 0.0), self.score)
        return scores


def read_messages(path: Path) -> list[str]:
    """One message per line; blank lines and ``#`` comments are skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.lstrip().startswith("#")]


def fold_of(text: str) -> int:
    """Stable fold membership: adding a line never moves another line between folds."""
    digest = hashlib.sha256(normalise(text).encode("utf-8")).digest()
    return digest[0] % FOLDS


def is_dev(text: str) -> bool:
    """The dev split is fold 0 (about a fifth of the examples)."""
    return fold_of(text) == 0


def load_split(intents_dir: Path, split: Split | str) -> list[LabelledMessage]:
    """Messages of one split, in file order, for every intent."""
    if split not in ("train", "dev", "examples", *EVALUATION_SPLITS):
        raise ValueError(f"unknown split {split!r}")
    folder = split if split in EVALUATION_SPLITS else "examples"
    messages: list[LabelledMessage] = []
    for intent in INTENTS:
        path = intents_dir / folder / f"{intent}.txt"
        if not path.exists():
            raise FileNotFoundError(f"missing {path}: every intent needs examples")
        for text in read_messages(path):
            if split == "train" and is_dev(text):
                continue
            if split == "dev" and not is_dev(text):
                continue
            messages.append(LabelledMessage(text, intent))
    return messages


def data_hash(intents_dir: Path) -> str:
    """Fingerprint of everything the trained model depends on."""
    digest = hashlib.sha256(TRAINING_VERSION.encode())
    paths = [intents_dir / "config.cfg", *sorted((intents_dir / "examples").glob("*.txt"))]
    paths += [p for p in [intents_dir / "safety_cues.toml"] if p.exists()]
    for path in paths:
        digest.update(path.relative_to(intents_dir).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _log(message: str) -> None:
    print(f"[train] {message}", file=sys.stderr, flush=True)


def build_blank(intents_dir: Path) -> tuple[Language, dict[str, object]]:
    """A blank English pipeline with the textcat described by intents/config.cfg."""
    config = load_config(intents_dir / "config.cfg")
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    return nlp, dict(config["training"])


def _examples(nlp: Language, messages: Sequence[LabelledMessage]) -> list[Example]:
    examples = []
    for message in messages:
        doc = nlp.make_doc(model_text(message.text))
        cats = {label: float(label == message.intent) for label in INTENTS}
        examples.append(Example.from_dict(doc, {"cats": cats}))
    return examples


def fit(intents_dir: Path, messages: Sequence[LabelledMessage], seed: int) -> Language:
    """Fits a fresh pipeline on ``messages``; same messages and seed give the same weights."""
    fix_random_seed(seed)
    nlp, training = build_blank(intents_dir)
    textcat_name = nlp.pipe_names[-1]
    examples = _examples(nlp, messages)
    optimizer = nlp.initialize(lambda: examples)
    epochs = int(training.get("max_epochs") or 20)
    dropout = float(training.get("dropout", 0.1))
    shuffler = random.Random(seed)
    order = list(examples)
    for epoch in range(epochs):
        shuffler.shuffle(order)
        losses: dict[str, float] = {}
        for batch in minibatch(order, size=compounding(8.0, 64.0, 1.01)):
            nlp.update(batch, drop=dropout, sgd=optimizer, losses=losses)
        if epoch == 0 or (epoch + 1) % 5 == 0 or epoch + 1 == epochs:
            _log(f"epoch {epoch + 1}/{epochs} loss {losses.get(textcat_name, 0.0):.3f}")
    return nlp


def score_texts(
    nlp: Language, texts: Iterable[str], cues: SafetyCues | None = None
) -> list[dict[str, float]]:
    """Scores for all ten labels (safety cues applied), in the order of ``texts``."""
    cues = cues or SafetyCues()
    texts = list(texts)
    docs = nlp.pipe(model_text(text) for text in texts)
    return [
        cues.apply(normalise(text), {label: float(doc.cats.get(label, 0.0)) for label in INTENTS})
        for text, doc in zip(texts, docs, strict=True)
    ]


def _f_beta(gold: Sequence[str], predicted: Sequence[str], label: str, beta: float) -> float:
    tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
    fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
    fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
    b2 = beta * beta
    return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp) if tp else 0.0


def _macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    return sum(_f_beta(gold, predicted, label, 1.0) for label in INTENTS) / len(INTENTS)


def _objective(gold: Sequence[str], predicted: Sequence[str]) -> float:
    """Macro F-score where the safety labels count recall four times as much (F2)."""
    betas = {label: SAFETY_BETA if label in SAFETY_LABELS else 1.0 for label in INTENTS}
    return sum(_f_beta(gold, predicted, lab, b) for lab, b in betas.items()) / len(INTENTS)


def _decide(scores: Sequence[Mapping[str, float]], thresholds: Mapping[str, float]) -> list[str]:
    return [primary_intent(s, thresholds) for s in scores]


def choose_thresholds(
    scores: Sequence[Mapping[str, float]], gold: Sequence[str]
) -> dict[str, float]:
    """Per-label thresholds from dev scores, by coordinate ascent on a coarse grid.

    The objective is macro F-score with F2 for emergency and safeguarding, so a
    missed emergency costs more than a false alarm; safety thresholds may go as
    low as 0.1, the others stay in 0.3-0.8. The grid is coarse on purpose: dev has
    ~30 messages a label and a fine grid would overfit. Ties keep the value
    nearest 0.5.
    """
    thresholds = {label: 0.5 for label in INTENTS}
    safety_grid = [round(0.1 + 0.05 * i, 2) for i in range(9)]
    other_grid = [round(0.3 + 0.05 * i, 2) for i in range(11)]
    best = _objective(gold, _decide(scores, thresholds))
    for _ in range(3):
        improved = False
        for label in INTENTS:
            grid = safety_grid if label in SAFETY_LABELS else other_grid
            for value in sorted(grid, key=lambda v: (abs(v - 0.5), v)):
                trial = {**thresholds, label: value}
                score = _objective(gold, _decide(scores, trial))
                if score > best + 1e-9:
                    best, thresholds, improved = score, trial, True
        if not improved:
            break
    return thresholds


def available_evaluation_splits(intents_dir: Path) -> list[str]:
    """The evaluation folders present under ``intents_dir``, in report order."""
    return [split for split in EVALUATION_SPLITS if (Path(intents_dir) / split).is_dir()]


def _check_no_leak(intents_dir: Path, messages: Sequence[LabelledMessage]) -> None:
    """Evaluation messages must never be trained on, or the evaluation means nothing."""
    trained = {normalise(m.text): m.text for m in messages}
    for split in available_evaluation_splits(intents_dir):
        held = {normalise(m.text) for m in load_split(intents_dir, split)}
        leaked = sorted(text for norm, text in trained.items() if norm in held)
        if leaked:
            raise ValueError(f"{split} messages also in examples/: {leaked[:5]}")


def out_of_fold_scores(
    intents_dir: Path, messages: Sequence[LabelledMessage], seed: int, cues: SafetyCues
) -> list[dict[str, float]]:
    """Every message scored by a model fitted on the other folds (cross-validation)."""
    scores: list[dict[str, float] | None] = [None] * len(messages)
    folds = [fold_of(m.text) for m in messages]
    for fold in sorted(set(folds)):
        held = [i for i, f in enumerate(folds) if f == fold]
        rest = [m for m, f in zip(messages, folds, strict=True) if f != fold]
        if not rest:
            continue
        _log(f"fold {fold}: fitting on {len(rest)}, scoring {len(held)}")
        model = fit(intents_dir, rest, seed)
        rows = score_texts(model, (messages[i].text for i in held), cues)
        for index, row in zip(held, rows, strict=True):
            scores[index] = row
    return [row if row is not None else {label: 0.0 for label in INTENTS} for row in scores]


def _recall(gold: Sequence[str], predicted: Sequence[str], label: str) -> float:
    support = sum(g == label for g in gold)
    hits = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
    return hits / support if support else 0.0


def train(intents_dir: Path, output_dir: Path, seed: int = 0) -> Path:
    """Trains the intent pipeline into ``output_dir`` and returns that directory.

    Writes ``output_dir/model`` (the spaCy pipeline) and ``output_dir/thresholds.json``
    (per-label thresholds, data hash, cross-validation and dev figures).
    """
    intents_dir, output_dir = Path(intents_dir), Path(output_dir)
    started = time.perf_counter()
    everything = load_split(intents_dir, "examples")
    _check_no_leak(intents_dir, everything)
    _log(f"{len(everything)} examples, {FOLDS}-fold cross-validation, seed {seed}")

    cues = SafetyCues.load(intents_dir)
    scores = out_of_fold_scores(intents_dir, everything, seed, cues)
    gold = [m.intent for m in everything]
    thresholds = choose_thresholds(scores, gold)
    predicted = _decide(scores, thresholds)
    cv_f1 = _macro_f1(gold, predicted)
    dev = [i for i, m in enumerate(everything) if is_dev(m.text)]
    dev_f1 = _macro_f1([gold[i] for i in dev], [predicted[i] for i in dev])
    safety_recall = {label: round(_recall(gold, predicted, label), 4) for label in SAFETY_LABELS}
    _log(f"cross-validated macro-F1 {cv_f1:.3f} (dev {dev_f1:.3f}) with thresholds {thresholds}")

    _log(f"refitting on all {len(everything)} examples")
    nlp = fit(intents_dir, everything, seed)
    output_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output_dir / MODEL_DIR)
    metadata = {
        "data_hash": data_hash(intents_dir),
        "seed": seed,
        "training_version": TRAINING_VERSION,
        "thresholds": thresholds,
        "cv_macro_f1": round(cv_f1, 4),
        "cv_safety_recall": safety_recall,
        "dev_macro_f1": round(dev_f1, 4),
        "examples": len(everything),
        "architecture": nlp.get_pipe(nlp.pipe_names[-1]).model.name,
    }
    (output_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    _log(f"saved to {output_dir} in {time.perf_counter() - started:.1f}s")
    return output_dir


def is_current(intents_dir: Path, output_dir: Path) -> bool:
    """True when ``output_dir`` holds a pipeline built from the present ``intents/``."""
    metadata_path = Path(output_dir) / METADATA_FILE
    if not metadata_path.exists() or not (Path(output_dir) / MODEL_DIR / "meta.json").exists():
        return False
    try:
        recorded = json.loads(metadata_path.read_text()).get("data_hash")
    except (OSError, json.JSONDecodeError):
        return False
    return recorded == data_hash(Path(intents_dir))


def ensure_trained(intents_dir: Path, output_dir: Path) -> Path:
    """Trains only when the pipeline is missing or older than the data it came from."""
    if is_current(intents_dir, output_dir):
        _log(f"{output_dir} is up to date")
        return Path(output_dir)
    return train(intents_dir, output_dir)
