"""A batch's tenants' messages go into the history together (one statement) before
they are handled one by one; each is stored once, in arrival order, filed on its case
as before, and nothing of a batch that fails is kept or handed out afterwards.
Through the fake Bot API and the real post room, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select

from helpbot.desk.actions import Action
from helpbot.postroom.inbox import Event
from helpbot.postroom.worker import Worker
from helpbot.store import models
from helpbot.testing.harness import BotUnderTest, tenant
from tests.batches import one_batch_counting

WORDS = {
    5001: "my kitchen tap is dripping all the time",
    5002: "what's your phone number?",
    5003: "hello",
}


async def history_in(bot: BotUnderTest) -> list[models.Message]:
    async with bot.store.sessions() as session:
        return list(
            await session.scalars(
                select(models.Message)
                .where(models.Message.direction == "in")
                .order_by(models.Message.id)
            )
        )


async def test_three_tenants_at_once_are_written_into_the_history_in_one_statement(
    bot: BotUnderTest,
) -> None:
    """Ann, Bob and Cath write at the same moment; one worker handles the three in one
    transaction. Their words are inserted in one statement, in the order they arrived,
    each once; Ann's repair is filed on her new case as it would be alone."""
    people = [
        tenant(bot.tg, who, name) for who, name in ((5001, "Ann"), (5002, "Bob"), (5003, "Cath"))
    ]
    room = bot.postroom
    await room.worker.stop(5)
    for who in people:
        await bot.tg.deliver(bot.tg.private_message(who, WORDS[who.id]))
    inserts = await one_batch_counting(bot, lambda sql: sql.startswith("INSERT INTO messages"))
    await bot.settle()

    stored = await history_in(bot)
    assert [m.text for m in stored] == [WORDS[5001], WORDS[5002], WORDS[5003]]
    # The three inbound rows in one statement, the three replies' copies in another.
    assert len(inserts) == 2
    async with bot.store.sessions() as session:
        (case,) = await session.scalars(select(models.Case))
    assert stored[0].case_id == case.id and case.kind == "repair"
    assert [m.intent for m in stored[1:]] == ["question", "smalltalk"]
    for who in people:
        assert len(bot.replies_to(who.id)) == 1


async def test_a_batch_that_fails_leaves_each_message_stored_once(bot: BotUnderTest) -> None:
    """The same three, but the desk fails on Cath's message the first time: the batch
    rolls back (its history rows with it) and each message is handled on its own. Every
    message is in the history exactly once and every tenant is answered once."""
    people = [
        tenant(bot.tg, who, name) for who, name in ((5001, "Ann"), (5002, "Bob"), (5003, "Cath"))
    ]
    room = bot.postroom
    await room.worker.stop(5)
    reception = room.worker.handle
    for who in people:
        await bot.tg.deliver(bot.tg.private_message(who, WORDS[who.id]))
    failed: list[str] = []

    async def fails_once_on_cath(event: Event) -> tuple[Sequence[Action], str]:
        if event.conversation.endswith("5003") and not failed:
            failed.append(event.conversation)
            raise RuntimeError("a fault of ours")
        return await reception(event)

    one = Worker(bot.store, room.inbox, room.outbox, fails_once_on_cath, prepare=reception.prepare)
    assert await one.step()
    await bot.settle()

    assert failed
    stored = await history_in(bot)
    assert sorted(m.text for m in stored) == sorted(WORDS.values())
    for who in people:
        assert len(bot.replies_to(who.id)) == 1


async def test_a_message_read_one_way_ahead_and_another_when_handled_is_one_row(
    bot: BotUnderTest,
) -> None:
    """The desk wrote Dee's words into the history ahead as a question, then, handling
    them, read them as a complaint filed on her case: the row written ahead is corrected,
    and the history still holds her message once."""
    from helpbot.desk.events import ChatKind, ChatRef, Content, Inbound, Person
    from helpbot.desk.records import InboundRecord
    from helpbot.store.casebook import Casebook

    dee = Person("telegram", "5004", "Dee")
    inbound = Inbound(
        ChatRef("telegram", "5004", ChatKind.PRIVATE), dee, Content.TEXT, "still no answer?"
    )
    store = bot.store
    async with store.unit():
        person = await store.person(dee)
        chat = await store.chat(inbound.chat)
        case = await Casebook(store).open_case(
            kind="complaint", tenant_id=person.id, chat_id=chat.id, summary="", urgent=False
        )
        await store.record_inbound_ahead([InboundRecord(inbound, "question", chat.id, person.id)])
        row = await store.record_inbound(
            inbound, "complaint", chat_id=chat.id, person_id=person.id, case_id=case.id
        )
    stored = await history_in(bot)
    assert [(m.id, m.text, m.intent, m.case_id) for m in stored] == [
        (row.id, "still no answer?", "complaint", case.id)
    ]
