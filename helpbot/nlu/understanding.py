"""The one object the desk talks to: what a message is, an answer if we have one,
and where the personal data is.

Loaded once at start-up from the trained pipeline (``helpbot train``) and the
``intents/`` folder (knowledge base); every call after that is in-process and
sub-millisecond, so the desk can classify every inbound message.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import spacy
from spacy.language import Language

from helpbot.nlu.intents import INTENTS, Classification, primary_intent
from helpbot.nlu.knowledge import KnowledgeAnswer, KnowledgeBase
from helpbot.nlu.personal_data import PersonalDatum, find_personal_data
from helpbot.nlu.training import METADATA_FILE, MODEL_DIR, SafetyCues, model_text, normalise

# Intents that need an action, not a leaflet: never answer them from the knowledge
# base, even when the words look like a question ("my boiler is broken, what's your number").
NO_ANSWER_INTENTS = frozenset(
    {"emergency", "safeguarding", "complaint", "hostile", "asb", "personal", "repair"}
)
# The only intent the knowledge base answers (the desk asks for answers only to these).
ANSWER_INTENTS = frozenset({"question"})


class Understanding:
    """Intent classification, knowledge-base answers and personal-data detection."""

    def __init__(
        self,
        nlp: Language,
        thresholds: dict[str, float],
        knowledge: KnowledgeBase,
        cues: SafetyCues,
    ) -> None:
        self.nlp = nlp
        self.thresholds = {label: float(thresholds.get(label, 0.5)) for label in INTENTS}
        self.knowledge = knowledge
        self.cues = cues
        self._textcat = nlp.pipe_names[-1]

    @classmethod
    def load(cls, pipeline_dir: Path, intents_dir: Path) -> Understanding:
        """Loads a pipeline written by ``training.train`` plus the knowledge base."""
        pipeline_dir, intents_dir = Path(pipeline_dir), Path(intents_dir)
        metadata = json.loads((pipeline_dir / METADATA_FILE).read_text())
        nlp = spacy.load(pipeline_dir / MODEL_DIR)
        return cls(
            nlp,
            metadata["thresholds"],
            KnowledgeBase.load(intents_dir),
            SafetyCues.load(intents_dir),
        )

    def _classification(self, text: str, cats: dict[str, float]) -> Classification:
        scores = {label: float(cats.get(label, 0.0)) for label in INTENTS}
        scores = self.cues.apply(normalise(text), scores)
        return Classification(primary_intent(scores, self.thresholds), scores)

    def classify(self, text: str) -> Classification:
        """The primary intent and the score of every label.

        Empty or whitespace-only messages are smalltalk (a stray tap of send),
        scored without running the model.
        """
        if not text or not text.strip():
            return _empty()
        doc = self.nlp(model_text(text))
        return self._classification(text, doc.cats)

    def classify_many(self, texts: Iterable[str]) -> list[Classification]:
        """Like ``classify`` for a batch, using ``nlp.pipe`` for throughput."""
        texts = list(texts)
        present = [i for i, text in enumerate(texts) if text and text.strip()]
        results: list[Classification] = [_empty() for _ in texts]
        docs = self.nlp.pipe(model_text(texts[i]) for i in present)
        for index, doc in zip(present, docs, strict=True):
            results[index] = self._classification(texts[index], doc.cats)
        return results

    def answer(self, text: str) -> KnowledgeAnswer | None:
        """A knowledge-base answer, or None to abstain.

        Only general questions are answered, as the desk does: messages that need
        action (repairs, complaints, personal matters...) never get a leaflet instead
        of help, and greetings or requests for a person are handled by the desk.
        """
        if not text or not text.strip():
            return None
        if self.classify(text).intent not in ANSWER_INTENTS:
            return None
        return self.knowledge.match(text)

    def find_personal_data(self, text: str) -> list[PersonalDatum]:
        """Personal data with character offsets (see ``personal_data``)."""
        return find_personal_data(text)


def _empty() -> Classification:
    scores = {label: 0.0 for label in INTENTS}
    scores["smalltalk"] = 1.0
    return Classification("smalltalk", scores)
