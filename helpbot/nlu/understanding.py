"""The one object the desk talks to: what a message is, an answer if we have one,
and where the personal data is.

Loaded once at start-up from the trained pipeline (``helpbot train``) and the
``intents/`` folder (knowledge base); every call after that is in-process and
about a millisecond, so the desk can classify every inbound message.

How a message is read (intents/README.md has the figures):

1. No words at all (only punctuation, digits or template placeholders such as
   ``{0} {name!r}``) is ``unclear`` without running the model.
2. The spaCy pipeline (bag of words + a sentence encoder's reading, calibrated) scores the
   message. A long one is read in windows of a few sentences instead (its reading
   is the windows' average), so an urgent sentence in the middle or at the end of a
   ramble is not drowned by the rest: for emergency and safeguarding the best
   window counts. The number of windows is capped, so the time per message is
   bounded whatever its length, and every character is read.
3. Safety cues (intents/safety_cues.toml) raise emergency/safeguarding to the
   cue's measured precision; so do the danger phrases of other languages
   (intents/other_languages.toml) in a message not plainly English.
   A message plainly in another language keeps the model's reading only if it is
   urgent (it learnt English only): otherwise it is unclear, or urgent on one of
   those phrases, and names its language (nlu/other_languages.py). The cues also read
   a short message with its unknown words sounded out (nlu/sounding_out.py).
4. ``intents.primary_intent`` decides on those calibrated scores with the trained
   thresholds; ``why`` says what decided it; ``risk`` lists signs of danger that did
   not decide it, for the desk's safety net.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language

from helpbot.nlu.health_and_money import find_disclosures
from helpbot.nlu.intents import (
    INTENTS,
    LABELS,
    SAFETY_LABELS,
    UNCLEAR,
    UNSURE_BELOW,
    URGENT,
    Classification,
    primary_intent,
    urgent_score,
)
from helpbot.nlu.knowledge import KnowledgeAnswer, KnowledgeBase
from helpbot.nlu.other_languages import OtherLanguages
from helpbot.nlu.other_languages import Reading as LanguageReading
from helpbot.nlu.personal_data import PersonalDatum, find_personal_data
from helpbot.nlu.sounding_out import SoundingOut, dictionary
from helpbot.nlu.training import (
    KNOWLEDGE_CLASSIFIER,
    METADATA_FILE,
    MODEL_DIR,
    OFF,
    SafetyCues,
    lift_to,
    load_split,
    model_text,
    normalise,
)

# Intents that need an action, not a leaflet: never answer them from the knowledge
# base, even when the words look like a question ("my boiler is broken, what's your number").
NO_ANSWER_INTENTS = frozenset(
    {"emergency", "safeguarding", "complaint", "hostile", "asb", "personal", "repair"}
)
# The intents the knowledge base may answer. An unclear message may still be a
# question in words the model does not know ("are you on insta or just fb?"); the
# knowledge base abstains unless one entry clearly matches.
ANSWER_INTENTS = frozenset({"question", UNCLEAR})

# Messages longer than this are also read in windows of about this many characters.
WINDOW_CHARS = 400
# At most this many windows per message (they grow for longer messages), so the
# time per message stays bounded.
MAX_WINDOWS = 32
_NON_LATIN = 0x0370  # Greek and every script after it in Unicode (see _weight)
# Default safety-net threshold on P(urgent) = P(emergency) + P(safeguarding); training
# sets the real one so that >= 98 % of urgent examples (out of fold) are caught.
RISK_THRESHOLD = 0.2
# The model's urgency at which its sign of risk in a message in another language is
# kept: its faint readings of text it cannot read gave 56 of 137 everyday messages of
# the blind set (tests/data/other_languages.jsonl) a safety line.
FOREIGN_URGENCY = 0.5
# Readings kept (a worker's batch is at most 32 messages).
MEMORY = 256

_PLACEHOLDER = re.compile(
    r"\{\{[^{}]*\}\}|\{[^{}]*\}|\$\{[^{}]*\}|%\([a-z_]*\)[sdrf]|%[sdrf]|<[a-z_]+>|\[[a-z_]+\]",
    re.IGNORECASE,
)
# Two letters in a row, with any vowel signs between them: in Bengali, Hindi or Tamil a
# word's letters are split by marks that are not letters ("মিটার"), and a Bengali
# question about a gas meter was read as having no words at all.
_LETTERS = re.compile(r"[^\W\d_][\u0300-\u036f\u0900-\u0dff\u0e00-\u0eff\u1000-\u109f]*[^\W\d_]")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_EMOJI = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")
# A message of nothing but greetings and acknowledgements says nothing about risk: the
# model's faint reading of "hi" (P(urgent) 0.06 against a net threshold of 0.05) or
# "hey" (0.17) is noise, and gave a tenant saying hello the Samaritans line and a
# colleague a Safety check. "Bye" is left out: alone, after despair, it may not be.
_COURTESY_ONLY = re.compile(
    r"^\W*((hi|hii+|hey|heya|hiya|hello|helo|hallo|morning|evening|afternoon|good (morning"
    r"|afternoon|evening)|ok|okay|okey|k|kk|yes|yeah|yep|yup|no|nope|nah|thanks|thank you"
    r"|thank u|thx|ty|ta|cheers|sure|right|alright|cool|great|fine|lovely|there|all|again"
    r"|everyone|team|shal)\b\W*)+$",
    re.IGNORECASE,
)


def has_words(text: str) -> bool:
    """False for punctuation, digits, template placeholders and the like; emoji count
    as words (a thumbs-up is a message)."""
    stripped = _PLACEHOLDER.sub(" ", text)
    return bool(_LETTERS.search(stripped) or _EMOJI.search(stripped))


def _readable(text: str) -> str:
    """A lone surrogate (undecodable bytes read from a file or a pipe) as "?": spaCy's
    tokenizer cannot hash one and raised on the whole message."""
    return text.encode("utf-8", "replace").decode("utf-8")


def _weight(text: str) -> int:
    """A window's size: its characters, a letter of a script other than Latin counted
    twice. The encoder reads at most 256 word pieces, and Arabic or Urdu runs at about
    0.8 of them per character (English about 0.25): a 400-character Arabic window lost
    its last sentences to the encoder, "I smell gas" included (found by an outside
    review)."""
    return len(text) if text.isascii() else sum(map(_letter_weight, text))


def _letter_weight(ch: str) -> int:
    return 2 if ord(ch) >= _NON_LATIN and ch.isalpha() else 1


def _reach(text: str, size: int) -> int:
    """How many of ``text``'s characters fit in a window of ``size``."""
    if text.isascii():
        return min(len(text), size)
    total = 0
    for index, ch in enumerate(text):
        total += _letter_weight(ch)
        if total > size:
            return index
    return len(text)


def windows(text: str) -> list[str]:
    """A long message cut into windows of whole sentences (about WINDOW_CHARS each, by
    ``_weight``, at most MAX_WINDOWS of them); a short one is its own single window."""
    weight = _weight(text)
    if weight <= WINDOW_CHARS:
        return [text]
    size = max(WINDOW_CHARS, -(-weight // MAX_WINDOWS))
    pieces: list[tuple[str, int]] = []  # each with its weight, worked out once
    for sentence in _SENTENCE_END.split(text):
        sentence = sentence.strip()
        left = _weight(sentence)
        while left > size:
            fits = _reach(sentence, size)
            cut = sentence.rfind(" ", 0, fits)
            cut = cut if cut > fits // 2 else fits
            pieces.append((sentence[:cut], _weight(sentence[:cut])))
            sentence = sentence[cut:].strip()
            left = _weight(sentence)
        if sentence:
            pieces.append((sentence, left))
    out: list[str] = []
    last = 0  # the weight of out[-1]
    for piece, piece_weight in pieces:
        if out and last + 1 + piece_weight <= size:
            out[-1] = f"{out[-1]} {piece}"
            last += 1 + piece_weight
        else:
            out.append(piece)
            last = piece_weight
    if len(out) > MAX_WINDOWS:  # greedy packing can overshoot a little: merge evenly
        step = -(-len(out) // MAX_WINDOWS)
        out = [" ".join(out[i : i + step]) for i in range(0, len(out), step)]
    return out or [text]


@dataclass(frozen=True, slots=True)
class _Reading:
    whole: Mapping[str, float]
    parts: list[tuple[str, Mapping[str, float]]]
    urgent: float = 0.0  # the urgent detector on the whole message (windows' average)
    urgent_parts: tuple[float, ...] = ()  # and on each window


class Understanding:
    """Intent classification, knowledge-base answers and personal-data detection."""

    def __init__(
        self,
        nlp: Language,
        thresholds: Mapping[str, float],
        knowledge: KnowledgeBase,
        cues: SafetyCues,
        risk_threshold: float = RISK_THRESHOLD,
        languages: OtherLanguages | None = None,
        sounding: SoundingOut | None = None,
    ) -> None:
        self.nlp = nlp
        self.languages = languages
        self.sounding = sounding
        self.thresholds = {label: float(thresholds.get(label, 0.5)) for label in LABELS}
        # A pipeline trained before the urgent detector existed has no threshold for it.
        self.thresholds[URGENT] = float(thresholds.get(URGENT, OFF))
        self.knowledge = knowledge
        self.cues = cues
        self.risk_threshold = float(risk_threshold)
        # Readings of the latest messages: the desk classifies a message and then asks
        # for a knowledge-base answer to the same text, and the post room reads a batch
        # ahead in one pass (``read_ahead``); neither reads a message twice.
        self._read: OrderedDict[str, Classification] = OrderedDict()

    @classmethod
    def load(cls, pipeline_dir: Path, intents_dir: Path) -> Understanding:
        """Loads a pipeline written by ``training.train`` plus the knowledge base."""
        import helpbot.nlu.representation  # noqa: F401  (registers helpbot_intent_head)

        pipeline_dir, intents_dir = Path(pipeline_dir), Path(intents_dir)
        metadata = json.loads((pipeline_dir / METADATA_FILE).read_text())
        examples = load_split(intents_dir, "examples")  # the words tenants use
        nlp = spacy.load(pipeline_dir / MODEL_DIR)
        cues = SafetyCues.load(intents_dir).with_scores(metadata.get("cue_scores", {}))
        knowledge = KnowledgeBase.load(intents_dir)
        if not knowledge.load_classifier(pipeline_dir / KNOWLEDGE_CLASSIFIER):
            knowledge.prepare()
        return cls(
            nlp,
            metadata["thresholds"],
            knowledge,
            cues,
            float(metadata.get("risk_threshold", RISK_THRESHOLD)),
            OtherLanguages.load(intents_dir, [m.text for m in examples]),
            SoundingOut.of(
                [normalise(m.text) for m in examples],
                dictionary(),
                [normalise(m.text) for m in examples if m.intent in SAFETY_LABELS],
            ),
        )

    # -- classification -------------------------------------------------------

    def classify(self, text: str) -> Classification:
        """The primary intent, the calibrated score of every label, why, and risks.

        Empty or whitespace-only messages are smalltalk (a stray tap of send);
        messages with no words are unclear; neither runs the model.
        """
        read = self._read.get(text)
        if read is None:
            read = self.classify_many([text])[0]
            self._remember(text, read)
        return read

    def read_ahead(self, texts: Sequence[str]) -> None:
        """Classify a batch of messages in one pass of the pipeline (less than half the
        work per message of one pass each), so ``classify`` then finds them read."""
        unread = list(dict.fromkeys(t for t in texts if t not in self._read))
        for text, read in zip(unread, self.classify_many(unread), strict=True):
            self._remember(text, read)

    def _remember(self, text: str, read: Classification) -> None:
        self._read[text] = read
        self._read.move_to_end(text)
        while len(self._read) > MEMORY:
            self._read.popitem(last=False)

    def classify_many(self, texts: Iterable[str]) -> list[Classification]:
        """Like ``classify`` for a batch, using ``nlp.pipe`` for throughput."""
        texts = list(texts)
        results: list[Classification | None] = [None] * len(texts)
        units: list[str] = []
        plan: list[tuple[int, list[str]]] = []
        languages: dict[int, LanguageReading] = {}
        for index, text in enumerate(texts):
            if not text or not text.strip():
                results[index] = _empty()
            elif not has_words(text):
                results[index] = _no_words()
            else:
                if (language := self._language(text)) is not None:
                    languages[index] = language
                parts = windows(text)
                plan.append((index, parts))
                units.extend(parts)
        docs = iter(self.nlp.pipe(model_text(_readable(unit)) for unit in units))
        for index, parts in plan:
            read: list[tuple[str, Mapping[str, float]]] = []
            urgent: list[float] = []
            for part in parts:
                doc = next(docs)
                read.append((part, doc.cats))
                urgent.append(float(doc.user_data.get(URGENT, 0.0)))
            language = languages.get(index)
            if len(read) == 1:
                reading = _Reading(read[0][1], [], urgent[0], ())
                results[index] = self._read_in(texts[index], reading, language)
            else:
                # A long message is out of the model's depth as one piece (it learnt
                # from short ones): its reading is the average of its windows', and an
                # urgent window can still decide (see _decide).
                whole = {
                    label: sum(float(cats.get(label, 0.0)) for _, cats in read) / len(read)
                    for label in LABELS
                }
                reading = _Reading(whole, read, sum(urgent) / len(urgent), tuple(urgent))
                results[index] = self._read_in(texts[index], reading, language)
        return [r if r is not None else _empty() for r in results]

    def _language(self, text: str) -> LanguageReading | None:
        if self.languages is None:
            return None
        return self.languages.read(_readable(text))

    def _read_in(
        self, text: str, reading: _Reading, language: LanguageReading | None
    ) -> Classification:
        english = self._decide(text, reading, language)
        if language is None or language.language is None:
            return english
        return self._foreign(text, language, english)

    def _foreign(
        self, text: str, reading: LanguageReading, english: Classification
    ) -> Classification:
        """A message plainly in another language: unclear, or urgent on a phrase that
        says the danger outright, in its language or in English. The model's intent is
        not believed (it learnt English only, and read an Arabic gas smell as hostile),
        except an urgent reading, and its signs of risk are kept: when in doubt, the
        safe answer costs little, and English taken for another language ("he locked me
        in", then a name in Arabic letters) keeps its urgency."""
        language = reading.language
        assert language is not None
        scores = {label: 0.0 for label in LABELS}
        said = normalise(text)
        found = dict(reading.cues)
        for label, words in self.cues.matching(said).items():
            found.setdefault(label, words)
        written = f"written in {language.name}"
        if language.probability:
            written += f" ({language.code} {language.probability:.2f})"
        decided = [label for label in SAFETY_LABELS if label in found]
        if decided:
            for label in decided:
                scores[label] = self.cues.scores.get(label, self.cues.score)
            intent = decided[0]  # emergency first (TAXONOMY.md priority)
            why = f'cue "{found[intent]}" ({intent} {scores[intent]:.2f}); {written}'
        elif english.intent in SAFETY_LABELS:
            intent = english.intent
            scores[intent] = float(english.scores.get(intent, 0.0))
            why = f"{english.why}; {written}"
        else:
            intent = UNCLEAR
            scores[UNCLEAR] = 1.0
            why = f"{written}: the model reads English only"
        signs = set(reading.risks) | set(found) | set(self.cues.risks(said))
        if english.intent in SAFETY_LABELS:
            signs.add(english.intent)
        if "model" in english.risk_source and english.urgent >= FOREIGN_URGENCY:
            signs.update(english.risk)
        risk = tuple(label for label in SAFETY_LABELS if label in signs and label != intent)
        return Classification(
            intent,
            scores,
            why,
            risk,
            "cue" if risk else "",
            english.urgent,
            language.code,
            language.name,
        )

    def _decide(
        self, text: str, reading: _Reading, language: LanguageReading | None = None
    ) -> Classification:
        scores = {label: float(reading.whole.get(label, 0.0)) for label in LABELS}
        reasons: dict[str, str] = {}
        # A window the model reads as urgent lifts its label first, then the cues: a cue
        # is the stronger evidence, and lifting after it would scale its label back down
        # (a break-in cue in one window, a frightened sentence read as safeguarding in
        # another, came out safeguarding).
        for number, (_, cats) in enumerate(reading.parts, start=1):
            for label in SAFETY_LABELS:
                value = float(cats.get(label, 0.0))
                if value > scores[label] and value >= self.thresholds[label]:
                    lift_to(scores, label, value)
                    reasons.setdefault(
                        label,
                        f"model: {label} {value:.2f} in sentence window {number} of "
                        f"{len(reading.parts)}",
                    )
        units, wheres = [text], [""]
        if reading.parts:
            count = len(reading.parts)
            # The whole message too: a hazard told across two windows (no heating in one,
            # a premature baby in the other) is still one hazard.
            units = [*(part for part, _ in reading.parts), text]
            wheres = [f" in sentence window {n} of {count}" for n in range(1, count + 1)]
            wheres.append(" across the whole message")
        for unit, where in zip(units, wheres, strict=True):
            for label, words in self.cues.matching(normalise(unit)).items():
                if label not in reasons or scores[label] < self.cues.scores.get(label, 0.9):
                    lift_to(scores, label, self.cues.scores.get(label, self.cues.score))
                    reasons[label] = f'cue "{words}"{where}'
        # Danger spelt as it sounds ("i wan 2 kil myslf"): the cues read the message with
        # its unknown words sounded out as well (nlu/sounding_out.py).
        respelt = self._respelt(text)
        if respelt is not None:
            for label, words in self.cues.matching(respelt).items():
                if label not in reasons:
                    lift_to(scores, label, self.cues.scores.get(label, self.cues.score))
                    reasons[label] = f'cue "{words}" (spelt as it sounds)'
        # Danger said in another language in a message that is partly English or not
        # plainly anything ("Mi casa huele a gas muy fuerte, my english is little").
        for label, words in (language.cues if language is not None else {}).items():
            if label not in reasons or scores[label] < self.cues.scores.get(label, 0.9):
                lift_to(scores, label, self.cues.scores.get(label, self.cues.score))
                reasons[label] = f'cue "{words}" (another language)'
        urgent = reading.urgent
        for number, value in enumerate(reading.urgent_parts, start=1):
            if value > urgent and value >= self.thresholds[URGENT]:
                urgent = value
                reasons.setdefault(
                    URGENT, f" in sentence window {number} of {len(reading.urgent_parts)}"
                )
        intent = primary_intent(scores, self.thresholds, urgent)
        if (
            intent in SAFETY_LABELS
            and intent not in reasons
            and scores[intent] < self.thresholds[intent]
        ):
            # Neither urgent label passed its own threshold: the urgent detector decided.
            reasons[intent] = (
                f"model: urgent detector {urgent:.2f} >= threshold"
                f" {self.thresholds[URGENT]:.2f}{reasons.get(URGENT, '')}, the likelier"
                f" of the two"
            )
        # The safety net reads P(emergency) + P(safeguarding), in the whole message or its
        # most urgent window (training.cross_validate says why not the urgent detector).
        peak = max([urgent_score(scores), *(urgent_score(c) for _, c in reading.parts)])
        risk, source = self._risk(text, intent, scores, peak, respelt)
        why = self._why(intent, scores, reasons)
        sure = intent in reasons or scores.get(intent, 0.0) >= self.thresholds.get(intent, 0.5)
        return Classification(intent, scores, why, risk, source, round(urgent, 4), sure=sure)

    def _why(self, intent: str, scores: Mapping[str, float], reasons: Mapping[str, str]) -> str:
        score = scores.get(intent, 0.0)
        if intent in reasons:
            return f"{reasons[intent]} ({intent} {score:.2f})"
        threshold = self.thresholds.get(intent, 0.5)
        if intent == UNCLEAR:
            best = max(INTENTS, key=lambda label: scores.get(label, 0.0))
            if score >= self.thresholds[UNCLEAR] and score >= scores[best]:
                return f"model: unclear {score:.2f} (best intent {best} {scores[best]:.2f})"
            return (
                f"no intent scored high enough: best {best} {scores[best]:.2f}"
                f" (needs {self.thresholds[best]:.2f}, or {UNSURE_BELOW:.2f} as a fallback)"
            )
        if score >= threshold:
            return f"model: {intent} {score:.2f} >= threshold {threshold:.2f}"
        return f"model: best guess {intent} {score:.2f} (below threshold {threshold:.2f})"

    def _risk(
        self,
        text: str,
        intent: str,
        scores: Mapping[str, float],
        urgency: float,
        respelt: str | None,
    ) -> tuple[tuple[str, ...], str]:
        """Safety labels with a sign of risk that did not become the intent: a risk cue,
        or the model's urgency (P(emergency) + P(safeguarding),
        in the whole message or its most urgent window) at least the safety net's
        threshold. For an urgent intent, only the other urgent label counts (a break-in
        read as safeguarding still gets the emergency line): a cue for it, or its own
        probability at least the safety net's threshold."""
        if intent in SAFETY_LABELS:
            other = next(label for label in SAFETY_LABELS if label != intent)
            sources = []
            if other in self.cues.risks(normalise(text)):
                sources.append("cue")
            if float(scores.get(other, 0.0)) >= self.risk_threshold:
                sources.insert(0, "model")
            return ((other,), "+".join(sources)) if sources else ((), "")
        signs = set(self.cues.risks(normalise(text)))
        if respelt is not None:
            signs.update(self.cues.risks(respelt))
        sources = ["cue"] if signs else []
        if urgency >= self.risk_threshold and not _COURTESY_ONLY.match(text.strip()):
            signs.add(max(SAFETY_LABELS, key=lambda label: scores.get(label, 0.0)))
            sources.insert(0, "model")
        labels = tuple(label for label in SAFETY_LABELS if label in signs)
        return labels, "+".join(sources) if labels else ""

    def _respelt(self, text: str) -> str | None:
        """The normalised message with its unknown words sounded out, if that changes it
        (a short message only: a long one is mostly words the examples use)."""
        if self.sounding is None or len(text) > WINDOW_CHARS:
            return None
        said = normalise(text)
        respelt = self.sounding.text(said)
        return respelt if respelt != said else None

    # -- answers and personal data --------------------------------------------

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

    def recognised_question(self, text: str) -> str | None:
        """Which knowledge-base entry a general question is, even one the policy does not
        answer (``KnowledgeBase.recognised``); None for anything else."""
        if not text or not text.strip():
            return None
        if self.classify(text).intent not in ANSWER_INTENTS:
            return None
        return self.knowledge.recognised(text)

    def find_personal_data(self, text: str) -> list[PersonalDatum]:
        """Personal data with character offsets (see ``personal_data``)."""
        return find_personal_data(text)

    def find_disclosures(self, text: str) -> list[PersonalDatum]:
        """Someone's health or money trouble, told (see ``health_and_money``)."""
        return find_disclosures(text)


def _empty() -> Classification:
    scores = {label: 0.0 for label in LABELS}
    scores["smalltalk"] = 1.0
    return Classification("smalltalk", scores, "empty message")


def _no_words() -> Classification:
    scores = {label: 0.0 for label in LABELS}
    scores[UNCLEAR] = 1.0
    why = "no words to read (punctuation, numbers or placeholders)"
    return Classification(UNCLEAR, scores, why)
