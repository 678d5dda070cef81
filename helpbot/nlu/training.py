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

import ctypes
import fcntl
import hashlib
import json
import logging
import os
import random
import re
import signal
import sys
import threading
import time
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import spacy
from spacy.language import Language
from spacy.training import Example
from spacy.util import compounding, fix_random_seed, load_config, minibatch
from threadpoolctl import threadpool_limits

from helpbot.nlu.intents import (
    INTENTS,
    LABELS,
    SAFETY_LABELS,
    UNCLEAR,
    UNSURE_BELOW,
    URGENT,
    primary_intent,
    urgent_score,
)
from helpbot.nlu.spelling import normalise

if TYPE_CHECKING:
    from helpbot.nlu.representation import IntentHead
    from helpbot.nlu.sentence_encoder import Run

# Bump when the way the pipeline is built changes, so ensure_trained rebuilds.
TRAINING_VERSION = "10"
METADATA_FILE = "thresholds.json"
KNOWLEDGE_CLASSIFIER = "knowledge_classifier.npz"
MODEL_DIR = "model"
# Emergencies and safeguarding must not be missed: their thresholds are tuned for F2
# (recall weighted four times precision).
SAFETY_BETA = 2.0
# The safety net's threshold is set so that at least this share of urgent examples
# (out of fold) get urgent help or at least the safety line and a colleague's look.
# 0.98 until the eleventh pass; with the sentence encoder the net flags a quarter fewer
# ordinary messages at the same threshold, so it can afford to catch more (chosen on the
# development sets, intents/README.md).
URGENT_RECALL_TARGET = 0.99
FOLDS = 5  # cross-validation folds for choosing thresholds; fold 0 is the dev split
DEV_SHARE = FOLDS  # one message in five goes to dev

Split = Literal[
    "train",
    "dev",
    "examples",
    "heldout",
    "challenge",
    "challenge2",
    "challenge3",
    "challenge4",
    "challenge5",
    "challenge6",
    "challenge7",
    "challenge8",
    "challenge9",
    "challenge10",
    "challenge12",
    "challenge13",
    "challenge14",
    "challenge15",
    "challenge16",
]
# Evaluation-only folders under intents/, in report order. "heldout" is required;
# the challenge sets (messages written by authors other than the examples' author,
# with no sight of examples/) are optional. None is ever trained or tuned on.
EVALUATION_SPLITS: tuple[str, ...] = (
    "heldout",
    "challenge",
    "challenge2",
    "challenge3",
    "challenge4",
    "challenge5",
    "challenge6",
    "challenge7",
    "challenge8",
    "challenge9",
    "challenge10",
    "challenge12",
    "challenge13",
    "challenge14",
    "challenge15",
    "challenge16",
    "challenge17",
    "challenge18",
)


# Knowledge-base-only evaluation folders (a `knowledge.toml`, no intent files): scored by
# `helpbot evaluate` with the knowledge base, never trained or tuned on.
KNOWLEDGE_ONLY_SPLITS: tuple[str, ...] = ("challenge11",)


@dataclass(frozen=True, slots=True)
class LabelledMessage:
    text: str
    intent: str


# Words this long also contribute their first four letters as a feature (see model_text).
PREFIX_LENGTH = 4
_PREFIX_MARK = "zq"  # no English word starts with "zq", so prefixes never collide with words


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
    """Hand-written phrases for emergency/safeguarding (intents/safety_cues.toml).

    The model learns from ~200 examples a label and can miss a phrasing it has never
    seen; a cue makes sure the commonest signs of danger are never missed. A cue is
    evidence, not a verdict: when one fires, the label's probability is raised to the
    cue's measured precision on the training examples (``scores``, set by training),
    so the reported score is still a probability and is the one the decision uses.

    ``risk`` patterns are weaker signs (a smell "like eggs", no heating with a baby
    in the house, giving things away): they never choose the intent, they only make
    the desk's safety net add the safety line and tell a colleague.
    """

    patterns: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    guard: re.Pattern[str] | None = None
    score: float = 0.9
    scores: dict[str, float] = field(default_factory=dict)
    risk: dict[str, tuple[re.Pattern[str], ...]] = field(default_factory=dict)
    # A danger told as over and thanked for: the emergency cues stand down and only its
    # risk remains.
    over: ToldAsOver | None = None
    # Figures of speech ("my mouth is on fire", "flooded with emails"), blanked before
    # the cues and the risk signs are read.
    figures: re.Pattern[str] | None = None
    # The last message matched and what matched: the reading of one message asks for
    # its cues, then its risks, and the ~200 patterns are the dearest part of it after
    # the encoder.
    _last: list[tuple[str, dict[str, str]]] = field(default_factory=list, compare=False, repr=False)
    # Every example's matches, kept while training (``remembering``): cross-validation
    # asks for each example's cues three times, with two sets of scores.
    _memo: dict[str, dict[str, str]] = field(default_factory=dict, compare=False, repr=False)

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
        risk = {
            label: tuple(re.compile(p) for p in data.get(f"{label}_risk", []))
            for label in SAFETY_LABELS
        }
        guard = re.compile(data["question_guard"]) if data.get("question_guard") else None
        over = None
        if data.get("over_guard"):
            over = ToldAsOver(
                re.compile(data["over_guard"]),
                re.compile(data["over_before"]),
                re.compile(data["over_after"]),
            )
        figures = data.get("figures_of_speech", [])
        figure = re.compile("|".join(f"(?:{f})" for f in figures)) if figures else None
        return cls(patterns, guard, float(data.get("score", 0.9)), {}, risk, over, figure)

    def plain(self, normalised: str) -> str:
        """The message with its figures of speech taken out, as the cues read it."""
        if self.figures is None:
            return normalised
        return _SPACES.sub(" ", self.figures.sub(" ", normalised)).strip()

    def with_scores(self, scores: Mapping[str, float]) -> SafetyCues:
        """The same cues with measured precisions as their scores."""
        return replace(self, scores=dict(scores))

    def remembering(self, normalised: Iterable[str]) -> SafetyCues:
        """The same cues, having matched these texts once and kept what they found
        (training; a serving process keeps only the last message's)."""
        cues = replace(self, _last=[], _memo={})
        for text in normalised:
            cues._memo[text] = cues.matching(text)
        return cues

    def matching(self, normalised: str) -> dict[str, str]:
        """Safety labels whose cues appear in an already normalised message, with the
        matched words (for explanations)."""
        last = self._last[0] if self._last else None
        if last is not None and last[0] == normalised:
            return dict(last[1])
        if normalised in self._memo:
            return dict(self._memo[normalised])
        found: dict[str, str] = {}
        key, normalised = normalised, self.plain(normalised)
        if self.guard is None or not self.guard.search(normalised):
            thanked = self.over is not None and self.over.thanked(normalised)
            for label, patterns in self.patterns.items():
                for pattern in patterns:
                    words = self._told(pattern, normalised, thanked and label == "emergency")
                    if words is not None:
                        found[label] = words
                        break
        self._last[:] = [(key, dict(found))]
        return found

    def _told(self, pattern: re.Pattern[str], normalised: str, thanked: bool) -> str | None:
        """The words of the cue's first match that is not a danger told as over (a
        pattern made only of lookaheads matches empty words), or None."""
        for match in pattern.finditer(normalised):
            if thanked and self.over is not None and self.over.past(normalised, match):
                continue
            return match.group(0).strip()[:60]
        return None

    def matches(self, normalised: str) -> list[str]:
        """Safety labels whose cues appear in an already normalised message."""
        return list(self.matching(normalised))

    def risks(self, normalised: str) -> list[str]:
        """Safety labels with a weaker sign of risk (questions included: "what if I
        smell gas" still gets the gas line)."""
        matched = self.matching(normalised)
        found = [label for label in SAFETY_LABELS if matched.get(label)]
        normalised = self.plain(normalised)
        for label, patterns in self.risk.items():
            if label not in found and any(p.search(normalised) for p in patterns):
                found.append(label)
        return found

    def apply(self, normalised: str, scores: dict[str, float]) -> dict[str, float]:
        for label in self.matching(normalised):
            lift_to(scores, label, self.scores.get(label, self.score))
        return scores


_SENTENCE_END = re.compile(r"[.!?\n]")
_SPACES = re.compile(r" {2,}")


@dataclass(frozen=True)
class ToldAsOver:
    """A danger told as over and thanked for ("we had a gas leak last month, your lads
    came so fast, thanks"): ``guard`` is read on the whole message (thanks, and nothing
    going on now), ``before`` and ``after`` in the cue's own sentence, at most 60
    characters either side of its words (intents/safety_cues.toml)."""

    guard: re.Pattern[str]
    before: re.Pattern[str]
    after: re.Pattern[str]

    def thanked(self, normalised: str) -> bool:
        return self.guard.search(normalised) is not None

    def past(self, normalised: str, match: re.Match[str]) -> bool:
        """The cue's danger is put in the past in its own sentence: thanks for last
        year's repair does not put today's bulging ceiling in the past."""
        start, end = match.span()
        before = _SENTENCE_END.split(normalised[max(0, start - 60) : start])[-1]
        after = _SENTENCE_END.split(normalised[end : end + 60])[0]
        return bool(self.before.search(before) or self.after.search(match.group(0) + after))


def lift_to(scores: dict[str, float], label: str, value: float) -> None:
    """Raise one label's probability to ``value``, scaling the others so they still sum
    to what they did (calibrated scores stay a distribution)."""
    old = scores.get(label, 0.0)
    if value <= old:
        return
    rest = sum(v for k, v in scores.items() if k != label)
    total = old + rest
    factor = (total - value) / rest if rest > 0 else 0.0
    for key in scores:
        if key != label:
            scores[key] = max(0.0, scores[key] * factor)
    scores[label] = value


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
    """Messages of one split, in file order, for every intent (and ``unclear``, whose
    file is optional)."""
    if split not in ("train", "dev", "examples", *EVALUATION_SPLITS):
        raise ValueError(f"unknown split {split!r}")
    folder = split if split in EVALUATION_SPLITS else "examples"
    messages: list[LabelledMessage] = []
    for intent in LABELS:
        path = intents_dir / folder / f"{intent}.txt"
        if not path.exists():
            if intent == UNCLEAR:
                continue
            raise FileNotFoundError(f"missing {path}: every intent needs examples")
        for text in read_messages(path):
            if split == "train" and is_dev(text):
                continue
            if split == "dev" and not is_dev(text):
                continue
            messages.append(LabelledMessage(text, intent))
    return messages


def training_messages(intents_dir: Path) -> list[LabelledMessage]:
    """What the model learns from: the examples, plus every phrasing of every
    knowledge-base entry as a ``question`` (each is, by definition, a general question
    the bot can answer; without them "how to complain" or "phone number please" read as
    a complaint or a request for a person and never reached the knowledge base). A
    phrasing already in the examples keeps its example label; one that is also an
    evaluation message is left out (evaluation messages are never trained on)."""
    from helpbot.nlu.knowledge import load_entries

    messages = load_split(intents_dir, "examples")
    seen = {normalise(m.text) for m in messages}
    for split in available_evaluation_splits(intents_dir):
        seen |= {normalise(m.text) for m in load_split(intents_dir, split)}
    knowledge_dir = Path(intents_dir) / "knowledge"
    if knowledge_dir.is_dir():
        for entry in load_entries(knowledge_dir):
            for question in entry.questions:
                if normalise(question) not in seen:
                    seen.add(normalise(question))
                    messages.append(LabelledMessage(question, "question"))
    return messages


def data_hash(intents_dir: Path) -> str:
    """Fingerprint of everything the trained model depends on. Of the knowledge base
    only the questions count (they are trained on as ``question``): rewording an
    answer does not cost a retrain."""
    from helpbot.nlu.knowledge import EMBEDDING, load_entries

    # The knowledge base's reader too: its classifier is trained here, and one trained
    # on another reader's vectors would be trained again in the serving process.
    digest = hashlib.sha256(f"{TRAINING_VERSION} knowledge:{EMBEDDING}".encode())
    paths = [intents_dir / "config.cfg", *sorted((intents_dir / "examples").glob("*.txt"))]
    paths += [p for p in [intents_dir / "safety_cues.toml"] if p.exists()]
    for path in paths:
        digest.update(path.relative_to(intents_dir).as_posix().encode())
        digest.update(path.read_bytes())
    knowledge_dir = Path(intents_dir) / "knowledge"
    if knowledge_dir.is_dir():
        for entry in load_entries(knowledge_dir):
            digest.update(json.dumps([entry.id, list(entry.questions)]).encode())
    return digest.hexdigest()


_logger = logging.getLogger("helpbot.train")


def _log(message: str) -> None:
    """Training progress: on screen for ``helpbot train``, in the log (DEBUG) otherwise,
    so the first ``make run`` stays quiet."""
    if _VERBOSE:
        print(f"[train] {message}", file=sys.stderr, flush=True)
    else:
        _logger.debug(message)


_VERBOSE = False


def build_blank(intents_dir: Path) -> tuple[Language, dict[str, object]]:
    """A blank English pipeline with the components described by intents/config.cfg."""
    import helpbot.nlu.representation  # noqa: F401  (registers helpbot_intent_head)

    config = load_config(intents_dir / "config.cfg")
    nlp = spacy.util.load_model_from_config(config, auto_fill=True, validate=True)
    return nlp, dict(config["training"])


def _labels_of(messages: Sequence[LabelledMessage]) -> tuple[str, ...]:
    present = {m.intent for m in messages}
    return tuple(label for label in LABELS if label in present or label in INTENTS)


def _examples(
    nlp: Language, messages: Sequence[LabelledMessage], labels: Sequence[str]
) -> list[Example]:
    examples = []
    for message in messages:
        doc = nlp.make_doc(model_text(message.text))
        cats = {label: float(label == message.intent) for label in labels}
        # The urgent detector: one more output, trained on urgent against everything else.
        cats[URGENT] = float(message.intent in SAFETY_LABELS)
        examples.append(Example.from_dict(doc, {"cats": cats}))
    return examples


def intent_head(nlp: Language) -> IntentHead | None:
    from helpbot.nlu.representation import IntentHead

    for _, component in nlp.pipeline:
        if isinstance(component, IntentHead):
            return component
    return None


def fit(
    intents_dir: Path,
    messages: Sequence[LabelledMessage],
    seed: int,
    bow_weight: float | None = None,
    embedding: str | None = None,
) -> Language:
    """Fits a fresh pipeline on ``messages``; same messages and seed give the same weights.

    The bag-of-words textcat is trained by spaCy; the intent head's regression on
    the sentence encoder's vectors is then fitted on the same messages. ``bow_weight`` overrides
    the config's mix (1.0: bag of words only; 0.0: embeddings only), for comparisons.
    """
    fix_random_seed(seed)
    nlp, training = build_blank(intents_dir)
    textcat_name = next(name for name in nlp.pipe_names if name.startswith("textcat"))
    textcat = nlp.get_pipe(textcat_name)
    labels = _labels_of(messages)
    for label in (*labels, URGENT):
        textcat.add_label(label)
    examples = _examples(nlp, messages, labels)
    key = _bow_key(intents_dir, messages, seed) if BOW_CACHE is not None else ""
    spacy_logger = logging.getLogger("spacy")
    level = spacy_logger.level
    spacy_logger.setLevel(logging.WARNING)  # "Created vocabulary" x 6 is not news
    try:
        optimizer = nlp.initialize(lambda: examples)
    finally:
        spacy_logger.setLevel(level)
    epochs = int(training.get("max_epochs") or 20)
    dropout = float(training.get("dropout", 0.1))
    shuffler = random.Random(seed)
    order = list(examples)
    if BOW_CACHE is not None and key in BOW_CACHE:
        textcat.from_bytes(BOW_CACHE[key])
        epochs = 0  # the same bag of words was fitted already (comparison runs)
    for epoch in range(epochs):
        shuffler.shuffle(order)
        losses: dict[str, float] = {}
        for batch in minibatch(order, size=compounding(8.0, 64.0, 1.01)):
            # What nlp.update does for the one trainable component, less its copy of
            # every example on every batch (half of training's time), which only
            # matters to a pipeline whose components annotate as they learn.
            textcat.update(batch, drop=dropout, losses=losses)
            textcat.finish_update(optimizer)
        if epoch == 0 or (epoch + 1) % 5 == 0 or epoch + 1 == epochs:
            _log(f"epoch {epoch + 1}/{epochs} loss {losses.get(textcat_name, 0.0):.3f}")
    if BOW_CACHE is not None and key not in BOW_CACHE:
        BOW_CACHE[key] = textcat.to_bytes()
    head = intent_head(nlp)
    if head is not None:
        if bow_weight is not None:
            head.bow_weight = float(bow_weight)
        if embedding is not None:
            head.embedding = embedding
        head.fit([normalise(m.text) for m in messages], [m.intent for m in messages], labels)
    return nlp


# Set to a dict by the representation comparison: variants differ only in what
# reads the text after the bag of words, so each fold's bag of words is fitted once
# (deterministic: same messages, seed and config give the same weights).
BOW_CACHE: dict[str, bytes] | None = None


def _bow_key(intents_dir: Path, messages: Sequence[LabelledMessage], seed: int) -> str:
    digest = hashlib.sha256((Path(intents_dir) / "config.cfg").read_bytes())
    digest.update(str(seed).encode())
    for message in messages:
        digest.update(f"{message.intent}\t{message.text}\n".encode())
    return digest.hexdigest()


def raw_scores(nlp: Language, texts: Iterable[str]) -> list[dict[str, float]]:
    """The mixed, uncalibrated probabilities of the intent head, for calibration, with
    the urgent detector's uncalibrated score under ``URGENT``."""
    return [
        {**doc.user_data["raw"], URGENT: float(doc.user_data.get("urgent_raw", 0.0))}
        for doc in nlp.pipe(model_text(t) for t in texts)
    ]


def calibrated(
    nlp: Language, texts: Iterable[str], cues: SafetyCues | None = None
) -> list[dict[str, float]]:
    """Calibrated probabilities for every label (safety cues applied), in order."""
    cues = cues or SafetyCues()
    texts = list(texts)
    docs = nlp.pipe(model_text(text) for text in texts)
    return [
        cues.apply(normalise(text), {label: float(doc.cats.get(label, 0.0)) for label in LABELS})
        for text, doc in zip(texts, docs, strict=True)
    ]


def _f_beta(gold: Sequence[str], predicted: Sequence[str], label: str, beta: float) -> float:
    tp = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
    fp = sum(p == label != g for g, p in zip(gold, predicted, strict=True))
    fn = sum(g == label != p for g, p in zip(gold, predicted, strict=True))
    return _f_score(tp, fp, fn, beta)


def _f_score(tp: int, fp: int, fn: int, beta: float) -> float:
    b2 = beta * beta
    return (1 + b2) * tp / ((1 + b2) * tp + b2 * fn + fp) if tp else 0.0


def _present(gold: Sequence[str]) -> list[str]:
    return [label for label in LABELS if label in INTENTS or label in set(gold)]


def _macro_f1(gold: Sequence[str], predicted: Sequence[str]) -> float:
    labels = _present(gold)
    return sum(_f_beta(gold, predicted, label, 1.0) for label in labels) / len(labels)


def _decide(
    scores: Sequence[Mapping[str, float]],
    thresholds: Mapping[str, float],
    urgent: Sequence[float] | None = None,
) -> list[str]:
    if urgent is None:
        return [primary_intent(s, thresholds) for s in scores]
    return [primary_intent(s, thresholds, u) for s, u in zip(scores, urgent, strict=True)]


class DecisionTable:
    """``primary_intent`` and the threshold search's objective over every message at
    once, in numpy: the search asks for some 400 objectives, and one message at a time
    they were a fifth of training. The decisions are ``primary_intent``'s and the
    F-scores ``_f_beta``'s, to the bit (tests/test_understanding.py compares them)."""

    def __init__(
        self,
        scores: Sequence[Mapping[str, float]],
        gold: Sequence[str],
        urgent: Sequence[float] | None = None,
    ) -> None:
        self.scores = np.array(
            [[float(s.get(label, 0.0)) for label in LABELS] for s in scores], dtype=np.float64
        ).reshape(len(scores), len(LABELS))
        self.urgent = None if urgent is None else np.array(urgent, dtype=np.float64)
        self.gold = np.array([LABELS.index(g) for g in gold], dtype=np.int64)
        self.labels = _present(gold)
        self.column = {label: LABELS.index(label) for label in LABELS}

    def decide(self, thresholds: Mapping[str, float]) -> np.ndarray:
        """Each message's label, as an index into LABELS."""
        s, column = self.scores, self.column
        chosen = np.full(len(s), -1, dtype=np.int64)

        def take(mask: np.ndarray, label: int | np.ndarray) -> None:
            mask &= chosen < 0
            chosen[mask] = label if isinstance(label, int) else label[mask]

        for label in SAFETY_LABELS:
            take(s[:, column[label]] >= thresholds.get(label, 0.5), column[label])
        safety = [column[label] for label in SAFETY_LABELS]
        if self.urgent is not None:
            likelier = np.array(safety)[np.argmax(s[:, safety], axis=1)]
            take(self.urgent >= thresholds.get(URGENT, 2.0), likelier)
        unclear = s[:, column[UNCLEAR]]
        intents = [column[label] for label in INTENTS]
        take(
            (unclear >= thresholds.get(UNCLEAR, 0.5)) & (unclear >= s[:, intents].max(axis=1)),
            column[UNCLEAR],
        )
        calm = [label for label in INTENTS if label not in SAFETY_LABELS]
        for label in calm:
            take(s[:, column[label]] >= thresholds.get(label, 0.5), column[label])
        calm_columns = np.array([column[label] for label in calm])
        best = calm_columns[np.argmax(s[:, calm_columns], axis=1)]
        sure = s[np.arange(len(s)), best] >= UNSURE_BELOW
        take(sure.copy(), best)
        take(np.ones(len(s), dtype=bool), column[UNCLEAR])
        return chosen

    def objective(self, thresholds: Mapping[str, float]) -> float:
        """Macro F-score of the decisions under ``thresholds``, where the safety labels
        count recall four times as much (F2)."""
        predicted = self.decide(thresholds)
        total = 0.0
        for label in self.labels:
            index = self.column[label]
            beta = SAFETY_BETA if label in SAFETY_LABELS else 1.0
            is_gold, is_predicted = self.gold == index, predicted == index
            tp = int(np.count_nonzero(is_gold & is_predicted))
            fp = int(np.count_nonzero(is_predicted & ~is_gold))
            fn = int(np.count_nonzero(is_gold & ~is_predicted))
            total += _f_score(tp, fp, fn, beta)
        return total / len(self.labels)


def choose_thresholds(
    scores: Sequence[Mapping[str, float]],
    gold: Sequence[str],
    urgent: Sequence[float] | None = None,
) -> dict[str, float]:
    """Per-label thresholds on calibrated probabilities, by coordinate ascent on a grid.

    The objective is macro F-score with F2 for emergency and safeguarding, so a
    missed emergency costs more than a false alarm; safety thresholds may go as
    low as 0.1 and no higher than 0.4, the others stay in 0.2-0.7. The ceiling is
    there because the out-of-fold objective once preferred 0.5 for emergency by a
    hair, after a few ordinary examples were added, and urgent recall fell on ten
    evaluation splits: a doubt between urgent and not is settled towards urgent
    (issue 13). The grid is coarse on purpose: a fine
    grid would overfit. Ties keep the value nearest 0.4. With the urgent detector's
    scores (``urgent``), its threshold is chosen the same way; it starts switched off
    (``OFF``) and is switched on only if that raises the objective.
    """
    thresholds = {label: 0.4 for label in LABELS}
    safety_grid = [round(0.1 + 0.05 * i, 2) for i in range(7)]  # 0.1 .. 0.4
    other_grid = [round(0.2 + 0.05 * i, 2) for i in range(11)]
    grids = {label: safety_grid if label in SAFETY_LABELS else other_grid for label in LABELS}
    if urgent is not None:
        thresholds[URGENT] = OFF
        grids[URGENT] = [round(0.2 + 0.05 * i, 2) for i in range(15)]
    table = DecisionTable(scores, gold, urgent)
    best = table.objective(thresholds)
    for _ in range(3):
        improved = False
        for label, grid in grids.items():
            for value in sorted(grid, key=lambda v: (abs(v - 0.4), v)):
                trial = {**thresholds, label: value}
                score = table.objective(trial)
                if score > best + 1e-9:
                    best, thresholds, improved = score, trial, True
        if not improved:
            break
    return thresholds


# A threshold no calibrated probability reaches: the urgent detector switched off.
OFF = 2.0


def fit_platt(raw: Sequence[float], positive: Sequence[bool]) -> tuple[float, float]:
    """Platt scaling: slope and intercept on the logit of ``raw`` that minimise the
    negative log-likelihood of ``positive`` (out-of-fold), by Newton's method."""
    x = np.clip(np.array(raw, dtype=np.float64), 1e-6, 1 - 1e-6)
    x = np.log(x / (1 - x))
    y = np.array(positive, dtype=np.float64)
    slope, intercept = 1.0, 0.0
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(slope * x + intercept)))
        weight = p * (1 - p) + 1e-9
        gradient = np.array([((p - y) * x).sum(), (p - y).sum()])
        hessian = np.array(
            [[(weight * x * x).sum(), (weight * x).sum()], [(weight * x).sum(), weight.sum()]]
        ) + 1e-6 * np.eye(2)
        step = np.linalg.solve(hessian, gradient)
        slope, intercept = slope - float(step[0]), intercept - float(step[1])
        if np.abs(step).max() < 1e-8:
            break
    return round(slope, 6), round(intercept, 6)


def platt(raw: float, calibration: Sequence[float]) -> float:
    value = min(max(float(raw), 1e-6), 1 - 1e-6)
    logit = float(np.log(value / (1 - value)))
    return float(1.0 / (1.0 + np.exp(-(calibration[0] * logit + calibration[1]))))


def fit_temperature(raw: Sequence[Mapping[str, float]], gold: Sequence[str]) -> float:
    """The temperature that minimises the negative log-likelihood of the gold labels
    on out-of-fold scores (temperature scaling)."""
    labels = list(raw[0]) if raw else list(LABELS)
    matrix = np.log(np.clip(np.array([[r[lab] for lab in labels] for r in raw]), 1e-6, 1.0))
    targets = np.array([labels.index(g) for g in gold])
    best_t, best_nll = 1.0, float("inf")
    for temperature in np.round(np.arange(0.2, 3.01, 0.05), 2):
        logits = matrix / temperature
        logits = logits - logits.max(axis=1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
        nll = float(-log_probs[np.arange(len(targets)), targets].mean())
        if nll < best_nll - 1e-9:
            best_t, best_nll = float(temperature), nll
    return best_t


def expected_calibration_error(
    scores: Sequence[Mapping[str, float]], gold: Sequence[str], predicted: Sequence[str], bins=10
) -> tuple[float, list[tuple[float, float, int]]]:
    """ECE of the decided intent's score (confidence) against being right, with the
    reliability bins (mean confidence, accuracy, count) for a diagram."""
    rows = [
        (float(row.get(guess, 0.0)), float(truth == guess))
        for row, truth, guess in zip(scores, gold, predicted, strict=True)
    ]
    table: list[tuple[float, float, int]] = []
    ece = 0.0
    for i in range(bins):
        low, high = i / bins, (i + 1) / bins
        inside = [(c, a) for c, a in rows if low <= c < high or (i == bins - 1 and c == 1.0)]
        if not inside:
            table.append(((low + high) / 2, 0.0, 0))
            continue
        confidence = sum(c for c, _ in inside) / len(inside)
        accuracy = sum(a for _, a in inside) / len(inside)
        ece += len(inside) / max(len(rows), 1) * abs(confidence - accuracy)
        table.append((confidence, accuracy, len(inside)))
    return ece, table


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
    # The conversation sets (make conversations) are evaluation only as well.
    for path in sorted(Path(intents_dir).glob("conversations*/conversations.jsonl")):
        held = {
            normalise(text)
            for line in path.read_text(encoding="utf-8").splitlines()
            if line.strip() and not line.lstrip().startswith("#")
            for text in json.loads(line)["messages"]
            # "thx", "ok thanks": a conversation cannot do without its one- and two-word
            # messages, and they teach nothing the examples do not already say.
            if len(text.split()) > 2
        }
        leaked = sorted(text for norm, text in trained.items() if norm in held)
        if leaked:
            raise ValueError(f"{path.parent.name} messages also in examples/: {leaked[:5]}")


def out_of_fold_raw(
    intents_dir: Path,
    messages: Sequence[LabelledMessage],
    seed: int,
    bow_weight: float | None = None,
    embedding: str | None = None,
) -> list[dict[str, float]]:
    """Every message's uncalibrated scores from a model fitted on the other folds (the
    urgent detector's under ``URGENT``)."""
    with FoldFits(intents_dir, messages, seed, bow_weight, embedding) as folds:
        return folds.scores()


class FoldFits:
    """The cross-validation fits, shared with other processes when there are cores to
    spare, while the caller goes on (``train`` fits the final model meanwhile).

    Every fit seeds itself (``fit``) and every run of sentences is read the same way
    in any process, so the weights and thresholds are those of fitting the folds one
    after another (tests/test_understanding.py). The examples' sentence vectors are
    read first, shared out among the processes, and each fold then finds them in
    memory. On two cores training takes about half the time; the suite's other
    workers wait idle for it (tests/nlu_fixtures.py)."""

    def __init__(
        self,
        intents_dir: Path,
        messages: Sequence[LabelledMessage],
        seed: int,
        bow_weight: float | None = None,
        embedding: str | None = None,
    ) -> None:
        self.messages = list(messages)
        self.labels = _labels_of(messages)
        folds = [fold_of(m.text) for m in messages]
        self.jobs: list[tuple[list[int], _FoldJob]] = []
        for fold in sorted(set(folds)):
            held = [i for i, f in enumerate(folds) if f == fold]
            rest = [m for m, f in zip(messages, folds, strict=True) if f != fold]
            if rest:
                texts = [messages[i].text for i in held]
                self.jobs.append((held, (intents_dir, rest, texts, seed, bow_weight, embedding)))
        # Folds not started yet: a helper that finishes one takes the next from the
        # front, this process takes from the back.
        self._waiting = list(range(len(self.jobs)))
        self._lock = threading.Lock()
        self._helped: dict[int, Future[list[dict[str, float]]]] = {}
        self._pool: ProcessPoolExecutor | None = None
        # This process is one of the fitters: the others are forked.
        helpers = min(len(self.jobs), _cores() - 1)
        # The comparison's bag-of-words cache lives in this process; a fork's is lost.
        if helpers > 0 and BOW_CACHE is None and _fork_safe():
            _read_ahead(intents_dir, messages, bow_weight, embedding, helpers)
            self._pool = helper_pool(helpers)
            for _ in range(helpers):
                self._hand_on()

    def _hand_on(self, _: object = None) -> None:
        """The next waiting fold to a helper (called again as each one finishes)."""
        with self._lock:
            if self._pool is None or not self._waiting:
                return
            number = self._waiting.pop(0)
            future = self._pool.submit(_fit_fold, self.jobs[number][1])
            self._helped[number] = future
        future.add_done_callback(self._hand_on)

    def __enter__(self) -> FoldFits:
        return self

    def __exit__(self, *exc: object) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def scores(self) -> list[dict[str, float]]:
        """Every message's out-of-fold scores: this process fits waiting folds from the
        back until none is left, then collects what the helpers fitted."""
        fitted: dict[int, list[dict[str, float]]] = {}
        while True:
            with self._lock:
                if not self._waiting:
                    break
                number = self._waiting.pop()
            fitted[number] = _fit_fold(self.jobs[number][1])
        rows: list[dict[str, float] | None] = [None] * len(self.messages)
        for number, (held, _) in enumerate(self.jobs):
            if number not in fitted:
                fitted[number] = self._helped[number].result()
            for index, row in zip(held, fitted[number], strict=True):
                rows[index] = {
                    label: float(row.get(label, 0.0)) for label in (*self.labels, URGENT)
                }
        uniform = {label: 1.0 / len(self.labels) for label in self.labels}
        uniform[URGENT] = 2.0 / len(self.labels)
        return [row if row is not None else dict(uniform) for row in rows]


_FoldJob = tuple[Path, list["LabelledMessage"], list[str], int, float | None, str | None]


def _fit_fold(job: _FoldJob) -> list[dict[str, float]]:
    intents_dir, rest, held, seed, bow_weight, embedding = job
    _log(f"fitting on {len(rest)}, scoring {len(held)}")
    return raw_scores(fit(intents_dir, rest, seed, bow_weight, embedding), held)


def helper_pool(workers: int) -> ProcessPoolExecutor:
    """Forked helpers that end with the process that made them."""
    return ProcessPoolExecutor(
        workers,
        mp_context=get_context("fork"),
        initializer=_end_with_parent,
        initargs=(os.getpid(),),
    )


def _end_with_parent(parent: int) -> None:
    """A helper whose training process was killed (kill -9, or SIGTERM during the first
    `make run`) would wait for work for ever and keep its few hundred MB: on Linux the
    kernel ends it with its parent (PR_SET_PDEATHSIG)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the helper ends when its queue breaks
        return
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(1)


def _fork_safe() -> bool:
    """A runtime thread pool does not survive a fork: the folds fork only from a process
    whose sentence encoder reads on one thread (``helpbot train``, the suite, and
    ``serve``, which trains before it gives the model more cores)."""
    from helpbot.nlu.sentence_encoder import MiniLMEncoder

    shared = MiniLMEncoder._shared
    return MiniLMEncoder.threads == 1 and (shared is None or shared.threads == 1)


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _read_ahead(
    intents_dir: Path,
    messages: Sequence[LabelledMessage],
    bow_weight: float | None,
    embedding: str | None,
    helpers: int,
) -> None:
    """Every example's sentence vector, kept in this process before the folds fork.
    The sentence encoder's runs are shared out: ``helpers`` forked processes read every
    other run while this one reads its own."""
    from helpbot.nlu.representation import embedder
    from helpbot.nlu.sentence_encoder import MiniLMEncoder

    nlp, _ = build_blank(intents_dir)
    head = intent_head(nlp)
    if head is None:
        return
    if bow_weight is not None:
        head.bow_weight = float(bow_weight)
    if not head.uses_embeddings:
        return
    reader = embedder(embedding or head.embedding)
    texts = list(dict.fromkeys(normalise(m.text) for m in messages))
    if not isinstance(reader, MiniLMEncoder):
        reader.embed(texts, remember=True)
        return
    runs = reader.runs(texts)
    shares = [runs[k :: helpers + 1] for k in range(helpers + 1)]
    with helper_pool(helpers) as pool:
        theirs = [pool.submit(_read_runs, share) for share in shares[1:]]
        mine = [reader.read(run) for run in shares[0]]
        read = [mine, *(future.result() for future in theirs)]
    for share, vectors in zip(shares, read, strict=True):
        for run, run_vectors in zip(share, vectors, strict=True):
            reader.keep([text for text, _ in run], list(run_vectors), remember=True)


def _read_runs(runs: list[Run]) -> list[np.ndarray]:
    from helpbot.nlu.sentence_encoder import MiniLMEncoder

    return [MiniLMEncoder.shared().read(run) for run in runs]


def apply_temperature(raw: Mapping[str, float], temperature: float) -> dict[str, float]:
    labels = list(raw)
    logits = np.log(np.clip(np.array([raw[lab] for lab in labels]), 1e-6, 1.0)) / temperature
    probs = np.exp(logits - logits.max())
    probs /= probs.sum()
    return dict(zip(labels, probs.tolist(), strict=True))


def cue_precision(
    cues: SafetyCues, messages: Sequence[LabelledMessage]
) -> tuple[dict[str, float], dict[str, tuple[int, int]]]:
    """How often each safety label's cues are right on the examples: (hits+1)/(fires+2)."""
    counts = {label: [0, 0] for label in SAFETY_LABELS}
    for message in messages:
        for label in cues.matches(normalise(message.text)):
            counts[label][0] += 1
            counts[label][1] += message.intent == label
    precision = {
        label: round((hits + 1) / (fires + 2), 4) for label, (fires, hits) in counts.items()
    }
    return precision, {label: (fires, hits) for label, (fires, hits) in counts.items()}


def cross_validate(
    intents_dir: Path,
    messages: Sequence[LabelledMessage],
    seed: int,
    cues: SafetyCues,
    bow_weight: float | None = None,
    embedding: str | None = None,
    out_of_fold: list[dict[str, float]] | None = None,
) -> dict[str, object]:
    """Out-of-fold scores (fitted here unless given), temperature, cue scores,
    thresholds and the CV figures."""
    gold = [m.intent for m in messages]
    both = out_of_fold or out_of_fold_raw(intents_dir, messages, seed, bow_weight, embedding)
    raw = [{k: v for k, v in row.items() if k != URGENT} for row in both]
    temperature = fit_temperature(raw, gold)
    calibration = fit_platt([row[URGENT] for row in both], [g in SAFETY_LABELS for g in gold])
    urgent = [platt(row[URGENT], calibration) for row in both]
    cues = cues.remembering(normalise(m.text) for m in messages)
    cue_scores, cue_counts = cue_precision(cues, messages)
    cues = cues.with_scores(cue_scores)
    scores = [
        cues.apply(normalise(m.text), apply_temperature(r, temperature))
        for m, r in zip(messages, raw, strict=True)
    ]
    thresholds = choose_thresholds(scores, gold, urgent)
    predicted = _decide(scores, thresholds, urgent)
    ece, _ = expected_calibration_error(scores, gold, predicted)
    risky = [bool(cues.risks(normalise(m.text))) for m in messages]
    # The safety net reads P(emergency) + P(safeguarding) only: on out-of-fold scores, at
    # the same 98 % urgent recall, adding the urgent detector (the larger of the two)
    # flagged 29 % of other messages instead of 24 % (the detector alone: 52 %).
    urgency = [urgent_score(s) for s in scores]
    risk_threshold = choose_risk_threshold(urgency, gold, predicted, risky)
    handled = _handled(urgency, gold, predicted, risky, risk_threshold)
    without = _decide(scores, {**thresholds, URGENT: OFF}, urgent)
    return {
        "urgent_calibration": list(calibration),
        "urgent_detector": {
            "urgent_recall_without": round(_urgent_share(gold, without, urgent=True), 4),
            "false_alarms_without": round(_urgent_share(gold, without, urgent=False), 4),
        },
        "risk_threshold": risk_threshold,
        "safety_net": handled,
        "raw": raw,
        "scores": scores,
        "predicted": predicted,
        "temperature": temperature,
        "cue_scores": cue_scores,
        "cue_counts": cue_counts,
        "thresholds": thresholds,
        "macro_f1": _macro_f1(gold, predicted),
        "safety_recall": {label: _recall(gold, predicted, label) for label in SAFETY_LABELS},
        "ece": ece,
    }


def _urgent_share(gold: Sequence[str], predicted: Sequence[str], urgent: bool) -> float:
    """Share of urgent (or, with ``urgent=False``, of other) messages decided urgent."""
    pairs = [(g, p) for g, p in zip(gold, predicted, strict=True) if (g in SAFETY_LABELS) == urgent]
    return sum(p in SAFETY_LABELS for _, p in pairs) / max(1, len(pairs))


def _handled(
    urgency: Sequence[float],
    gold: Sequence[str],
    predicted: Sequence[str],
    risky: Sequence[bool],
    risk_threshold: float,
) -> dict[str, float]:
    """Urgent messages that get urgent help (the intent) or at least the safety net
    (a safety line and a colleague told), and the share of other messages flagged."""
    urgent = [g in SAFETY_LABELS for g in gold]
    netted = [
        p in SAFETY_LABELS or r or u >= risk_threshold
        for u, p, r in zip(urgency, predicted, risky, strict=True)
    ]
    positives = sum(urgent) or 1
    negatives = (len(gold) - sum(urgent)) or 1
    return {
        "urgent_recall_intent": round(
            sum(u and p in SAFETY_LABELS for u, p in zip(urgent, predicted, strict=True))
            / positives,
            4,
        ),
        "urgent_recall_with_net": round(
            sum(u and n for u, n in zip(urgent, netted, strict=True)) / positives, 4
        ),
        "false_alarms_intent": round(
            sum(not u and p in SAFETY_LABELS for u, p in zip(urgent, predicted, strict=True))
            / negatives,
            4,
        ),
        "net_flags_on_others": round(
            sum(not u and n for u, n in zip(urgent, netted, strict=True)) / negatives, 4
        ),
    }


def choose_risk_threshold(
    urgency: Sequence[float],
    gold: Sequence[str],
    predicted: Sequence[str],
    risky: Sequence[bool],
) -> float:
    """The safety net's threshold on P(urgent): the highest one at which at least
    URGENT_RECALL_TARGET of the urgent examples (out of fold) get urgent help or the
    safety net. Recall is the designed property; its cost is colleagues' look at
    the flagged messages, never an urgent case opened on a guess."""
    for value in [round(0.5 - 0.0125 * i, 4) for i in range(37)]:
        handled = _handled(urgency, gold, predicted, risky, value)
        if handled["urgent_recall_with_net"] >= URGENT_RECALL_TARGET:
            return value
    return 0.05


def _recall(gold: Sequence[str], predicted: Sequence[str], label: str) -> float:
    support = sum(g == label for g in gold)
    hits = sum(g == p == label for g, p in zip(gold, predicted, strict=True))
    return hits / support if support else 0.0


def train(
    intents_dir: Path,
    output_dir: Path,
    seed: int = 0,
    verbose: bool = False,
    bow_weight: float | None = None,
    embedding: str | None = None,
) -> Path:
    """Trains the intent pipeline into ``output_dir`` and returns that directory.

    Writes ``output_dir/model`` (the spaCy pipeline: bag-of-words textcat, then the
    intent head, its encoder reading and its temperature) and ``output_dir/thresholds.json``
    (per-label thresholds, cue scores, data hash, cross-validation figures).
    """
    # One BLAS thread, whoever calls: a matrix product sums in an order that follows
    # the thread count, and the same examples and seed must give the same bytes from
    # `helpbot train`, the first `make run` (one thread) and the suite.
    with threadpool_limits(limits=1, user_api="blas"):
        return _train(intents_dir, output_dir, seed, verbose, bow_weight, embedding)


def _train(
    intents_dir: Path,
    output_dir: Path,
    seed: int,
    verbose: bool,
    bow_weight: float | None,
    embedding: str | None,
) -> Path:
    global _VERBOSE
    _VERBOSE = verbose
    intents_dir, output_dir = Path(intents_dir), Path(output_dir)
    started = time.perf_counter()
    cpu_started = _cpu_seconds()
    everything = training_messages(intents_dir)
    _check_no_leak(intents_dir, everything)
    _log(f"{len(everything)} examples, {FOLDS}-fold cross-validation, seed {seed}")

    cues = SafetyCues.load(intents_dir)
    with FoldFits(intents_dir, everything, seed, bow_weight, embedding) as folds:
        _log(f"fitting the final model on all {len(everything)} examples")
        nlp = fit(intents_dir, everything, seed, bow_weight, embedding)
        out_of_fold = folds.scores()
    cv = cross_validate(intents_dir, everything, seed, cues, out_of_fold=out_of_fold)
    gold = [m.intent for m in everything]
    predicted = cv["predicted"]
    dev = [i for i, m in enumerate(everything) if is_dev(m.text)]
    dev_f1 = _macro_f1([gold[i] for i in dev], [predicted[i] for i in dev])
    _log(
        f"cross-validated macro-F1 {cv['macro_f1']:.3f} (dev {dev_f1:.3f}), temperature"
        f" {cv['temperature']}, ECE {cv['ece']:.3f}, thresholds {cv['thresholds']}"
    )
    _log(f"safety net: P(urgent) >= {cv['risk_threshold']}; {cv['safety_net']}")
    _log(
        f"urgent detector: threshold {cv['thresholds'].get(URGENT)}, Platt"
        f" {cv['urgent_calibration']}; without it {cv['urgent_detector']}"
    )

    head = intent_head(nlp)
    if head is not None:
        head.temperature = float(cv["temperature"])
        slope, intercept = cv["urgent_calibration"]
        head.urgent_calibration = (float(slope), float(intercept))
    output_dir.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output_dir / MODEL_DIR)
    metadata = {
        "data_hash": data_hash(intents_dir),
        "seed": seed,
        "training_version": TRAINING_VERSION,
        "thresholds": cv["thresholds"],
        "temperature": cv["temperature"],
        "cue_scores": cv["cue_scores"],
        "cue_counts": cv["cue_counts"],
        "risk_threshold": cv["risk_threshold"],
        "urgent_calibration": cv["urgent_calibration"],
        "cv_urgent_detector": cv["urgent_detector"],
        "cv_safety_net": cv["safety_net"],
        "cv_macro_f1": round(float(cv["macro_f1"]), 4),
        "cv_safety_recall": {k: round(v, 4) for k, v in cv["safety_recall"].items()},
        "cv_ece": round(float(cv["ece"]), 4),
        "dev_macro_f1": round(dev_f1, 4),
        "examples": len(everything),
        "labels": list(_labels_of(everything)),
        "bow_weight": head.bow_weight if head is not None else 1.0,
        "embedding": head.embedding if head is not None else None,
        "training_seconds": round(time.perf_counter() - started, 1),
        # CPU time: on a shared machine the wall time says more about the neighbours.
        "training_cpu_seconds": round(_cpu_seconds() - cpu_started, 1),
    }
    (output_dir / METADATA_FILE).write_text(json.dumps(metadata, indent=2, sort_keys=True) + "\n")
    # The knowledge base's classifier too: trained here, loaded by the bot (knowledge.py).
    from helpbot.nlu.knowledge import KnowledgeBase

    KnowledgeBase.load(intents_dir).save_classifier(output_dir / KNOWLEDGE_CLASSIFIER)
    _log(
        f"saved to {output_dir} in {time.perf_counter() - started:.1f}s"
        f" ({_cpu_seconds() - cpu_started:.1f}s of CPU)"
    )
    _forget_training_vectors()
    return output_dir


def _cpu_seconds() -> float:
    """This process's CPU time and its finished children's (the forked fold fits)."""
    times = os.times()
    return time.process_time() + times.children_user + times.children_system


def _forget_training_vectors() -> None:
    """The examples' sentence vectors are kept while training (every fold reads them);
    a process that goes on to serve (the first ``make run``) lets them go."""
    from helpbot.nlu.sentence_encoder import MiniLMEncoder

    if MiniLMEncoder._shared is not None:
        MiniLMEncoder._shared.forget()


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
    """Trains only when the pipeline is missing or older than the data it came from.
    Quiet: nothing on screen (the first ``make run``), progress only at DEBUG."""
    if is_current(intents_dir, output_dir):
        return Path(output_dir)
    # Two processes starting at once (the test suite's workers, or `make run` twice)
    # wait for one training rather than each writing over the other's files.
    output_dir = Path(output_dir)
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    with open(output_dir.parent / f".{output_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if is_current(intents_dir, output_dir):
            return output_dir
        _logger.debug("training the intent pipeline (first run or intents/ changed)")
        return train(intents_dir, output_dir)
