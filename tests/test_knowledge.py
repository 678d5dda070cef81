"""The knowledge base answers from the policy or says nothing; it never makes facts up."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from helpbot.nlu.evaluation import MIN_KB_PRECISION
from helpbot.nlu.knowledge import (
    KnowledgeBase,
    load_entries,
    load_heldout,
    outside_policy,
    score_heldout,
    words,
)
from helpbot.nlu.understanding import Understanding
from tests.nlu_fixtures import INTENTS_DIR

POLICY = INTENTS_DIR.parent.parent / "shared" / "policy" / "social-media-policy.txt"


def answer_to(understanding: Understanding, question: str) -> str:
    result = understanding.answer(question)
    assert result is not None, question
    return result.answer


def test_the_phone_number_is_01278_444344(understanding: Understanding) -> None:
    assert "01278 444344" in answer_to(understanding, "what's your phone number?")


def test_the_email_is_information_at_shal(understanding: Understanding) -> None:
    assert "information@shal.org" in answer_to(understanding, "what is your email address")


def test_the_office_is_crypton_house(understanding: Understanding) -> None:
    answer = answer_to(understanding, "where is your office?")
    assert "Crypton House, Bristol Road, Bridgwater, TA6 4SY" in answer


def test_the_website_and_facebook_are_given(understanding: Understanding) -> None:
    assert "www.shal.org" in answer_to(understanding, "what's your website")
    assert "@shalhousing" in answer_to(understanding, "are you on facebook?")


def test_joining_the_group_needs_questions_rules_and_a_tenancy_check(
    understanding: Understanding,
) -> None:
    answer = answer_to(understanding, "how do I join the tenants community group")
    assert "questions" in answer and "rules" in answer and "current SHAL tenant" in answer


def test_complaints_on_social_media_are_handled_privately(understanding: Understanding) -> None:
    answer = answer_to(understanding, "can I complain on facebook?")
    assert "private" in answer and "consent" in answer


@pytest.mark.parametrize(
    "question",
    [
        "what are your opening hours",
        "what time does the office open",
        "how do I pay my rent",
        "how long does a stage 1 complaint take",
        "can I go to the housing ombudsman",
        "what number do I ring out of hours",
        "how do I apply for a house with SHAL",
    ],
)
def test_questions_the_policy_does_not_answer_are_not_answered(
    understanding: Understanding, question: str
) -> None:
    """Issue 13: the knowledge base answers facts in the policy and abstains on anything
    else (the desk then says it is not sure and offers a person); complainants get the
    Complaint Handling Code's dates in the complaint's own acknowledgement."""
    assert understanding.answer(question) is None


def test_a_question_the_policy_does_not_answer_does_not_drift_to_a_neighbour(
    understanding: Understanding,
) -> None:
    base = understanding.knowledge
    assert base.ranked("what time does the office open in the morning")[0][0] == "opening-hours"
    assert base.match("what time does the office open in the morning") is None
    assert base.match("where is your office?") is not None


def test_an_older_set_naming_an_entry_outside_the_policy_expects_an_abstention(
    understanding: Understanding,
) -> None:
    base = understanding.knowledge
    figures = score_heldout(base, [("what are your opening hours", "opening-hours")])
    assert figures["answered"] == 0 and figures["precision"] == 1.0
    assert outside_policy(base, "opening-hours") == ""
    assert outside_policy(base, "office-address") == "office-address"


def test_a_refusal_is_folded_into_one_word(understanding: Understanding) -> None:
    base = understanding.knowledge
    result = base.match("why did my request to join the group get turned down")
    assert result is not None and result.entry_id == "join-declined"


@pytest.mark.parametrize(
    "question",
    [
        "I'm a Sikh, will I be treated any differently",
        "I'm deaf, does your service work for me",
        "my wife and I are a same sex couple, will you treat us fairly",
    ],
)
def test_any_characteristic_in_policy_6_finds_the_equality_entry(
    understanding: Understanding, question: str
) -> None:
    """Policy 6.1 lists the characteristics; a question naming any of them is about it."""
    result = understanding.knowledge.match(question)
    assert result is not None and result.entry_id == "equality", question


def test_someone_else_joining_is_about_who_may_join(understanding: Understanding) -> None:
    """Policy 3.6.1: whether a relative or friend may join, not how to join."""
    question = "my brother lives with me, can he join the group"
    result = understanding.knowledge.match(question)
    assert result is not None and result.entry_id == "who-can-join"


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("I skipped the joining questions, will that stop me getting in", "join-declined"),
        ("will people see how my complaint got sorted out", "published-outcomes"),
    ],
)
def test_skipped_questions_and_sorted_complaints_are_folded(
    understanding: Understanding, question: str, entry: str
) -> None:
    """Policy 3.6.2 (questions not answered) and 3.13 (the resolution) in everyday words."""
    result = understanding.knowledge.match(question)
    assert result is not None and result.entry_id == entry, question


def test_value_for_money_is_answered_from_policy_7(understanding: Understanding) -> None:
    question = "are your services good value for money for tenants"
    assert "value for money" in answer_to(understanding, question)


def test_the_policy_owner_and_review_cycle(understanding: Understanding) -> None:
    assert "Systems and Communications Officer" in answer_to(
        understanding, "who owns the social media policy"
    )
    assert "every year" in answer_to(understanding, "how often is the social media policy reviewed")


def test_the_charity_number_is_27772r(understanding: Understanding) -> None:
    answer = answer_to(understanding, "what's SHAL's charity number")
    assert "27772R" in answer and "Community Benefit Society" in answer


def test_opening_hours_are_not_invented() -> None:
    for entry in load_entries(INTENTS_DIR / "knowledge"):
        assert not re.search(r"\d{1,2}(:\d\d)?\s?(am|pm)", entry.answer), entry.id


def test_a_repair_report_gets_no_leaflet(understanding: Understanding) -> None:
    assert understanding.answer("my boiler is broken, what's your number?") is None


def test_personal_questions_get_no_answer(understanding: Understanding) -> None:
    assert understanding.answer("what is my rent balance") is None


def test_unrelated_questions_are_not_answered(understanding: Understanding) -> None:
    assert understanding.answer("who won the football last night") is None


def test_every_phone_email_and_number_in_an_answer_is_in_the_policy() -> None:
    policy = POLICY.read_text() if POLICY.exists() else ""
    allowed_extra = {"999", "5", "10", "20", "2023", "2024", "1.0"}
    for entry in load_entries(INTENTS_DIR / "knowledge"):
        for token in re.findall(r"[\w.@]+@[\w.]+|\b\d[\d .]*\d\b|\b\d\b", entry.answer):
            token = token.strip().rstrip(".")
            if token in allowed_extra or token.startswith(
                ("3.", "5.", "6.", "2.", "1.", "8.", "9.")
            ):
                continue
            if policy:
                assert token in policy, (entry.id, token)


def test_entry_ids_are_unique_and_every_entry_has_phrasings() -> None:
    entries = load_entries(INTENTS_DIR / "knowledge")
    assert len({e.id for e in entries}) == len(entries)
    assert all(len(e.questions) >= 3 and e.answer for e in entries)


def test_held_out_paraphrases_are_answered_precisely(understanding: Understanding) -> None:
    cases = load_heldout(INTENTS_DIR / "heldout" / "knowledge.toml")
    answered = [
        (understanding.answer(q), expected)
        for q, expected in cases
        if understanding.answer(q) is not None
    ]
    correct = sum(result.entry_id == expected for result, expected in answered)
    assert correct / len(answered) >= MIN_KB_PRECISION
    answerable = sum(bool(expected) for _, expected in cases)
    assert correct / answerable >= 0.5


def test_the_matcher_alone_is_precise_on_held_out_paraphrases(understanding: Understanding) -> None:
    base = understanding.knowledge
    figures = score_heldout(base, load_heldout(INTENTS_DIR / "heldout" / "knowledge.toml"))
    assert figures["precision"] >= MIN_KB_PRECISION


def test_whether_a_group_exists_is_not_who_may_join(understanding: Understanding) -> None:
    """ "Is there a group for tenants?" asks whether there is one (2.1, 4.1), not who may
    be in it (3.6.1): stop words alone would make the two one question."""
    base = understanding.knowledge
    for question in (
        "do you have any groups for residents",
        "is there a group for tenants on social media",
    ):
        found = base.match(question)
        assert found is not None and found.entry_id == "community-groups", question
    found = base.match("is there a tenants' magazine")
    assert found is None or found.entry_id != "community-groups"
    found = base.match("is the group only for people who rent from SHAL?")
    assert found is not None and found.entry_id == "who-can-join"


def test_a_bot_that_might_argue_is_about_how_we_communicate(understanding: Understanding) -> None:
    """Ranked first by TF-IDF; since the ninth pass (margin 0.15, chosen by cross-
    validation) it is no longer answered by the old semantic fallback, but it never
    drifts to the bot's own entry."""
    base = understanding.knowledge
    question = "if I disagree with your bot is it going to argue back?"
    assert base.ranked(question)[0][0] == "how-we-communicate"
    found = base.match(question)
    assert found is None or found.entry_id == "how-we-communicate"


def test_the_classifier_only_answers_what_tfidf_abstained_on(understanding: Understanding) -> None:
    """The trained classifier is a second reading: with it switched off, every answer the
    TF-IDF rule gives is the same; with it on, nonsense is still not answered."""
    with_it = understanding.knowledge
    without = KnowledgeBase(with_it.entries, use_classifier=False)
    questions = [q for e in with_it.entries for q in e.questions[:3]]
    for question in questions:
        plain = without.match(question)
        if plain is not None:
            mixed = with_it.match(question)
            assert mixed is not None and mixed.entry_id == plain.entry_id, question
    assert with_it.match("purple monkey dishwasher forty two") is None
    assert with_it.match("what do you think of the new iphone camera") is None


@pytest.mark.parametrize(
    ("question", "entry"),
    [
        ("is the thing I'm chatting to a computer programme", "what-is-bot"),
        (
            "are staff allowed to add tenants as friends on their own facebook",
            "staff-personal-profiles",
        ),
        ("what happens to people who keep breaking the group rules", "rule-breaking"),
    ],
)
def test_a_question_in_new_words_is_answered_when_both_readings_agree(
    understanding: Understanding, question: str, entry: str
) -> None:
    """Ninth pass: a question sharing too few words with any phrasing for the TF-IDF rule
    is answered when the classifier's first choice is the TF-IDF ranking's first too."""
    base = understanding.knowledge
    assert KnowledgeBase(base.entries, use_classifier=False).match(question) is None
    found = base.match(question)
    assert found is not None and found.entry_id == entry, question


@pytest.mark.parametrize(
    "question",
    [
        "is the office open on christmas eve",
        "can I pay my rent with a card over the phone",
        "how many days does a stage two complaint take",
        "what's the weather like in Bridgwater",
    ],
)
def test_a_question_the_policy_does_not_answer_stays_unanswered_in_new_words(
    understanding: Understanding,
    question: str,
) -> None:
    assert understanding.knowledge.match(question) is None


def test_every_phrasing_still_answers_its_own_entry(understanding: Understanding) -> None:
    """An exact phrasing answers its entry (or abstains for one outside the policy),
    unless it is only filler words or word for word another entry's phrasing too."""
    base = understanding.knowledge
    owners: dict[tuple[str, ...], set[str]] = {}
    for entry in base.entries:
        for question in entry.questions:
            owners.setdefault(tuple(words(question)), set()).add(entry.id)
    for entry in base.entries:
        for question in entry.questions:
            key = tuple(words(question))
            if not key or len(owners[key]) > 1:
                continue
            found = base.match(question)
            if entry.in_policy:
                assert found is not None and found.entry_id == entry.id, question
            else:
                assert found is None, question


def test_the_bot_loads_the_classifier_helpbot_train_wrote(
    understanding: Understanding, tmp_path: Path
) -> None:
    """`helpbot train` trains the knowledge base's classifier and writes it beside the
    intent pipeline; the bot loads it, so no tenant's first question waits while it
    is trained. A file written for other entries is not used."""
    from tests.nlu_fixtures import PIPELINE_DIR

    assert (PIPELINE_DIR / "knowledge_classifier.npz").exists()
    assert isinstance(understanding.knowledge._classifier, tuple)

    fewer = KnowledgeBase(load_entries(INTENTS_DIR / "knowledge")[:5])
    fewer_file = tmp_path / "fewer.npz"
    assert fewer.save_classifier(fewer_file)
    again = KnowledgeBase.load(INTENTS_DIR)
    assert not again.load_classifier(fewer_file)
    assert again._classifier is None
    assert again.load_classifier(PIPELINE_DIR / "knowledge_classifier.npz")
    question = "who is in charge of the facebook page"
    assert again.match(question) == understanding.knowledge.match(question)

    # A build from before the sentence encoder (WordLlama's 256-d weights, no reader
    # named) is trained again rather than multiplied with the wrong vectors.
    import numpy as np

    older = tmp_path / "older.npz"
    with np.load(PIPELINE_DIR / "knowledge_classifier.npz") as saved:
        np.savez(older, weights=saved["weights"][:256], bias=saved["bias"], ids=saved["ids"])
    stale = KnowledgeBase.load(INTENTS_DIR)
    assert not stale.load_classifier(older)
    assert stale._classifier is None
    # Named for this reader but shaped for other entries: retrained, not multiplied.
    misshapen = tmp_path / "misshapen.npz"
    with np.load(PIPELINE_DIR / "knowledge_classifier.npz") as saved:
        np.savez(
            misshapen,
            weights=saved["weights"][:, :-1],
            bias=saved["bias"],
            ids=saved["ids"],
            embedding=saved["embedding"],
        )
    assert not stale.load_classifier(misshapen)
    assert stale._classifier is None


def test_a_classifier_no_file_gave_is_trained_once_before_the_first_question() -> None:
    """`Understanding.load` (off the event loop) calls prepare() when the file is missing
    or stale, so no tenant's question waits a minute while it is trained."""
    few = KnowledgeBase(load_entries(INTENTS_DIR / "knowledge")[:4], negatives=["hello there"])
    few.prepare()
    trained = few._classifier
    assert isinstance(trained, tuple)
    few.prepare()
    assert few._classifier is trained
