"""The outbox: what the desk decided to send, committed with the event that caused it.

Each action gets a lane: a chat, one case's staff topic, or one named staff topic.
The sender takes only the oldest unfinished action of a lane, so a tenant's replies
arrive in the order the desk wrote them, and a case's topic is made once before
anything is posted in it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Integer,
    String,
    and_,
    bindparam,
    exists,
    insert,
    literal_column,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from helpbot.desk.actions import (
    TENANT_RELAY,
    Action,
    AnswerButton,
    DeleteMessage,
    EditMessage,
    HideComment,
    MemberAction,
    PostToStaff,
    React,
    RemoveStaffTopic,
    SendText,
    SetTopicOpen,
    StaffNotice,
)
from helpbot.desk.events import ChatRef
from helpbot.postroom.codec import encode_action
from helpbot.postroom.inbox import first_of_each, status_counts
from helpbot.postroom.outcomes import Delivered
from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store

PENDING, SENDING, SENT = "pending", "sending", "sent"
UNDELIVERED, UNCONFIRMED = "undelivered", "unconfirmed"
UNFINISHED = (PENDING, SENDING)
STAFF = "staff"  # the channel that holds the staff room, whichever it is

# A button press must be answered within seconds or the client gives up on it.
BUTTON_ANSWER_WINDOW = timedelta(seconds=60)


@dataclass(frozen=True, slots=True)
class Item:
    id: int
    channel: str
    lane: str
    action: dict[str, Any]
    attempts: int
    deliver_until: datetime
    message_id: int | None
    # More of its lane was waiting behind it when it was taken: due once this is done.
    more: bool = False


@dataclass(frozen=True, slots=True)
class Copy:
    """A message's history row, to be written with the others of its batch, and the case
    whose timeline records it as the bot's reply (None for colleagues' words, relays and
    staff notices)."""

    row: dict[str, Any]
    bot_reply_on: int | None


@dataclass(frozen=True, slots=True)
class Queued:
    """An outbox row not yet written, and its message's history copy (if it has one),
    which ``add`` writes first so the row can point at it."""

    item: dict[str, Any]
    copy: Copy | None


@dataclass(frozen=True, slots=True)
class Report:
    """An inbox event about a send, stored in the same transaction as its outcome."""

    key: str
    conversation: str
    payload: dict[str, Any]


_ITEMS = models.OutboxItem.__table__
_SENT = (
    update(_ITEMS)
    .where(_ITEMS.c.id == bindparam("item_id"))
    .values(
        status=SENT,
        lease_until=None,
        finished_at=bindparam("now", type_=models.UTCDateTime()),
        last_error=None,
        external_id=bindparam("external", type_=String()),
    )
)
# Whether more of the taken item's lane waits behind it. Written out: SQLite's RETURNING
# is rendered with bare column names, which would make a correlated subquery compare each
# column with itself.
_MORE_IN_LANE = literal_column(
    f"EXISTS (SELECT 1 FROM outbox AS later WHERE later.lane = outbox.lane"
    f" AND later.status = '{PENDING}' AND later.id > outbox.id)",
    Boolean(),
).label("more")
_TAKES: dict[bool, Any] = {}


def _take_query(postgres: bool) -> Any:
    """``Outbox.take``'s statement, built once per database: on PostgreSQL the picked rows
    are locked (``SKIP LOCKED``) so processes taking at once each get different ones."""
    if postgres not in _TAKES:
        item = _ITEMS
        earlier = _ITEMS.alias("earlier")
        heads = (
            select(item.c.id)
            .where(item.c.next_attempt_at <= bindparam("now", type_=models.UTCDateTime()))
            .order_by(item.c.id)
            .limit(bindparam("limit", type_=Integer()))
        )
        if postgres:
            # Each lane's oldest unfinished item, if it waits to be sent (as the inbox
            # finds each conversation's head, and for the same reason).
            heads = first_of_each(
                heads,
                item,
                earlier,
                waiting=earlier.c.status.in_(UNFINISHED),
                group=earlier.c.lane,
                order=(earlier.c.id,),
                name="firsts",
            ).with_for_update(skip_locked=True, of=item)
        else:
            heads = heads.where(
                item.c.status == PENDING,
                ~exists().where(
                    and_(
                        earlier.c.lane == item.c.lane,
                        earlier.c.status.in_(UNFINISHED),
                        earlier.c.id < item.c.id,
                    )
                ),
            )
        _TAKES[postgres] = (
            update(item)
            .where(item.c.id.in_(heads.scalar_subquery()), item.c.status == PENDING)
            .values(
                status=SENDING,
                lease_until=bindparam("lease_until", type_=models.UTCDateTime()),
                attempts=item.c.attempts + 1,
            )
            .returning(*item.c, _MORE_IN_LANE)
        )
    return _TAKES[postgres]


@functools.cache
def _copy_sent(shape: tuple[str, ...]) -> Any:
    """The update of sent messages' stored copies, for the columns in ``shape``."""
    message = models.Message.__table__
    values: dict[str, Any] = {"status": SENT}
    if "external" in shape:
        values["channel_message_id"] = bindparam("external", type_=String())
    if "thread" in shape:
        values["thread_id"] = bindparam("thread", type_=BigInteger())
    return update(message).where(message.c.id == bindparam("message_id")).values(values)


def _item(row: Any) -> Item:
    return Item(
        row.id,
        row.channel,
        row.lane,
        row.payload,
        row.attempts,
        row.deliver_until,
        row.message_id,
        bool(getattr(row, "more", False)),
    )


def lane_of(action: Action, origin: str) -> tuple[str, str]:
    """(channel, lane) for an action; ``origin`` is the channel of the event behind it."""
    if isinstance(
        action, SendText | EditMessage | React | DeleteMessage | HideComment | MemberAction
    ):
        chat = action.chat
        return chat.channel, f"{chat.channel}:{chat.external_id}"
    if isinstance(action, PostToStaff | SetTopicOpen | RemoveStaffTopic):
        return STAFF, f"staff:case:{action.case_id}"
    if isinstance(action, StaffNotice):
        return STAFF, f"staff:topic:{action.topic}"
    assert isinstance(action, AnswerButton)
    return origin, f"{origin}:button:{action.callback_id}"


class Outbox:
    def __init__(
        self,
        store: Store,
        *,
        staff_chat: ChatRef | None = None,
        deliver_for: timedelta = timedelta(hours=24),
    ) -> None:
        self.store = store
        self.casebook = Casebook(store)
        self.staff_chat = staff_chat  # where staff-room posts are kept in the history
        self.deliver_for = deliver_for

    async def queue(
        self,
        session: AsyncSession,
        actions: Sequence[Action],
        *,
        origin: str,
        event_id: int | None = None,
    ) -> int:
        """Add the desk's actions inside its unit of work; with each message, its stored copy
        for the history (status "queued" until the sender says otherwise)."""
        await self.add(session, await self.rows(actions, origin=origin, event_id=event_id))
        return len(actions)

    async def rows(
        self, actions: Sequence[Action], *, origin: str, event_id: int | None = None
    ) -> list[Queued]:
        """The outbox rows for the desk's actions, each with its message's copy for the
        history; ``add`` writes them all, those of many events at once (the copies in one
        statement, then the rows that point at them)."""
        now = models.utcnow()
        rows = []
        for action in actions:
            channel, lane = lane_of(action, origin)
            copy = await self._stored_copy(action)
            until = now + (
                BUTTON_ANSWER_WINDOW if isinstance(action, AnswerButton) else self.deliver_for
            )
            item = {
                "event_id": event_id,
                "channel": channel,
                "lane": lane,
                "kind": type(action).__name__,
                "payload": encode_action(action),
                "status": PENDING,
                "attempts": 0,
                "next_attempt_at": now,
                "deliver_until": until,
                "message_id": None,
                "created_at": now,
            }
            rows.append(Queued(item, copy))
        return rows

    async def add(self, session: AsyncSession, rows: Sequence[Queued]) -> None:
        """Write outbox rows in the unit, in order (the order within a lane is the order
        of sending), after the history copies they point at."""
        if not rows:
            return
        copied = [(row.item, row.copy) for row in rows if row.copy is not None]
        ids = await self.store.add_messages([copy.row for _, copy in copied])
        for (item, copy), message_id in zip(copied, ids, strict=True):
            item["message_id"] = message_id
            if copy.bot_reply_on is not None:
                # The case timeline gets the bot's replies (not colleagues' own words).
                await self.casebook.log(
                    copy.bot_reply_on,
                    "bot_reply",
                    actor_kind="bot",
                    text=copy.row["text"],
                    detail={"message": message_id},
                )
        async with self.store.connection() as connection:
            await connection.execute(insert(_ITEMS), [row.item for row in rows])

    async def _stored_copy(self, action: Action) -> Copy | None:
        """The history row for a message we send (written by ``add``)."""
        about = None
        if isinstance(action, SendText):
            where, text, thread = action.chat, action.text, action.thread_id
            intent, case_id = action.intent, action.case_id
        elif isinstance(action, PostToStaff) and (action.relay or action.copy_from is None):
            # A relay of the tenant's words or file is kept (marked) even when it is a
            # copy, so a colleague's reply to it can be told apart from topic chatter.
            where, text, thread = None, action.text, action.thread_id
            intent, case_id = (TENANT_RELAY if action.relay else None), action.case_id
            if not text and not action.relay:
                return None
        elif isinstance(action, StaffNotice):
            where, text, thread, intent, case_id = None, action.text, None, None, None
            about = action.about
        else:
            return None
        if where is None:
            if self.staff_chat is None:
                return None
            where = self.staff_chat
        row = await self.store.outbound_row(
            where,
            text,
            intent=intent,
            channel_message_id=None,
            status="queued",
            thread_id=thread,
            case_id=case_id,
            about=about,
        )
        bot_reply = isinstance(action, SendText) and case_id is not None and action.author is None
        return Copy(row, case_id if bot_reply else None)

    async def take(self, limit: int, lease: timedelta) -> list[Item]:
        """Up to ``limit`` items to send now, marked "sending" in a transaction committed
        before any of their requests goes out (if the process dies mid-send, each is known
        to be cut off): the oldest due item of each lane that has nothing older unfinished,
        picked and marked in one statement, so two processes never take the same one."""
        if limit <= 0:
            return []
        now = models.utcnow()
        values = {"now": now, "limit": limit, "lease_until": now + lease}
        async with self.store.connection(autocommit=True) as connection:
            rows = list(await connection.execute(_take_query(self.store.postgres), values))
        return sorted((_item(row) for row in rows), key=lambda item: item.id)

    async def cut_off(self, everything: bool = False) -> list[Item]:
        """Items whose sender stopped mid-send (a crash, a kill): their lease ran out, or,
        at the start of the only process (SQLite), everything still marked sending."""
        item = models.OutboxItem
        query = select(item).where(item.status == SENDING).order_by(item.id).limit(500)
        if not everything:
            query = query.where(item.lease_until < models.utcnow())
        async with self.store.sessions() as session:
            return [_item(row) for row in await session.scalars(query)]

    async def sent(self, done: Sequence[tuple[Item, Delivered]]) -> None:
        """Record sends that went through, many in one transaction (by primary key)."""
        now = models.utcnow()
        items = [
            {"item_id": item.id, "now": now, "external": delivered.external_id}
            for item, delivered in done
        ]
        copies = []
        for item, delivered in done:
            if item.message_id is None:
                continue
            copy: dict[str, Any] = {"message_id": item.message_id}
            if delivered.external_id is not None:
                copy["external"] = delivered.external_id
            if delivered.thread_id is not None:
                copy["thread"] = delivered.thread_id
            copies.append(copy)
        async with self.store.connection() as connection:
            await connection.execute(_SENT, items)
            # One statement per shape of row: updates by key need the same columns.
            shapes: dict[tuple[str, ...], list[dict[str, Any]]] = {}
            for copy in copies:
                shapes.setdefault(tuple(sorted(copy)), []).append(copy)
            for shape, rows in shapes.items():
                await connection.execute(_copy_sent(shape), rows)

    async def later(self, item: Item, after: float, reason: str) -> None:
        async with self.store.sessions.begin() as session:
            await session.execute(
                update(models.OutboxItem)
                .execution_options(synchronize_session=False)
                .where(models.OutboxItem.id == item.id)
                .values(
                    status=PENDING,
                    lease_until=None,
                    last_error=reason[:64],
                    next_attempt_at=models.utcnow() + timedelta(seconds=after),
                )
            )

    async def gave_up(
        self, item: Item, status: str, reason: str, report: Report | None = None
    ) -> None:
        """Undelivered (refused, or out of time) or unconfirmed (no answer came back); the
        report for the desk, if any, commits with it."""
        async with self.store.sessions.begin() as session:
            if not await self._finish(session, item, status, reason, None):
                return  # another process already settled it
            if report is not None:
                now = models.utcnow()
                await session.execute(
                    self.store._insert(models.InboxEvent)
                    .values(
                        channel="system",
                        event_key=report.key,
                        conversation=report.conversation,
                        payload=report.payload,
                        status="pending",
                        attempts=0,
                        next_attempt_at=now,
                        received_at=now,
                    )
                    .on_conflict_do_nothing(index_elements=["channel", "event_key"])
                )
            if item.message_id is not None:
                await session.execute(
                    update(models.Message)
                    .execution_options(synchronize_session=False)
                    .where(models.Message.id == item.message_id)
                    .values(status=status)
                )

    @staticmethod
    async def _finish(
        session: AsyncSession, item: Item, status: str, reason: str | None, external: str | None
    ) -> bool:
        result = await session.execute(
            update(models.OutboxItem)
            .execution_options(synchronize_session=False)
            .where(models.OutboxItem.id == item.id, models.OutboxItem.status == SENDING)
            .values(
                status=status,
                lease_until=None,
                finished_at=models.utcnow(),
                last_error=reason[:64] if reason else None,
                external_id=external,
            )
        )
        return bool(result.rowcount)

    async def counts(self) -> dict[str, tuple[int, datetime | None]]:
        """Per status: how many, and when the oldest still there was queued."""
        statuses = (PENDING, SENDING, SENT, UNDELIVERED, UNCONFIRMED)
        return await status_counts(self.store, models.OutboxItem, "created_at", statuses)

    async def has_unfinished(self) -> bool:
        async with self.store.sessions() as session:
            found = await session.scalar(
                select(models.OutboxItem.id)
                .where(models.OutboxItem.status.in_(UNFINISHED))
                .limit(1)
            )
        return found is not None
