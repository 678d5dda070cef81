"""Answers general questions from ``intents/knowledge/*.toml``, or abstains.

The bot must never make up facts (TAXONOMY.md, policy 3.9.2 "honest"), so the
matcher is tuned for precision: it answers only when a question is close to one
of an entry's phrasings and clearly closer to it than to any other entry, and
says nothing otherwise so a person can step in.

Matching is TF-IDF cosine over stemmed words, word pairs and character trigrams
(for typos and text-speak). An entry's score mixes its closest phrasing with its
centroid (all its phrasings pooled), so a question that shares a few words with
several phrasings of one entry beats one that matches a single phrasing of a
neighbouring entry by luck. When that rule abstains, a softmax classifier over
sentence-encoder vectors (all-MiniLM-L6-v2, helpbot.nlu.sentence_encoder) may answer
if it agrees with the TF-IDF ranking's first entry (or, more sure, its second) and
does not read the message as a non-question.
The settings were chosen by cross-validation (before that, a leave-one-out sweep)
over the phrasings plus non-question training messages as negatives (see
intents/README.md); the held-out and challenge
paraphrases (intents/heldout/, intents/challenge*/knowledge.toml) are only for
evaluation.
"""

from __future__ import annotations

import math
import re
import threading
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
MARGIN = 0.30
# An entry's score: (1 - w) * cosine with its closest phrasing + w * cosine with the
# centroid of all its phrasings.
CENTROID_WEIGHT = 0.5
# Agreement (ninth pass): when the TF-IDF rule abstains, a softmax classifier over
# sentence-encoder vectors (trained on the phrasings, with non-question training messages as
# an abstain class) answers if its top entry is also the TF-IDF ranking's top entry,
# with P >= AGREE_PROBABILITY (over the entries, the abstain class's share taken out)
# and a TF-IDF score >= AGREE_FLOOR. Chosen by
# cross-validation over the phrasings (see intents/README.md, "Knowledge base").
AGREE_PROBABILITY = 0.35
AGREE_FLOOR = 0.10
# Tenth pass, the classifier's second reading: when its top entry is the TF-IDF ranking's
# second (neighbouring entries the words alone do not tell apart, such as who may join
# and why a request is declined), it answers with P >= SECOND_PROBABILITY.
SECOND_PROBABILITY = 0.5
# Neither reading answers a message the classifier puts mostly (its abstain class's raw
# share >= ABSTAIN_SHARE) among the non-questions: "what's the weather like in
# Bridgwater" shares a word with the office's address, but it is not a question for us.
ABSTAIN_SHARE = 0.65
# Classifier training: this many non-question messages (a fixed sample, so every load
# trains the same model), Adam for ITERATIONS full-batch steps, L2 penalty.
NEGATIVES = 800
ITERATIONS = 150
# What the classifier reads (helpbot.nlu.representation.embedder). WordLlama's static
# token embeddings until the eleventh pass; the sentence encoder answered more questions
# at the same settings and precision (intents/README.md, "Knowledge base").
EMBEDDING = "minilm"
_DIMENSIONS = {"minilm": 384, "wordllama": 256}
LEARNING_RATE = 0.1
L2 = 1e-4
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
        negatives: Sequence[str] = (),
        use_classifier: bool = True,
    ) -> None:
        self.entries = list(entries)
        # Messages that are not questions for the knowledge base: the abstain class.
        self.negatives = list(negatives)
        self.use_classifier = use_classifier
        # (weights, bias): loaded from the pipeline `helpbot train` wrote, else trained on
        # first use (None: not yet; False: the embeddings are not installed).
        self._classifier: tuple[Any, Any] | Literal[False] | None = None
        self._training = threading.Lock()
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
        """Loads every ``intents/knowledge/*.toml``, with non-question training
        messages (``intents/examples/*.txt`` but question.txt) as the abstain class."""
        intents_dir = Path(intents_dir)
        return cls(load_entries(intents_dir / "knowledge"), negatives=load_negatives(intents_dir))

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
        decided = self._recognise(text)
        if decided is None:
            return None
        entry_id, score = decided
        if not self._by_id[entry_id].in_policy:
            return None
        return KnowledgeAnswer(entry_id, self._by_id[entry_id].answer, round(score, 4))

    def recognised(self, text: str) -> str | None:
        """The entry a question is, answered by the policy or not ("what are your
        opening hours" is ``opening-hours``): for an answer the desk has from elsewhere."""
        decided = self._recognise(text)
        return decided[0] if decided is not None else None

    def _recognise(self, text: str) -> tuple[str, float] | None:
        if not words(text):
            return None
        scores = self._scores(text)
        decided = self._decide(scores)
        if decided is None and not any(closest >= EXACT for closest, _ in scores.values()):
            decided = self._agreeing(text, scores)
        return decided

    def _agreeing(
        self, text: str, scores: dict[str, tuple[float, float]]
    ) -> tuple[str, float] | None:
        """The entry the trained classifier puts first and the TF-IDF ranking first (or,
        with a surer classifier, second), for a question the TF-IDF rule abstained on:
        two different readings of the words (a learned one over sentence-encoder vectors, a
        nearest-phrasing one over TF-IDF) rarely agree by accident, so paraphrases in new
        words are answered without guessing."""
        if not self.use_classifier or not scores:
            return None
        ranked = sorted(((m, e) for e, (_, m) in scores.items()), key=lambda x: (-x[0], x[1]))
        if ranked[0][0] < AGREE_FLOOR:
            return None
        probabilities, abstain = self._probabilities(text)
        if not probabilities or abstain >= ABSTAIN_SHARE:
            return None
        best = max(probabilities, key=lambda entry_id: probabilities[entry_id])
        if best == ranked[0][1] and probabilities[best] >= AGREE_PROBABILITY:
            return best, probabilities[best]
        # The second reading: the classifier's entry is the ranking's runner-up.
        second = ranked[1][1] if len(ranked) > 1 else None
        if best == second and probabilities[best] >= SECOND_PROBABILITY:
            return best, probabilities[best]
        return None

    def prepare(self) -> None:
        """Trains the classifier now if no file gave it (``Understanding.load`` calls
        this off the event loop): at a tenant's first question it would take a minute of
        CPU. Once, however many threads ask."""
        with self._training:
            if self._classifier is None:
                self._classifier = self._train_classifier()

    def save_classifier(self, path: Path) -> bool:
        """Trains the classifier and writes it beside the intent pipeline (``helpbot
        train``), so the bot loads it instead of training at its first question. False
        if the embeddings are not installed."""
        import numpy as np

        self.prepare()
        if self._classifier is False:
            return False
        weights, bias = self._classifier
        ids = np.array([entry.id for entry in self.entries])
        with Path(path).open("wb") as file:
            np.savez(file, weights=weights, bias=bias, ids=ids, embedding=np.array(EMBEDDING))
        return True

    def load_classifier(self, path: Path) -> bool:
        """The classifier ``save_classifier`` wrote, if it was trained on these entries
        (else it is trained at first use, as without a file)."""
        import numpy as np

        if not Path(path).exists():
            return False
        with np.load(path) as saved:
            if [str(i) for i in saved["ids"]] != [entry.id for entry in self.entries]:
                return False
            if "embedding" not in saved or str(saved["embedding"]) != EMBEDDING:
                return False  # trained on another reader's vectors
            classes = len(self.entries) + 1
            if saved["weights"].shape != (_DIMENSIONS[EMBEDDING], classes):
                return False
            if saved["bias"].shape != (classes,):
                return False
            self._classifier = (saved["weights"], saved["bias"])
        return True

    def _probabilities(self, text: str) -> tuple[dict[str, float], float]:
        """P(entry | question, it is about some entry) from the classifier, and the
        abstain class's raw share; no entries if the embeddings are not installed."""
        self.prepare()
        if self._classifier is False:
            return {}, 0.0
        from helpbot.nlu.representation import embedder
        from helpbot.nlu.spelling import normalise

        weights, bias = self._classifier
        vector = embedder(EMBEDDING).embed([normalise(text)])[0]
        if not vector.any():
            return {}, 0.0
        # Renormalised over the entries: the abstain class shapes the weights in
        # training, and the TF-IDF score already keeps unrelated messages out (cross-
        # validation: more answers at the same precision than with its mass kept).
        raw = _softmax(vector[None, :] @ weights + bias)[0]
        probabilities = raw[: len(self.entries)] / raw[: len(self.entries)].sum()
        by_entry = {entry.id: float(probabilities[i]) for i, entry in enumerate(self.entries)}
        return by_entry, float(raw[len(self.entries)])

    def _train_classifier(self) -> tuple[Any, Any] | Literal[False]:
        """Softmax regression over the entries plus an abstain class (the non-question
        training messages), on sentence-encoder vectors; ``helpbot train`` saves it."""
        try:
            from helpbot.nlu.representation import embedder as reader
            from helpbot.nlu.spelling import normalise

            embedder = reader(EMBEDDING)
        except (ImportError, RuntimeError):
            return False
        import numpy as np

        texts = [q for entry in self.entries for q in entry.questions]
        if not texts:
            return False
        labels = [i for i, entry in enumerate(self.entries) for _ in entry.questions]
        texts += self.negatives
        labels += [len(self.entries)] * len(self.negatives)
        features = embedder.embed([normalise(t) for t in texts])
        return _fit_softmax(features, np.array(labels), len(self.entries) + 1)

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


def _softmax(logits: Any) -> Any:
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = __import__("numpy").exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _fit_softmax(features: Any, labels: Any, classes: int) -> tuple[Any, Any]:
    """L2-penalised softmax regression by full-batch Adam: convex, deterministic (zero
    start), and small enough (384 x 44 weights) to train in numpy."""
    import numpy as np

    targets = np.eye(classes, dtype=np.float32)[labels]
    share = np.float32(1.0 / len(labels))
    weights = np.zeros((features.shape[1], classes), np.float32)
    bias = np.zeros(classes, np.float32)
    params = (weights, bias)
    first = [np.zeros_like(p) for p in params]
    second = [np.zeros_like(p) for p in params]
    for step in range(1, ITERATIONS + 1):
        error = (_softmax(features @ weights + bias) - targets) * share
        grads = (features.T @ error + L2 * weights, error.sum(axis=0))
        for param, grad, m, v in zip(params, grads, first, second, strict=True):
            m *= 0.9
            m += 0.1 * grad
            v *= 0.999
            v += 0.001 * grad * grad
            param -= LEARNING_RATE * (m / (1 - 0.9**step)) / (np.sqrt(v / (1 - 0.999**step)) + 1e-8)
    return weights, bias


def load_negatives(intents_dir: Path, limit: int = NEGATIVES) -> list[str]:
    """A fixed sample of the non-question training messages (every intent file but
    question.txt), in the same order on every load."""
    import numpy as np

    texts = []
    for path in sorted((Path(intents_dir) / "examples").glob("*.txt")):
        if path.name == "question.txt":
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                texts.append(line)
    order = np.random.default_rng(0).permutation(len(texts))[:limit]
    return [texts[i] for i in order]


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
