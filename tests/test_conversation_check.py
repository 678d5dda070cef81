"""The conversation check (``make conversations``) replays a tenant's messages through
the whole bot and counts what a tenant or an officer would notice. Here on
conversations written for the test, to show it counts right, both ways."""

from __future__ import annotations

from helpbot.nlu.understanding import Understanding
from helpbot.testing.conversation_check import Conversation, check

WINDOW = Conversation(
    "window",
    "a repair, its details, then a new problem said as such",
    (
        "the window in my bedroom won't close",
        "it's the back bedroom, since last week",
        "another thing, the kitchen tap is dripping",
    ),
    (0, 0, 1),
    (False, False, False),
)
GAS = Conversation(
    "gas", "a gas smell", ("I smell gas in the kitchen", "thanks"), (0, 0), (True, False)
)


async def test_a_repair_its_details_and_a_new_problem_are_counted_as_two_matters(
    understanding: Understanding,
) -> None:
    tally = await check([WINDOW, GAS], understanding)
    assert (tally.conversations, tally.messages, tally.follow_ups) == (2, 5, 3)
    assert tally.split == [] and tally.merged == []
    assert tally.unsafe == [] and tally.urgent_messages == 1
    assert tally.repeated == [] and tally.quiet_follow_ups == 1
    assert tally.cases == {"2": 1, "1": 1}


async def test_a_new_problem_filed_apart_from_what_the_script_expects_is_a_split(
    understanding: Understanding,
) -> None:
    """The same words, but the script says the dripping tap is more of the window: the
    check sees that matter on two cases. And a first message said to be a danger that
    gets no safety advice is counted as unsafe."""
    same = Conversation(WINDOW.id, WINDOW.about, WINDOW.messages, (0, 0, 0), WINDOW.urgent)
    danger = Conversation("hello", "a greeting said to be urgent", ("hello",), (0,), (True,))
    tally = await check([same, danger], understanding)
    assert [t.split(" ")[0] for t in tally.split] == ["window"]
    assert [t.split(" ")[0] for t in tally.unsafe] == ["hello"]
