"""Tenants who write in another language (policy 6.2; issue 13). The intent model learnt
English only: an Arabic message about a gas smell came back "hostile" and got the reply
for that. Now a message plainly in another language is not read by the model; it is
unclear or, on a phrase that says the danger outright, urgent; and a colleague reads it.

``tests/data/other_languages.jsonl`` was written by a helper who had not seen the code
or the word lists (301 messages in 28 languages and English), after the word lists in
intents/other_languages.toml were written."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from helpbot.desk.group_rules import DEFAULT_INTENTS_DIR
from helpbot.desk.wording import TRANSLATIONS_FILE
from helpbot.nlu.other_languages import Lexicon, normalise
from helpbot.nlu.understanding import Understanding, has_words
from helpbot.store.casebook import Casebook
from helpbot.testing.harness import BotUnderTest, tenant

BLIND_SET = Path(__file__).parent / "data" / "other_languages.jsonl"
# A second blind set, from another helper, written after the rules were last set and
# never used to set them: 169 messages in 34 languages, 90 in English.
SECOND_BLIND_SET = Path(__file__).parent / "data" / "other_languages_2.jsonl"
# A third, from a third helper, written after the word lists' second round began and
# before the danger concepts (nlu/danger_concepts.py) were written: 193 messages in 32
# languages, 70 in English. Only its notes on the messages missed were read, not the
# messages; nothing was set on it.
THIRD_BLIND_SET = Path(__file__).parent / "data" / "other_languages_3.jsonl"
# Everyday messages an attacker wrote from the danger concepts' rules alone, each with
# the two ideas of a rule said innocently (a gas bill that "smells fishy", the lift that
# was stuck last week): 240 in 26 languages.
EVERYDAY_PAIRS = Path(__file__).parent / "data" / "other_languages_everyday_pairs.jsonl"
# English written by the outside reviewer of this change: 351 messages in every voice.
REVIEWERS_ENGLISH = Path(__file__).parent / "data" / "other_languages_english.txt"
URGENT = ("emergency", "safeguarding")


def blind_set(path: Path = BLIND_SET) -> list[dict[str, str]]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


# -- reading ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path", [BLIND_SET, SECOND_BLIND_SET, THIRD_BLIND_SET], ids=["first", "second", "third"]
)
def test_english_in_every_voice_is_still_read_as_english(
    understanding: Understanding, path: Path
) -> None:
    """Second-language English, dyslexic spelling, text-speak and dialect from the blind
    sets: none is taken for another language, so the model reads every one."""
    english = [row["text"] for row in blind_set(path) if row["language"] == "en"]
    assert len(english) >= 60
    called_foreign = [
        (text, c.language)
        for text, c in zip(english, understanding.classify_many(english), strict=True)
        if c.language
    ]
    assert called_foreign == []


def test_the_reviewers_english_is_read_as_english(understanding: Understanding) -> None:
    """Misspelt English has few known words, like a foreign language: "i wan 2 kil
    myslf" and "smoak evrywhere" were taken for French and Basque and lost the model's
    reading. Names and places are left out of the count ("Przemysław Wójcik 14 Ashcott
    Road", "Huish Episcopi Langport")."""
    lines = REVIEWERS_ENGLISH.read_text(encoding="utf-8").splitlines()
    texts = [line for line in lines if line.strip() and not line.startswith("#")]
    assert len(texts) > 340
    taken = [
        (text, c.language)
        for text, c in zip(texts, understanding.classify_many(texts), strict=True)
        if c.language
    ]
    # Measured: one, "evicshun notis" (eviction notice), with no known word in it.
    assert len(taken) <= 2, taken


def test_english_with_a_name_in_another_script_keeps_its_urgency(
    understanding: Understanding,
) -> None:
    read = understanding.classify_many(
        ["he locked me in, فاطمة الزهراء محمد", "smell gas - محمد عبدالرحمن الحسيني"]
    )
    assert [c.intent for c in read] == ["safeguarding", "emergency"]


def test_the_training_examples_are_all_read_as_english(understanding: Understanding) -> None:
    examples = Path(DEFAULT_INTENTS_DIR) / "examples"
    texts = [
        line.strip()
        for path in sorted(examples.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(texts) > 4000
    # The language is read before the model (classify_many -> _language); a message read
    # as another language is what gives a Classification its language.
    assert [t for t in texts if (reading := understanding._language(t)) and reading.language] == []
    assert not any(c.language for c in understanding.classify_many(texts[::250]))


@pytest.mark.parametrize(
    "path", [BLIND_SET, SECOND_BLIND_SET, THIRD_BLIND_SET], ids=["first", "second", "third"]
)
def test_messages_in_other_languages_are_recognised_and_never_argued_with(
    understanding: Understanding, path: Path
) -> None:
    rows = [row for row in blind_set(path) if row["language"] != "en"]
    assert len(rows) >= 160
    read = understanding.classify_many([row["text"] for row in rows])
    recognised = sum(bool(c.language) for c in read)
    # Measured 231 of 238 and 163 of 169: those left are short thanks ("cam on nhieu
    # a", "Asante sana kwa kurekebisha choo") and Urdu, Hindi or Bengali in Latin
    # letters full of English words, which the model reads as English.
    assert recognised >= 0.95 * len(rows)
    # The bug that started this: a tenant in another language got the hostile reply.
    assert [r["text"] for r, c in zip(rows, read, strict=True) if c.intent == "hostile"] == []
    for row, c in zip(rows, read, strict=True):
        if c.language:
            assert c.intent in (*URGENT, "unclear"), row["text"]
            assert "written in" in c.why, row["text"]  # why names the language


@pytest.mark.parametrize(
    ("path", "allowed"), [(BLIND_SET, 0), (SECOND_BLIND_SET, 1), (THIRD_BLIND_SET, 0)]
)
def test_no_everyday_message_in_another_language_opens_an_urgent_case(
    understanding: Understanding, path: Path, allowed: int
) -> None:
    """A gas bill, the annual gas check, a fire alarm test, a smoke alarm's low battery:
    the word for gas or fire alone gives the safety line, never an urgent case. The
    second set has one left, measured and not fixed (it was not used to set the rules):
    a Portuguese question about what to do if one ever smells gas, with an "if" the
    word list does not have."""
    calm = [row for row in blind_set(path) if row["language"] != "en" and not row["urgent"]]
    read = understanding.classify_many([row["text"] for row in calm])
    alarms = [r["note"] for r, c in zip(calm, read, strict=True) if c.intent in URGENT]
    assert len(alarms) <= allowed, alarms


@pytest.mark.parametrize(
    ("path", "at_least"), [(BLIND_SET, 75), (SECOND_BLIND_SET, 33), (THIRD_BLIND_SET, 50)]
)
def test_most_danger_in_another_language_opens_an_urgent_case(
    understanding: Understanding, path: Path, at_least: int
) -> None:
    """Phrases alone caught 46 of 101, 14 of 71 and 20 of 87: people rarely say danger
    the way a list does. Read as two ideas side by side (nlu/danger_concepts.py), 79,
    36 and 53 (measured); the floors sit a little below, for a retrained model."""
    urgent = [row for row in blind_set(path) if row["language"] != "en" and row["urgent"]]
    read = understanding.classify_many([row["text"] for row in urgent])
    assert sum(c.intent in URGENT for c in read) >= at_least


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Walking the fake Bot API: "we have no heating since Friday and my baby is three
        # weeks old, it is very very cold in the flat" was read as nothing urgent.
        (
            "Hola, no tenemos calefacción desde el viernes y mi bebé tiene tres semanas, "
            "hace muchísimo frío en el piso",
            "emergency",
        ),
        ("Добрий день, ліфт застряг між поверхами, там моя мама 80 років", "emergency"),
        ("Im Treppenhaus riecht es seit heute früh stark nach Gas", "emergency"),
        ("Mój mąż zabrał mi telefon i paszport, nie pozwala mi wychodzić z domu", "safeguarding"),
        ("Dzień dobry, rachunek za gaz jest bardzo wysoki, czy to normalne?", "unclear"),
        ("Winda utknęła w zeszłym tygodniu, ale już naprawiona, dziękuję", "unclear"),
    ],
)
def test_danger_in_ones_own_words_is_read_as_ideas_side_by_side(
    understanding: Understanding, text: str, expected: str
) -> None:
    assert understanding.classify(text).intent == expected


def test_everyday_messages_built_to_trip_the_ideas_mostly_do_not(
    understanding: Understanding,
) -> None:
    """First read, 64 of the 240 opened an urgent case. A rule's own, closer window (gas
    and a smell), and words of routine or of a danger past near an emergency ("the
    bill", "the test button", "last week, mended now"), took that to 26 (measured);
    most left are safeguarding pairs (a single parent "alone with my children", a
    husband who took the passport to copy it), left to a colleague's kind look."""
    rows = blind_set(EVERYDAY_PAIRS)
    read = understanding.classify_many([row["text"] for row in rows])
    assert sum(bool(c.language) for c in read) >= 0.95 * len(rows)
    assert sum(c.intent in URGENT for c in read) <= 28


def test_danger_said_outright_in_another_language_is_urgent(understanding: Understanding) -> None:
    said = {
        "Czuję gaz w kuchni, proszę o pomoc": "emergency",  # Polish, with its accents
        "czuje gaz w kuchni prosze szybko": "emergency",  # and typed without them
        "أشم رائحة غاز في المطبخ": "emergency",
        "Simt miros de gaz în bucătărie": "emergency",
        "Sinto cheiro a gás na cozinha": "emergency",
        "застряли в лифте между этажами": "emergency",
        "Mój mąż mnie bije, boję się": "safeguarding",
        "میں خودکشی کرنا چاہتا ہوں": "safeguarding",
        "mujhe gas ki boo aa rahi hai": "emergency",  # Urdu in Latin letters
        "我家厨房有很浓的煤气味": "emergency",  # Chinese: no spaces between words
    }
    read = understanding.classify_many(list(said))
    assert [c.intent for c in read] == list(said.values())


def test_a_long_arabic_message_about_gas_is_an_emergency(understanding: Understanding) -> None:
    """The outside review's case: several sentences of everyday Arabic, the gas smell last."""
    everyday = "مرحبا، أكتب لكم بخصوص الشقة. الجيران لطيفون والحديقة نظيفة هذا الشهر. "
    text = everyday * 6 + "ومنذ الصباح أشم رائحة غاز قوية في المطبخ."
    read = understanding.classify(text)
    assert (read.intent, read.language) == ("emergency", "ar")


@pytest.mark.parametrize(
    "text",
    [
        "mould in me bathroom",  # French "me bat" (he beats me) is not "me bathroom"
        "me bath wont drain",
        "this place is dilapidated innit",  # Somali "is dil"
        "water coming thru me bathroom ceiling",
    ],
)
def test_other_languages_words_do_not_fire_inside_english_words(
    understanding: Understanding, text: str
) -> None:
    assert understanding.classify(text).intent != "safeguarding"


@pytest.mark.parametrize(
    "text",
    [
        "Alarm pożarowy na klatce będzie testowany w piątek?",
        "Drzwi pożarowe na korytarzu się nie domykają",
        "La alarma de incendios del edificio tiene la pila baja",
        "Yangın kapısı kırık",
        "إنذار الحريق يصفر، البطارية خلصت",
        "Пожарная сигнализация пищит, батарейка села",
        "他打我电话了吗",  # did he phone me
        "我的自行车轮胎漏气了",  # my bike tyre is flat
        "تعرضت دراجتي للسرقة",  # my bike was stolen
        "mersi mult pentru ajutor!!",  # thank you for the help
    ],
)
def test_fire_alarms_fire_doors_and_thanks_are_no_emergency(
    understanding: Understanding, text: str
) -> None:
    read = understanding.classify(text)
    assert read.language and read.intent == "unclear"
    if text.startswith("mersi"):
        assert read.risk == ()


@pytest.mark.parametrize(
    "text",
    [
        "Что делать если пахнет газом?",
        "ماذا أفعل إذا شممت رائحة الغاز؟",
        "¿Qué hago si hay un incendio?",
    ],
)
def test_a_question_about_a_danger_gets_the_safety_line_not_a_case(
    understanding: Understanding, text: str
) -> None:
    read = understanding.classify(text)
    assert (read.intent, read.risk) == ("unclear", ("emergency",))


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("أريد أن أنتحر", "safeguarding"),  # hamza typed: the list has it without
        ("سأنتحر", "safeguarding"),  # with the future prefix
        ("رائحه غاز في البيت", "emergency"),  # ta marbuta typed as ha
        ("मेरे पति मुझे मारते हैं", "safeguarding"),  # plural verb
        ("toi muon tu tu", "safeguarding"),  # Vietnamese without its marks
        ("ｃｚｕｊｅ ｇａｚ w kuchni", "emergency"),  # full-width letters
        ("czuję g\u200baz w kuchni", "emergency"),  # a zero-width space inside
    ],
)
def test_danger_typed_the_ways_people_type_it(
    understanding: Understanding, text: str, intent: str
) -> None:
    assert understanding.classify(text).intent == intent


def test_a_hindi_word_that_begins_with_fire_is_not_fire(understanding: Understanding) -> None:
    """आग (fire) and आगे (next) differ only by a vowel sign, which is not a letter."""
    read = understanding.classify("आगे क्या करना है बताइए")
    assert (read.intent, read.risk) == ("unclear", ())


def test_a_word_for_gas_alone_gives_the_safety_line_not_a_case(
    understanding: Understanding,
) -> None:
    read = understanding.classify("Rachunek za gaz jest w tym miesiącu bardzo wysoki")
    assert (read.intent, read.language, read.risk) == ("unclear", "pl", ("emergency",))


def test_indian_scripts_have_words(understanding: Understanding) -> None:
    """Bengali letters are split by vowel signs; a question about a gas meter was read as
    having no words at all."""
    assert has_words("গ্যাস মিটার রিডিং কোথায় পাঠাবো?")
    assert has_words("मेरा बॉयलर खराब है")
    assert understanding.classify("গ্যাস মিটার রিডিং কোথায় পাঠাবো?").language == "bn"


# -- the word lists and the translations -----------------------------------------------


def test_every_phrase_in_the_word_lists_finds_itself_typed_without_accents() -> None:
    lexicon = Lexicon.load(Path(DEFAULT_INTENTS_DIR))
    with (Path(DEFAULT_INTENTS_DIR) / "other_languages.toml").open("rb") as handle:
        languages = tomllib.load(handle)["languages"]
    for code, entry in languages.items():
        for label in URGENT:
            for phrase in entry.get(label, []):
                cues, _ = lexicon.find(f"... {phrase} ...")
                assert label in cues, (code, phrase)
                plain = normalise(phrase)  # as typed on a keyboard without accents
                assert label in lexicon.find(plain)[0], (code, plain)


def test_a_short_word_must_be_the_whole_word() -> None:
    lexicon = Lexicon.load(Path(DEFAULT_INTENTS_DIR))
    assert lexicon.find("mam gaz w domu")[1] == {"emergency": "gaz"}
    assert lexicon.find("czytam gazetę codziennie") == ({}, {})


def test_every_translation_keeps_both_numbers() -> None:
    with (Path(DEFAULT_INTENTS_DIR) / TRANSLATIONS_FILE).open("rb") as handle:
        translations = tomllib.load(handle)["in_their_language"]
    assert len(translations) >= 15
    for code, text in translations.items():
        assert "999" in text.replace("0800 111 999", ""), code
        assert "0800 111 999" in text, code


# -- the desk ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["Dzień dobry, kiedy przyjdzie hydraulik do mojego mieszkania?"])
async def test_a_tenant_writing_in_polish_is_told_in_polish_and_a_colleague_reads_it(
    bot: BotUnderTest, text: str
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, text))
    (reply,) = bot.replies_to(ann.id)
    assert reply.startswith("Otrzymaliśmy Twoją wiadomość")
    assert "I can only read English" in reply and "0800 111 999" in reply
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind == "human"
    assert case.ref in reply
    staff = [m["text"] for m in bot.tg.sent_messages(bot.staff_room.id)]
    assert any("Written in Polish" in m for m in staff)
    assert any(text in m for m in staff)

    # A second message joins the same case, and the tenant is not told it all again.
    await bot.send(bot.tg.private_message(ann, "Kran w łazience cieknie od tygodnia."))
    assert len(await Casebook(bot.store).all_cases()) == 1
    second = bot.replies_to(ann.id)[-1]
    assert second.startswith("Otrzymaliśmy") and case.ref in second
    assert "I can only read English" not in second  # said once, when the case opened


async def test_a_message_in_another_language_is_not_taken_as_the_answer_to_a_question(
    bot: BotUnderTest,
) -> None:
    """The desk asks about a repair; the Polish reply is no answer it can read (it was
    filed as the leak's size)."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "my kitchen tap is leaking"))
    await bot.send(bot.tg.private_message(ann, "kiedy przyjdzie hydraulik do mojego domu?"))
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind == "repair"
    staff = [m["text"] for m in bot.tg.sent_messages(bot.staff_room.id)]
    assert any("Written in Polish" in m for m in staff)
    assert not any("kiedy przyjdzie" in m and "How large" in m for m in staff)
    # ...and no English question is put to the tenant after it.
    last = bot.replies_to(ann.id)[-1]
    assert last.startswith("Otrzymaliśmy") and "?" not in last.split("\n\n")[-1]


async def test_a_gas_smell_in_arabic_opens_an_emergency_case_with_the_advice(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "أشم رائحة غاز قوية في المطبخ، ماذا أفعل؟"))
    text = "\n".join(bot.replies_to(ann.id))
    assert "0800 111 999" in text and "call 999" in text
    assert "وصلتنا رسالتك" in text  # told in Arabic that a colleague will read it
    (case,) = await Casebook(bot.store).all_cases()
    assert (case.kind, case.urgent) == ("emergency", True)
    staff = [m["text"] for m in bot.tg.sent_messages(bot.staff_room.id)]
    assert any("Written in Arabic" in m for m in staff)


async def test_a_message_in_another_language_in_the_group_gets_no_public_reply(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.group_message(bot.community, ann, "Dzień dobry wszystkim sąsiadom!"))
    assert bot.tg.sent_messages(bot.community.id) == []
    assert await Casebook(bot.store).all_cases() == []


async def test_a_gas_bill_in_polish_gets_the_gas_line_once(bot: BotUnderTest) -> None:
    """The first reply says 999 and the gas line in Polish and English; the safety net's
    own "Just in case: if you smell gas" came after it as a second message (walking the
    fake Bot API). A fear said in Polish still gets the safeguarding line."""
    ann = tenant(bot.tg)
    await bot.send(
        bot.tg.private_message(
            ann, "Dzień dobry, rachunek za gaz jest bardzo wysoki, czy to normalne?"
        )
    )
    (only,) = bot.replies_to(ann.id)
    assert only.startswith("Otrzymaliśmy") and "0800 111 999" in only
    assert "Just in case" not in only
    bob = tenant(bot.tg, 5002, "Bob")
    await bot.send(bot.tg.private_message(bob, "Boję się wracać do domu, pomocy"))
    said = "\n".join(bot.replies_to(bob.id))
    assert "Samaritans" in said or "116 123" in said


async def test_coercive_control_told_in_polish_opens_a_safeguarding_case(
    bot: BotUnderTest,
) -> None:
    """No phrase of the list says it ("my husband took my phone and passport, he won't
    let me go out"); a partner and control side by side do (nlu/danger_concepts.py)."""
    ann = tenant(bot.tg)
    text = "Mój mąż zabrał mi telefon i paszport, nie pozwala mi wychodzić z domu"
    await bot.send(bot.tg.private_message(ann, text))
    (case,) = await Casebook(bot.store).all_cases()
    assert (case.kind, case.urgent) == ("safeguarding", True)
    said = "\n".join(bot.replies_to(ann.id))
    # The safety advice first, as for any urgent matter; then, in Polish, that a
    # colleague will read it.
    assert said.startswith("Thank you for telling us. You're not on your own")
    assert "Otrzymaliśmy" in said
    staff = [m["text"] for m in bot.tg.sent_messages(bot.staff_room.id)]
    assert any("Written in Polish" in m for m in staff)


async def test_a_gas_smell_in_arabic_in_the_group_is_answered_in_arabic_too(
    bot: BotUnderTest,
) -> None:
    """The group's invitation to a private chat was in English only, for a member who had
    just written in Arabic (walking the fake Bot API)."""
    ann = tenant(bot.tg)
    text = "أشم رائحة غاز قوية في المطبخ، ماذا أفعل؟"
    await bot.send(bot.tg.group_message(bot.community, ann, text))
    (public,) = [m["text"] for m in bot.tg.sent_messages(bot.community.id)]
    assert public.startswith("وصلتنا رسالتك")
    assert "call 999" in public and "0800 111 999" in public  # the English advice follows
    assert "غاز قوية" not in public  # the message itself is never repeated in public
    (case,) = await Casebook(bot.store).all_cases()
    assert (case.kind, case.urgent) == ("emergency", True)


# -- English spelt as it sounds (nlu/sounding_out.py) ------------------------------------


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("i wan 2 kil myslf", "safeguarding"),  # the model read it as hostile
        ("gonna kil myslef", "safeguarding"),  # two letters swapped
        ("tuk an ovadose", "safeguarding"),
        # "shok" is as near "shop" as "shock"; "shop" is commoner, but "shock" is a word
        # of the urgent examples and "shop" is not (it was read as "electric shop").
        ("elektric shok", "emergency"),
        ("i got a elektric shok off the tap", "emergency"),
    ],
)
def test_danger_spelt_as_it_sounds_is_read_by_the_cues(
    understanding: Understanding, text: str, intent: str
) -> None:
    read = understanding.classify(text)
    assert read.intent == intent
    assert "spelt as it sounds" in read.why


def test_a_word_sounded_out_as_an_examples_own_slip_is_sounded_out_again(
    understanding: Understanding,
) -> None:
    """ "smoak" is one letter from "smok", which one training example has ("ther is smok
    coming from under neighbour door"): read as "smok", no cue saw smoke."""
    read = understanding.classify("smoak evrywhere")
    assert "emergency" in read.risk  # the safety line, and a colleague takes a look


@pytest.mark.parametrize(
    "text",
    [
        "my bill is overdue",  # "overdue" is no whole word of the encoder's vocabulary
        "the hire van was late",  # not "fire"
        "my dog groomer is great",  # not "groomed"
        "i want a fibre broadband",
        "just booked a cruise for the summer",  # not "bruise"
        "the new pool has a flume and a wave machine",
    ],
)
def test_words_the_examples_never_use_are_not_sounded_out_into_danger(
    understanding: Understanding, text: str
) -> None:
    read = understanding.classify(text)
    assert read.intent not in URGENT and "spelt as it sounds" not in read.why


def test_the_figures_for_a_set_are_printed_as_the_readme_gives_them(
    understanding: Understanding, tmp_path: Path
) -> None:
    from helpbot.nlu.other_language_sets import figures

    rows = [
        {"text": "Czuję gaz w kuchni, proszę o pomoc", "language": "pl", "urgent": "emergency"},
        {"text": "Dziękuję za naprawę kranu", "language": "pl", "urgent": ""},
        {"text": "thanks, the tap is fixed", "language": "en", "urgent": ""},
    ]
    path = tmp_path / "set.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows), encoding="utf-8")
    lines = figures(understanding, path)
    assert "  recognised as another language: 2 / 2" in lines
    assert "  English taken for another: 0 / 1" in lines
    assert "  urgent called urgent: 1 / 1" in lines
    assert "  everyday called urgent: 0 / 1" in lines
