"""The desk's record keeping: who wrote, in which chat, what was said and done.

Everything the desk does for one event happens in one transaction (``Store.unit``),
committed together with the event's "done" mark and the messages it wants sent
(DESIGN.md, the transactional outbox). Text is stored for staff review; it never goes
to logs.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, AsyncSession, async_sessionmaker

from helpbot.desk import events
from helpbot.desk import records as desk_records
from helpbot.store import models
from helpbot.store.database import create_engine, rows_changed, sessionmaker

CACHE_LIMIT = 50_000
SEEN_REFRESH = timedelta(hours=1)

_MESSAGES = models.Base.metadata.tables["messages"]
_CHATS = models.Base.metadata.tables["chats"]
_ADD_MESSAGE = insert(_MESSAGES).returning(_MESSAGES.c.id)
# Many rows in one statement, their ids back in the order given.
_ADD_MESSAGES = insert(_MESSAGES).returning(_MESSAGES.c.id, sort_by_parameter_order=True)
# SQLAlchemy cannot promise that order on SQLite and so sends the rows one statement
# each (the batch's reply copies: one INSERT per reply). SQLite gives each new row the
# largest id so far plus one, in the order of the VALUES list, and this process's
# connection is the only writer: the ids sorted are the rows' order.
_ADD_MESSAGES_SQLITE = insert(_MESSAGES).returning(_MESSAGES.c.id)

# The session of the unit of work in progress in this task, if any.
_AMBIENT: contextvars.ContextVar[AsyncSession | None] = contextvars.ContextVar(
    "helpbot_unit_of_work", default=None
)

# Its connection, once a Core statement has asked for it (the same for the whole unit).
_UNIT_CONNECTION: contextvars.ContextVar[AsyncConnection | None] = contextvars.ContextVar(
    "helpbot_unit_connection", default=None
)

# What a batch's look-ahead read for the unit in progress: (table, key) -> rows, valid
# until the unit writes to that table (see ``_drop_looked_ahead``).
_LOOKED_AHEAD: contextvars.ContextVar[dict[tuple[str, int], Any] | None] = contextvars.ContextVar(
    "helpbot_looked_ahead", default=None
)
# A batch's inbound history rows, written ahead in one statement for the unit in
# progress: id(inbound) -> (the inbound, its row). Reset with the unit, so a batch that
# rolled back hands nothing out.
_RECORDED_AHEAD: contextvars.ContextVar[dict[int, tuple[Any, models.Message]] | None] = (
    contextvars.ContextVar("helpbot_recorded_ahead", default=None)
)
# The tables whose rows are read ahead for a batch of private messages.
LOOKED_AHEAD_TABLES = ("cases", "join_requests")


class _Missing:
    """Nothing was read ahead for this key: ask the database."""


MISSING = _Missing()


def _drop_looked_ahead(
    _connection: Any,
    _cursor: Any,
    statement: str,
    _parameters: Any,
    _context: Any,
    _executemany: bool,
) -> None:
    """Any statement but a SELECT that names a looked-ahead table (an ORM flush, a Core
    update, a CTE, in any record keeper, now or later) drops everything read ahead from
    that table: what the unit reads next from it comes from the database and sees its
    own writes. Coarse on purpose (a batch's first join answer sends the others' look-ups
    back to the database): the statement, not its parameters, says what was written."""
    memo = _LOOKED_AHEAD.get()
    if memo and not statement.startswith("SELECT"):
        for table in LOOKED_AHEAD_TABLES:
            if table in statement:
                for key in [key for key in memo if key[0] == table]:
                    del memo[key]


def _inbound_row(
    inbound: events.Inbound, intent: str | None, chat_id: int, person_id: int, case_id: int | None
) -> dict[str, Any]:
    return {
        "case_id": case_id,
        "chat_id": chat_id,
        "person_id": person_id,
        "direction": "in",
        "content": inbound.content.value,
        "text": inbound.text,
        "intent": intent,
        "channel_message_id": inbound.message_id,
        "thread_id": inbound.chat.thread_id,
        "status": "stored",
        "created_at": inbound.received_at,
    }


def _username(who: events.Person) -> str | None:
    """The platform's current username, as stored (None: they have none)."""
    return who.username[:64] if who.username else None


class Sessions:
    """``sessions()`` and ``sessions.begin()`` as every record keeper uses them, but inside
    ``Store.unit`` both hand out the unit's own session and leave the commit to the unit.
    So record keepers stay small and the desk's whole decision commits or rolls back as
    one (and on SQLite's single connection, never waits for itself)."""

    def __init__(self, maker: async_sessionmaker[AsyncSession]) -> None:
        self.maker = maker

    def __call__(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        ambient = _AMBIENT.get()
        if ambient is not None:
            return contextlib.nullcontext(ambient)
        return self.maker()

    def begin(self) -> contextlib.AbstractAsyncContextManager[AsyncSession]:
        ambient = _AMBIENT.get()
        if ambient is not None:
            return _flushing(ambient)
        return self.maker.begin()


@contextlib.asynccontextmanager
async def _flushing(session: AsyncSession) -> AsyncIterator[AsyncSession]:
    """Inside a unit a "transaction" ends with a flush, so ids and constraints behave as
    they did when each step committed, and the commit waits for the unit."""
    yield session
    await session.flush()


class Store:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = Sessions(sessionmaker(engine))
        self._autocommit = engine.execution_options(isolation_level="AUTOCOMMIT")
        # People and chats are looked up on every message but almost never change:
        # remembering them saves two round trips per message (see `make benchmark`).
        self._people: dict[tuple[str, str], models.Person] = {}
        self._chats: dict[tuple[str, str], models.Chat] = {}
        event.listen(engine.sync_engine, "before_cursor_execute", _drop_looked_ahead)

    @classmethod
    def from_url(cls, url: str) -> Store:
        return cls(create_engine(url))

    async def create_all(self) -> None:
        """Build tables straight from the models: only for throwaway in-memory stores."""
        async with self.engine.begin() as connection:
            await connection.run_sync(models.Base.metadata.create_all)

    async def close(self) -> None:
        await self.engine.dispose()

    @contextlib.asynccontextmanager
    async def unit(self) -> AsyncIterator[AsyncSession]:
        """One transaction for everything done inside it, in this task: committed when the
        block ends, rolled back (with the caches it may have filled) if it raises."""
        if _AMBIENT.get() is not None:
            raise RuntimeError("units of work do not nest")
        async with self.sessions.maker() as session:
            token = _AMBIENT.set(session)
            connection_token = _UNIT_CONNECTION.set(None)
            looked_ahead_token = _LOOKED_AHEAD.set(None)
            recorded_token = _RECORDED_AHEAD.set(None)
            try:
                async with session.begin():
                    yield session
            except BaseException:
                # Rows cached during the unit may not exist any more.
                self._people.clear()
                self._chats.clear()
                raise
            finally:
                _RECORDED_AHEAD.reset(recorded_token)
                _LOOKED_AHEAD.reset(looked_ahead_token)
                _UNIT_CONNECTION.reset(connection_token)
                _AMBIENT.reset(token)

    @property
    def reads_ahead(self) -> bool:
        """Whether a batch's read-ahead may be kept for its unit: inside a unit. On SQLite
        the one worker on its one connection is the only writer while the unit runs. On
        PostgreSQL other workers commit meanwhile (READ COMMITTED), so the look-ahead
        locks the rows it reads (FOR UPDATE) until the unit commits: a colleague's /close
        of a case read ahead waits for the batch, and the batch never acts on a case that
        has changed under it (tests/test_attack_look_ahead.py)."""
        return _AMBIENT.get() is not None

    def look_ahead(self, table: str, found: dict[int, Any]) -> None:
        """Rows read for a whole batch at once (one statement instead of one per message),
        kept for the rest of the unit or until it writes to their table. Outside a unit
        there is nothing to keep them for."""
        if _AMBIENT.get() is None:
            return
        memo = _LOOKED_AHEAD.get()
        if memo is None:
            memo = {}
            _LOOKED_AHEAD.set(memo)
        for key, rows in found.items():
            memo[(table, key)] = rows

    async def looked_ahead(self, table: str, key: int) -> Any:
        """What ``look_ahead`` kept from ``table`` for ``key``, or MISSING. The session's
        pending changes are written out first (as before any Core read), which drops what
        was kept from a table they touch."""
        memo = _LOOKED_AHEAD.get()
        if not memo:
            return MISSING
        ambient = _AMBIENT.get()
        if ambient is not None and not ambient.sync_session._is_clean():
            await ambient.flush()
        return memo.get((table, key), MISSING)

    @contextlib.asynccontextmanager
    async def connection(self, *, autocommit: bool = False) -> AsyncIterator[AsyncConnection]:
        """For the statements every message runs (the inbox, the outbox, the look-ups on
        each message): Core on a connection costs a third of the same statement through
        the ORM's session (``make benchmark``). Inside a unit it is the unit's own
        connection, after the session has written out what it holds, so both see the
        same rows; outside one, a transaction of its own, committed when the block ends.
        ``autocommit`` (outside a unit) for a block of one statement, which is its own
        transaction: on PostgreSQL that saves the BEGIN and COMMIT round trips."""
        ambient = _AMBIENT.get()
        if ambient is not None:
            if not ambient.sync_session._is_clean():
                await ambient.flush()
            connection = _UNIT_CONNECTION.get()
            if connection is None:
                connection = await ambient.connection()
                _UNIT_CONNECTION.set(connection)
            yield connection
            return
        if autocommit:
            async with self._autocommit.connect() as connection:
                yield connection
            return
        async with self.engine.begin() as connection:
            yield connection

    @property
    def postgres(self) -> bool:
        return self.engine.dialect.name == "postgresql"

    def _insert(self, table: Any) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(table)

    # -- people and chats ---------------------------------------------------

    async def person(self, who: events.Person) -> models.Person:
        key = (who.channel, who.external_id)
        known = self._people.get(key)
        if (
            known is not None
            and known.first_name == who.first_name[:256]
            and known.username == _username(who)
            and models.utcnow() - known.last_seen_at < SEEN_REFRESH
        ):
            return known
        row = await self._upsert_person(who)
        if len(self._people) > CACHE_LIMIT:
            self._people.clear()
        self._people[key] = row
        return row

    def forget_person(self, person_id: int) -> None:
        """Drop a remembered person whose row just changed, so the next look-up reads it."""
        for key, row in list(self._people.items()):
            if row.id == person_id:
                del self._people[key]

    async def _upsert_person(self, who: events.Person) -> models.Person:
        async with self.sessions.begin() as session:
            await session.execute(
                self._insert(models.Person)
                .values(
                    channel=who.channel,
                    external_id=who.external_id,
                    first_name=who.first_name[:256],
                    username=_username(who),
                    created_at=models.utcnow(),
                    last_seen_at=models.utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            )
            row = await session.scalar(
                select(models.Person).where(
                    models.Person.channel == who.channel,
                    models.Person.external_id == who.external_id,
                )
            )
            assert row is not None
            row.last_seen_at = models.utcnow()
            if who.first_name and row.first_name != who.first_name[:256]:
                row.first_name = who.first_name[:256]
            username = _username(who)
            if row.username != username:
                row.username = username
            if username is not None:
                # A username belongs to one account at a time: whoever held it before has
                # changed theirs, so /block @name must never reach them (found by id).
                released = await session.execute(
                    update(models.Person)
                    .where(
                        models.Person.channel == who.channel,
                        func.lower(models.Person.username) == username.lower(),
                        models.Person.id != row.id,
                    )
                    .values(username=None)
                )
                if rows_changed(released):
                    self._forget_username(who.channel, username, keep=row.id)
            return row

    def _forget_username(self, channel: str, username: str, *, keep: int) -> None:
        for key, cached in list(self._people.items()):
            if (
                key[0] == channel
                and cached.id != keep
                and (cached.username or "").lower() == username.lower()
            ):
                del self._people[key]

    async def chat(self, where: events.ChatRef) -> models.Chat:
        key = (where.channel, where.external_id)
        known = self._chats.get(key)
        if known is not None:
            return known
        row = await self._upsert_chat(where)
        if len(self._chats) > CACHE_LIMIT:
            self._chats.clear()
        self._chats[key] = row
        return row

    async def _upsert_chat(self, where: events.ChatRef) -> models.Chat:
        """A new chat is stored in one statement; one already stored (by another process,
        or before a restart) is read. The row returned is a copy, in no session."""
        chats = _CHATS
        statement = (
            self._insert(chats)
            .values(
                channel=where.channel,
                external_id=where.external_id,
                kind=where.kind.value,
                title=where.title,
                created_at=models.utcnow(),
            )
            .on_conflict_do_nothing(index_elements=["channel", "external_id"])
            .returning(*chats.c)
        )
        async with self.connection() as connection:
            row = (await connection.execute(statement)).first()
            if row is None:
                row = (
                    await connection.execute(
                        select(chats).where(
                            chats.c.channel == where.channel,
                            chats.c.external_id == where.external_id,
                        )
                    )
                ).one()
        return models.Chat(**row._asdict())

    # -- messages -----------------------------------------------------------

    async def record_inbound(
        self,
        inbound: events.Inbound,
        intent: str | None,
        *,
        chat_id: int,
        person_id: int,
        case_id: int | None = None,
    ) -> models.Message:
        recorded = _RECORDED_AHEAD.get()
        ahead = recorded.pop(id(inbound), None) if recorded is not None else None
        # The very object recorded (held in the memo, so its id is not reused).
        if ahead is not None and ahead[0] is inbound:
            row = ahead[1]
            wanted = (intent, chat_id, person_id, case_id)
            if (row.intent, row.chat_id, row.person_id, row.case_id) != wanted:
                # Written ahead with other values: corrected, never written a second time
                # (a history row per message, whatever the desk decides meanwhile).
                async with self.connection() as connection:
                    await connection.execute(
                        update(_MESSAGES)
                        .where(_MESSAGES.c.id == row.id)
                        .values(
                            intent=intent, chat_id=chat_id, person_id=person_id, case_id=case_id
                        )
                    )
                row.intent, row.chat_id, row.person_id, row.case_id = wanted
            return row
        return await self._add_message(**_inbound_row(inbound, intent, chat_id, person_id, case_id))

    async def record_inbound_ahead(self, batch: Sequence[desk_records.InboundRecord]) -> None:
        """A batch's inbound messages written in one statement inside the unit of work,
        instead of one each as they are handled; ``record_inbound`` hands each row back.
        Outside a unit, nothing is done."""
        if _AMBIENT.get() is None or not batch:
            return
        rows = [_inbound_row(r.inbound, r.intent, r.chat_id, r.person_id, None) for r in batch]
        ids = await self.add_messages(rows)
        recorded = _RECORDED_AHEAD.get()
        if recorded is None:
            recorded = {}
            _RECORDED_AHEAD.set(recorded)
        for each, row, new_id in zip(batch, rows, ids, strict=True):
            recorded[id(each.inbound)] = (each.inbound, models.Message(id=new_id, **row))

    async def outbound_row(
        self,
        where: events.ChatRef,
        text: str,
        *,
        intent: str | None,
        channel_message_id: str | None,
        status: str,
        thread_id: int | None = None,
        case_id: int | None = None,
        about: int | None = None,
    ) -> dict[str, Any]:
        """The history row for a message we send, not yet written (``add_messages``).
        ``about``: the person a staff notice carries the words or details of."""
        chat = await self.chat(where)
        return {
            "case_id": case_id,
            "chat_id": chat.id,
            "person_id": about,
            "direction": "out",
            "content": events.Content.TEXT.value,
            "text": text,
            "intent": intent,
            "channel_message_id": channel_message_id,
            "thread_id": thread_id,
            "status": status,
            "created_at": models.utcnow(),
        }

    async def add_messages(self, rows: Sequence[dict[str, Any]]) -> list[int]:
        """History rows written together, one statement; their ids, in order."""
        if not rows:
            return []
        async with self.connection() as connection:
            if self.postgres:
                result = await connection.execute(_ADD_MESSAGES, list(rows))
                return [row.id for row in result]
            result = await connection.execute(_ADD_MESSAGES_SQLITE, list(rows))
            return sorted(row.id for row in result)

    async def _add_message(self, **values: Any) -> models.Message:
        """One history row, written at once (two on every message: what came in, what
        we answer); the row returned is a copy, not attached to any session."""
        async with self.connection() as connection:
            values["id"] = (await connection.execute(_ADD_MESSAGE, values)).scalar_one()
        return models.Message(**values)

    async def chat_history(self, where: events.ChatRef, limit: int = 200) -> list[models.Message]:
        async with self.sessions() as session:
            chat_id = await session.scalar(
                select(models.Chat.id).where(
                    models.Chat.channel == where.channel,
                    models.Chat.external_id == where.external_id,
                )
            )
            if chat_id is None:
                return []
            rows = await session.scalars(
                select(models.Message)
                .where(models.Message.chat_id == chat_id)
                .order_by(models.Message.id)
                .limit(limit)
            )
            return list(rows)

    async def link_message(self, message_id: int, case_id: int) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(models.Message)
                .where(models.Message.id == message_id)
                .values(case_id=case_id)
            )

    async def move_case_messages(self, from_case_id: int, to_case_id: int) -> int:
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(models.Message)
                .where(models.Message.case_id == from_case_id)
                .values(case_id=to_case_id)
            )
            return rows_changed(result)

    async def case_messages(self, case_id: int) -> list[models.Message]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(models.Message)
                .where(models.Message.case_id == case_id)
                .order_by(models.Message.id)
            )
            return list(rows)

    async def count_messages(self, direction: str | None = None) -> int:
        async with self.sessions() as session:
            query = select(func.count(models.Message.id))
            if direction:
                query = query.where(models.Message.direction == direction)
            return int(await session.scalar(query) or 0)

    # -- audit --------------------------------------------------------------

    async def audit(
        self,
        actor: str,
        action: str,
        subject: str | None = None,
        detail: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> None:
        async with self.sessions.begin() as session:
            session.add(
                models.AuditEvent(
                    actor=actor,
                    action=action,
                    subject=subject,
                    detail=detail or {},
                    at=at or models.utcnow(),
                )
            )

    async def audit_trail(self, action: str | None = None) -> Sequence[models.AuditEvent]:
        async with self.sessions() as session:
            query = select(models.AuditEvent).order_by(models.AuditEvent.id)
            if action:
                query = query.where(models.AuditEvent.action == action)
            return list(await session.scalars(query))
