"""One case per matter (3.12, 3.13; issue 12): a tenant's messages join the matter in
hand until it is resolved, whatever the classifier makes of each one; a clearly
different urgent matter, or the tenant saying "new issue", starts a new case; the bot
says which case each message went to. Through the fake Bot API, on SQLite and
PostgreSQL, asserting what the tenant and the staff room see."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.testing.harness import BotUnderTest, tenant

COMPLAINT = (
    "I want to make a complaint, nobody came to fix my boiler after three visits were cancelled"
)
DETAILS = (
    "here are the details: the engineer was booked for the 3rd, the 10th and the 17th "
    "and never turned up"
)
RENT = "I'm behind on my rent and need to talk about a payment plan"
GAS = "I smell gas in the kitchen"
AFTER_GAS = (
    "The gas engineer has been and capped it off. He said someone from SHAL needs to "
    "replace the cooker hose. Can someone ring me about this please, I'm in after 2pm most "
    "days, and I also need to know if I'm charged for it as I'm already behind on my rent "
    "this month."
)
REPAIR = "the window in my bedroom won't close"
NOISE = "my neighbour plays loud music every night until 3am"


def buttons(message: dict[str, Any]) -> list[dict[str, Any]]:
    markup = message.get("reply_markup") or {}
    return [b for row in markup.get("inline_keyboard", []) for b in row]


async def cases(bot: BotUnderTest) -> list[models.Case]:
    return await Casebook(bot.store).all_cases()


async def topic_of(bot: BotUnderTest, case: models.Case) -> list[str]:
    """Everything the staff room saw in this case's topic."""
    fresh = await Casebook(bot.store).by_id(case.id)
    assert fresh is not None and fresh.staff_topic_id is not None
    return bot.replies_to(bot.staff_room.id, fresh.staff_topic_id)


async def filed_on(bot: BotUnderTest, case: models.Case) -> list[str]:
    return [e.text for e in await Casebook(bot.store).timeline(case.id) if e.text]


def topics_made(bot: BotUnderTest) -> int:
    return len(bot.tg.calls_to("createForumTopic"))


async def test_a_complaint_from_the_group_gets_its_details_in_private_on_the_same_case(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.group_message(bot.community, ann, COMPLAINT))
    (complaint,) = await cases(bot)
    assert complaint.kind == "complaint"
    await bot.send(bot.tg.command(ann, ann, "start", complaint.link_token or ""))
    await bot.send(bot.tg.private_message(ann, DETAILS))
    added = f"I've added this to your case {complaint.ref} (complaint)."
    assert bot.replies_to(ann.id)[-1] == added
    heard = len(bot.replies_to(ann.id))
    # A second message the classifier reads as another kind still belongs here.
    await bot.send(bot.tg.private_message(ann, DIRECT_DEBIT))

    assert [c.id for c in await cases(bot)] == [complaint.id]  # no second case
    told = bot.replies_to(ann.id)[heard - 1 :]
    assert told[1] == added
    assert not any("logged this as a complaint" in t for t in told)  # not said twice
    # One topic for colleagues, holding the group post and both private messages.
    assert topics_made(bot) == 1
    topic = "\n".join(await topic_of(bot, complaint))
    assert COMPLAINT in topic and DETAILS in topic and DIRECT_DEBIT in topic
    assert DETAILS in await filed_on(bot, complaint)


async def test_the_details_join_the_group_complaint_without_the_link_too(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.group_message(bot.community, ann, COMPLAINT))
    await bot.send(bot.tg.private_message(ann, DETAILS))
    (complaint,) = await cases(bot)
    assert complaint.chat_id is not None  # the private chat is now the case's thread
    assert DETAILS in await filed_on(bot, complaint)
    assert complaint.ref in bot.replies_to(ann.id)[-1]


async def test_a_long_follow_up_joins_the_matter_in_hand_not_an_older_case_of_its_kind(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, RENT))
    await bot.send(bot.tg.private_message(ann, GAS))
    rent, gas = await cases(bot)
    assert (rent.kind, gas.kind, gas.urgent) == ("personal", "emergency", True)

    await bot.send(bot.tg.private_message(ann, AFTER_GAS))  # read as "personal"
    assert len(await cases(bot)) == 2
    assert AFTER_GAS in await filed_on(bot, gas)
    assert AFTER_GAS not in await filed_on(bot, rent)
    # (The safety net also repeats the gas line: the message mentions gas.)
    (reply,) = [m for m in bot.tg.sent_messages(ann.id)[-2:] if "your case" in m["text"]]
    assert f"your case {gas.ref} (emergency)" in reply["text"]
    assert [b["text"] for b in buttons(reply)] == ["No, it's a new problem"]
    assert any("cooker hose" in t for t in await topic_of(bot, gas))
    assert not any("cooker hose" in t for t in await topic_of(bot, rent))


async def test_a_gas_smell_while_a_repair_is_open_starts_a_new_urgent_case(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, REPAIR))
    await bot.send(bot.tg.private_message(ann, GAS))
    repair, gas = await cases(bot)
    assert (repair.kind, gas.kind, gas.urgent) == ("repair", "emergency", True)
    told = bot.replies_to(ann.id)[-1]
    assert "0800 111 999" in told and gas.ref in told and repair.ref not in told
    assert "I've told our team about this too." in told
    # Colleagues get a new topic marked urgent; the repair's topic never sees the gas.
    assert topics_made(bot) == 2
    assert "URGENT" in (await topic_of(bot, gas))[0]
    assert not any(GAS in t for t in await topic_of(bot, repair))
    # They are shown the repair that was in hand, and how to fold it in if a colleague
    # finds it is one matter (a leak that has reached the socket).
    assert any(repair.ref in t and f"/merge {gas.ref}" in t for t in await topic_of(bot, gas))

    # The emergency is now the matter in hand: its follow-up joins it (the advice was
    # given with the report; it comes again only for a follow-up read as urgent itself).
    await bot.send(bot.tg.private_message(ann, "the gas man is here now"))
    assert len(await cases(bot)) == 2
    told = bot.replies_to(ann.id)[-1]
    assert f"your case {gas.ref} (emergency)" in told


async def test_saying_new_issue_starts_a_new_matter(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, REPAIR))
    (repair,) = await cases(bot)
    await bot.send(bot.tg.private_message(ann, "new issue"))
    ready = bot.replies_to(ann.id)[-1]
    assert "new problem" in ready and f"Your case {repair.ref} stays open." in ready
    assert any("new problem" in t for t in await topic_of(bot, repair))

    await bot.send(bot.tg.private_message(ann, NOISE))
    repair, noise = await cases(bot)
    assert (repair.status, noise.kind) == ("open", "asb")
    assert noise.ref in bot.replies_to(ann.id)[-1]
    assert NOISE in await filed_on(bot, noise) and NOISE not in await filed_on(bot, repair)
    # The next message joins the new matter, not the repair.
    await bot.send(bot.tg.private_message(ann, "it was really bad again last night"))
    # (The safety net may add a kind check-in after it: "really bad" is a faint sign.)
    assert any(f"your case {noise.ref}" in said for said in bot.replies_to(ann.id)[-2:])


async def test_new_issue_words_with_the_matter_after_them_and_the_new_command(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, REPAIR))
    await bot.send(bot.tg.private_message(ann, f"That's a different problem: {NOISE}"))
    repair, noise = await cases(bot)
    assert noise.kind == "asb" and noise.ref in bot.replies_to(ann.id)[-1]
    assert NOISE not in await filed_on(bot, repair)

    await bot.send(bot.tg.command(ann, ann, "new"))
    assert "new problem" in bot.replies_to(ann.id)[-1]
    await bot.send(bot.tg.private_message(ann, RENT))
    assert len(await cases(bot)) == 3


async def test_the_button_moves_a_message_to_a_new_case(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, REPAIR))
    await bot.send(bot.tg.private_message(ann, RENT))  # joined the repair at first
    (repair,) = await cases(bot)
    added = bot.tg.sent_messages(ann.id)[-1]
    assert f"your case {repair.ref} (repair)" in added["text"]
    (split,) = buttons(added)
    await bot.send(bot.tg.callback(ann, added, split["callback_data"]))

    repair, rent = await cases(bot)
    assert rent.kind == "personal"
    told = bot.replies_to(ann.id)[-1]
    assert "moved that message to a new case" in told and rent.ref in told
    assert RENT in await filed_on(bot, rent)
    assert rent.ref in "\n".join(await topic_of(bot, repair))  # colleagues follow it
    assert any(RENT in t for t in await topic_of(bot, rent))
    moved = await bot.store.case_messages(rent.id)
    assert [m.text for m in moved if m.direction == "in"] == [RENT]
    # The new case is now the matter in hand; the repair stays open for colleagues.
    heard = len(bot.replies_to(ann.id))
    await bot.send(bot.tg.private_message(ann, "I'm behind on my rent because I took time off"))
    assert f"your case {rent.ref}" in bot.replies_to(ann.id)[heard]
    assert (await Casebook(bot.store).by_id(repair.id)).status == "open"  # type: ignore[union-attr]

    # Pressed again: nothing new, the tenant is told where it is.
    await bot.send(bot.tg.callback(ann, added, split["callback_data"]))
    assert len(await cases(bot)) == 2
    assert rent.ref in bot.replies_to(ann.id)[-1]
    # Another tenant pressing it changes nothing.
    bob = tenant(bot.tg, 5002, "Bob")
    await bot.send(bot.tg.private_message(bob, "hello"))
    await bot.send(bot.tg.callback(bob, added, split["callback_data"]))
    assert len(await cases(bot)) == 2


async def test_a_closed_case_is_not_joined_and_colleagues_see_the_link(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, REPAIR))
    (repair,) = await cases(bot)
    priya = bot.tg.user(9001, "Priya")
    thread = (await Casebook(bot.store).by_id(repair.id)).staff_topic_id  # type: ignore[union-attr]
    assert thread is not None
    await bot.send(bot.tg.topic_message(bot.staff_room, thread, priya, "/close"))

    await bot.send(bot.tg.private_message(ann, "the bedroom window won't close again"))
    old, again = await cases(bot)
    assert (old.status, again.status, again.kind) == ("closed", "open", "repair")
    assert again.ref in bot.replies_to(ann.id)[-1]
    assert not any("won't close again" in t for t in await filed_on(bot, old))
    header = (await topic_of(bot, again))[0]
    assert old.ref in header and "/reopen" in header


async def test_asking_for_a_person_joins_the_matter_in_hand(bot: BotUnderTest) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, REPAIR))
    (repair,) = await cases(bot)
    await bot.send(bot.tg.private_message(ann, "asdfghjkl qwerty"))  # offers a person
    offer = bot.tg.sent_messages(ann.id)[-1]
    await bot.send(bot.tg.callback(ann, offer, "human"))
    assert [c.id for c in await cases(bot)] == [repair.id]
    told = bot.replies_to(ann.id)[-1]
    assert "pass this to our team" in told and "A colleague will reply to you here." in told
    assert f"your case {repair.ref} (repair)" in told


async def test_a_faint_follow_up_to_an_urgent_matter_is_filed_without_the_advice_again(
    bot: BotUnderTest,
) -> None:
    """ "About a metre wide, since October" reads as faint small talk: it joins the
    matter in hand, and the tenant is not given the emergency advice a second time."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, GAS))
    (gas,) = await cases(bot)
    heard = len(bot.replies_to(ann.id))
    follow_up = "about a metre wide, it's been there since October"
    await bot.send(bot.tg.private_message(ann, follow_up))
    told = "\n".join(bot.replies_to(ann.id)[heard:])
    assert gas.ref in told and "0800 111 999" not in told
    assert follow_up in await filed_on(bot, gas)
    assert len(await cases(bot)) == 1


async def test_gas_getting_stronger_after_the_gas_advice_is_filed_without_it_again(
    bot: BotUnderTest,
) -> None:
    """Found walking the web chat: "it's getting stronger", taken as the answer to the
    desk's question after a gas smell, got the gas line a second time."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, GAS))
    (gas,) = await cases(bot)
    heard = len(bot.replies_to(ann.id))
    await bot.send(bot.tg.private_message(ann, "it's getting stronger"))
    told = "\n".join(bot.replies_to(ann.id)[heard:])
    assert gas.ref in told and "0800 111 999" not in told
    assert "it's getting stronger" in await filed_on(bot, gas)
    assert len(await cases(bot)) == 1


async def test_a_gas_smell_while_a_mould_emergency_is_open_is_a_new_emergency(
    bot: BotUnderTest,
) -> None:
    """Two emergencies, two matters: a gas smell is not more of the mould, though both
    read as "emergency"; a follow-up about the same hazard still joins its case."""
    ann = tenant(bot.tg)
    await bot.send(
        bot.tg.private_message(
            ann, "black mould all over the bedroom, it's spreading fast and my baby is wheezing"
        )
    )
    first = await cases(bot)
    await bot.send(bot.tg.private_message(ann, GAS))
    now = await cases(bot)
    if first[0].kind == "emergency":
        assert len(now) == 2 and now[1].kind == "emergency"
        assert GAS in await filed_on(bot, now[1]) and GAS not in await filed_on(bot, now[0])
        assert now[1].ref in bot.replies_to(ann.id)[-1] or any(
            now[1].ref in said for said in bot.replies_to(ann.id)[-2:]
        )
    else:
        # Read as a repair, the gas smell is a different urgent matter anyway.
        assert len(now) == 2


async def test_asking_what_else_to_do_after_a_gas_smell_gets_the_gas_advice_again(
    bot: BotUnderTest,
) -> None:
    """Found walking the fake Bot API: after a gas smell, "I've opened the windows, what
    else should I do?" (a question the knowledge base cannot answer) was told the bot
    was not sure. It gets the gas advice again and is filed on the same case."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, GAS))
    (gas,) = await cases(bot)
    await bot.send(bot.tg.private_message(ann, "I've opened the windows, what else should I do?"))
    told = bot.replies_to(ann.id)[-1]
    assert "0800 111 999" in told and gas.ref in told
    assert "not sure" not in told
    assert "what else should I do?" in " ".join(await filed_on(bot, gas))
    assert len(await cases(bot)) == 1


async def test_a_drip_getting_worse_on_the_cold_tap_is_the_same_repair_not_an_emergency(
    bot: BotUnderTest,
) -> None:
    """Found walking the bot by hand after the eighth pass: Ann's follow-up about her
    dripping tap ("it's the cold tap, and it's getting worse") was read as an emergency,
    opened an urgent case and got the emergency advice. It is the same repair, filed on
    its case. (The safety net may still add its "just in case" line: "cold" and
    "worse" are faint signs of risk, and the net is set to miss nothing.)"""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "my kitchen tap has been dripping for a week"))
    (repair,) = await cases(bot)
    heard = len(bot.replies_to(ann.id))
    await bot.send(bot.tg.private_message(ann, "it's the cold tap, and it's getting worse"))
    assert len(await cases(bot)) == 1
    told = "\n".join(bot.replies_to(ann.id)[heard:])
    assert "This sounds like an emergency" not in told and f"your case {repair.ref}" in told
    assert any("getting worse" in t for t in await filed_on(bot, repair))


async def test_abuse_told_in_a_few_words_after_a_repair_is_its_own_safeguarding_case(
    bot: BotUnderTest,
) -> None:
    """Ann reports a window, then says in five words that her partner hits her. Read
    together with the window the words came out as more of the repair (tried while
    looking at matters split by short follow-ups, and dropped for this): a disclosure
    is never filed inside a repair. It opens its own safeguarding case with its advice."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, REPAIR))
    heard = len(bot.replies_to(ann.id))
    await bot.send(bot.tg.private_message(ann, "my partner has been hitting me"))
    window, concern = await cases(bot)
    assert (window.kind, concern.kind, concern.urgent) == ("repair", "safeguarding", True)
    told = "\n".join(bot.replies_to(ann.id)[heard:])
    assert concern.ref in told and "999" in told
    assert "my partner has been hitting me" not in await filed_on(bot, window)


async def test_despair_after_reporting_a_nan_in_the_cold_is_not_filed_as_the_cold(
    bot: BotUnderTest,
) -> None:
    """After reporting her nan with no heating, Ann writes "I cant do this anymore".
    Read with the cold it came out as more of the emergency; alone it is a
    safeguarding concern, and that is how it is handled: its own case, the helplines."""
    ann = tenant(bot.tg)
    await bot.send(
        bot.tg.private_message(
            ann, "my nan is 91, her boiler packed up last night and its freezing in there"
        )
    )
    heard = len(bot.replies_to(ann.id))
    await bot.send(bot.tg.private_message(ann, "I cant do this anymore"))
    cold, concern = await cases(bot)
    assert (cold.kind, concern.kind) == ("emergency", "safeguarding")
    told = "\n".join(bot.replies_to(ann.id)[heard:])
    assert concern.ref in told and "Samaritans" in told and "116 123" in told


STILL_GAS = "the gas smell is still really strong in the kitchen"
# Personal, and no sign of risk (money trouble, "behind on my rent", is a faint one: the
# safety net's Safety check topic would be a second topic).
DIRECT_DEBIT = "can you change my direct debit to the 15th as well"
FULL_GAS_ADVICE = "Turn the gas off at the meter"


async def told_after(bot: BotUnderTest, first: str, then: str) -> tuple[models.Case, str]:
    """Ann reports ``first`` (one case opens), then says ``then``: the case, and what
    she was told in answer to ``then``."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, first))
    (case,) = await cases(bot)
    heard = len(bot.replies_to(ann.id))
    await bot.send(bot.tg.private_message(ann, then))
    return case, "\n".join(bot.replies_to(ann.id)[heard:])


async def test_more_of_a_gas_smell_gets_one_line_of_the_advice_not_all_of_it_again(
    bot: BotUnderTest,
) -> None:
    """make conversations: the address, "between the 4th and 5th floor", "police are
    there now", each read as urgent again, got the whole advice a second and third time.
    More of the urgent matter in hand is filed on its case with one line of the advice
    (999 and the gas line) instead, so what is new is not buried."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, GAS))
    (gas,) = await cases(bot)
    assert FULL_GAS_ADVICE in bot.replies_to(ann.id)[0]
    heard = len(bot.replies_to(ann.id))
    await bot.send(bot.tg.private_message(ann, STILL_GAS))
    told = "\n".join(bot.replies_to(ann.id)[heard:])
    assert gas.ref in told and "0800 111 999" in told and "999" in told
    assert FULL_GAS_ADVICE not in told
    assert STILL_GAS in await filed_on(bot, gas)
    assert len(await cases(bot)) == 1
    # Colleagues see it in the case's topic, as every follow-up.
    assert any(STILL_GAS in said for said in await topic_of(bot, gas))


async def test_a_gas_smell_told_again_hours_later_gets_the_whole_advice_again(
    bot: BotUnderTest,
) -> None:
    """The one line is only for a matter whose advice was given lately: the same smell
    reported again after the case has been quiet for three hours gets all of it."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, GAS))
    (gas,) = await cases(bot)
    quiet = models.utcnow() - timedelta(hours=3)
    await Casebook(bot.store).change(gas.id, updated_at=quiet)
    heard = len(bot.replies_to(ann.id))
    await bot.send(bot.tg.private_message(ann, STILL_GAS))
    told = "\n".join(bot.replies_to(ann.id)[heard:])
    assert FULL_GAS_ADVICE in told and gas.ref in told
    assert len(await cases(bot)) == 1


WHEN = "How long will the engineer take to get here?"


async def test_asking_when_someone_will_come_gets_one_line_not_all_the_gas_advice(
    bot: BotUnderTest,
) -> None:
    """make conversations: "When will someone come out?" ten minutes after a gas smell
    (a question the knowledge base cannot answer) got the whole gas advice again (now
    read as a follow-up; this question is asked in other words). Like
    any other follow-up of an urgent matter advised lately, it gets one line of it,
    with the case it went to; three quiet hours later, the whole advice again."""
    gas, told = await told_after(bot, GAS, WHEN)
    assert "0800 111 999" in told and gas.ref in told
    assert FULL_GAS_ADVICE not in told and "not sure" not in told
    assert WHEN in " ".join(await filed_on(bot, gas))
    quiet = models.utcnow() - timedelta(hours=3)
    await Casebook(bot.store).change(gas.id, updated_at=quiet)
    ann = tenant(bot.tg)
    heard = len(bot.replies_to(ann.id))
    await bot.send(bot.tg.private_message(ann, WHEN))
    later = "\n".join(bot.replies_to(ann.id)[heard:])
    assert FULL_GAS_ADVICE in later and gas.ref in later


async def test_an_address_after_an_emergency_gets_no_safeguarding_line(
    bot: BotUnderTest,
) -> None:
    """make conversations: "22 Harrow Lane" and "he's 4 months old" after an emergency
    read as a faint safeguarding risk (0.06-0.31) and were given the Samaritans line and
    flagged for a Safety check. More of an urgent matter whose case colleagues already
    have needs a cue or a real reading for the other line."""
    gas, told = await told_after(bot, GAS, "22 Harrow Lane")
    assert gas.ref in told
    assert "116 123" not in told and "might not be safe" not in told
    assert await bot.store.audit_trail("safety_net") == []
    assert "22 Harrow Lane" in await filed_on(bot, gas)


async def test_more_of_a_safeguarding_concern_still_gets_the_helpline_its_words_call_for(
    bot: BotUnderTest,
) -> None:
    """The one line of advice for more of a safeguarding matter must not drop help the
    new message needs: children left alone next door, then "my husband hits me if I try
    to help them" gets the domestic abuse helpline as well as 999 and Samaritans."""
    concern, told = await told_after(
        bot,
        "the kids next door have been left on their own for two days, they're only 4 and 6",
        "and my husband hits me if I try to help them",
    )
    assert concern.kind == "safeguarding"
    assert concern.ref in told and "999" in told and "116 123" in told
    assert "0808 2000 247" in told  # the National Domestic Abuse Helpline
    assert told.count("116 123") == 1


async def test_more_of_a_nan_in_the_cold_gets_the_cold_line_not_the_gas_line(
    bot: BotUnderTest,
) -> None:
    """Found walking the fake Bot API: "she is shivering and a bit confused" after a
    nan with no heating got "If you smell gas, call 0800 111 999" as its one line. The
    line follows the hazard, as the whole advice does."""
    cold, told = await told_after(
        bot,
        "my nan is 88 and her heating has stopped working, it is freezing in her flat",
        "she is wrapped in blankets but she is shivering and a bit confused",
    )
    assert cold.kind == "emergency"
    assert cold.ref in told and len(await cases(bot)) == 1
    if "999" in told:  # read as urgent again (or the net saw the risk): the cold line
        assert "0800 111 999" not in told
        assert "very cold, unwell or confused, call 999" in told


async def test_words_the_bot_cannot_place_after_an_urgent_concern_join_it_not_a_shrug(
    bot: BotUnderTest,
) -> None:
    """Conversation set 4: "it's 4 Harbour Mews, Watchet" after a welfare concern and
    "phones on 8%" from someone stuck in a lift were answered "Sorry, I didn't
    understand", however sure the model was that it could not place them. Soon after a
    matter was raised, such a message is more of it."""
    concern, told = await told_after(
        bot,
        "I'm worried about the old man next door, I can hear him calling for help but he "
        "won't answer the door",
        "on 5% battery",
    )
    assert concern.kind == "safeguarding"
    assert concern.ref in told
    assert "didn't understand" not in told
    assert "on 5% battery" in await filed_on(bot, concern)
    assert len(await cases(bot)) == 1


async def test_words_the_bot_cannot_place_with_no_matter_in_hand_still_get_an_honest_reply(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "on 5% battery"))
    assert "didn't understand" in bot.replies_to(ann.id)[-1]
    assert await cases(bot) == []


async def test_a_detail_of_a_noise_report_gets_no_safety_line_for_a_faint_risk(
    bot: BotUnderTest,
) -> None:
    """make conversations: a quarter of the ordinary messages in the blind sets got the
    gas or Samaritans line ("flat 12 thanks" after a report reads 0.08 urgent out of
    context, a sign of risk at the net's threshold). A detail of a matter raised lately
    needs a cue or more than the faintest reading (safety/net.py FOLLOW_UP_URGENCY)."""
    noise, told = await told_after(
        bot, "the people upstairs play loud music till 3am every weekend", "flat 12 thanks"
    )
    assert noise.kind == "asb"
    assert "116 123" not in told and "0800 111 999" not in told
    assert await bot.store.audit_trail("safety_net") == []


async def test_a_faint_guess_at_a_question_after_a_noise_report_joins_it(
    bot: BotUnderTest,
) -> None:
    """Found walking the fake Bot API: "its mostly fri and sat" after a noise report was
    read 0.49 as a question and answered "I'm not sure about that one, and I don't want
    to guess". It is a detail of the report."""
    noise, told = await told_after(
        bot, "the people upstairs play loud music till 3am every weekend", "its mostly fri and sat"
    )
    assert noise.ref in told and "not sure about that one" not in told
    # Nor the gas line: its faint urgency (the urgent detector read it 0.29) is no sign
    # of danger in a detail of a noise report.
    assert "0800 111 999" not in told and "116 123" not in told
    assert "its mostly fri and sat" in await filed_on(bot, noise)
    assert len(await cases(bot)) == 1


async def test_a_danger_told_quietly_after_an_ordinary_matter_still_gets_the_safety_line(
    bot: BotUnderTest,
) -> None:
    """The other side, from an adversarial conversation set: a window catch snapped on
    the 9th floor with a 3-year-old on the sill, told after a service charge question,
    reads 0.24 urgent. More than the faintest reading, it keeps its line and a
    colleague's look."""
    _, told = await told_after(
        bot,
        "I'd like to complain, my service charge went up again and nobody explained why",
        "the catch that stops my bedroom window opening all the way has snapped off, it "
        "swings right open now. we're on the 9th floor and my little girl is 3, she likes "
        "standing on the windowsill",
    )
    assert "999" in told
    assert await bot.store.audit_trail("safety_net") != []
