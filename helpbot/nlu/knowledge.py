"""Answers general questions from ``intents/knowledge/*.toml``, or abstains.

The bot must never make up facts (TAXONOMY.md, policy 3.9.2 "honest"), so the
matcher is tuned for precision: it answers only when a question is close to one
of an entry's phrasings and clearly closer to it than to any other entry, and
says nothing otherwise so a person can step in.

Matching is TF-IDF cosine over stemmed words, word pairs and character trigrams
(for typos and text-speak) against every phrasing of every entry. THRESHOLD and
MARGIN were chosen by a leave-one-out sweep over the phrasings themselves plus
non-question training messages as negatives (see intents/README.md); the
held-out paraphrases in intents/heldout/knowledge.toml are only for evaluation.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path

# An answer needs this cosine with its best phrasing...
THRESHOLD = 0.35
# ...and must beat the best phrasing of any other entry by this much.
MARGIN = 0.10

# Words that carry no meaning for telling entries apart.
STOP_WORDS = frozenset(
    """a an the i me my we our you your u ur is are am was be been do does did to of in on
    at for with and or if it its this that there can could would should will shall please
    pls plz hi hello hiya thanks what whats how who where when which why have has had get
    got so just im i'm it's any some about from by as not no yes ok""".split()
)

# Spellings and synonyms folded together so different words for one thing match.
SYNONYMS: dict[str, str] = {
    "telephone": "phone",
    "tel": "phone",
    "ring": "phone",
    "call": "phone",
    "no": "number",
    "num": "number",
    "e-mail": "email",
    "mail": "email",
    "site": "website",
    "web": "website",
    "online": "website",
    "adress": "address",
    "located": "address",
    "location": "address",
    "based": "address",
    "postcode": "address",
    "fb": "facebook",
    "complain": "complaint",
    "complaints": "complaint",
    "complaining": "complaint",
    "shut": "close",
    "closed": "close",
    "closing": "close",
    "opening": "open",
    "times": "hours",
    "time": "hours",
    "community": "group",
    "rules": "rule",
    "robot": "bot",
    "chatbot": "bot",
    "machine": "bot",
}


@dataclass(frozen=True, slots=True)
class KnowledgeEntry:
    id: str
    questions: tuple[str, ...]
    answer: str


@dataclass(frozen=True, slots=True)
class KnowledgeAnswer:
    entry_id: str
    answer: str
    score: float


def _stem(word: str) -> str:
    """A crude suffix stripper: enough to make "paying"/"pays"/"pay" one feature."""
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def words(text: str) -> list[str]:
    """Meaningful, normalised words of a question."""
    tokens = re.findall(r"[a-z0-9@.'-]+", text.lower().replace("\u2019", "'"))
    out = []
    for token in tokens:
        token = token.strip(".'-")
        token = SYNONYMS.get(token, token)
        if token and token not in STOP_WORDS:
            out.append(_stem(SYNONYMS.get(_stem(token), token)))
    return out


def features(text: str) -> Counter[str]:
    """Word, word-pair and character-trigram features.

    Words carry the meaning; pairs ("join group", "stage 2") separate entries that
    share words; character trigrams forgive typos but count for less.
    """
    ws = words(text)
    feats: Counter[str] = Counter(f"w:{w}" for w in ws)
    feats.update(f"b:{a}_{b}" for a, b in pairwise(ws))
    for w in ws:
        padded = f"<{w}>"
        feats.update(f"c:{padded[i : i + 3]}" for i in range(len(padded) - 2))
    return feats


# How much each kind of feature counts in the cosine.
FEATURE_WEIGHTS = {"w": 1.0, "b": 0.7, "c": 0.25}


class KnowledgeBase:
    """Entries plus a TF-IDF index of their phrasings."""

    def __init__(
        self,
        entries: Sequence[KnowledgeEntry],
        threshold: float = THRESHOLD,
        margin: float = MARGIN,
    ) -> None:
        self.entries = list(entries)
        self.threshold = threshold
        self.margin = margin
        self._by_id = {entry.id: entry for entry in self.entries}
        self._rows: list[tuple[str, Counter[str]]] = []
        for entry in self.entries:
            self._rows.extend((entry.id, features(q)) for q in entry.questions)
        document_frequency: Counter[str] = Counter()
        for _, feats in self._rows:
            document_frequency.update(feats.keys())
        n = len(self._rows) or 1
        self._idf = {f: math.log((1 + n) / (1 + df)) + 1.0 for f, df in document_frequency.items()}
        self._vectors = [(entry_id, self._weigh(feats)) for entry_id, feats in self._rows]

    @classmethod
    def load(cls, intents_dir: Path) -> KnowledgeBase:
        """Loads every ``intents/knowledge/*.toml``."""
        return cls(load_entries(Path(intents_dir) / "knowledge"))

    def _weigh(self, feats: Counter[str]) -> dict[str, float]:
        # Unknown features get the highest idf: rare words are what tell questions apart.
        top = max(self._idf.values(), default=1.0)
        vector = {
            f: (1 + math.log(c)) * self._idf.get(f, top) * FEATURE_WEIGHTS[f[0]]
            for f, c in feats.items()
        }
        norm = math.sqrt(sum(v * v for v in vector.values())) or 1.0
        return {f: v / norm for f, v in vector.items()}

    def ranked(self, text: str, exclude_row: int | None = None) -> list[tuple[str, float]]:
        """Entries by best cosine over their phrasings, highest first."""
        query = self._weigh(features(text))
        best: dict[str, float] = {}
        for index, (entry_id, vector) in enumerate(self._vectors):
            if index == exclude_row:
                continue
            small, large = (query, vector) if len(query) < len(vector) else (vector, query)
            score = sum(v * large.get(f, 0.0) for f, v in small.items())
            if score > best.get(entry_id, -1.0):
                best[entry_id] = score
        return sorted(best.items(), key=lambda item: (-item[1], item[0]))

    def match(self, text: str) -> KnowledgeAnswer | None:
        """The best entry if it is close enough and unambiguous, else None (abstain)."""
        if not words(text):
            return None
        ranked = self.ranked(text)
        if not ranked or ranked[0][1] < self.threshold:
            return None
        runner_up = ranked[1][1] if len(ranked) > 1 else 0.0
        if ranked[0][1] - runner_up < self.margin:
            return None
        entry_id, score = ranked[0]
        return KnowledgeAnswer(entry_id, self._by_id[entry_id].answer, round(score, 4))

    def leave_one_out(self) -> dict[str, float]:
        """Each phrasing asked with itself removed: a pessimistic check of the settings."""
        answered = correct = 0
        row = 0
        for entry in self.entries:
            for question in entry.questions:
                ranked = self.ranked(question, exclude_row=row)
                row += 1
                if not ranked or ranked[0][1] < self.threshold:
                    continue
                if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < self.margin:
                    continue
                answered += 1
                correct += ranked[0][0] == entry.id
        total = row or 1
        return {
            "precision": correct / answered if answered else 1.0,
            "coverage": correct / total,
        }


def load_entries(knowledge_dir: Path) -> list[KnowledgeEntry]:
    """Entries from every TOML file, in file-name order; ids must be unique."""
    entries: list[KnowledgeEntry] = []
    for path in sorted(Path(knowledge_dir).glob("*.toml")):
        with path.open("rb") as handle:
            data = tomllib.load(handle)
        for raw in data.get("entry", []):
            entries.append(
                KnowledgeEntry(
                    id=str(raw["id"]),
                    questions=tuple(str(q) for q in raw["questions"]),
                    answer=" ".join(str(raw["answer"]).split()),
                )
            )
    ids = [entry.id for entry in entries]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"duplicate knowledge ids: {sorted(duplicates)}")
    return entries


def load_heldout(path: Path) -> list[tuple[str, str]]:
    """(question, expected entry id or "" for abstain) pairs used only for evaluation."""
    with Path(path).open("rb") as handle:
        data = tomllib.load(handle)
    return [(str(case["question"]), str(case.get("expected", ""))) for case in data["case"]]


def score_heldout(base: KnowledgeBase, cases: Sequence[tuple[str, str]]) -> dict[str, float]:
    """Precision of given answers and coverage of answerable questions."""
    answered = correct = answerable = covered = 0
    for question, expected in cases:
        result = base.match(question)
        answerable += bool(expected)
        if result is None:
            continue
        answered += 1
        correct += result.entry_id == expected
        covered += bool(expected) and result.entry_id == expected
    return {
        "precision": correct / answered if answered else 1.0,
        "coverage": covered / answerable if answerable else 0.0,
        "answered": float(answered),
        "cases": float(len(cases)),
    }
