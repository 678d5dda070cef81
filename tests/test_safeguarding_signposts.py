"""Safeguarding signposting by kind (TAXONOMY.md, issue 12): a child at risk, an adult
at risk, thoughts of suicide and domestic abuse each get their own helplines, and a
colleague is always told. Never a domestic-abuse number for a child left alone. The
cue rules alone (fast), then through the fake Bot API on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from helpbot.desk.group_rules import DEFAULT_INTENTS_DIR
from helpbot.desk.safety.signposts import helplines, kinds_of, signposts
from helpbot.desk.wording import Wording
from helpbot.store.casebook import Casebook
from helpbot.testing.harness import BotUnderTest, tenant

NSPCC = "0808 800 5000"
SAMARITANS = "116 123"
DOMESTIC_ABUSE = "0808 2000 247"
CHILDREN = "children's services"
ADULTS = "adult social care"
POLICE = "101"

CHILD = "The kids next door are left alone all night again, the youngest is about 4"
SUICIDE = "I can't go on any more, I've been thinking about ending my life"
DOMESTIC = "My partner hit me again last night and I'm scared to go home"
ADULT = "I'm worried about the old lady downstairs, I haven't seen her for a week"
THREAT = "my neighbour threatened to stab me"


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        (CHILD, ("child",)),
        ("a child is home alone next door again", ("child",)),
        ("my neighbour's little boy was crying for hours and nobody answered", ("child",)),
        ("the man upstairs is grooming the teenagers on the estate", ("child",)),
        (SUICIDE, ("suicide",)),
        ("I want to kill myself", ("suicide",)),
        ("I've been self harming again", ("suicide",)),
        (DOMESTIC, ("domestic",)),
        ("my ex keeps turning up and threatening me", ("domestic",)),
        ("my son hits me when he's been drinking", ("domestic",)),
        ("I'm in an abusive relationship and need to get out", ("domestic",)),
        (ADULT, ("adult",)),
        ("my elderly dad has dementia and his carer is taking his money", ("adult",)),
        ("my boyfriend hits me in front of the kids", ("child", "domestic")),
        (THREAT, ()),
        ("I won't be around to pay it next month anyway", ()),
    ],
)
def test_the_kind_is_read_from_the_words(text: str, kinds: tuple[str, ...]) -> None:
    assert kinds_of(text) == kinds


def test_when_unsure_the_general_line_and_samaritans() -> None:
    assert helplines(THREAT) == ("general", "suicide")
    said = signposts(Wording.load(DEFAULT_INTENTS_DIR), THREAT)
    assert POLICE in said and SAMARITANS in said and DOMESTIC_ABUSE not in said


@pytest.mark.parametrize(
    ("text", "given", "not_given"),
    [
        (CHILD, (NSPCC, CHILDREN, "999"), (DOMESTIC_ABUSE, SAMARITANS, ADULTS)),
        (SUICIDE, (SAMARITANS, "999"), (DOMESTIC_ABUSE, NSPCC)),
        (DOMESTIC, (DOMESTIC_ABUSE, "999"), (NSPCC, ADULTS)),
        (ADULT, (ADULTS, "999"), (DOMESTIC_ABUSE, NSPCC)),
    ],
)
async def test_each_safeguarding_kind_gets_its_own_numbers_and_a_colleague_is_told(
    bot: BotUnderTest, text: str, given: tuple[str, ...], not_given: tuple[str, ...]
) -> None:
    assert bot.desk.office.understanding.classify(text).intent == "safeguarding"
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, text))
    told = "\n".join(bot.replies_to(ann.id))
    for number in given:
        assert number in told, number
    for number in not_given:
        assert number not in told, number
    assert "I've told our team about this too." in told
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind == "safeguarding" and case.urgent and case.ref in told
    # Colleagues see the message, marked urgent, and which helplines the tenant was given.
    fresh = await Casebook(bot.store).by_id(case.id)
    assert fresh is not None and fresh.staff_topic_id is not None
    topic = "\n".join(bot.replies_to(bot.staff_room.id, fresh.staff_topic_id))
    assert text in topic and "URGENT" in topic and "helplines" in topic
    # Nothing of it in public.
    assert bot.tg.sent_messages(bot.community.id) == []


async def test_a_safeguarding_post_in_the_group_moves_private_without_repeating_it(
    bot: BotUnderTest,
) -> None:
    ann = tenant(bot.tg)
    await bot.send(bot.tg.group_message(bot.community, ann, CHILD))
    public = "\n".join(bot.replies_to(bot.community.id))
    assert "999" in public and "message me in private" in public
    assert "left alone" not in public and DOMESTIC_ABUSE not in public and NSPCC not in public
    (case,) = await Casebook(bot.store).all_cases()
    assert case.kind == "safeguarding"
    # Through the group's link, in private: the helplines for a child, none other.
    await bot.send(bot.tg.command(ann, ann, "start", case.link_token or ""))
    told = bot.replies_to(ann.id)[-1]
    assert NSPCC in told and CHILDREN in told and case.ref in told
    assert DOMESTIC_ABUSE not in told and SAMARITANS not in told
