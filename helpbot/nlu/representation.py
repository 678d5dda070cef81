"""Pretrained knowledge of English for the intent pipeline: the intent head and its readers.

The bag-of-words textcat only knows the ~2,000 messages in ``intents/examples``; a
tenant who writes "a bit like eggs" instead of "gas" shares no word with them. The
``helpbot_intent_head`` spaCy component adds a second reader that knows English: each
message is embedded by a pretrained model shipped inside a package (nothing downloaded
at run time), a softmax regression is fitted on those vectors, and the two readers'
probabilities are mixed and calibrated by temperature scaling (chosen on out-of-fold
scores, see ``training.train``). The figures behind the choice are in intents/README.md.

The reader is all-MiniLM-L6-v2, a sentence encoder (``helpbot.nlu.sentence_encoder``),
since the eleventh pass; WordLlama's 256-d static token embeddings (``l2_supercat``,
16 MB, in the ``wordllama`` package) before it, kept for the representation comparison.
WordLlama's own loader is not used: importing ``wordllama.inference`` calls
``logging.basicConfig`` (it would change the bot's log format), and its file lookup
misses the tokenizer shipped in the wheel. The two files are read directly instead.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from spacy.language import Language
from spacy.tokens import Doc

from helpbot.nlu.intents import SAFETY_LABELS, URGENT
from helpbot.nlu.weight_files import mapped_tensor

if TYPE_CHECKING:
    from helpbot.nlu.sentence_encoder import MiniLMEncoder

EMBEDDING_CONFIG = "l2_supercat"
EMBEDDING_DIM = 256
_PREFIX_MARK = "zq"  # training.model_text appends word prefixes marked like this


class WordLlamaEmbedder:
    """Mean-pooled, unit-length WordLlama embeddings of (already normalised) texts."""

    _shared: WordLlamaEmbedder | None = None
    _lock = threading.Lock()

    def __init__(self, weights: Path, tokenizer: Path) -> None:
        from tokenizers import Tokenizer

        self.tokenizer = Tokenizer.from_file(str(tokenizer))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        # Kept as shipped (float16, 16 MB); rows are widened to float32 when averaged,
        # which gives exactly the same vectors as widening the whole table first.
        self.matrix = mapped_tensor(weights, "embedding.weight")

    @staticmethod
    def files() -> tuple[Path, Path]:
        spec = importlib.util.find_spec("wordllama")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError("the wordllama package is not installed (pip install wordllama)")
        root = Path(next(iter(spec.submodule_search_locations)))
        weights = root / "weights" / f"{EMBEDDING_CONFIG}_{EMBEDDING_DIM}.safetensors"
        tokenizer = root / "tokenizers" / f"{EMBEDDING_CONFIG}_tokenizer_config.json"
        for path in (weights, tokenizer):
            if not path.exists():
                raise RuntimeError(f"wordllama is installed but {path.name} is missing")
        return weights, tokenizer

    @classmethod
    def shared(cls) -> WordLlamaEmbedder:
        """One per process, loaded on first use."""
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls(*cls.files())
            return cls._shared

    @property
    def size_bytes(self) -> int:
        return int(self.matrix.nbytes)

    def embed(self, texts: Sequence[str], remember: bool = False) -> np.ndarray:
        """``remember`` is the sentence encoder's (WordLlama is cheap enough not to keep)."""
        out = np.zeros((len(texts), self.matrix.shape[1]), dtype=np.float32)
        if not texts:
            return out
        encodings = self.tokenizer.encode_batch(list(texts), add_special_tokens=False)
        for row, encoding in enumerate(encodings):
            ids = encoding.ids
            if not ids:
                continue
            vector = self.matrix[ids].astype(np.float32).mean(axis=0)
            norm = float(np.linalg.norm(vector))
            if norm > 0:
                out[row] = vector / norm
        return out


def embedder(name: str) -> WordLlamaEmbedder | MiniLMEncoder:
    """The embedder a head was configured with: "minilm" or "wordllama"."""
    if name == "minilm":
        from helpbot.nlu.sentence_encoder import MiniLMEncoder

        return MiniLMEncoder.shared()
    if name == "wordllama":
        return WordLlamaEmbedder.shared()
    raise ValueError(f"unknown embedding {name!r}: expected 'minilm' or 'wordllama'")


def normalised_part(model_text: str) -> str:
    """The normalised message inside ``training.model_text`` (its word prefixes dropped)."""
    words = model_text.split(" ")
    end = len(words)
    while end > 0 and words[end - 1].startswith(_PREFIX_MARK):
        end -= 1
    return " ".join(words[:end])


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=-1, keepdims=True)


def fit_softmax_regression(
    features: np.ndarray, targets: np.ndarray, classes: int, l2: float, iterations: int
) -> tuple[np.ndarray, np.ndarray]:
    """Multinomial logistic regression by full-batch Adam: deterministic, ~0.5 s for 2k rows."""
    rows, dims = features.shape
    weights = np.zeros((dims, classes), dtype=np.float64)
    bias = np.zeros(classes, dtype=np.float64)
    onehot = np.eye(classes)[targets]
    x = features.astype(np.float64)
    moments = [np.zeros_like(weights), np.zeros_like(bias)]
    squares = [np.zeros_like(weights), np.zeros_like(bias)]
    rate, beta1, beta2 = 0.05, 0.9, 0.999
    for step in range(1, iterations + 1):
        gradient = (softmax(x @ weights + bias) - onehot) / rows
        grads = [x.T @ gradient + l2 * weights, gradient.sum(axis=0)]
        for param, grad, moment, square in zip(
            (weights, bias), grads, moments, squares, strict=True
        ):
            moment *= beta1
            moment += (1 - beta1) * grad
            square *= beta2
            square += (1 - beta2) * grad * grad
            corrected = moment / (1 - beta1**step)
            param -= rate * corrected / (np.sqrt(square / (1 - beta2**step)) + 1e-8)
    return weights.astype(np.float32), bias.astype(np.float32)


class IntentHead:
    """Mixes the bag-of-words scores with a softmax regression over a pretrained
    reader's vectors (the sentence encoder, or WordLlama), calibrated.

    Runs after the ``textcat_multilabel`` component and replaces ``doc.cats`` with
    calibrated probabilities over the labels (they sum to 1). ``doc.user_data``
    keeps the two readers' own scores for explanations.
    """

    def __init__(
        self, name: str, bow_weight: float, l2: float, iterations: int, embedding: str
    ) -> None:
        self.name = name
        self.embedding = embedding
        self.bow_weight = float(bow_weight)
        self.l2 = float(l2)
        self.iterations = int(iterations)
        self.temperature = 1.0
        # Platt scaling of the urgent detector (slope, intercept on the logit), fitted
        # on out-of-fold scores by training; (1, 0) leaves it as it is.
        self.urgent_calibration: tuple[float, float] = (1.0, 0.0)
        self.labels: list[str] = []
        self.weights: np.ndarray | None = None
        self.bias: np.ndarray | None = None
        self.mean: np.ndarray | None = None
        self.scale: np.ndarray | None = None

    @property
    def uses_embeddings(self) -> bool:
        return self.bow_weight < 1.0

    # -- training -------------------------------------------------------------

    def fit(self, texts: Sequence[str], labels: Sequence[str], label_set: Sequence[str]) -> None:
        """Fits the embedding regression on normalised texts and their labels."""
        self.labels = list(label_set)
        if not self.uses_embeddings:
            return
        features = embedder(self.embedding).embed(list(texts), remember=True)
        self.mean = features.mean(axis=0)
        self.scale = features.std(axis=0) + 1e-6
        targets = np.array([self.labels.index(label) for label in labels])
        self.weights, self.bias = fit_softmax_regression(
            (features - self.mean) / self.scale,
            targets,
            len(self.labels),
            self.l2,
            self.iterations,
        )

    # -- scoring --------------------------------------------------------------

    def _raw(self, docs: Sequence[Doc]) -> np.ndarray:
        """Mixed, uncalibrated probabilities, one row per doc (columns: self.labels)."""
        bow = np.array(
            [[float(doc.cats.get(label, 0.0)) for label in self.labels] for doc in docs],
            dtype=np.float64,
        ).reshape(len(docs), len(self.labels))
        # The textcat's labels are independent sigmoids. When none is confident their
        # sum is small, and dividing by it would turn "no idea" into a confident guess,
        # so they are only scaled down when they add up to more than 1: an unsure bag
        # of words then leaves the decision to the embeddings in the mix.
        bow = bow / np.maximum(bow.sum(axis=1, keepdims=True), 1.0)
        for doc, row in zip(docs, bow, strict=True):
            doc.user_data["bow"] = dict(zip(self.labels, row.round(4).tolist(), strict=True))
        safety = [self.labels.index(label) for label in SAFETY_LABELS if label in self.labels]
        # The bag of words' own urgent output (trained on urgent against everything
        # else); a pipeline without one falls back to P(emergency) + P(safeguarding).
        urgent = np.array(
            [
                float(doc.cats.get(URGENT, row[safety].sum()))
                for doc, row in zip(docs, bow, strict=True)
            ],
            dtype=np.float64,
        )
        if not self.uses_embeddings or self.weights is None:
            self._keep_urgent(docs, urgent)
            return bow
        features = embedder(self.embedding).embed([normalised_part(doc.text) for doc in docs])
        embedded = softmax(((features - self.mean) / self.scale) @ self.weights + self.bias)
        for doc, row in zip(docs, embedded, strict=True):
            doc.user_data["embedding"] = dict(zip(self.labels, row.round(4).tolist(), strict=True))
        mixed_urgent = self.bow_weight * urgent + (1 - self.bow_weight) * embedded[:, safety].sum(
            axis=1
        )
        self._keep_urgent(docs, mixed_urgent)
        return self.bow_weight * bow + (1 - self.bow_weight) * embedded

    def _keep_urgent(self, docs: Sequence[Doc], raw: np.ndarray) -> None:
        slope, intercept = self.urgent_calibration
        clipped = np.clip(raw, 1e-6, 1 - 1e-6)
        calibrated = 1.0 / (1.0 + np.exp(-(slope * np.log(clipped / (1 - clipped)) + intercept)))
        for doc, value, probability in zip(docs, raw, calibrated, strict=True):
            doc.user_data["urgent_raw"] = float(value)
            doc.user_data[URGENT] = float(probability)

    def calibrate(self, raw: np.ndarray) -> np.ndarray:
        return softmax(np.log(np.clip(raw, 1e-6, 1.0)) / self.temperature)

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs: Iterable[Doc], batch_size: int = 256) -> Iterator[Doc]:
        batch: list[Doc] = []
        for doc in docs:
            batch.append(doc)
            if len(batch) >= batch_size:
                yield from self._score(batch)
                batch = []
        if batch:
            yield from self._score(batch)

    def _score(self, docs: list[Doc]) -> list[Doc]:
        raw = self._raw(docs)
        for doc, row, calibrated in zip(docs, raw, self.calibrate(raw), strict=True):
            doc.user_data["raw"] = dict(zip(self.labels, row.tolist(), strict=True))
            doc.cats = dict(zip(self.labels, calibrated.tolist(), strict=True))
        return docs

    # -- serialisation --------------------------------------------------------

    def to_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> None:
        path = Path(path)
        path.mkdir(parents=True, exist_ok=True)
        meta = {
            "labels": self.labels,
            "bow_weight": self.bow_weight,
            "temperature": self.temperature,
            "l2": self.l2,
            "iterations": self.iterations,
            "embedding": self.embedding,
            "urgent_calibration": list(self.urgent_calibration),
        }
        (path / "head.json").write_text(json.dumps(meta, indent=2, sort_keys=True) + "\n")
        if self.weights is not None:
            np.savez(
                path / "head.npz",
                weights=self.weights,
                bias=self.bias,
                mean=self.mean,
                scale=self.scale,
            )

    def from_disk(self, path: str | Path, exclude: Iterable[str] = ()) -> IntentHead:
        path = Path(path)
        meta = json.loads((path / "head.json").read_text())
        self.labels = list(meta["labels"])
        self.bow_weight = float(meta["bow_weight"])
        self.temperature = float(meta["temperature"])
        self.embedding = str(meta.get("embedding", "wordllama"))
        slope, intercept = meta.get("urgent_calibration", (1.0, 0.0))
        self.urgent_calibration = (float(slope), float(intercept))
        if (path / "head.npz").exists():
            arrays = np.load(path / "head.npz")
            self.weights, self.bias = arrays["weights"], arrays["bias"]
            self.mean, self.scale = arrays["mean"], arrays["scale"]
        if self.uses_embeddings:
            embedder(self.embedding)  # load now, not on the first tenant's message
        return self


@Language.factory(
    "helpbot_intent_head",
    default_config={"bow_weight": 0.7, "l2": 0.1, "iterations": 400, "embedding": "minilm"},
)
def make_intent_head(
    nlp: Language, name: str, bow_weight: float, l2: float, iterations: int, embedding: str
) -> IntentHead:
    return IntentHead(name, bow_weight, l2, iterations, embedding)
