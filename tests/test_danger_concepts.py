"""Danger told in another language in one's own words, read as two ideas side by side
(nlu/danger_concepts.py): the rules' machinery, on a small word list written here."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpbot.nlu.danger_concepts import CONCEPTS_FILE, DangerConcepts
from helpbot.nlu.other_languages import LEXICON_FILE, Lexicon, Phrases, normalise

PL = ["pl"]
WORDS = """
[rules]
window = 40
emergency = [["gas", "smell", 25], ["lift", "stuck"]]
safeguarding = [["despair"]]
emergency_risk = [["gas"]]
emergency_unless = ["routine", "over"]

[concepts.pl]
gas = ["gaz", "gazu", "gazem"]
smell = ["zapach*", "śmierdzi", "czuć"]
lift = ["wind*"]
stuck = ["utknęł*", "zablokowan*"]
despair = ["nie dam rady dłużej"]
routine = ["rachun*", "przycisk testowy"]
over = ["naprawion*", "w zeszłym tygodniu"]
negation = ["nie", "bez"]

[concepts.es]
gas = ["gas"]
smell = ["huele", "olor*"]
"""


@pytest.fixture
def lexicon(tmp_path: Path) -> Lexicon:
    (tmp_path / CONCEPTS_FILE).write_text(WORDS, encoding="utf-8")
    (tmp_path / LEXICON_FILE).write_text(
        '[languages.pl]\nname = "Polish"\nif = ["jeśli", "gdyby"]\n', encoding="utf-8"
    )
    return Lexicon.load(tmp_path)


def test_two_ideas_near_each_other_are_the_danger(lexicon: Lexicon) -> None:
    # "Since the morning there's been a strange smell in the hall, like gas"
    cues, _ = lexicon.find("Od rana na korytarzu dziwny zapach, chyba gazu", languages=PL)
    assert cues == {"emergency": "zapach … gazu"}
    cues, _ = lexicon.find("W windzie utknęła sąsiadka z dzieckiem", languages=PL)
    assert "emergency" in cues


def test_ideas_far_apart_are_not_one_danger(lexicon: Lexicon) -> None:
    far = "Rachunek za gaz przyszedł wczoraj. " + "Poza tym wszystko dobrze, dzięki. " * 2
    cues, risks = lexicon.find(far + "Ładny zapach kwiatów na klatce.", languages=PL)
    assert cues == {}
    assert risks == {"emergency": "gaz"}  # gas alone: the safety line, not a case


def test_a_rule_may_ask_for_its_ideas_closer(lexicon: Lexicon) -> None:
    """Gas and a smell 40 characters apart are a gas bill and a cooking smell as often
    as a leak; "gas smell" is said close (an outside attack)."""
    far = lexicon.find("Mam kuchenkę na gaz i od gotowania zostaje zapach", languages=PL)
    assert far == ({}, {"emergency": "gaz"})
    assert "emergency" in lexicon.find("Na klatce jest zapach gazu", languages=PL)[0]


def test_routine_or_a_danger_past_makes_an_emergency_a_safety_line(lexicon: Lexicon) -> None:
    # "The lift got stuck last week, already repaired, thank you"
    cues, risks = lexicon.find(
        "Winda utknęła w zeszłym tygodniu, już naprawiona, dziękuję", languages=PL
    )
    assert "emergency" not in cues and "emergency" in risks
    # "The gas bill has a strange smell to it": a routine word beside the pair.
    cues, risks = lexicon.find("Rachunek za gaz, dziwny zapach tej sprawy", languages=PL)
    assert "emergency" not in cues and "emergency" in risks
    # Without them, the same ideas are the emergency.
    assert "emergency" in lexicon.find("Utknęła winda, sąsiad w środku", languages=PL)[0]


def test_an_idea_denied_does_not_count(lexicon: Lexicon) -> None:
    cues, _ = lexicon.find("Gazownik był, nie czuć gazu, dziękuję", languages=PL)  # no smell of gas
    assert "emergency" not in cues
    assert lexicon.find("Sprawdzili instalację, bez zapachu gazu", languages=PL)[0] == {}


def test_a_question_about_the_danger_earns_only_the_line(lexicon: Lexicon) -> None:
    cues, risks = lexicon.find("Co mam zrobić, jeśli poczuję zapach gazu?", languages=PL)
    assert cues == {}
    assert "emergency" in risks


def test_one_idea_can_be_enough_and_words_of_all_languages_count(lexicon: Lexicon) -> None:
    assert lexicon.find("Już nie dam rady dłużej, przepraszam", languages=PL)[0] == {
        "safeguarding": "nie dam rady dluzej"
    }
    assert "emergency" in lexicon.find("Huele mucho a gas en la cocina", languages=["es"])[0]


def test_a_language_nobody_named_is_read_in_every_languages_longer_words(
    lexicon: Lexicon,
) -> None:
    """With no language named, short words stay with their own language: "gas" (and
    Polish "gaz") could be anything, "zapach" and "utknęła" cannot."""
    assert lexicon.find("jaki zapach, gaz?")[0] == {}
    assert "emergency" in lexicon.find("W windzie utknęła sąsiadka")[0]


def test_english_is_not_read_for_ideas(lexicon: Lexicon) -> None:
    """A message not taken for another language is read by the English cues; the ideas'
    pooled words include English-looking ones ("gas", "olor")."""
    assert lexicon.find("the gas smell is gone now", ideas=False) == ({}, {})


def test_a_rule_over_an_idea_nobody_wrote_is_refused(tmp_path: Path) -> None:
    (tmp_path / CONCEPTS_FILE).write_text(
        '[rules]\nemergency = [["gas", "smel"]]\n[concepts.pl]\ngas = ["gaz"]\n', encoding="utf-8"
    )
    with pytest.raises(ValueError, match="gas \\+ smel"):
        DangerConcepts.load(tmp_path, Phrases.of)


def test_chinese_ideas_match_inside_a_run_of_characters(tmp_path: Path) -> None:
    (tmp_path / CONCEPTS_FILE).write_text(
        '[rules]\nemergency = [["gas", "smell"]]\n'
        '[concepts.zh]\ngas = ["煤气"]\nsmell = ["味道", "气味"]\nnegation = ["没有"]\n',
        encoding="utf-8",
    )
    concepts = DangerConcepts.load(tmp_path, Phrases.of)
    assert concepts is not None
    assert "emergency" in concepts.found(normalise("厨房里有很浓的煤气味道"), ["zh"])
    assert concepts.found(normalise("师傅来检查了，没有煤气味道"), ["zh"]) == {}


def test_every_word_of_the_ideas_finds_itself() -> None:
    """Each entry of the list, typed as written, is found among its language's words:
    an entry the matcher cannot reach (punctuation at its end, a stray space) is dead."""
    import tomllib

    from helpbot.desk.group_rules import DEFAULT_INTENTS_DIR

    folder = Path(DEFAULT_INTENTS_DIR)
    concepts = DangerConcepts.load(folder, Phrases.of)
    assert concepts is not None and len(concepts.languages) >= 30
    data = tomllib.loads((folder / CONCEPTS_FILE).read_text(encoding="utf-8"))
    for code, lists in data["concepts"].items():
        words = concepts.languages[code]
        for idea, entries in lists.items():
            phrases = words.negation if idea == "negation" else words.ideas[idea]
            assert phrases is not None
            for entry in entries:
                said = normalise(entry.rstrip("*"))
                assert phrases.search(f"{said} ") is not None, (code, idea, entry)
    for rules in concepts.rules.values():
        for rule in rules:
            assert all(idea in concepts.pooled.ideas for idea in rule.ideas), rule.name
