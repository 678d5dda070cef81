"""The inbox on a real database: stored once, claimed once, in order per conversation,
retried, parked and put back; the desk's effects roll back with a failed event."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select

from helpbot.desk.actions import Action, SendText
from helpbot.desk.events import ChatKind, ChatRef, Person
from helpbot.postroom.inbox import Event, Inbox, RetryPolicy
from helpbot.postroom.outbox import Outbox
from helpbot.postroom.worker import Worker
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store

QUICK = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.02)
ANN = ChatRef("telegram", "1001", ChatKind.PRIVATE)


async def count(store: Store, table: type[models.Base]) -> int:
    async with store.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_a_delivery_repeated_by_the_platform_is_stored_once(store: Store) -> None:
    inbox = Inbox(store)
    assert await inbox.accept("telegram", "42", "telegram:1", {"update_id": 42}) is True
    assert await inbox.accept("telegram", "42", "telegram:1", {"update_id": 42}) is False
    assert await count(store, models.InboxEvent) == 1


async def test_a_conversation_waits_behind_its_failed_event_while_others_go_ahead(
    store: Store,
) -> None:
    inbox = Inbox(store, RetryPolicy(attempts=5, first_delay=30, max_delay=30))
    for key, conversation in (("1", "ann"), ("2", "ann"), ("3", "bob")):
        await inbox.accept("telegram", key, conversation, {"n": key})
    handled: list[str] = []

    async def handle(event: Event) -> tuple[Sequence[Action], str]:
        handled.append(event.key)
        if event.key == "1":
            raise RuntimeError("the desk fell over")
        return [], "done"

    worker = Worker(store, inbox, Outbox(store), handle)
    while await worker.step():
        pass
    # Ann's second message must not overtake her first, which is waiting for a retry;
    # Bob's went ahead. (A failed batch is retried one event at a time, so Ann's first
    # was tried on its own again before being put back.)
    assert "2" not in handled and handled[-1] == "3"
    first, second = await inbox.listing("pending")
    assert (first.event_key, first.attempts, first.error_class) == ("1", 1, "RuntimeError")
    assert (second.event_key, second.attempts) == ("2", 0)


async def test_an_event_that_keeps_failing_is_parked_with_its_error_class_only(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    inbox = Inbox(store, QUICK)
    await inbox.accept("telegram", "9", "ann", {"text": "my account number is 12345678"})

    async def handle(event: Event) -> tuple[Sequence[Action], str]:
        raise ValueError(f"could not handle {event.payload['text']}")

    worker = Worker(store, inbox, Outbox(store), handle)
    with caplog.at_level(logging.DEBUG):
        for _ in range(50):
            await worker.step()
            if not await inbox.has_pending():
                break
            await asyncio.sleep(0.02)
    (parked,) = await inbox.listing("parked")
    assert (parked.attempts, parked.error_class) == (3, "ValueError")
    assert "12345678" not in caplog.text
    # An operator puts it back in line (helpbot inbox retry ID).
    assert await inbox.retry(parked.id) is True
    assert [row.id for row in await inbox.listing("pending")] == [parked.id]
    assert await inbox.retry(10**6) is False


async def test_what_the_desk_did_for_a_failed_event_is_undone_with_it(store: Store) -> None:
    inbox = Inbox(store, QUICK)
    outbox = Outbox(store)
    await inbox.accept("telegram", "5", "ann", {})
    person = await store.person(Person("telegram", "1001", "Ann"))

    async def handle(event: Event) -> tuple[Sequence[Action], str]:
        await Casebook(store).open_case(
            kind="repair", tenant_id=person.id, chat_id=None, summary="tap", urgent=False
        )
        await store.audit("bot", "looked")
        raise RuntimeError("after the case was opened")

    async def commit_then(event: Event) -> tuple[Sequence[Action], str]:
        return [SendText(ANN, "hello")], "done"

    await Worker(store, inbox, outbox, handle).step()
    assert await count(store, models.Case) == 0
    assert await count(store, models.CaseEvent) == 0
    assert await count(store, models.AuditEvent) == 0
    assert await count(store, models.OutboxItem) == 0
    # The same event, handled successfully, leaves its reply and its done mark together.
    await inbox.retry((await inbox.listing("pending"))[0].id)
    await Worker(store, inbox, outbox, commit_then).step()
    assert await count(store, models.OutboxItem) == 1
    assert (await inbox.counts())["done"][0] == 1


@pytest.mark.postgres
async def test_workers_side_by_side_never_run_one_conversation_out_of_order(
    postgres_database: str,
) -> None:
    store = Store.from_url(postgres_database)
    try:
        async with store.engine.begin() as connection:
            await connection.exec_driver_sql("TRUNCATE inbox_events, outbox RESTART IDENTITY")
        inbox = Inbox(store, QUICK)
        for n in range(60):
            await inbox.accept("telegram", str(n), f"chat:{n % 4}", {"n": n})
        running: set[str] = set()
        seen: dict[str, list[int]] = {}
        overlaps = 0

        async def handle(event: Event) -> tuple[Sequence[Action], str]:
            nonlocal overlaps
            if event.conversation in running:
                overlaps += 1
            running.add(event.conversation)
            await asyncio.sleep(0.005)
            seen.setdefault(event.conversation, []).append(event.payload["n"])
            running.discard(event.conversation)
            return [], "done"

        workers = [Worker(store, inbox, Outbox(store), handle) for _ in range(4)]

        async def drain(worker: Worker) -> None:
            while await worker.step():
                pass

        await asyncio.gather(*(drain(w) for w in workers))
        assert overlaps == 0
        assert sum(len(v) for v in seen.values()) == 60
        for conversation, numbers in seen.items():
            assert numbers == sorted(numbers), conversation
    finally:
        await store.close()


async def test_one_bad_event_in_a_batch_costs_the_others_nothing(store: Store) -> None:
    inbox = Inbox(store, RetryPolicy(attempts=5, first_delay=30, max_delay=30))
    outbox = Outbox(store)
    for key in ("1", "2", "3"):
        await inbox.accept("telegram", key, f"chat:{key}", {"n": key})

    async def handle(event: Event) -> tuple[Sequence[Action], str]:
        await store.audit("bot", f"handled {event.key}")
        if event.key == "2":
            raise RuntimeError("this one is broken")
        return [SendText(ANN, f"reply {event.key}")], "done"

    assert await Worker(store, inbox, outbox, handle, batch=32).step()
    assert (await inbox.counts())["done"][0] == 2
    (broken,) = await inbox.listing("pending")
    assert (broken.event_key, broken.attempts) == ("2", 1)
    # Each good event's work is kept exactly once; the broken one left nothing behind.
    assert await count(store, models.OutboxItem) == 2
    async with store.sessions() as session:
        audits = sorted(await session.scalars(select(models.AuditEvent.action)))
    assert audits == ["handled 1", "handled 3"]


async def test_an_operator_sees_what_is_parked_and_how_long_it_waited_but_no_words(
    store: Store,
) -> None:
    from io import StringIO

    from helpbot.inbox_report import print_inbox

    inbox = Inbox(store, RetryPolicy(attempts=1))
    await inbox.accept("telegram", "9", "ann", {"text": "my account number is 12345678"})
    async with store.unit() as session:
        (event,) = await inbox.claim(session)
    await inbox.failed(event, ValueError("12345678"))
    out = StringIO()
    url = store.engine.url.render_as_string(hide_password=False)
    assert await print_inbox(url, out) == 0
    report = out.getvalue()
    assert "inbox parked: 1, oldest waiting" in report
    assert "ValueError" in report and "12345678" not in report


async def test_a_backlog_is_taken_head_first_in_each_conversation_by_the_platforms_order(
    store: Store,
) -> None:
    """After a restart with hundreds waiting, each claim takes only conversations' first
    events, and "first" is the platform's order (Telegram's update_id), not the order the
    deliveries happened to be stored in."""
    inbox = Inbox(store)
    # 40 conversations, 10 events each, stored newest-first within each conversation.
    for conversation in range(40):
        for position in reversed(range(10)):
            await inbox.accept(
                "telegram",
                f"{conversation}-{position}",
                f"chat:{conversation}",
                {"n": position},
                position=conversation * 100 + position,
            )
    seen: dict[str, list[int]] = {}

    async def handle(event: Event) -> tuple[Sequence[Action], str]:
        seen.setdefault(event.conversation, []).append(event.payload["n"])
        return [], "done"

    worker = Worker(store, inbox, Outbox(store), handle, batch=8)
    while await worker.step():
        pass
    assert len(seen) == 40
    assert all(order == list(range(10)) for order in seen.values())
