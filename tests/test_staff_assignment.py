"""Handing a case on in the staff room: `/assign @colleague` from the case's topic, and a
team lead's `/takeover` of a case another colleague has claimed. Officers cannot take a
colleague's case; the colleague who loses it is told in the topic; every move is on the
timeline and in the audit log. Through the fake Bot API, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from helpbot.store.casebook import Casebook
from helpbot.store.records import Store
from helpbot.testing.harness import BotUnderTest, running_bot, tenant

PRIYA, SAM, TOM, LENA = 9001, 9002, 9003, 9004


@pytest.fixture
async def bot(store: Store, understanding) -> AsyncIterator[BotUnderTest]:  # type: ignore[no-untyped-def]
    """Four colleagues on the staff list; Lena is a team lead."""
    async with running_bot(
        store,
        understanding,
        staff_user_ids=(PRIYA, SAM, TOM, LENA),
        staff_lead_ids=(LENA,),
    ) as running:
        yield running


async def a_claimed_case(bot: BotUnderTest):  # type: ignore[no-untyped-def]
    """Ann reports a repair; Priya claims it in its topic. Sam, Tom and Lena have said
    hello in the staff room, so the desk knows them."""
    ann = tenant(bot.tg)
    await bot.send(bot.tg.private_message(ann, "the extractor fan in my bathroom has stopped"))
    (case,) = await Casebook(bot.store).all_cases()
    thread = case.staff_topic_id
    assert thread is not None
    colleagues = {
        PRIYA: bot.tg.user(PRIYA, "Priya", username="priya_s"),
        SAM: bot.tg.user(SAM, "Sam", username="sam_h"),
        TOM: bot.tg.user(TOM, "Tom", username="tom_b"),
        LENA: bot.tg.user(LENA, "Lena", username="lena_lead"),
    }
    for user in colleagues.values():
        await bot.send(bot.tg.group_message(bot.staff_room, user, "morning all"))
    await bot.send(bot.tg.topic_message(bot.staff_room, thread, colleagues[PRIYA], "/claim"))
    return ann, case, thread, colleagues


async def test_the_holder_assigns_the_case_to_a_colleague_who_is_told(bot: BotUnderTest) -> None:
    ann, case, thread, people = await a_claimed_case(bot)
    before = len(bot.replies_to(ann.id))
    await bot.send(bot.tg.topic_message(bot.staff_room, thread, people[PRIYA], "/assign @Sam_H"))
    said = bot.replies_to(bot.staff_room.id, thread)
    assert any("Sam now has this case" in text for text in said)
    assert any("@sam_h, Priya has given you " + case.ref in text for text in said)
    stored = await Casebook(bot.store).by_id(case.id)
    sam = await bot.store.person(_telegram(SAM))
    assert stored is not None and (stored.assignee_id, stored.assignee_name) == (sam.id, "Sam")
    moves = [e for e in await Casebook(bot.store).timeline(case.id) if e.kind == "assigned"]
    assert [(e.actor_name, e.text) for e in moves] == [("Priya", "from Priya to Sam")]
    assert [e.subject for e in await bot.store.audit_trail("case_assign")] == [case.ref]
    assert len(bot.replies_to(ann.id)) == before  # staff business: the tenant hears nothing


async def test_an_officer_cannot_take_a_colleagues_case_and_a_lead_can(bot: BotUnderTest) -> None:
    _, case, thread, people = await a_claimed_case(bot)

    async def say(who: int, text: str) -> str:
        """What the bot says in the topic in answer, all of it."""
        before = len(bot.replies_to(bot.staff_room.id, thread))
        await bot.send(bot.tg.topic_message(bot.staff_room, thread, people[who], text))
        return "\n".join(bot.replies_to(bot.staff_room.id, thread)[before:])

    # Tom is an officer: he can neither take Priya's case nor hand it to someone else.
    assert "Only Priya or a team lead can hand it on" in await say(TOM, "/takeover")
    assert "Only Priya or a team lead can hand it on" in await say(TOM, "/assign @sam_h")
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None and stored.assignee_name == "Priya"
    refused = await bot.store.audit_trail("case_takeover_refused")
    assert [(e.actor, e.subject) for e in refused] == [(f"staff:telegram:{TOM}", case.ref)] * 2

    # Lena is a lead: she takes it over, and Priya is told in the topic.
    said = await say(LENA, "/takeover")
    assert "Lena now has this case" in said
    assert f"@priya_s, Lena (team lead) has taken over {case.ref} from you" in said
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None and stored.assignee_name == "Lena"
    taken = [e for e in await Casebook(bot.store).timeline(case.id) if e.kind == "taken_over"]
    assert [(e.actor_name, e.text) for e in taken] == [("Lena", "from Priya to Lena")]
    (audited,) = await bot.store.audit_trail("case_taken_over")
    priya = await bot.store.person(_telegram(PRIYA))
    lena = await bot.store.person(_telegram(LENA))
    assert audited.actor == f"staff:telegram:{LENA}"
    assert audited.detail == {"from": priya.id, "to": lena.id}

    # A lead may also hand a colleague's case on to someone else; both are told.
    assert "Priya now has this case" in await say(LENA, "/assign @priya_s")
    said = await say(LENA, "/assign @tom_b")
    assert "Tom now has this case" in said
    assert f"@priya_s, Lena (team lead) has handed {case.ref} on from you" in said
    assert f"@tom_b, Lena has given you {case.ref}" in said
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None and stored.assignee_name == "Tom"


async def test_assign_names_only_colleagues_and_says_how(bot: BotUnderTest) -> None:
    ann, case, thread, people = await a_claimed_case(bot)

    async def say(text: str) -> str:
        """What the bot says in the topic in answer, all of it."""
        before = len(bot.replies_to(bot.staff_room.id, thread))
        await bot.send(bot.tg.topic_message(bot.staff_room, thread, people[PRIYA], text))
        return "\n".join(bot.replies_to(bot.staff_room.id, thread)[before:])

    assert "Usage: /assign @colleague" in await say("/assign")
    assert "can't find @nobody" in await say("/assign @nobody")
    # The tenant is known to the desk, but is no colleague.
    assert "can't find @ann_tenant" in await say("/assign @ann_tenant")
    assert "Priya already has this case" in await say("/assign @priya_s")
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None and stored.assignee_name == "Priya"
    # Someone who is not staff cannot use the command at all, even in a topic.
    visitor = bot.tg.user(8888, "Visitor", username="visitor")
    await bot.send(bot.tg.topic_message(bot.staff_room, thread, visitor, "/assign @visitor"))
    assert "only colleagues on the staff list" in bot.replies_to(bot.staff_room.id, thread)[-1]
    # Nor can a tenant in private.
    await bot.send(bot.tg.command(ann, ann, "assign", "@ann_tenant"))
    assert "staff" in bot.replies_to(ann.id)[-1]
    stored = await Casebook(bot.store).by_id(case.id)
    assert stored is not None and stored.assignee_name == "Priya"


async def test_a_stale_hand_over_loses_to_the_one_that_came_first(store: Store) -> None:
    """The casebook's compare-and-set: a move from a holder who no longer has the case
    changes nothing (two colleagues acting on what they each saw)."""
    book = Casebook(store)
    ann = await store.person(_telegram(5001))
    priya, sam, lena = [await store.person(_telegram(i)) for i in (PRIYA, SAM, LENA)]
    case = await book.open_case(
        kind="repair", tenant_id=ann.id, chat_id=None, summary="fan", urgent=False
    )
    assert await book.claim(case.id, priya.id, "Priya")
    assert await book.hand_over(case.id, priya.id, sam.id, "Sam")
    assert not await book.hand_over(case.id, priya.id, lena.id, "Lena")  # Priya no longer has it
    assert not await book.hand_over(case.id, None, lena.id, "Lena")  # nor is it unassigned
    stored = await book.by_id(case.id)
    assert stored is not None and stored.assignee_name == "Sam"


USERNAMES = {PRIYA: "priya_s", SAM: "sam_h", TOM: "tom_b", LENA: "lena_lead"}


def _telegram(user_id: int):  # type: ignore[no-untyped-def]
    """The colleague as Telegram shows them (usernames are refreshed on every sight, so
    a look-up without one would clear it)."""
    from helpbot.desk.events import Person

    return Person(
        channel="telegram",
        external_id=str(user_id),
        first_name="",
        username=USERNAMES.get(user_id),
    )
