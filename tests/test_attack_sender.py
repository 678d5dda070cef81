"""The sender under attack: an outbox row it cannot read, and a fault of ours that never
goes away. Each must end as an undelivered message (said so), never a stopped sender
or a chat whose later replies wait behind it for ever."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from helpbot.desk.actions import Action, SendText
from helpbot.desk.events import ChatKind, ChatRef
from helpbot.postroom.inbox import Inbox
from helpbot.postroom.outbox import Outbox
from helpbot.postroom.outcomes import Delivered
from helpbot.postroom.sender import Sender, SendPolicy
from helpbot.store import models
from helpbot.store.records import Store

ANN = ChatRef("telegram", "1001", ChatKind.PRIVATE)
BOB = ChatRef("telegram", "1002", ChatKind.PRIVATE)
QUICK = SendPolicy(first_delay=0.01, max_delay=0.02)


async def items(store: Store) -> dict[int, models.OutboxItem]:
    async with store.sessions() as session:
        rows = await session.scalars(select(models.OutboxItem).order_by(models.OutboxItem.id))
        return {row.id: row for row in rows}


async def queue(store: Store, outbox: Outbox, *actions: Action) -> None:
    async with store.unit() as session:
        await outbox.queue(session, actions, origin="telegram")


async def until(sender: Sender, done: Callable[[], object]) -> None:
    """Wait for ``done`` or for the sender to stop for good, whichever comes first (a
    bound against hanging, not a timing assertion)."""
    for _ in range(3000):
        if await done() or (sender._task is not None and sender._task.done()):  # type: ignore[misc]
            return
        await asyncio.sleep(0.01)


async def test_a_message_from_another_version_stops_nothing_else_from_going_out(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A rolling deploy (or a rollback) leaves an outbox row naming an action this version
    does not know. It was cut off mid-send by the process that died. The sender must
    settle it and carry on with everyone else's replies."""
    outbox, inbox = Outbox(store), Inbox(store)
    await queue(store, outbox, SendText(ANN, "from a newer version"))
    await queue(store, outbox, SendText(BOB, "your repair is booked"))
    async with store.sessions.begin() as session:
        await session.execute(
            update(models.OutboxItem)
            .where(models.OutboxItem.id == 1)
            .values(
                payload={"__type__": "SendPoll", "question": "?"},
                status="sending",
                lease_until=models.utcnow() - timedelta(minutes=5),
            )
        )
    sent: list[str] = []

    async def perform(action: Action, channel: str) -> Delivered:
        assert isinstance(action, SendText)
        sent.append(action.text)
        return Delivered("1")

    sender = Sender(outbox, inbox, perform, QUICK, single_process=not store.postgres)
    sender.start()
    try:

        async def bob_sent() -> bool:
            return (await items(store))[2].status == "sent"

        with caplog.at_level(logging.WARNING):
            await until(sender, bob_sent)
    finally:
        await sender.stop(1.0)
    assert sent == ["your repair is booked"]
    rows = await items(store)
    assert rows[1].status == "unconfirmed"  # cut off mid-send: it may have gone out
    assert not [r for r in caplog.records if r.exc_info]


async def test_an_unreadable_message_waiting_its_turn_is_settled_and_its_chat_moves_on(
    store: Store,
) -> None:
    outbox, inbox = Outbox(store), Inbox(store)
    await queue(store, outbox, SendText(ANN, "first"), SendText(ANN, "second"))
    async with store.sessions.begin() as session:
        await session.execute(
            update(models.OutboxItem)
            .where(models.OutboxItem.id == 1)
            .values(payload={"__type__": "SendText", "chat": None, "unknown_field": 1})
        )
    sent: list[str] = []

    async def perform(action: Action, channel: str) -> Delivered:
        assert isinstance(action, SendText)
        sent.append(action.text)
        return Delivered("1")

    sender = Sender(outbox, inbox, perform, QUICK, single_process=not store.postgres)
    sender.start()
    try:

        async def second_sent() -> bool:
            return (await items(store))[2].status == "sent"

        await until(sender, second_sent)
    finally:
        await sender.stop(1.0)
    rows = await items(store)
    assert (rows[1].status, rows[2].status) == ("undelivered", "sent")
    assert sent == ["second"]


async def test_a_fault_of_ours_that_never_clears_ends_as_undelivered_when_time_is_up(
    store: Store,
) -> None:
    """The adapter keeps raising something that is not a platform outcome (a bug of
    ours). Retrying is right while the reply is still worth sending; once its window has
    closed it must be reported undelivered, and the tenant's next reply go out, not wait
    behind it for ever."""
    outbox, inbox = Outbox(store, deliver_for=timedelta(0)), Inbox(store)
    await queue(store, outbox, SendText(ANN, "broken"), SendText(ANN, "fine"))
    sent: list[str] = []

    async def perform(action: Action, channel: str) -> Delivered:
        assert isinstance(action, SendText)
        if action.text == "broken":
            raise ValueError("an adapter bug")
        sent.append(action.text)
        return Delivered("1")

    sender = Sender(outbox, inbox, perform, QUICK, single_process=not store.postgres)
    sender.start()
    try:

        async def settled_or_retried() -> bool:
            rows = await items(store)
            return rows[2].status == "sent" or rows[1].attempts >= 5

        await until(sender, settled_or_retried)
    finally:
        await sender.stop(1.0)
    rows = await items(store)
    assert rows[1].status == "undelivered", (rows[1].status, rows[1].attempts)
    assert sent == ["fine"]
    # The desk is told, like any other reply that never reached a tenant.
    assert [e.payload["kind"] for e in await inbox.listing("pending")] == ["delivery_failed"]


async def test_a_slow_send_still_in_flight_is_not_reported_as_cut_off_by_its_own_process(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A send that takes longer than its lease (a staff post that has to make its topic,
    reopen it and post again, each call up to the client time-out) is still alive in
    this very process. Its own cut-off check must not call it "unconfirmed" and tell
    the colleague so, while the send goes on to succeed."""
    import helpbot.postroom.sender as sender_module

    monkeypatch.setattr(sender_module, "CUT_OFF_CHECK", 0.0)
    outbox, inbox = Outbox(store), Inbox(store)
    await queue(store, outbox, SendText(ANN, "your repair is booked", case_id=None, author="Bo"))
    release, started = asyncio.Event(), asyncio.Event()
    checks = 0
    look = outbox.cut_off

    async def counted(everything: bool = False) -> list[Any]:
        nonlocal checks
        checks += 1
        return await look(everything)

    monkeypatch.setattr(outbox, "cut_off", counted)

    async def perform(action: Action, channel: str) -> Delivered:
        started.set()
        await release.wait()
        return Delivered("1")

    policy = SendPolicy(first_delay=0.01, max_delay=0.02, lease=timedelta(0))
    sender = Sender(outbox, inbox, perform, policy, single_process=not store.postgres)
    sender.start()
    try:
        await asyncio.wait_for(started.wait(), 30)
        held_from = checks
        for _ in range(3000):  # until the check has looked twice while the send is held
            if checks >= held_from + 2 or sender._task.done():  # type: ignore[union-attr]
                break
            await asyncio.sleep(0.01)
        release.set()

        async def sent() -> bool:
            return (await items(store))[1].status != "sending"

        await until(sender, sent)
    finally:
        release.set()
        await sender.stop(1.0)
    assert (await items(store))[1].status == "sent"
    assert await inbox.listing("pending") == []


async def test_a_second_process_cannot_send_into_a_rate_limit_the_first_was_told(
    store: Store,
) -> None:
    """Two processes on one outbox: one took the item, sent it, was told to wait a minute
    (429) and put it back. The other, looking for work at once, must not send it
    straight back into the rate limit; nor may it take an item already taken."""
    outbox = Outbox(store)
    await queue(store, outbox, SendText(ANN, "your repair is booked"))
    (taken,) = await outbox.take(10, timedelta(minutes=2))
    assert await outbox.take(10, timedelta(minutes=2)) == []
    await outbox.later(taken, 60.0, "RetryAfter")
    assert await outbox.take(10, timedelta(minutes=2)) == []
    assert (await items(store))[1].status == "pending"


async def test_a_take_says_truly_which_chats_have_more_replies_waiting(store: Store) -> None:
    """A settled send wakes the sender again only when more may wait behind it, so the
    take must say which lanes have more: wrong, a tenant's second reply waits for the
    next poll."""
    outbox = Outbox(store)
    await queue(store, outbox, SendText(ANN, "first"), SendText(ANN, "second"))
    await queue(store, outbox, SendText(BOB, "only one"))
    taken = await outbox.take(10, timedelta(minutes=2))
    assert [(item.action["text"], item.more) for item in taken] == [
        ("first", True),
        ("only one", False),
    ]


async def test_a_claim_says_truly_which_conversations_have_more_waiting(store: Store) -> None:
    inbox = Inbox(store)
    await inbox.accept("telegram", "1", "telegram:1001", {"n": 1})
    await inbox.accept("telegram", "2", "telegram:1001", {"n": 2})
    await inbox.accept("telegram", "3", "telegram:1002", {"n": 3})
    async with store.unit() as session:
        claimed = await inbox.claim(session, 10)
    assert [(event.key, event.more) for event in claimed] == [("1", True), ("3", False)]
