"""The desk's side of issue 13, through the real bot and the fake Bot API, on SQLite and
PostgreSQL: honest when unsure (unclear), and the safety net for signs of risk that
the classifier did not call urgent."""

from __future__ import annotations

import pytest

from helpbot.desk.safety.net import SAFETY_TOPIC
from helpbot.nlu.intents import Classification
from helpbot.store.casebook import Casebook
from helpbot.testing.harness import BotUnderTest, tenant

# Signs of risk the classifier is not sure enough about to call urgent (asserted below,
# so a model that does call them urgent makes the test say so rather than pass quietly).
GAS_HINT = "probably nothing but there is a funny eggy smell near the cooker sometimes"


def buttons(message: dict) -> list[dict]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def test_an_unclear_message_gets_an_honest_reply_and_a_person_offered(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "{0} {text} {name!r}"))
    (reply,) = bot.tg.sent_messages(ann.id)
    assert "didn't understand" in reply["text"]
    assert [b["callback_data"] for b in buttons(reply)] == ["human"]
    # No case on a guess, least of all an urgent one.
    assert await Casebook(bot.store).all_cases() == []


async def test_gibberish_opens_no_case(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "asdfghjkl qwerty"))
    (reply,) = bot.replies_to(ann.id)
    assert "didn't understand" in reply
    assert await Casebook(bot.store).all_cases() == []


async def test_an_unclear_message_in_the_group_gets_no_reply(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.group_message(bot.community, ann, "{0} {text} {name!r}"))
    assert bot.tg.sent_messages(bot.community.id) == []
    assert await Casebook(bot.store).all_cases() == []


async def test_a_hint_of_gas_gets_the_gas_line_and_a_colleague_told(bot: BotUnderTest) -> None:
    classification = bot.desk.office.understanding.classify(GAS_HINT)
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, GAS_HINT))
    text = "\n".join(bot.replies_to(ann.id))
    assert "0800 111 999" in text  # gas emergency line, whatever the intent
    if classification.intent != "emergency":
        assert "emergency" in classification.risk
        staff = [m["text"] for m in bot.tg.sent_messages(bot.staff_room.id)]
        assert any("Safety check" in m and GAS_HINT in m for m in staff)
        assert SAFETY_TOPIC in {t["name"] for t in bot.tg.topics[bot.staff_room.id].values()}
        (flag,) = await bot.store.audit_trail("safety_net")
        assert flag.detail["labels"] == ["emergency"]


async def test_a_plain_question_gets_no_safety_line(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "what's your email address?"))
    text = "\n".join(bot.replies_to(ann.id))
    assert "information@shal.org" in text
    assert "Samaritans" not in text and "0800 111 999" not in text
    assert await bot.store.audit_trail("safety_net") == []


async def test_a_long_message_with_an_urgent_sentence_at_the_end_is_urgent(
    bot: BotUnderTest,
) -> None:
    filler = (
        "I wanted to say the new fence looks nice and the bins are collected on time now. "
        "My son starts college in September and we are looking forward to the summer. "
    )
    text = filler * 20 + "Also there is a strong smell of gas in the kitchen right now."
    assert len(text) > 3000
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, text))
    replies = "\n".join(bot.replies_to(ann.id))
    assert "0800 111 999" in replies and "999" in replies
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind == "emergency" and case.urgent


async def test_an_urgent_photo_caption_opens_an_urgent_case_with_the_photo(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    photo = bot.tg.photo(ann, ann, caption="water pouring through the light fitting, it's sparking")
    await bot.send(photo)
    replies = "\n".join(bot.replies_to(ann.id))
    assert "999" in replies
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind == "emergency" and case.urgent
    (copy,) = bot.tg.calls_to("copyMessage")
    assert copy.params["message_id"] == photo["message"]["message_id"]


async def test_an_urgent_caption_in_the_group_moves_to_a_private_case(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(
        bot.tg.photo(bot.community, ann, caption="smoke coming out of the socket in the hall!!")
    )
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind == "emergency"
    assert bot.tg.sent_messages(bot.community.id)


async def test_a_photo_with_a_plain_caption_in_the_group_gets_no_reply(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.photo(bot.community, ann, caption="lovely sunset over the estate"))
    assert bot.tg.sent_messages(bot.community.id) == []


async def test_a_broad_phrase_in_the_group_is_flagged_to_colleagues_not_lectured(
    bot: BotUnderTest,
) -> None:
    text = "lol I'm scared of spiders, there's a massive one in the bin store"
    classification = bot.desk.office.understanding.classify(text)
    ann = tenant(bot.tg)
    await bot.send(bot.tg.group_message(bot.community, ann, text))
    public = "\n".join(bot.replies_to(bot.community.id))
    assert "Samaritans" not in public
    # Whatever saw the faint risk (a broad phrase, or the model at low odds), colleagues
    # are told privately instead.
    if classification.risk:
        staff = [m["text"] for m in bot.tg.sent_messages(bot.staff_room.id)]
        assert any("Safety check" in m for m in staff)


async def test_an_urgent_message_with_signs_of_the_other_kind_gets_both_lines(
    bot: BotUnderTest,
) -> None:
    """Whichever urgent label wins, the tenant also gets the other one's safety line
    (issue 13: a break-in read as safeguarding still gets the emergency advice)."""
    text = "I'm frightened of my husband and he's turned the gas on in the kitchen and left it"
    classification = bot.desk.office.understanding.classify(text)
    assert classification.intent in ("emergency", "safeguarding")
    other = "safeguarding" if classification.intent == "emergency" else "emergency"
    assert classification.risk == (other,)
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, text))
    replies = "\n".join(bot.replies_to(ann.id))
    assert "0800 111 999" in replies  # the gas line
    assert "0808 2000 247" in replies  # the domestic abuse helpline: a husband (signposts)
    (case,) = await Casebook(bot.store).all_cases()
    assert case.urgent
    # Colleagues were alerted by the urgent case itself; no extra "Safety check" flag.
    assert await bot.store.audit_trail("safety_net") == []


async def test_hello_and_ok_get_no_safety_line_and_no_flag(bot: BotUnderTest) -> None:
    """Found by the fresh-clone run after the tenth pass's retraining: "hi" read 0.06
    urgent against the net's 0.05 and got "If you, or someone you know, might not be
    safe..." and a Safety check for a colleague ("hey", "hiya" and "ok" already did).
    Greetings and acknowledgements alone say nothing about risk."""
    for number, words in enumerate(("hi", "hey", "hiya", "ok", "morning all", "hi there")):
        someone = tenant(bot.tg, 6100 + number, f"T{number}")
        await bot.send(bot.tg.private_message(someone, words))
        told = "\n".join(bot.replies_to(someone.id))
        assert "999" not in told and "might not be safe" not in told, (words, told)
    assert await bot.store.audit_trail("safety_net") == []
    understanding = bot.desk.office.understanding
    assert understanding.classify("hi, i'm scared").risk  # a word of risk still counts


async def test_asking_ahead_about_a_co_alarm_opens_nothing_and_gets_the_co_advice(
    bot: BotUnderTest,
) -> None:
    """Found walking the fake Bot API: "just so I have it for the future, what should I
    do if my carbon monoxide alarm ever goes off?" is a question, not a report (no
    urgent case), and its safety line spoke only of a gas smell. The line now names the
    alarm as well, with the gas line that takes carbon monoxide calls."""
    text = "Just so I have it for the future, what should I do if my CO alarm ever goes off?"
    assert bot.desk.office.understanding.classify(text).intent not in ("emergency", "safeguarding")
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, text))
    replies = "\n".join(bot.replies_to(ann.id))
    assert "carbon monoxide alarm goes off" in replies and "0800 111 999" in replies
    assert not [case for case in await Casebook(bot.store).all_cases() if case.urgent]


async def test_a_faint_risk_in_a_mould_report_gets_the_breathing_line_not_the_gas_line(
    bot: BotUnderTest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found walking the fake Bot API: "black mould behind my daughter's cot", a repair
    with a faint emergency reading, got "Just in case: if you smell gas". The net's line
    follows the hazard the words name, as the emergency advice does."""
    text = "there's black mould behind my daughter's cot in the back bedroom"
    read = Classification(
        "repair", {"repair": 0.8, "emergency": 0.1}, "model", ("emergency",), "model"
    )
    understanding = bot.desk.office.understanding
    real = understanding.classify
    monkeypatch.setattr(understanding, "classify", lambda t: read if t == text else real(t))
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, text))
    replies = "\n".join(bot.replies_to(ann.id))
    assert "Just in case: if anyone finds it hard to breathe, call 999" in replies
    assert "0800 111 999" not in replies
    (flag,) = await bot.store.audit_trail("safety_net")
    assert flag.detail["labels"] == ["emergency"]


async def test_a_message_read_as_hostile_with_a_sign_of_danger_is_not_told_off(
    bot: BotUnderTest,
) -> None:
    """ "stuk in lif", spelt as it sounds, is read as hostile with a sign of danger: the
    tenant is not told the bot won't go on with the talk, and is not met with silence
    when it keeps coming; the honest reply, a person offered, and the safety line."""
    classification = bot.desk.office.understanding.classify("stuk in lif")
    ann = tenant(bot.tg)
    for _ in range(4):
        await bot.send(bot.tg.private_message(ann, "stuk in lif"))
    replies = bot.tg.sent_messages(ann.id)
    if classification.intent == "hostile":
        assert classification.risk
        assert len([r for r in replies if "didn't understand" in r["text"]]) == 4
        assert not any("won't go on" in r["text"] for r in replies)
    assert all("999" in r["text"] for r in replies if "didn't understand" in r["text"])
