"""What the bot understands a tenant to mean, in the cases a housing officer cares about."""

from __future__ import annotations

import io
import json
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from helpbot.nlu.evaluation import (
    GATED_SPLITS,
    MIN_MACRO_F1,
    MIN_SAFETY_RECALL,
    evaluate,
    macro_f1,
    per_intent,
)
from helpbot.nlu.intents import INTENTS, LABELS, SAFETY_LABELS, URGENT, primary_intent
from helpbot.nlu.training import (
    EVALUATION_SPLITS,
    OFF,
    SAFETY_BETA,
    DecisionTable,
    LabelledMessage,
    SafetyCues,
    _f_beta,
    available_evaluation_splits,
    choose_thresholds,
    data_hash,
    is_current,
    is_dev,
    load_split,
    model_text,
    normalise,
    train,
)
from helpbot.nlu.understanding import Understanding
from tests.nlu_fixtures import INTENTS_DIR, PIPELINE_DIR


def intent(understanding: Understanding, text: str) -> str:
    return understanding.classify(text).intent


def test_a_gas_smell_is_an_emergency(understanding: Understanding) -> None:
    assert intent(understanding, "gas smell!!") == "emergency"
    assert intent(understanding, "I can smell gas in my kitchen") == "emergency"


def test_water_through_the_ceiling_onto_the_light_is_an_emergency(
    understanding: Understanding,
) -> None:
    assert intent(understanding, "Water is coming through the ceiling onto the light") == (
        "emergency"
    )


def test_a_dripping_tap_is_a_repair(understanding: Understanding) -> None:
    assert intent(understanding, "Water is dripping from the tap") == "repair"


def test_a_snapped_pull_cord_is_a_repair(understanding: Understanding) -> None:
    assert intent(understanding, "The bathroom light pull-cord snapped") == "repair"


def test_a_repair_reported_weeks_ago_and_not_done_is_a_complaint(
    understanding: Understanding,
) -> None:
    text = "I reported the pull-cord a month ago and you still haven't fixed it"
    assert intent(understanding, text) == "complaint"


def test_a_carbon_monoxide_alarm_is_an_emergency(understanding: Understanding) -> None:
    assert intent(understanding, "the CO alarm is going off and I feel dizzy") == "emergency"


def test_a_door_left_insecure_after_a_break_in_is_an_emergency(
    understanding: Understanding,
) -> None:
    text = "we were burgled last night and now the back door won't lock"
    assert intent(understanding, text) == "emergency"


def test_a_power_cut_with_oxygen_equipment_is_an_emergency(understanding: Understanding) -> None:
    assert intent(understanding, "power's gone off and my dad is on oxygen") == "emergency"


def test_a_threat_to_stab_is_safeguarding_not_asb(understanding: Understanding) -> None:
    assert intent(understanding, "My neighbour threatened to stab me") == "safeguarding"


def test_a_loud_tv_is_asb(understanding: Understanding) -> None:
    assert intent(understanding, "My neighbour's TV is loud every night") == "asb"


def test_thoughts_of_suicide_are_safeguarding(understanding: Understanding) -> None:
    assert intent(understanding, "i keep thinking about ending my life") == "safeguarding"


def test_domestic_abuse_is_safeguarding(understanding: Understanding) -> None:
    assert intent(understanding, "my partner hits me and I'm scared to go home") == "safeguarding"


def test_a_child_left_alone_is_safeguarding(understanding: Understanding) -> None:
    text = "the kids next door are left alone all night, the youngest is 2"
    assert intent(understanding, text) == "safeguarding"


def test_setting_up_a_direct_debit_is_a_question(understanding: Understanding) -> None:
    assert intent(understanding, "How do I set up a direct debit?") == "question"


def test_asking_for_my_balance_is_personal(understanding: Understanding) -> None:
    assert intent(understanding, "What is my current balance?") == "personal"


def test_a_rude_message_about_the_caretaker_is_still_a_complaint(
    understanding: Understanding,
) -> None:
    text = "Your caretaker is lazy and never cleans our block"
    assert intent(understanding, text) == "complaint"


def test_pure_insults_are_hostile(understanding: Understanding) -> None:
    assert intent(understanding, "You're all clowns") == "hostile"


def test_asking_for_a_callback_is_human(understanding: Understanding) -> None:
    assert intent(understanding, "Can I have a callback from someone?") == "human"


def test_hello_is_smalltalk(understanding: Understanding) -> None:
    assert intent(understanding, "Hello!") == "smalltalk"


def test_every_label_is_scored(understanding: Understanding) -> None:
    scores = understanding.classify("my boiler is broken").scores
    assert set(scores) == set(LABELS)
    assert all(isinstance(v, float) and 0.0 <= v <= 1.0 for v in scores.values())


def test_an_empty_message_does_not_crash(understanding: Understanding) -> None:
    for text in ("", "   ", "\n\t"):
        result = understanding.classify(text)
        assert result.intent == "smalltalk"
        assert set(result.scores) == set(LABELS)
    assert understanding.answer("  ") is None


def test_a_reading_below_its_own_threshold_says_it_is_a_guess(
    understanding: Understanding,
) -> None:
    """The desk takes a guess at a question, after a matter just raised, as more of
    that matter; a reading that passed its threshold is sure."""
    guess = understanding.classify("its mostly fri and sat")
    assert guess.intent == "question" and not guess.sure
    assert guess.scores["question"] < understanding.thresholds["question"]
    assert understanding.classify("how do I make a complaint?").sure
    assert understanding.classify("I can smell gas in the kitchen").sure


def test_a_very_long_message_is_classified(understanding: Understanding) -> None:
    text = "I can smell gas in the kitchen. " + "blah " * 5000
    assert intent(understanding, text) == "emergency"


def test_classify_many_agrees_with_classify(understanding: Understanding) -> None:
    texts = ["gas smell!!", "", "hi", "what's my balance", "you're all clowns"]
    batch = understanding.classify_many(texts)
    assert [c.intent for c in batch] == [understanding.classify(t).intent for t in texts]


def test_a_general_question_about_gas_is_not_forced_to_emergency() -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise("what should I do if I smell gas?")) == []
    assert cues.matches(normalise("I can smell gas")) == ["emergency"]


def test_asking_ahead_for_the_future_is_a_question_but_a_danger_now_is_not() -> None:
    """A question asked ahead ("just so I know for the future...") is not a report,
    whatever preamble it comes with; a danger told now after the same words is."""
    _emergency_cues_read(
        not_now=(
            "Just so I have it for the future, what should I do if my CO alarm ever goes off?",
            "for future reference, who do I ring if I smell gas?",
            "silly question but what should I do if there's a gas leak",
            "just in case, what do I do if the carbon monoxide alarm beeps?",
        ),
        now=(
            "just so you know there's a gas smell in the hallway",
            "for the future, gas smell in my kitchen right now what do i do",
            "just in case, gas smell in the kitchen, who do i ring",
            "silly question but is it normal that the co alarm is beeping and my head hurts",
        ),
    )


def _emergency_cues_read(not_now: tuple[str, ...], now: tuple[str, ...]) -> None:
    """The emergency cues stay quiet on every ``not_now`` message and fire on every
    ``now`` one: a guard is tested on both sides."""
    cues = SafetyCues.load(INTENTS_DIR)
    for text in not_now:
        assert cues.matches(normalise(text)) == [], text
    for text in now:
        assert cues.matches(normalise(text)) == ["emergency"], text


def test_normalising_makes_shouting_look_like_speaking() -> None:
    assert normalise("GAS SMELL!!!!!") == normalise("gas smell!!")


def test_normalising_folds_text_speak_and_emoji_modifiers() -> None:
    assert normalise("u cant fix it") == normalise("you can't fix it")
    assert normalise("👍🏽") == normalise("👍")
    assert normalise("kill my self") == "kill myself"
    assert normalise("my apartment") == "my flat"


def test_the_model_sees_word_prefixes_but_cues_do_not() -> None:
    assert "zqsmel" in model_text("i can smel gas").split()
    assert "zq" not in normalise("i can smel gas")


@pytest.mark.parametrize(
    "text",
    [
        "i can smel gass in the kitchen",
        "burglars broke in and the door won't shut",
        "I've taken a whole packet of my tablets",
        "I'm frightened of my husband",
        "the toddler next door is out on the landing on her own",
        "my carer takes all my pension and I have nothing left for food",
        "her son keeps her bank card and she never has any money",
        "the co alarm is going off and we all feel sick",
        "someone kicked our back door in while we were out. now it won't close properly",
        "the plug on the toaster sparked and went black",
        "I got a tingle off the radiator when I touched it",
        "no heating for days and my kids under 2 are freezing",
        "the ceiling is bulging and lumps of plaster keep dropping",
        "the kitchen window has come out of its frame and is hanging over the street",
        "this is my last message to you all",
    ],
)
def test_safety_cues_catch_common_phrasings(text: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "we had a gas leak last month and your guys came so fast, just saying thanks",
        "the gas leak you fixed last week, thanks again",
        "Just wanted to say thank you to the engineer who sorted our gas leak on Tuesday",
        "cheers for sorting the sparking socket last month, really appreciated",
        "Big thank you to the fire brigade, we had a kitchen fire last night, all fine",
    ],
)
def test_a_danger_told_as_over_and_thanked_for_is_only_a_risk(text: str) -> None:
    """The gas line and a colleague's look still follow; no urgent case is opened."""
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise(text)) == [], text
    assert cues.risks(normalise(text)) == ["emergency"], text


@pytest.mark.parametrize(
    "text",
    [
        "we had a gas leak last month and now I can smell gas again",
        "gas leak last month, still smell it now",
        "Thanks for nothing, reported a gas leak last week and nobody came",
        "Thank you for coming so fast yesterday. The smell of gas is back tonight",
        "thanks for fixing the boiler last week. smell of gas in the kitchen",
        "thanks for coming out last week, the ceiling has collapsed",
        "thanks for coming out last week, there's a gas leak",
        "you fixed the gas leak last week, thanks, but it's leaking gas again",
    ],
)
def test_thanks_for_last_weeks_visit_beside_a_danger_now_is_still_an_emergency(
    text: str,
) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise(text)) == ["emergency"], text


@pytest.mark.parametrize(
    "text",
    [
        "I won't be here tomorrow, can the engineer come Friday",
        "can someone shoot me an email",
        "I don't want to live here anymore, can I transfer",
        "I'm tired of living with this damp",
        "I tripped on the broken step and hurt myself",
        "my kids are home on their own after school, can you come after 4",
        "the neighbours kicked off again and won't shut up",
        "the parking machine took my money and gave no ticket",
        "the fast food app took my money but the order never came",
        "the CO alarm shows end of life on the screen, can it be swapped",
        "the co detector is chirping, I think the battery is low",
        "do you fit carbon monoxide alarms in all your homes",
        "my nephew stayed over and beat me at every board game",
        "can my son take over the tenancy when I'm gone",
        "I've decided to repaint the kitchen",
        "the window handle fell off",
        "the sparkling wine at the party was lovely",
        "the socket cover is cracked but it works fine, no sparks or anything",
    ],
)
def test_safety_cues_leave_everyday_phrases_alone(text: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise(text)) == [], text


@pytest.mark.parametrize(
    "text",
    [
        "when I'm gone please make sure my son gets the letter",
        "if anything happens to me the cat goes to my sister",
        "don't send anyone round, I've sorted everything",
        "sorry for being a burden, it will all be easier soon",
    ],
)
def test_goodbyes_framed_as_paperwork_reach_the_safety_net(text: str) -> None:
    """Too ambiguous to decide the intent alone ("can my son take over the tenancy when
    I'm gone"), so they only make the safety net add the line and tell a colleague."""
    cues = SafetyCues.load(INTENTS_DIR)
    assert "safeguarding" in cues.risks(normalise(text)), text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("what should I do if I smell gas", "emergency"),
        ("the gas meter is hissing", "emergency"),
        ("the smoke alarm is going off and there's a burning smell", "emergency"),
        ("there is fire in the kitchen", "emergency"),
        ("the bin store is on fire", "emergency"),
        ("my co alarm keeps going off", "emergency"),
        ("burst pipe in the loft", "emergency"),
        ("I'm scared of him", "safeguarding"),
        ("i can't go on", "safeguarding"),
        ("this is goodbye", "safeguarding"),
        ("sorry for being a burden", "safeguarding"),
        ("my partner won't let me see my family", "safeguarding"),
        ("he hits the kids when he's had a drink", "safeguarding"),
        ("my grandad's lodger has taken over his pension", "safeguarding"),
        ("you won't need to chase me for the rent any more after June", "safeguarding"),
        ("a bloke keeps calling the girls over to his car by the park", "safeguarding"),
        # Seventeenth pass: kinds the blind challenge16 let past the net.
        ('a note through the door: "we know what school your kids go to"', "safeguarding"),
        ("a man sits outside the primary gates taking pictures of the kids", "safeguarding"),
        ("my stepdad locks the kitchen so I can't eat unless he says so", "safeguarding"),
        # Eighteenth pass: kinds the blind challenge17 let past the net.
        ("a card through the letterbox said we know where you live", "safeguarding"),
        ("someone shared our address on a local facebook page after the row", "safeguarding"),
        ("they scratched a swastika into the car door", "safeguarding"),
        ("my uncles say I'm shaming the family because of who I'm seeing", "safeguarding"),
        ("her dad wants to take her abroad and make her marry a cousin", "safeguarding"),
        ("is there any way onto the roof? I just want somewhere high", "safeguarding"),
        ("how high is the top floor balcony, asking for no reason", "safeguarding"),
    ],
)
def test_signs_of_risk_reach_the_safety_net(text: str, label: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert label in cues.risks(normalise(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "no I can't send a photo",
        "gas prices are up again and my direct debit has doubled",
        "how often do you do gas safety checks?",
        "the fire deal on that telly was a con",
        "these new trainers are fire 🔥",
        "that new coffee shop is smoking hot right now",
        "the fire door on our landing doesn't close by itself",
        "the smoke alarm keeps chirping, I think it needs a new battery",
        "the carbon monoxide detector says end of life, can I get a new one",
        "the pilot said we'd hit a bit of turbulence",
        "you've sent me a threatening arrears letter when I've paid",
        "goodbye, have a good weekend",
        "sorry for the bother, can you fix my tap",
        "the app won't let me log in",
        "I'm afraid I can't make Tuesday",
        "no point ringing, nobody ever answers",
        "I burst into tears laughing",
        "I'll give up my parking space if someone needs it",
        "the socket cover is cracked but it works fine, no sparks or anything",
        "the bedroom socket is dead, no burning smell, nothing",
        "you won't need to chase me, I've paid it all today",
        "the ice cream van calls the kids over with its music",
        "we know what school you went to, small world",
        "the photographer was taking pictures of the kids for the newsletter",
        "we put a child lock on the fridge because of the toddler",
        "my husband locks the kitchen door at night",
        "I know where you live, you useless lot",
        "I put my new address on the form online",
        "you bring shame on the whole housing sector",
        "the family are ashamed of the state of the garden",
        "is there somewhere high to store the Christmas decorations",
        "can someone get onto the roof to fix the aerial",
    ],
)
def test_ordinary_messages_do_not_trip_the_safety_net_cues(text: str) -> None:
    """Each flag costs a colleague's look and puts a safety line in front of a tenant who
    asked about something else, so the broad cues leave everyday phrasing alone."""
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.risks(normalise(text)) == [], text


def test_praise_that_says_on_fire_is_not_a_fire() -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise("that new chicken place is on fire, queue every night")) == []
    assert cues.matches(normalise("the flat next door is on fire")) == ["emergency"]


def test_a_body_or_the_sky_on_fire_and_a_flood_of_emails_are_not_emergencies() -> None:
    """Hyperbole from posts about other things (challenge18's off-topic cue alarms): a
    burning mouth, a red sky, a flood of notifications. Water, a room or a home on fire
    still are."""
    _emergency_cues_read(
        not_now=(
            "this vindaloo is so hot my mouth is on fire",
            "the sky was on fire at sunset tonight",
            "leg day at the gym, my thighs are literally on fire",
            "got flooded with notifications when the tickets went on sale",
            "we've been flooded with likes on the fun day photos",
        ),
        now=(
            "the kitchen is on fire",
            "my mouth is sore, the toaster caught fire and the kitchen is on fire",
            "the bathroom got flooded with dirty water from the toilet",
            "we're flooded, water everywhere",
        ),
    )


def test_a_figure_of_speech_is_no_sign_of_a_fire_or_a_flood() -> None:
    """Figures of speech are taken out before the risk signs read a message (walking the
    fake Bot API, "my mouth is on fire" after a curry got the gas and fire line): a
    body, the sky or a team on fire, an inbox flooded with emails. What is left of the
    message is still read, and a room, a phone or a bathroom on fire or flooded with
    nothing after it still gets the line."""
    cues = SafetyCues.load(INTENTS_DIR)
    for text in (
        "This vindaloo is so hot I think my mouth is on fire",
        "leg day today, my legs are on fire after those stairs",
        "that sunset looked like the sky was on fire",
        "our striker is on fire this season",
        "I'm flooded with emails after my holiday, send coffee",
        "my phone has been blowing up with messages all morning",
        "my inbox is flooded",
    ):
        assert cues.risks(normalise(text)) == [], text
    for text in (
        "my mouth is on fire and there's smoke coming out of the socket",
        "my phone is on fire",
        "the bathroom is flooded with sewage",
        "flat flooded with water from upstairs",
        "I'm flooded with emails and the kitchen ceiling is sagging with water",
    ):
        assert cues.risks(normalise(text)) == ["emergency"], text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("every time I touch the radiator I get a tingle, something is live", "emergency"),
        ("it's freezing in here and the baby's lips have gone blue", "emergency"),
        ("the floor in the hall gave way under me", "emergency"),
        ("a thief smashed the lock and now the door can't be locked", "emergency"),
        ("the lift went up with my toddler still inside", "emergency"),
        ("he grabbed me by the throat last night", "safeguarding"),
        ("my brother keeps saying he's going to top himself", "safeguarding"),
        ("I think a girl is being held against her will in the flat above", "safeguarding"),
        ("I've got a non-molestation order and he's outside again", "safeguarding"),
        ("tonight's the night I stop being a burden to everyone", "safeguarding"),
    ],
)
def test_cues_added_in_the_fourth_pass_catch_danger(text: str, label: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert label in cues.matches(normalise(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "the old carpet on the stairs gave way to laminate",
        "my inbox is flooded with spam",
        "the kids were blue with cold after swimming lol",
        "I touched the radiator and it was stone cold",
        "the lift was out of order with nobody in it",
        "tonight's the quiz night, see you there",
    ],
)
def test_cues_added_in_the_fourth_pass_leave_everyday_phrases_alone(text: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise(text)) == [], text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("there's a strong smell of gas by the meter", "emergency"),
        ("the bedroom ceiling is sagging and looks like it could come down", "emergency"),
        ("the ceiling has a bulge in it and it creaks at night", "emergency"),
        ("one of the steps shifted when I stood on it", "emergency"),
        ("the police forced the door and the lock has snapped off, I can't lock it", "emergency"),
        ("my door won't lock since the bailiffs kicked it in", "emergency"),
        ("the alarm in the hall keeps beeping and we've all got headaches", "emergency"),
        ("the kitchen smells a bit like when the hob has been left on", "emergency"),
        ("the cooker is hissing and nothing is switched on", "emergency"),
        ("the heating has packed up. my husband is 89 and has dementia", "emergency"),
        ("the heating hasn't come on all week and I'm 86", "emergency"),
        ("he said he'd cut my throat if I went to the police", "safeguarding"),
        ("my ex has been stalking me for weeks", "safeguarding"),
        ("I've started cutting again and I can't stop", "safeguarding"),
        ("what happens to my flat when a tenant dies? asking for myself", "safeguarding"),
        ("would the beam in the hallway take the weight of a person", "safeguarding"),
        ("last message from me. thanks for everything", "safeguarding"),
        ("I won't be alive by christmas", "safeguarding"),
        ("her son makes her hand over her pension every week", "safeguarding"),
        ("a baby has been screaming for hours and nobody is going to it", "safeguarding"),
        ("her carer hasn't been for four days", "safeguarding"),
        ("the old man at number 4 is 90, nobody has seen him since friday", "safeguarding"),
        ("a man keeps calling the kids over to his van", "safeguarding"),
        ("please don't tell my partner I asked for a lock on the bathroom door", "safeguarding"),
    ],
)
def test_cues_added_in_the_fifth_pass_catch_danger(text: str, label: str) -> None:
    """Threats without "threat", stalking, goodbyes as questions, elder neglect, excess
    cold told across sentences, structural and CO hazards in plain words (issue 13)."""
    cues = SafetyCues.load(INTENTS_DIR)
    assert label in cues.matches(normalise(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "boiler is making a banging noise, no gas smell or anything, just loud",
        "there is no smell of gas, the boiler just clicks",
        "I can't smell gas but the pilot light keeps going out",
        "the ceiling in the hall has a hairline crack, not bulging or anything",
        "the carbon monoxide alarm fell off the wall, it needs putting back up",
        "I've been stalking the postman all morning for my parcel lol",
        "been cutting again the hedge this weekend",
        "my husband and I are both on the tenancy, what happens when one of us dies",
        "the old lady at 4 is 86 and can't carry her bins down",
        "the heating is on but the radiator in the hall is only lukewarm",
        "the baby was up crying all night with her teeth",
        "the step outside the shop moved house, it's a cafe now",
    ],
)
def test_cues_added_in_the_fifth_pass_leave_everyday_phrases_alone(text: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise(text)) == [], text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("the crack in the bedroom wall keeps getting wider", "emergency"),
        ("my headaches go away when I go outside", "emergency"),
        ("he keeps following me home from the bus stop", "safeguarding"),
        ("who gets my cat when I'm not here", "safeguarding"),
        ("the baby next door has been crying for hours", "safeguarding"),
        ("please don't mention it to my husband", "safeguarding"),
    ],
)
def test_fifth_pass_signs_of_risk_reach_the_safety_net(text: str, label: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert label in cues.risks(normalise(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "whoever fitted my new door left a gap you can see daylight through",
        "the crack in my phone screen keeps getting worse",
        "who gets the parking space when the new tenant moves in",
    ],
)
def test_fifth_pass_risk_cues_leave_everyday_phrases_alone(text: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.risks(normalise(text)) == [], text


def test_evaluation_messages_are_never_trained_on() -> None:
    trained = {normalise(m.text) for m in load_split(INTENTS_DIR, "examples")}
    for split in available_evaluation_splits(INTENTS_DIR):
        held = {normalise(m.text) for m in load_split(INTENTS_DIR, split)}
        assert not trained & held, split


def test_the_challenge_sets_are_present() -> None:
    """Written by other authors than the examples; the honest estimate (intents/README.md)."""
    assert available_evaluation_splits(INTENTS_DIR) == list(EVALUATION_SPLITS)


def test_every_intent_has_enough_examples() -> None:
    examples = load_split(INTENTS_DIR, "examples")
    heldout = load_split(INTENTS_DIR, "heldout")
    for label in INTENTS:
        assert sum(m.intent == label for m in examples) >= 150, label
        assert sum(m.intent == label for m in heldout) >= 30, label
    # A challenge set loses its greetings and stock questions ("Hello!", "Where is your
    # office?") that are word for word in the examples before it is measured, so its
    # small-talk and question files can be shorter; its urgent files never are.
    for split in available_evaluation_splits(INTENTS_DIR):
        if split != "heldout":
            messages = load_split(INTENTS_DIR, split)
            for label in INTENTS:
                least = 30 if label in ("emergency", "safeguarding") else 20
                assert sum(m.intent == label for m in messages) >= least, (split, label)


@pytest.mark.filterwarnings("ignore")
def test_training_refuses_challenge_messages_in_examples(tmp_path: Path) -> None:
    intents_dir = _tiny_intents(tmp_path / "intents")
    (intents_dir / "challenge").mkdir()
    for label in INTENTS:
        (intents_dir / "challenge" / f"{label}.txt").write_text("a message nobody trains on\n")
    leaked = load_split(intents_dir, "examples")[0]
    (intents_dir / "challenge" / f"{leaked.intent}.txt").write_text(leaked.text.upper() + "\n")
    with pytest.raises(ValueError, match="challenge"):
        train(intents_dir, tmp_path / "out")


def test_the_dev_split_is_stable_and_about_a_fifth() -> None:
    examples = load_split(INTENTS_DIR, "examples")
    dev = load_split(INTENTS_DIR, "dev")
    assert 0.12 < len(dev) / len(examples) < 0.28
    assert all(is_dev(m.text) for m in dev)


def test_the_urgent_detector_calls_urgent_when_the_signs_are_split_between_two_labels() -> None:
    # "She's 90 and the heating is off": some of it reads as emergency, some as
    # safeguarding, neither alone passes its threshold, but it is urgent.
    scores = {**{label: 0.0 for label in LABELS}, "emergency": 0.3, "safeguarding": 0.25}
    scores["repair"] = 0.45
    thresholds = {**{label: 0.5 for label in LABELS}, URGENT: 0.5}
    assert primary_intent(scores, thresholds) == "repair"
    assert primary_intent(scores, thresholds, urgent=0.4) == "repair"
    assert primary_intent(scores, thresholds, urgent=0.7) == "emergency"


def test_an_urgent_detector_that_training_switched_off_never_decides() -> None:
    scores = {**{label: 0.0 for label in LABELS}, "safeguarding": 0.2, "personal": 0.8}
    assert primary_intent(scores, {label: 0.5 for label in LABELS}, urgent=0.99) == "personal"


def test_safety_thresholds_favour_recall() -> None:
    scores = [
        {**{label: 0.0 for label in INTENTS}, "emergency": 0.3, "repair": 0.6},
        {**{label: 0.0 for label in INTENTS}, "repair": 0.9},
    ]
    thresholds = choose_thresholds(scores, ["emergency", "repair"])
    assert thresholds["emergency"] <= 0.3


def test_an_urgent_threshold_never_rises_above_the_middle() -> None:
    """Out of fold, a repair scoring 0.45 emergency makes 0.5 the better threshold for
    the F-score; a doubt between urgent and not is settled towards urgent instead."""
    nothing = {label: 0.0 for label in INTENTS}
    scores = [
        {**nothing, "emergency": 0.45, "repair": 0.4},
        {**nothing, "emergency": 0.45, "repair": 0.4},
        {**nothing, "emergency": 0.6, "repair": 0.3},
        {**nothing, "repair": 0.9},
    ]
    gold = ["repair", "repair", "emergency", "repair"]
    thresholds = choose_thresholds(scores, gold)
    assert thresholds["emergency"] <= 0.4
    assert thresholds["safeguarding"] <= 0.4


def test_the_threshold_search_decides_as_primary_intent_does() -> None:
    """DecisionTable (all messages at once, for the threshold search) gives the label
    primary_intent gives each message and the F-scores _f_beta gives, to the bit: on
    random tables with ties at the thresholds, missing labels and the urgent detector
    on, off and absent."""
    rng = random.Random(1)
    for trial in range(200):
        size = rng.randint(1, 300)
        scores = [
            {
                label: rng.choice([0.0, 0.35, 0.4, 0.5, rng.random()])
                for label in LABELS
                if rng.random() > 0.05
            }
            for _ in range(size)
        ]
        gold = [rng.choice(LABELS) for _ in range(size)]
        urgent = [rng.choice([0.5, rng.random()]) for _ in range(size)]
        detector = urgent if rng.random() < 0.7 else None
        thresholds = {
            label: rng.choice([0.1, 0.2, 0.35, 0.4, 0.5, 0.65])
            for label in LABELS
            if rng.random() > 0.1
        }
        if detector is not None and rng.random() < 0.8:
            thresholds[URGENT] = rng.choice([0.5, 0.9, OFF])
        table = DecisionTable(scores, gold, detector)
        decided = [LABELS[i] for i in table.decide(thresholds)]
        if detector is None:
            expected = [primary_intent(s, thresholds) for s in scores]
        else:
            expected = [
                primary_intent(s, thresholds, u) for s, u in zip(scores, detector, strict=True)
            ]
        assert decided == expected, trial
        present = [label for label in LABELS if label in INTENTS or label in gold]
        objective = sum(
            _f_beta(gold, expected, label, SAFETY_BETA if label in SAFETY_LABELS else 1.0)
            for label in present
        ) / len(present)
        assert table.objective(thresholds) == objective, trial


@pytest.mark.parametrize("split", GATED_SPLITS)
def test_quality_gate_on_unseen_messages(understanding: Understanding, split: str) -> None:
    """The real acceptance check: macro-F1 and safety recall on unseen messages, on the
    held-out split and on the challenge sets written by other authors (challenge3 is
    reported, not gated: see evaluation.GATED_SPLITS)."""
    messages = load_split(INTENTS_DIR, split)
    gold = [m.intent for m in messages]
    predicted = [c.intent for c in understanding.classify_many(m.text for m in messages)]
    table = per_intent(gold, predicted)
    score = macro_f1(table, gold)
    assert score >= MIN_MACRO_F1, (split, score)
    assert table["emergency"]["recall"] >= MIN_SAFETY_RECALL, split
    assert table["safeguarding"]["recall"] >= MIN_SAFETY_RECALL, split


def _a_little_of_every_split(root: Path, lines: int = 12) -> Path:
    """A copy of intents/ whose evaluation files keep their first few messages each."""
    shutil.copytree(INTENTS_DIR, root)
    for split in available_evaluation_splits(root):
        for path in (root / split).glob("*.txt"):
            kept = [line for line in path.read_text().splitlines() if line.strip()]
            messages = [line for line in kept if not line.startswith("#")][:lines]
            path.write_text("\n".join(messages) + "\n")
    return root


@pytest.mark.slow
def test_evaluate_reports_every_split_separately_and_plots(
    understanding: Understanding, tmp_path: Path
) -> None:
    """`helpbot evaluate --speed --plot`: every split reported on its own, the speed
    figures, the plots. A few messages of each split are enough to show that (all of
    them, 19,000, took two minutes); the gated splits are scored whole by
    test_quality_gate_on_unseen_messages."""
    intents_dir = _a_little_of_every_split(tmp_path / "intents")
    out = io.StringIO()
    plot = tmp_path / "confusion.png"
    code = evaluate(PIPELINE_DIR, intents_dir, plot=plot, speed=True, out=out)
    report = out.getvalue()
    assert code in (0, 1) and "quality gate:" in report, report
    for split in available_evaluation_splits(INTENTS_DIR):
        assert f"== {split}:" in report and f"{split} macro-F1" in report
    assert "macro-F1" in report and "p99" in report and "MB" in report
    assert "off-topic posts" in report  # challenge3's posts about other services
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_reports_calibration_and_draws_a_reliability_diagram(
    understanding: Understanding, tmp_path: Path
) -> None:
    out = io.StringIO()
    diagram = tmp_path / "reliability.png"
    evaluate(PIPELINE_DIR, INTENTS_DIR, out=out, reliability=diagram, splits=["heldout"])
    report = out.getvalue()
    assert "ECE" in report and "temperature" in report
    assert "false urgent alarms" in report
    assert "representation comparison" in report
    assert diagram.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_evaluate_scores_only_the_folders_asked_for(
    understanding: Understanding, tmp_path: Path
) -> None:
    """`helpbot evaluate --splits`: the knowledge-only set alone is scored as such, and a
    folder that does not exist is a clear refusal, not a traceback."""
    out = io.StringIO()
    diagram = tmp_path / "reliability.png"
    code = evaluate(PIPELINE_DIR, INTENTS_DIR, out=out, reliability=diagram, splits=["challenge11"])
    report = out.getvalue()
    assert code == 0, report
    assert "knowledge base (challenge11)" in report and "== challenge11" not in report
    assert "knowledge base (challenge10)" not in report
    out = io.StringIO()
    assert evaluate(PIPELINE_DIR, INTENTS_DIR, out=out, splits=["challenge99"]) == 2
    assert "no such evaluation folder under intents/: challenge99" in out.getvalue()


def test_the_pipeline_is_current_and_records_its_thresholds(understanding: Understanding) -> None:
    assert is_current(INTENTS_DIR, PIPELINE_DIR)
    metadata = json.loads((PIPELINE_DIR / "thresholds.json").read_text())
    assert metadata["data_hash"] == data_hash(INTENTS_DIR)
    assert set(metadata["thresholds"]) == {*LABELS, URGENT}
    slope, _ = metadata["urgent_calibration"]
    assert slope > 0
    assert 0.0 < metadata["risk_threshold"] <= 0.5
    assert metadata["cv_safety_net"]["urgent_recall_with_net"] >= 0.98


def _tiny_intents(root: Path) -> Path:
    (root / "examples").mkdir(parents=True)
    (root / "config.cfg").write_text((INTENTS_DIR / "config.cfg").read_text())
    for label in INTENTS:
        lines = [m.text for m in load_split(INTENTS_DIR, "examples") if m.intent == label][:12]
        (root / "examples" / f"{label}.txt").write_text("\n".join(lines) + "\n")
    return root


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore")
def test_training_twice_gives_the_same_model_in_one_process_or_several(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Same examples and seed, same model, to the byte: also when the folds are fitted
    in forked processes and the sentences read there (training.FoldFits), against one
    process doing everything."""
    from helpbot.nlu import training
    from helpbot.nlu.sentence_encoder import MiniLMEncoder

    # An encoder of its own, on one thread, as `helpbot train` has (a serving test in
    # this process may have left a two-thread one, which must not be forked).
    monkeypatch.setattr(MiniLMEncoder, "threads", 1)
    monkeypatch.setattr(MiniLMEncoder, "_shared", None)
    intents_dir = _tiny_intents(tmp_path / "intents")
    pools: list[int] = []
    real_pool = training.ProcessPoolExecutor

    def counted_pool(workers: int, **options: object) -> object:
        pools.append(workers)
        return real_pool(workers, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "ProcessPoolExecutor", counted_pool)
    monkeypatch.setattr(training, "_cores", lambda: 3)
    first = train(intents_dir, tmp_path / "a", seed=3)
    assert pools == [2, 2], "the folds and the reading were shared out"
    monkeypatch.setattr(training, "_cores", lambda: 1)
    second = train(intents_dir, tmp_path / "b", seed=3)
    assert pools == [2, 2], "one process did everything"

    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for name in files:
        if name.name != "thresholds.json":
            assert (first / name).read_bytes() == (second / name).read_bytes(), name
    timing = {"training_seconds", "training_cpu_seconds"}
    metadata_a = json.loads((first / "thresholds.json").read_text())
    metadata_b = json.loads((second / "thresholds.json").read_text())
    assert {k: v for k, v in metadata_a.items() if k not in timing} == {
        k: v for k, v in metadata_b.items() if k not in timing
    }


def _running(pid: int) -> bool:
    """Alive and not a zombie waiting for a reaper."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def test_a_training_killed_mid_fold_leaves_no_helper_behind() -> None:
    """kill -9 of a process training its folds (or of the first `make run`): the helpers
    it forked end with it instead of waiting for work for ever, each holding a few
    hundred MB (found walking it: an orphan still asleep a minute later)."""
    script = (
        "import os, time\n"
        "from helpbot.nlu.training import helper_pool\n"
        "pool = helper_pool(1)\n"
        "print(pool.submit(os.getpid).result(), flush=True)\n"
        "pool.submit(time.sleep, 60)\n"
        "time.sleep(60)\n"
    )
    training = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        assert training.stdout is not None
        helper = int(training.stdout.readline())
        assert helper != training.pid and _running(helper)
    finally:
        training.kill()
        training.wait()
    deadline = time.monotonic() + 10
    while _running(helper) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _running(helper)


def test_a_changed_example_makes_the_pipeline_stale(tmp_path: Path) -> None:
    intents_dir = _tiny_intents(tmp_path / "intents")
    before = data_hash(intents_dir)
    with (intents_dir / "examples" / "repair.txt").open("a") as handle:
        handle.write("the shed door is hanging off\n")
    assert data_hash(intents_dir) != before


def test_labelled_messages_keep_their_intent() -> None:
    assert LabelledMessage("hi", "smalltalk").intent == "smalltalk"


def test_a_reworded_answer_keeps_the_pipeline_but_a_new_question_does_not(
    tmp_path: Path,
) -> None:
    """Only the knowledge base's questions are trained on; its answers are read at run
    time, so rewording one costs no retrain."""
    intents_dir = _tiny_intents(tmp_path / "intents")
    (intents_dir / "knowledge").mkdir(exist_ok=True)
    entry = '[[entry]]\nid = "phone"\nquestions = ["what is your number"]\nanswer = """{}"""\n'
    (intents_dir / "knowledge" / "contact.toml").write_text(entry.format("Call 01278 444344."))
    before = data_hash(intents_dir)
    (intents_dir / "knowledge" / "contact.toml").write_text(entry.format("Ring 01278 444344."))
    assert data_hash(intents_dir) == before
    (intents_dir / "knowledge" / "contact.toml").write_text(
        entry.format("Ring us.").replace('"what is your number"', '"phone number please"')
    )
    assert data_hash(intents_dir) != before


def test_a_batch_read_ahead_is_what_each_message_is_then_classified_as(
    understanding: Understanding, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The post room reads a worker's batch in one pass; the desk then asks about each
    message and must get the same reading without the model running again."""
    texts = ["i can smell gas in the kitchen", "what's your phone number?", "thanks x"]
    expected = [understanding.classify_many([t])[0] for t in texts]
    understanding.read_ahead(texts)

    def no_second_pass(batch: object) -> list[object]:
        raise AssertionError("read twice")

    monkeypatch.setattr(understanding, "classify_many", no_second_pass)
    for text, read in zip(texts, expected, strict=True):
        assert understanding.classify(text).intent == read.intent
        # A batch sums in another order than one message: the same to float32 precision.
        assert understanding.classify(text).scores == pytest.approx(read.scores, abs=1e-6)


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("the carbon monoxide thing in the hall is making a constant racket", "emergency"),
        ("the detector that says CO is flashing red and beeping", "emergency"),
        ("our co monitor display shows 220 and won't stop", "emergency"),
        ("my wife feels dizzy every evening and the boiler flame is a lazy yellow", "emergency"),
        ("the landing reeks of bad eggs and I've gone light headed", "emergency"),
        ("somebody set light to the bin bags under the stairs", "emergency"),
        ("rain is trickling out of the spotlights in the kitchen", "emergency"),
        (
            "the crack above the window has opened up and you can see the sky through it",
            "emergency",
        ),
        ("the front path has sunk about two inches by the door", "emergency"),
        ("the side wall has toppled onto next door's car", "emergency"),
        ("slates are being ripped off the roof in this wind", "emergency"),
        ("robbers prised open the patio door last night", "emergency"),
        ("my lock won't shut since the break-in on saturday", "emergency"),
        ("his dialysis machine cut out when the fuse went", "emergency"),
        (
            "I've chased the boiler three times. it broke on friday. my daughter is 3 weeks"
            " old and it's freezing in here",
            "emergency",
        ),
        ("my ex has tracked down my new address", "safeguarding"),
        (
            "a van has been parked outside for hours with a man sat in it, every night",
            "safeguarding",
        ),
        ("some days I just want to vanish", "safeguarding"),
        ("christmas this year will be my last birthday", "safeguarding"),
        ("I'm going to throw myself off the car park roof", "safeguarding"),
        ("I bang my head on the wall till it bleeds", "safeguarding"),
        (
            "the lady who comes in to help mum knows her pin and now her account is empty",
            "safeguarding",
        ),
        ("there's a lad sleeping rough in the stairwell shaking and ill", "safeguarding"),
        ("I can't get into my bedroom because of all the junk any more", "safeguarding"),
        ("he said he'd set fire to the house with us in it", "safeguarding"),
    ],
)
def test_cues_added_in_the_sixth_pass_catch_danger(text: str, label: str) -> None:
    """Carbon monoxide told by the alarm or symptoms, structural drops, fires set,
    break-ins told as stories, being found, self-neglect, financial abuse by a helper
    (issue 13, kinds missed on challenge 6; the wording is new)."""
    cues = SafetyCues.load(INTENTS_DIR)
    assert label in cues.matches(normalise(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "the CO alarm keeps chirping, I think the battery needs replacing",
        "the hall smoke detector bleeps non-stop, low battery I reckon",
        "bathroom wall tiles coming loose by the basin",
        "one slate slipped out of place on the bike shed",
        "the egg sandwich from the cafe was off",
        "the shop assistant set fire to my hopes lol",
        "he'll set fire to the barbecue at the fun day",
        "the light in the hall keeps flickering",
        "my lodger has my spare keys",
        "my carer uses my bank card to do my shopping every week, she's lovely",
        "the woman downstairs keeps taking photos of my car",
        "I want to disappear for the weekend somewhere sunny",
        "that's the last post from me tonight, night all",
        "you should go jump off the roof, useless thing",
        "my boiler broke but it's a warm week and I live alone",
        "my cousin found out where we live and brought round a cake",
        "out of interest, how would I report a gas leak?",
    ],
)
def test_cues_added_in_the_sixth_pass_leave_everyday_phrases_alone(text: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise(text)) == [], text


@pytest.mark.parametrize(
    "text",
    [
        "we won't be around from friday, away on a trip to see family",
        "won't be here on monday, visiting my sister",
    ],
)
def test_sixth_pass_holidays_are_no_goodbye(text: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert "safeguarding" not in cues.risks(normalise(text)), text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("the plug socket in the lounge is too hot to touch and buzzing", "emergency"),
        ("the extension lead has gone black and smells of burning", "emergency"),
        ("my lads e-bike battery is smoking on charge in the hallway", "emergency"),
        ("the power bank on the kitchen side is hissing and swelling up", "emergency"),
        ("kids have set the wheelie bins alight up against the fence", "emergency"),
        ("the shed next door is alight and it's right by our back wall", "emergency"),
        ("the lintel above my front door has dropped and the bricks are loose", "emergency"),
        ("our bay is pulling away from the house, there's a gap you can see through", "emergency"),
        (
            "there was an almighty crack in the night and now the bedroom ceiling has dropped"
            " at one side",
            "emergency",
        ),
        (
            "the garden wall has shifted a few inches since last night and leans over the path",
            "emergency",
        ),
        ("the metal fire escape is coming away from the building at the top", "emergency"),
        (
            "the back door lock is smashed after someone tried to get in, I've got the sofa"
            " pushed against the door",
            "emergency",
        ),
        ("lift has stopped with my mum stuck inside on the 6th floor", "emergency"),
        ("I'm inside the lift and it's not moving, the doors won't open", "emergency"),
        (
            "my dad is 91 and his heating went off on friday, it's been minus 2 at night",
            "emergency",
        ),
        ("If I did something daft, would anybody notice for weeks?", "safeguarding"),
        ("been googling how many sleeping tablets it would take", "safeguarding"),
        ("whats a lethal dose of co-codamol", "safeguarding"),
        ("I'm stood on the edge of the bridge by the river", "safeguarding"),
        (
            "sitting at the top of the tower block car park, just wanted someone to know",
            "safeguarding",
        ),
        ("some nights I hope I don't wake up", "safeguarding"),
        ("I've given my dog and my bike away, I won't be needing them", "safeguarding"),
        ("my partner chooses what I eat and who I phone and when I sleep", "safeguarding"),
        ("he keeps telling me nobody else would put up with me", "safeguarding"),
        ("I have to ask my husband's permission to buy anything for myself", "safeguarding"),
        ("my boyfriend goes through my bank app every night", "safeguarding"),
        ("they said they'd firebomb the flat if I give evidence", "safeguarding"),
        (
            "a man of about 50 keeps buying the 14 year olds on the estate cans and cigs",
            "safeguarding",
        ),
        (
            "the guy in the end flat gives the year 9 boys cash to carry bags for him",
            "safeguarding",
        ),
        (
            "a neighbour told my daughter to keep it a secret from me that he'd been texting her",
            "safeguarding",
        ),
        (
            "someone from her swimming club has been messaging my 12 yr old privately asking her"
            " for pictures",
            "safeguarding",
        ),
        (
            "My grandad is 88 and my cousin has his bank card, grandad never has money for food"
            " any more, can his rent be paid another way?",
            "safeguarding",
        ),
        ("me and the kids are not safe", "safeguarding"),
        ("giving up on life tbh", "safeguarding"),
        ("the fuse board in the cupboard smells like melting plastic", "emergency"),
        ("my kettle plug has gone black round the pins", "emergency"),
        ("lads torched a car in the car park right under the flats", "emergency"),
        ("the steel beam over the back door has dropped an inch", "emergency"),
        ("chunks of render keep falling off the front of the block", "emergency"),
        ("he's hidden my bank card and my keys so I can't leave", "safeguarding"),
        ("I have to hand him the change and account for every penny", "safeguarding"),
        ("would it matter if I disappeared? honestly", "safeguarding"),
        ("my family would be happier without me", "safeguarding"),
        ("a man in his forties keeps picking the girls from year 9 up in his car", "safeguarding"),
        (
            "my gran is 86 and her grandson took over her finances, now her bills aren't being"
            " paid",
            "safeguarding",
        ),
    ],
)
def test_cues_added_in_the_seventh_pass_catch_danger(text: str, label: str) -> None:
    """Electrics, batteries, fires and structures told by their effect, a broken lock held
    by furniture, a stopped lift, cold for the very old; quiet self-harm, control told as
    daily life, grooming told as a nuisance, an old person's money kept by a relative
    (issue 13, kinds missed on challenge 7; the wording is new)."""
    cues = SafetyCues.load(INTENTS_DIR)
    assert label in cues.matches(normalise(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "how many paracetamol can I take in a day for toothache",
        "how many tablets does it take for the antibiotics to kick in",
        "I'm sat at the top of the car park waiting for my wife to finish shopping",
        "it would be easier if I didn't wake up at 5am for the bin men",
        "sorry if I did something stupid with the online form",
        "what happens if I do something stupid like lose my keys",
        "giving my old sofa away on marketplace if anyone wants it",
        "we're giving away the kids' old toys, they don't need them now",
        "my wife decides what we have for tea",
        "my partner tells me what I should wear to the wedding",
        "my husband checks my emails for me because I'm not good with computers",
        "the man from the council gave the kids sweets at the fun day",
        "my dad gives the kids lifts to school",
        "my nan is 90 and my son does her shopping with her bank card, she's fine",
        "the socket is loose and wobbles when I plug in the hoover",
        "charging my e-bike in the shed, it takes ages",
        "burning garden waste next door again, the smoke comes in my window",
        "the bay window needs new seals, it's draughty",
        "the window has dropped and won't close properly",
        "heard a loud bang outside, think it was fireworks",
        "the rail up the communal steps has come off the wall at the bottom",
        "I'm stuck in the lift queue at the hospital lol",
        "my nan is 92 and says thanks for fixing her boiler, it's lovely and warm in this cold",
        "it's not safe here for kids to play with all the glass on the grass",
        "I sat on the edge of the bath and the panel cracked",
        "the summer sun is killing me today",
        "can't wait, dying to try the new cafe on the estate",
        "share price collapse at my old work, glad I left",
        "URGENT delivery for flat 3, can someone let the courier in",
        "the kids will cope fine without me for the weekend",
        "would it matter if I stopped my direct debit and paid by card",
        "my son looks after my pension and pays everything on time",
        "the dog's lead melted in the sun on the car seat",
        "our tutor said the answers were our little secret until the quiz",
    ],
)
def test_cues_added_in_the_seventh_pass_leave_everyday_phrases_alone(text: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise(text)) == [], text


@pytest.mark.parametrize(
    "text",
    [
        "need to put gas in the car before work",
        "my car's a real gas guzzler",
        "the vape smoke from next door's balcony drifts into my bedroom",
        "fire sale at the furniture place this weekend",
        "I'm stuck in the lift queue at the hospital lol",
    ],
)
def test_seventh_pass_petrol_vapes_and_sales_are_no_sign_of_danger(text: str) -> None:
    """Not even for the safety net: petrol called gas, vape smoke, a fire sale."""
    cues = SafetyCues.load(INTENTS_DIR)
    assert "emergency" not in cues.risks(normalise(text)), text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I've cleared the last of my rent so no one has to deal with my debts", "safeguarding"),
        ("paid everything off so nobody's left with my bills after", "safeguarding"),
        ("I'm not planning on being around much longer so please don't chase me", "safeguarding"),
        ("I don't plan on being here after the new year", "safeguarding"),
        ("I've been sitting with a handful of pills tonight", "safeguarding"),
        ("the razor's been in my hand for an hour", "safeguarding"),
        ("can someone ring me when he's at the gym, I can't talk when he's home", "safeguarding"),
        ("Can I speak to someone without my husband knowing?", "safeguarding"),
        ("Thanks so much for all your help, I've decided today's the day. Bye x", "safeguarding"),
        ("when my neighbour flushes, brown water comes up through my bath plug", "emergency"),
        ("the lock on the back door snapped off and I've wedged a chair under it", "emergency"),
        ("a chunk of brickwork fell off the block onto the footpath the kids use", "emergency"),
    ],
)
def test_eighth_pass_signs_of_risk_reach_the_safety_net(text: str, label: str) -> None:
    """Kinds challenge 8 showed slipping past even the safety net, in other words: debts
    settled so nobody is left with them, not planning to be around, pills or a blade in
    hand, wanting to talk while a partner is out, sewage told without the word, a door
    tied shut, the building falling onto a path."""
    cues = SafetyCues.load(INTENTS_DIR)
    assert label in cues.risks(normalise(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "so no one has to pay for the parking, we split it",
        "I don't plan on being here at Christmas, we're off to my sister's in Leeds",
        "not expecting to be around for the inspection on Friday, I'm away visiting my son",
        "I keep my tablets in my handbag",
        "sat with the pills organiser sorting my week",
        "Can the engineer call when he's back from work?",
        "can you talk to my husband when he's home, he sorts the bills",
        "I decided to go with the direct debit",
        "I've decided to pay by direct debit from now on",
        "the bath water takes ages to drain and keeps coming back up a bit",
        "the lock on my shed is missing",
        "some tiles came off the shed roof in the wind",
    ],
)
def test_eighth_pass_risk_cues_leave_everyday_phrases_alone(text: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.risks(normalise(text)) == [], text


@pytest.mark.parametrize(
    "text",
    [
        "could you send me the samaritans number please, it's for a friend",
        "is there a crisis line I can ring tonight",
        "my boyfriend locked me in the flat again when he went out",
        "he keeps locking me out at night when he's been drinking",
        "the young girls from upstairs keep getting into his car late at night",
        "a man in a silver van picks up the kids from the estate and they go off with him",
    ],
)
def test_eleventh_pass_signs_of_risk_reach_the_safety_net(text: str) -> None:
    """Kinds challenges 14 and 15 let past even the safety net, in other words: a crisis
    line asked for "for a friend", being locked in or out by a partner, children going
    off in a man's car."""
    cues = SafetyCues.load(INTENTS_DIR)
    assert "safeguarding" in cues.risks(normalise(text)), text


@pytest.mark.parametrize(
    "text",
    [
        "my son locked me out by accident, can you send a spare key",
        "the bathroom door locked me in, the handle is broken",
        "the kids get in the car at 8 for school",
        "the cost of living crisis is hitting everyone",
        "my daughter locked her keys in her car",
    ],
)
def test_eleventh_pass_risk_cues_leave_everyday_phrases_alone(text: str) -> None:
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.risks(normalise(text)) == [], text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I cant do this anymore", ["safeguarding"]),
        ("i just can't go on", ["safeguarding"]),
        ("I cannot take it any more.", ["safeguarding"]),
        ("I can't cope with this damp anymore", []),
        ("I can't do this anymore, the noise every night", []),
        ("can't make it on tuesday", []),
    ],
)
def test_eleventh_pass_despair_said_alone_is_safeguarding(text: str, label: list[str]) -> None:
    """ "I cant do this anymore" after reporting a nan in the cold was read as more of the
    repair. Said alone, as the whole message, it is a safeguarding concern; with more
    words about the damp or the noise, only the safety net hears it."""
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise(text)) == label, text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        (
            "I'm 93 you know, and it's chilly in the bedroom, I can see my breath in the mornings",
            ["emergency"],
        ),
        ("the baby is 3 weeks old and we can see our breath in the lounge", ["emergency"]),
        ("my 90 year old nan loves winter walks, you can see your breath on the hills", []),
        ("so cold at the bus stop I could see my breath", []),
    ],
)
def test_twelfth_pass_cold_told_by_its_effect_for_the_very_old_is_an_emergency(
    text: str, label: list[str]
) -> None:
    """Conversation set 4: a 93-year-old who can see her breath indoors, with no word
    about the heating, read 0.38 emergency and joined a case about something else."""
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise(text)) == label, text


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("knob on the hob wont click off properly either. hissing a bit", ["emergency"]),
        ("the cooker won't turn off. it's hissing", ["emergency"]),
        (
            "ok. also the kichen seeling under the bathrom has gone a brown coler and its hanging"
            " down lower than it was like a belly, bits fall of wen the bath drains",
            ["emergency"],
        ),
        ("the hob is fine. hissing noise is from the fridge", []),
        ("the cooker door won't shut. hissing from the kettle", []),
        ("hob knob is loose. hissing sound from the radiator pipes", []),
        ("oven light not working. the cat keeps hissing at the dog", []),
        ("the kitchen ceiling needs a coat of paint, it's gone a bit brown", []),
    ],
)
def test_thirteenth_pass_a_hissing_hob_and_a_sagging_ceiling_told_plainly(
    text: str, label: list[str]
) -> None:
    """Conversation set 5: a hob that won't click off, its hiss told after a full stop,
    and a kitchen ceiling "hanging down like a belly" spelt as dyslexia spells it, were
    both read as more of an oven repair and a leak, with no safety advice."""
    cues = SafetyCues.load(INTENTS_DIR)
    assert cues.matches(normalise(text)) == label, text
