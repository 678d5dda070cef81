"""Answers general questions from ``intents/knowledge/*.toml``, or abstains.

The bot must never make up facts (TAXONOMY.md, policy 3.9.2 "honest"), so the
matcher is tuned for precision: it answers only when a question is close to one
of an entry's phrasings and clearly closer to it than to any other entry, and
says nothing otherwise so a person can step in.

Matching is TF-IDF cosine over stemmed words, word pairs and character trigrams
(for typos and text-speak). An entry's score mixes its closest phrasing with its
centroid (all its phrasings pooled), so a question that shares a few words with
several phrasings of one entry beats one that matches a single phrasing of a
neighbouring entry by luck. THRESHOLD, MARGIN and CENTROID_WEIGHT were chosen by
a leave-one-out sweep over the phrasings themselves plus non-question training
messages as negatives (see intents/README.md); the held-out and challenge
paraphrases (intents/heldout/, intents/challenge*/knowledge.toml) are only for
evaluation.
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
from typing import Any, Literal

# An answer needs this score (see CENTROID_WEIGHT)...
THRESHOLD = 0.30
# ...and must beat the score of any other entry by this much.
MARGIN = 0.08
# An entry's score: (1 - w) * cosine with its closest phrasing + w * cosine with the
# centroid of all its phrasings.
CENTROID_WEIGHT = 0.5
# Semantic fallback (sixth pass): when the TF-IDF score abstains, an entry's score is
# mixed with a WordLlama similarity (the embeddings the intent pipeline already ships):
# (1 - SEMANTIC_WEIGHT) * TF-IDF + SEMANTIC_WEIGHT * similarity rescaled from
# SEMANTIC_FLOOR..1 to 0..1 (static embeddings put unrelated questions at ~0.3-0.4), and
# it answers with the same threshold and a wider margin. Only a fallback: every answer
# the TF-IDF matcher gives stays as it was (see intents/README.md, sixth pass).
SEMANTIC_WEIGHT = 0.35
SEMANTIC_FLOOR = 0.4
SEMANTIC_MARGIN = 0.10
# A question that is one of an entry's own phrasings (word for word, after
# normalising) gets that entry, whatever the centroids say.
EXACT = 0.99

# Words that carry no meaning for telling entries apart.
STOP_WORDS = frozenset(
    """a an the i me my we our you your u ur is are am was be been do does did to of in on
    at for with and or if it its this that there can could would should will shall please
    pls plz hi hello hiya thanks what whats how who where when which have has had get
    got so just im i'm it's any some about from by as not no yes ok want wanted know like
    need tell let ask wondering wonder i'd i'll you're there's dear sir madam kindly really
    also mate quick question""".split()
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
    "landline": "phone",
    "webpage": "website",
    "url": "website",
    "internet": "website",
    "saturday": "weekend",
    "saturdays": "weekend",
    "sunday": "weekend",
    "sundays": "weekend",
    "weekends": "weekend",
    "procedure": "process",
    "result": "outcome",
    "results": "outcome",
    "resolution": "outcome",
    "publish": "public",
    "published": "public",
    "publicly": "public",
    "blocked": "ban",
    "block": "ban",
    "blocking": "ban",
    "banned": "ban",
    "banning": "ban",
    "kicked": "ban",
    "removed": "ban",
    "declined": "decline",
    "refused": "decline",
    "rejected": "decline",
    "denied": "decline",
    "owns": "owner",
    "owned": "owner",
    "resident": "tenant",
    "residents": "tenant",
    # The characteristics policy 6.1 names (and the needs of 6.2), folded to one word so
    # a question about any of them finds the equality entry, however it names it.
    **dict.fromkeys(
        """age ageist gender trans transgender married marriage partnership pregnant
        pregnancy maternity disability disabled blind sighted deaf wheelchair race racist
        racism colour nationality ethnic ethnicity religion religious belief muslim
        christian jewish sikh hindu sexuality sexual gay lesbian bisexual lgbt lgbtq
        foreign foreigner foreigners immigrant english language accent""".split(),
        "protected",
    ),
    "equally": "equal",
    "differently": "equal",
    "discriminated": "discriminate",
    "discrimination": "discriminate",
    # Someone other than the tenant asking to join (policy 3.6.1): one word for them.
    **dict.fromkeys(
        """she he her him sister brother cousin mum dad mother father son daughter
        relative relatives family partner boyfriend girlfriend husband wife friend
        friends mate mates lodger neighbour neighbours""".split(),
        "someoneelse",
    ),
    "arguing": "argue",
    # Disagreeing is what a row starts from (policy 3.10: colleagues don't argue).
    "disagree": "argue",
    "disagrees": "argue",
    "disagreeing": "argue",
    "bicker": "argue",
    "bickering": "argue",
    "debate": "argue",
    "debating": "argue",
    "argument": "argue",
    "arguments": "argue",
    "row": "argue",
    "rowing": "argue",
    "sarky": "rude",
    "sarcastic": "rude",
    "snotty": "rude",
    "unprofessional": "rude",
    # Policy 3.5/3.6.2: a joining question left unanswered.
    "skip": "skipped",
    "skipping": "skipped",
    "ignored": "skipped",
    # Policy 3.13: how a complaint ended.
    "resolved": "outcome",
    "sorted": "outcome",
    "settled": "outcome",
    # Policy 3.11: what users agree to is the rules.
    "agree": "rule",
    "agreeing": "rule",
    "terms": "rule",
    "revised": "review",
    "revise": "review",
    "reviewed": "review",
}


@dataclass(frozen=True, slots=True)
class KnowledgeEntry:
    """One answer and the ways a tenant might ask for it.

    ``in_policy = false`` marks a question tenants ask that the policy does not answer
    (opening hours, payment methods, complaint timescales...). Its phrasings stay in
    the index so such a question is recognised and cannot drift to a neighbouring
    entry that happens to share words ("what time does the office open" is not the
    office's address), but the knowledge base abstains on it: the desk then says it is
    not sure and offers a person, and the bot never states a fact the policy lacks.
    """

    id: str
    questions: tuple[str, ...]
    answer: str
    in_policy: bool = True


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


# Phrasal verbs folded into one word before splitting, so "turned down" is "declined".
PHRASES: dict[str, str] = {
    "turned down": "declined",
    "knocked back": "declined",
    "not accepted": "declined",
    "not approved": "declined",
    "let in": "accepted",
    "didn't answer": "skipped",
    "did not answer": "skipped",
    "didn't fill in": "skipped",
    "left blank": "skipped",
    "sorted out": "outcome",
    "dealt with": "outcome",
    "get into": "join",
    "get in to": "join",
    "be in": "join",
    "looked at again": "reviewed",
    "look at again": "reviewed",
    "gone over again": "reviewed",
    "out of order": "rude",
    "same sex": "sexuality",
    "screen reader": "disability",
    "first language": "language",
    "civil partner": "partnership",
    "in charge of": "responsible for",
    # Whether something exists at all ("is there a group for tenants?") is not who it
    # is for ("is the group just for tenants?"): stop words would make them one.
    # "online" means the website on its own, not in "an online group".
    "online group": "group",
    # Seventh pass: "the online community" is the group too, and being thrown out of it
    # is a ban, however it is said.
    "online community": "group",
    "community online": "group",
    "chucked out": "banned",
    "thrown out": "banned",
    "kicked out": "banned",
    "booted out": "banned",
    "group online": "group",
    "online groups": "group",
    "online space": "group",
    "is there a": "exist",
    "is there an": "exist",
    "is there any": "exist",
    "are there any": "exist",
    "do you have a": "exist",
    "do you have an": "exist",
    "do you have any": "exist",
    "have you got a": "exist",
    "have you got an": "exist",
    "have you got any": "exist",
}
EXISTS = "exist"
_PHRASE = re.compile(r"\b(" + "|".join(re.escape(p) for p in PHRASES) + r")\b")


def words(text: str) -> list[str]:
    """Meaningful, normalised words of a question."""
    text = _PHRASE.sub(lambda m: PHRASES[m.group(1)], text.lower().replace("\u2019", "'"))
    tokens = re.findall(r"[a-z0-9@.'-]+", text)
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
    # "exist" (is there a / do you have a) only counts beside its neighbour ("exist
    # group"): alone it would pull "is there a newsletter" to any entry phrased that way.
    feats: Counter[str] = Counter(f"w:{w}" for w in ws if w != EXISTS)
    feats.update(f"b:{a}_{b}" for a, b in pairwise(ws))
    for w in ws:
        if w == EXISTS:
            continue
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
        centroid_weight: float = CENTROID_WEIGHT,
        semantic_weight: float = SEMANTIC_WEIGHT,
    ) -> None:
        self.entries = list(entries)
        self.semantic_weight = semantic_weight
        # Phrasing embeddings, built on first use (None: not built; False: unavailable).
        self._semantic: tuple[Any, Any, Any, list[str]] | Literal[False] | None = None
        self.threshold = threshold
        self.margin = margin
        self.centroid_weight = centroid_weight
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
        # Sum of each entry's (unit) phrasing vectors; normalised when scoring, so a
        # phrasing can be left out of its own entry's centroid in leave_one_out.
        self._centroids: dict[str, Counter[str]] = {}
        for entry_id, vector in self._vectors:
            self._centroids.setdefault(entry_id, Counter()).update(vector)
        # Feature -> the phrasings that have it: a question is scored only against the
        # phrasings it shares a feature with (every weight is positive, so the rest
        # score 0), and centroid lengths are worked out once. Same scores, a fraction
        # of the work on every tenant's message.
        self._postings: dict[str, list[tuple[int, float]]] = {}
        for index, (_, vector) in enumerate(self._vectors):
            for feature, weight in vector.items():
                self._postings.setdefault(feature, []).append((index, weight))
        self._centroid_norms = {
            entry_id: math.sqrt(sum(v * v for v in centroid.values())) or 1.0
            for entry_id, centroid in self._centroids.items()
        }

        # The same for the centroids (already divided by their length): a question's
        # centroid scores come from the features it has, not from every entry's words.
        self._centroid_postings: dict[str, list[tuple[str, float]]] = {}
        for entry_id, centroid in self._centroids.items():
            norm = self._centroid_norms[entry_id]
            for feature, weight in centroid.items():
                self._centroid_postings.setdefault(feature, []).append((entry_id, weight / norm))
        self._entry_of_row = [entry_id for entry_id, _ in self._vectors]

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

    def _scores(self, text: str, exclude_row: int | None = None) -> dict[str, tuple[float, float]]:
        """For every entry: (cosine with its closest phrasing, mixed score)."""
        query = self._weigh(features(text))
        shared: dict[int, float] = {}
        for feature, weight in query.items():
            for index, row_weight in self._postings.get(feature, ()):
                shared[index] = shared.get(index, 0.0) + weight * row_weight
        if exclude_row is not None:
            return self._scores_leaving_out(query, shared, exclude_row)
        # Every entry scores at least 0 (weights are positive); only the phrasings and
        # centroids sharing a feature with the question can score more.
        best = dict.fromkeys(self._centroids, 0.0)
        entry_of_row = self._entry_of_row
        for index, score in shared.items():
            entry_id = entry_of_row[index]
            if score > best[entry_id]:
                best[entry_id] = score
        towards: dict[str, float] = {}
        for feature, weight in query.items():
            for entry_id, centroid_weight in self._centroid_postings.get(feature, ()):
                towards[entry_id] = towards.get(entry_id, 0.0) + weight * centroid_weight
        weight = self.centroid_weight
        return {
            entry_id: (closest, (1 - weight) * closest + weight * towards.get(entry_id, 0.0))
            for entry_id, closest in best.items()
        }

    def _scores_leaving_out(
        self, query: dict[str, float], shared: dict[int, float], exclude_row: int
    ) -> dict[str, tuple[float, float]]:
        """``_scores`` with one phrasing taken out of the book (``leave_one_out``)."""
        best: dict[str, float] = {}
        for index, (entry_id, _) in enumerate(self._vectors):
            if index == exclude_row:
                continue
            score = shared.get(index, 0.0)
            if score > best.get(entry_id, -1.0):
                best[entry_id] = score
        left_out = self._vectors[exclude_row]
        weight = self.centroid_weight
        scores = {}
        for entry_id, closest in best.items():
            centroid = self._centroids[entry_id]
            norm = self._centroid_norms[entry_id]
            if left_out[0] == entry_id:
                centroid = centroid.copy()
                centroid.subtract(left_out[1])
                norm = math.sqrt(sum(v * v for v in centroid.values())) or 1.0
            mixed = (1 - weight) * closest + weight * _dot(query, centroid) / norm
            scores[entry_id] = (closest, mixed)
        return scores

    def ranked(self, text: str, exclude_row: int | None = None) -> list[tuple[str, float]]:
        """Entries by score (closest phrasing mixed with centroid), highest first."""
        scores = self._scores(text, exclude_row)
        return sorted(
            ((entry_id, mixed) for entry_id, (_, mixed) in scores.items()),
            key=lambda item: (-item[1], item[0]),
        )

    def _decide(self, scores: dict[str, tuple[float, float]]) -> tuple[str, float] | None:
        exact = [entry_id for entry_id, (closest, _) in scores.items() if closest >= EXACT]
        if len(exact) == 1:
            return exact[0], scores[exact[0]][0]
        ranked = sorted(((m, e) for e, (_, m) in scores.items()), key=lambda x: (-x[0], x[1]))
        if not ranked or ranked[0][0] < self.threshold:
            return None
        runner_up = ranked[1][0] if len(ranked) > 1 else 0.0
        if ranked[0][0] - runner_up < self.margin:
            return None
        return ranked[0][1], ranked[0][0]

    def match(self, text: str) -> KnowledgeAnswer | None:
        """The best entry if it is close enough and unambiguous, else None (abstain).

        A question recognised as one the policy does not answer (an entry with
        ``in_policy = false``) is abstained on too."""
        if not words(text):
            return None
        scores = self._scores(text)
        decided = self._decide(scores)
        if decided is None and not any(closest >= EXACT for closest, _ in scores.values()):
            decided = self._semantic_decide(text, scores)
        if decided is None:
            return None
        entry_id, score = decided
        if not self._by_id[entry_id].in_policy:
            return None
        return KnowledgeAnswer(entry_id, self._by_id[entry_id].answer, round(score, 4))

    def _semantic_decide(
        self, text: str, scores: dict[str, tuple[float, float]]
    ) -> tuple[str, float] | None:
        """The TF-IDF score mixed with a WordLlama similarity, for a question the TF-IDF
        score abstained on: paraphrases that share few words with any phrasing ("what
        tone do you use" for how colleagues communicate) still find their entry."""
        if self.semantic_weight <= 0:
            return None
        similarity = self._similarity(text)
        if not similarity:
            return None
        weight = self.semantic_weight
        mixed = sorted(
            (
                (1 - weight) * tfidf
                + weight
                * max(0.0, similarity.get(entry_id, 0.0) - SEMANTIC_FLOOR)
                / (1 - SEMANTIC_FLOOR),
                entry_id,
            )
            for entry_id, (_, tfidf) in scores.items()
        )[::-1]
        if not mixed or mixed[0][0] < self.threshold:
            return None
        runner_up = mixed[1][0] if len(mixed) > 1 else 0.0
        if mixed[0][0] - runner_up < SEMANTIC_MARGIN:
            return None
        return mixed[0][1], mixed[0][0]

    def _similarity(self, text: str) -> dict[str, float]:
        """Per entry: 0.5 x cosine with its closest phrasing + 0.5 x cosine with the
        mean of its phrasings (the TF-IDF score's mix), on WordLlama embeddings of the
        normalised text. Empty if the embeddings are not installed."""
        if self._semantic is None:
            self._semantic = self._build_semantic()
        if self._semantic is False:
            return {}
        import numpy as np

        from helpbot.nlu.representation import WordLlamaEmbedder
        from helpbot.nlu.spelling import normalise

        rows, row_entry, centroids, ids = self._semantic
        vector = WordLlamaEmbedder.shared().embed([normalise(text)])[0]
        if not vector.any():
            return {}
        closest = np.full(len(ids), -1.0)
        np.maximum.at(closest, row_entry, rows @ vector)
        towards = centroids @ vector
        return {ids[i]: 0.5 * float(closest[i]) + 0.5 * float(towards[i]) for i in range(len(ids))}

    def _build_semantic(self) -> tuple[Any, Any, Any, list[str]] | Literal[False]:
        try:
            import numpy as np

            from helpbot.nlu.representation import WordLlamaEmbedder
            from helpbot.nlu.spelling import normalise

            embedder = WordLlamaEmbedder.shared()
        except (ImportError, RuntimeError):
            return False
        ids = [entry.id for entry in self.entries]
        pairs = [(i, q) for i, entry in enumerate(self.entries) for q in entry.questions]
        if not pairs:
            return False
        rows = embedder.embed([normalise(q) for _, q in pairs])
        row_entry = np.array([i for i, _ in pairs])
        centroids = np.stack([rows[row_entry == i].mean(axis=0) for i in range(len(ids))])
        norms = np.linalg.norm(centroids, axis=1, keepdims=True)
        centroids = centroids / np.where(norms > 0, norms, 1.0)
        return rows, row_entry, centroids, ids

    def leave_one_out(self) -> dict[str, float]:
        """Each phrasing asked with itself removed: a pessimistic check of the settings."""
        answered = correct = 0
        row = 0
        for entry in self.entries:
            for question in entry.questions:
                decided = self._decide(self._scores(question, exclude_row=row))
                row += 1
                if decided is None:
                    continue
                answered += 1
                correct += decided[0] == entry.id
        total = row or 1
        return {
            "precision": correct / answered if answered else 1.0,
            "coverage": correct / total,
        }


def _dot(a: dict[str, float] | Counter[str], b: dict[str, float] | Counter[str]) -> float:
    small, large = (a, b) if len(a) < len(b) else (b, a)
    return sum(v * large.get(f, 0.0) for f, v in small.items())


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
                    in_policy=bool(raw.get("in_policy", True)),
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


def outside_policy(base: KnowledgeBase, expected: str) -> str:
    """The expected answer as the knowledge base can give it: an entry the policy does
    not answer (``in_policy = false``) is expected to be abstained on ("")."""
    entry = base._by_id.get(expected)
    return "" if entry is not None and not entry.in_policy else expected


def score_heldout(base: KnowledgeBase, cases: Sequence[tuple[str, str]]) -> dict[str, float]:
    """Precision of given answers and coverage of answerable questions."""
    answered = correct = answerable = covered = 0
    for question, expected in cases:
        expected = outside_policy(base, expected)
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
