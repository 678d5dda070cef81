"""Pretrained weights read from safetensors files as installed, mapped rather than read.

A safetensors file is an 8-byte header length, a JSON header (each tensor's type, shape
and byte range) and the raw bytes, so numpy can map a tensor in place: only the pages a
message touches are read, and they are the page cache's, shared by every process of the
bot (``serve --workers N``) instead of copied into each.
"""

from __future__ import annotations

import json
import mmap
from pathlib import Path

import numpy as np

_SAFETENSORS_TYPES = {
    "F16": np.float16,
    "F32": np.float32,
    "F64": np.float64,
    "I32": np.int32,
    "I64": np.int64,
}


def mapped_tensor(path: Path, name: str) -> np.ndarray:
    """One tensor of a safetensors file, mapped read-only from the file rather than read
    into memory: only the rows a message uses are ever paged in, and the pages are the
    page cache's, shared by every process of the bot (``serve --workers N``)."""
    with path.open("rb") as handle:
        size = int.from_bytes(handle.read(8), "little")
        header = json.loads(handle.read(size))
    entry = header[name]
    kind = _SAFETENSORS_TYPES.get(entry["dtype"])
    if kind is None:  # a type numpy cannot map: read that one tensor, not the whole file
        from safetensors import safe_open

        with safe_open(str(path), framework="np") as weights:
            return np.ascontiguousarray(weights.get_tensor(name))
    start, _end = entry["data_offsets"]
    return np.memmap(
        path, dtype=kind, mode="r", offset=8 + size + start, shape=tuple(entry["shape"])
    )


def let_go(tensor: np.ndarray) -> None:
    """Drops a mapped tensor's pages from this process once a runtime has read them
    into its own layout: they stay in the page cache, and are read again from it if
    the tensor is ever touched, but no longer count in the process's resident memory."""
    mapping = getattr(tensor, "_mmap", None)  # np.memmap keeps its mmap.mmap here
    if isinstance(mapping, mmap.mmap):
        mapping.madvise(mmap.MADV_DONTNEED)
