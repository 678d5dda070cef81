"""What the bot keeps in memory: the embeddings are read from the installed file as
they are needed, and nothing at import takes argon2's 64 MiB (each process of
`serve --workers N` would pay it at start)."""

from __future__ import annotations

import numpy as np
import pytest
from argon2 import PasswordHasher
from argon2.exceptions import VerifyMismatchError

from helpbot.nlu.representation import WordLlamaEmbedder
from helpbot.nlu.weight_files import mapped_tensor
from helpbot.store import staff_accounts


def test_the_mapped_embeddings_are_the_shipped_ones_and_not_copied() -> None:
    from safetensors.numpy import load_file

    weights, _tokenizer = WordLlamaEmbedder.files()
    mapped = mapped_tensor(weights, "embedding.weight")
    assert isinstance(mapped, np.memmap)
    assert not mapped.flags.writeable
    read = load_file(str(weights))["embedding.weight"]
    assert mapped.dtype == read.dtype and mapped.shape == read.shape
    assert np.array_equal(mapped, read)


def test_an_unknown_email_is_checked_as_slowly_as_a_wrong_password() -> None:
    """The stand-in hash is written out, not computed, yet has the real hasher's
    parameters, so verifying against it does the same argon2 work."""
    hasher = PasswordHasher()
    stand_in = staff_accounts._DUMMY_HASH
    assert stand_in.rsplit("$", 2)[0] == hasher.hash("x" * 12).rsplit("$", 2)[0]
    assert not hasher.check_needs_rehash(stand_in)
    with pytest.raises(VerifyMismatchError):
        hasher.verify(stand_in, "correct horse battery staple")
