"""Danger told in another language in words of one's own, read as two ideas side by side.

The phrase lists (intents/other_languages.toml) catch danger said the usual way ("czuję
gaz"); people say it every other way too, and a blind set written by someone else found
the phrases caught 16 of 87 urgent messages. The English safety cues work on ideas near
each other ("no heating ... 84-year-old mother", "water ... socket"); this does the
same in other languages. ``intents/other_language_concepts.toml`` holds, per language,
a short list of words for each idea (gas, smell, socket, ceiling, came down, alone...)
and, once for all languages, the rules: which ideas found within ``window`` characters
of each other make a message urgent, and which alone only earn the safety line.

Words match as the phrase lists' do (other_languages.Phrases): whole words from a
word's start, "*" to run on, accents off. An idea right after a word of ``negation``
("no smell of gas", "nie ma dymu") does not count.
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from helpbot.nlu.intents import SAFETY_LABELS

if TYPE_CHECKING:
    from helpbot.nlu.other_languages import Phrases

CONCEPTS_FILE = "other_language_concepts.toml"
NEGATION = "negation"
LONGEST_WORD = 20  # a "word" longer than this is a run of Chinese characters
CHINESE_NEGATION = 2  # 没有, 不是: the two characters before an idea
WINDOW = 160  # characters between the two ideas of a rule, as the English cues' gaps


@dataclass(frozen=True, slots=True)
class Rule:
    ideas: tuple[str, ...]  # one idea, or two found within the window
    window: int | None = None  # this rule's own, where the general one is too loose

    @property
    def name(self) -> str:
        return " + ".join(self.ideas)

    @classmethod
    def of(cls, given: list[Any]) -> Rule:
        """``["gas", "smell", 24]``: the ideas, and a window of its own if a number ends it."""
        if given and isinstance(given[-1], int):
            return cls(tuple(str(i) for i in given[:-1]), given[-1])
        return cls(tuple(str(i) for i in given))


@dataclass(frozen=True, slots=True)
class Held:
    """A rule that holds: the words that made it, and where."""

    words: str
    at: int


@dataclass(frozen=True, slots=True)
class Words:
    """One language's words for the ideas (or all languages' longer words, pooled)."""

    ideas: Mapping[str, Phrases]
    negation: Phrases | None


@dataclass(frozen=True, slots=True)
class DangerConcepts:
    """Each language's words for the ideas, and the rules over them."""

    languages: Mapping[str, Words]  # code -> its words
    pooled: Words  # every language's words but the short ones, and no negation
    rules: Mapping[str, tuple[Rule, ...]]  # label or label_risk -> rules
    window: int = WINDOW
    # Ideas that, near an emergency's, make it a safety line only: the gas bill, the CO
    # alarm's test button, the lift that was stuck last week (an outside attack).
    unless: tuple[str, ...] = ()
    # ...unless one of these is near too: a headache or sickness beside the CO alarm
    # whose battery was changed means it is happening now.
    even_so: tuple[str, ...] = ()

    @classmethod
    def load(
        cls, intents_dir: Path, phrases: Callable[[list[str]], Phrases]
    ) -> DangerConcepts | None:
        """The words and rules in ``intents_dir``; ``phrases`` files a list of words for
        lookup (other_languages.Phrases.of, as the phrase lists are)."""
        path = Path(intents_dir) / CONCEPTS_FILE
        if not path.exists():
            return None
        with path.open("rb") as handle:
            data: dict[str, Any] = tomllib.load(handle)
        given = data.get("rules", {})
        rules = {
            label: tuple(Rule.of(ideas) for ideas in given[label])
            for label in SAFETY_LABELS + tuple(f"{label}_risk" for label in SAFETY_LABELS)
            if label in given
        }
        unless = tuple(str(i) for i in given.get("emergency_unless", []))
        even_so = tuple(str(i) for i in given.get("emergency_even_so", []))
        by_language: dict[str, dict[str, list[str]]] = {
            code: {idea: [str(e) for e in entries] for idea, entries in lists.items()}
            for code, lists in data.get("concepts", {}).items()
        }
        known = {idea for lists in by_language.values() for idea in lists}
        for label, label_rules in rules.items():
            for rule in label_rules:
                unknown = [i for i in rule.ideas if i not in known or i == NEGATION]
                if unknown or not 1 <= len(rule.ideas) <= 2:
                    raise ValueError(f"{CONCEPTS_FILE}: rule {rule.name} ({label}) is not usable")
        if not set(unless + even_so) <= known:
            raise ValueError(f"{CONCEPTS_FILE}: emergency_unless or _even_so names no idea")

        def words(lists: Mapping[str, list[str]]) -> Words:
            negation = lists.get(NEGATION, [])
            ideas = {i: phrases(e) for i, e in lists.items() if i != NEGATION}
            return Words(ideas, phrases(negation) if negation else None)

        pooled: dict[str, list[str]] = {}
        for lists in by_language.values():
            for idea, entries in lists.items():
                if idea != NEGATION:
                    pooled.setdefault(idea, []).extend(e for e in entries if _long(e))
        return cls(
            {code: words(lists) for code, lists in by_language.items()},
            words(pooled),
            rules,
            int(given.get("window", WINDOW)),
            unless,
            even_so,
        )

    def found(self, said: str, languages: Sequence[str] = ()) -> dict[str, str]:
        """Each label (``emergency``, ``safeguarding_risk``...) whose rule holds in the
        normalised message, with the words that made it hold. ``languages``: the codes
        the identifier thinks likeliest; their words are read, or, for none of them,
        every language's longer words ("bu", this in Turkish, is smell in Urdu typed in
        Latin letters; "ma", has in Polish, is Somali's "not")."""
        out: dict[str, str] = {}
        for words in self._chosen(languages):
            for label, found in self._found(said, words).items():
                out.setdefault(label, found)
        return out

    def routine_or_past(self, said: str, at: int, languages: Sequence[str] = ()) -> bool:
        """A word of ``emergency_unless`` within the window of ``at``, and none of
        ``emergency_even_so``, in the words of ``languages`` (as ``found``)."""
        places: dict[str, list[tuple[int, str]]] = {}
        for words in self._chosen(languages):
            for idea, found in _places(said, words, self.unless + self.even_so).items():
                places.setdefault(idea, []).extend(found)
        return self._cancelled(Held("", at), places)

    def _chosen(self, languages: Sequence[str]) -> list[Words]:
        chosen = [self.languages[code] for code in languages if code in self.languages]
        return chosen or [self.pooled]

    def _found(self, said: str, words: Words) -> dict[str, str]:
        wanted = {i for rules in self.rules.values() for r in rules for i in r.ideas}
        places = _places(said, words, (*wanted, *self.unless, *self.even_so))
        out: dict[str, str] = {}
        for label, rules in self.rules.items():
            for rule in rules:
                held = self._holds(rule, places)
                if held is None:
                    continue
                if label == "emergency" and self._cancelled(held, places):
                    out.setdefault("emergency_risk", held.words)
                    continue
                out[label] = held.words
                break
        return out

    def _holds(self, rule: Rule, places: Mapping[str, list[tuple[int, str]]]) -> Held | None:
        first = places.get(rule.ideas[0], [])
        if len(rule.ideas) == 1:
            return Held(first[0][1], first[0][0]) if first else None
        window = rule.window if rule.window is not None else self.window
        for at, words in first:
            for other_at, other in places.get(rule.ideas[1], []):
                if abs(at - other_at) <= window:
                    # One word may hold both ideas: German "Gasgeruch" is gas and smell.
                    if (at, words) == (other_at, other):
                        return Held(words, at)
                    if at <= other_at:
                        return Held(f"{words} … {other}", at)
                    return Held(f"{other} … {words}", other_at)
        return None

    def _cancelled(self, held: Held, places: Mapping[str, list[tuple[int, str]]]) -> bool:
        """A word of routine or of a danger past near the emergency's words, and no word
        that says it is happening even so."""

        def near(ideas: tuple[str, ...]) -> bool:
            return any(abs(at - held.at) <= self.window for i in ideas for at, _ in places[i])

        return near(self.unless) and not near(self.even_so)


def _places(said: str, words: Words, ideas: Iterable[str]) -> dict[str, list[tuple[int, str]]]:
    """Where each idea's words are in the message, and which words; denied ones left out."""
    places: dict[str, list[tuple[int, str]]] = {}
    for idea in ideas:
        phrases = words.ideas.get(idea)
        every = phrases.every(said) if phrases is not None else ()
        places[idea] = [(at, w) for at, w in every if not _denied(words, said, at)]
    return places


def _long(entry: str) -> bool:
    """Long enough to mean the same in any language: four letters or more in Latin or
    Cyrillic letters; two in other scripts."""
    core = entry.rstrip("*").strip()
    latin_or_cyrillic = all(ord(c) < 0x0530 for c in core)
    return len(core) >= (4 if latin_or_cyrillic else 2)


def _denied(words: Words, said: str, at: int) -> bool:
    """The word before the idea negates it ("no smell", "без запаха")."""
    if words.negation is None or at == 0:
        return False
    before = said[:at].rstrip()
    word = before[before.rfind(" ") + 1 :]
    if len(word) > LONGEST_WORD:  # Chinese, with no spaces: the characters just before
        word = word[-CHINESE_NEGATION:]
    return bool(word) and words.negation.search(word + " ") is not None
