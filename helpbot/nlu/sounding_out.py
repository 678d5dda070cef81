"""Words spelt as they sound, read as the words they sound like, for the safety cues.

A tenant who spells by ear writes "i wan 2 kil myslf", "thers a fyre", "elektric shok",
"he beets me". The model, which learnt from words spelt one way, read the first as
hostile and the others as nothing in particular (an outside review's dyslexic
messages). Each word that is neither in the training examples nor an English word
is replaced by the nearest word the examples use, one letter off (two for a word of
seven letters or more; two letters swapped count as one). A tie goes to the word that
begins most alike ("smoak" is as near "soak" as "smoke"), then to a word used mostly in
the urgent examples ("shok" is as near "shop" as "shock": the safe reading costs little), then to
the commoner word;
the safety cues then read that version as well as the message itself. Only the cues:
the model still reads what the tenant wrote, so a respelling can add a sign of danger
but never take one away.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable

from rapidfuzz import process
from rapidfuzz.distance import OSA

from helpbot.nlu.sentence_encoder import MiniLMEncoder

_WORD = re.compile(r"[a-z]+")
# A word this long may be one letter off; from LONG letters, two. Shorter words are
# left alone: "wna", "2" and "u" are too short to guess from.
SHORTEST = 3
LONG = 7
# A word made of a known word and one of these is a word too ("groomer" was sounded
# out as "groomed", which the grooming cue reads as a child at risk; "fairer" as "fire").
SUFFIXES = ("s", "es", "ed", "d", "er", "ers", "r", "ing", "ly", "y", "ful", "less", "ness")
# A word the examples use this often is a word, even if the encoder's vocabulary lacks
# it ("lecky", "innit"); one used less, and no English word, may be an example's own
# slip ("smok"), and a word sounded out as it is sounded out once more.
OFTEN = 3
# A word is a word of danger when at least 1/URGENT_SHARE of its uses are in the
# emergency and safeguarding examples.
URGENT_SHARE = 2
# Memory of words already sounded out (a small set of misspellings recurs).
_KEEP = 4096


def _shared_start(word: str, known: str) -> int:
    """How many letters two words begin with alike: a word spelt by ear keeps its start
    ("smoak" is "smoke", not "soak")."""
    count = 0
    for a, b in zip(word, known, strict=False):
        if a != b:
            break
        count += 1
    return count


def dictionary() -> frozenset[str]:
    """Whole words of the sentence encoder's vocabulary: 21,000 words of English text."""
    try:
        vocabulary = (MiniLMEncoder.folder() / "vocab.txt").read_text(encoding="utf-8")
    except (RuntimeError, OSError):
        return frozenset()
    return frozenset(w for w in vocabulary.split() if w.isalpha() and w.islower())


class SoundingOut:
    """Respells unknown words as the nearest words of the training examples."""

    def __init__(
        self,
        counts: Counter[str],
        english: frozenset[str] = frozenset(),
        urgent: frozenset[str] = frozenset(),
    ) -> None:
        self.counts = counts
        self.urgent = urgent  # words of the emergency and safeguarding examples
        # Words that are words, though the examples never use them ("hire", "fibre",
        # "cruise" were sounded out as "fire" and "bruise"): left as they are.
        self.english = english
        self._by_length: dict[int, list[str]] = {}
        for word in counts:
            self._by_length.setdefault(len(word), []).append(word)
        self._seen: dict[str, str] = {}

    @classmethod
    def of(
        cls,
        texts: Iterable[str],
        english: frozenset[str] = frozenset(),
        urgent: Iterable[str] = (),
    ) -> SoundingOut:
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update(_WORD.findall(text.lower()))
        in_urgent: Counter[str] = Counter()
        for text in urgent:
            in_urgent.update(_WORD.findall(text.lower()))
        # Words of danger are those used mostly in the urgent examples: "shop" is in some
        # ("smoke from the shop below") but mostly not, and won the tie against "shock"
        # on being commoner, so "elektric shok" was read as "electric shop".
        # A word used once ("smoky") tells nothing, and took "smok" from "smoke".
        danger = frozenset(
            w for w, n in in_urgent.items() if n >= OFTEN and n * URGENT_SHARE >= counts[w]
        )
        return cls(counts, english, danger)

    def word(self, word: str) -> str:
        if len(word) < SHORTEST or self._known(word):
            return word
        found = self._seen.get(word)
        if found is None:
            found = self._nearest(word)
            if found != word and self._slip(found):
                # The nearest is itself a misspelling of the examples ("smoak" is one
                # letter from "smok", which an example has): that, sounded out in turn.
                found = self._nearest(found, besides=word)
            if len(self._seen) < _KEEP:
                self._seen[word] = found
        return found

    def _known(self, word: str) -> bool:
        if word in self.counts or word in self.english:
            return True
        for suffix in SUFFIXES:
            stem = word.removesuffix(suffix)
            if (
                stem != word
                and len(stem) >= SHORTEST
                and (stem in self.counts or stem in self.english)
            ):
                return True
        return False

    def _slip(self, word: str) -> bool:
        """An example's own misspelling ("ther is smok coming from..."): no English word,
        and used once or twice."""
        return word not in self.english and self.counts[word] < OFTEN

    def _nearest(self, word: str, besides: str = "") -> str:
        reach = 2 if len(word) >= LONG else 1
        near = [
            known
            for length in range(len(word) - reach, len(word) + reach + 1)
            for known in self._by_length.get(length, ())
        ]
        matches = [
            match
            for match in process.extract(
                word, near, scorer=OSA.distance, score_cutoff=reach, limit=None
            )
            if match[0] not in (word, besides)
        ]
        if not matches:
            return word
        best = min(score for _, score, _ in matches)
        closest = [known for known, score, _ in matches if score == best]
        return max(
            closest,
            key=lambda known: (
                _shared_start(word, known),
                known in self.urgent,
                self.counts[known],
                known,
            ),
        )

    def text(self, normalised: str) -> str:
        """A normalised message with each unknown word sounded out."""
        return _WORD.sub(lambda m: self.word(m.group(0)), normalised)
