"""Community group membership records: join requests, members, colleagues and the staff
group's fixed topics (3.5, 3.6, 3.11)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import BigInteger, Row, bindparam, func, select, true, update

from helpbot.store import models
from helpbot.store.database import rows_changed
from helpbot.store.records import MISSING, Store

OPEN_REQUEST = ("asking", "rules")
# Recorded with a group's messages but not posts by the member (flood counting).
NOT_POSTS = ("join_request", "member_joined", "member_left", "button")


_REQUESTS = models.JoinRequest.__table__
_CURRENT_REQUEST = (
    select(_REQUESTS)
    .where(
        _REQUESTS.c.person_id == bindparam("person", type_=BigInteger()),
        _REQUESTS.c.status.in_(OPEN_REQUEST),
    )
    .order_by(_REQUESTS.c.id.desc())
    .limit(1)
)
_CURRENT_REQUESTS = (
    select(_REQUESTS)
    .where(
        _REQUESTS.c.person_id.in_(bindparam("people", expanding=True)),
        _REQUESTS.c.status.in_(OPEN_REQUEST),
    )
    .order_by(_REQUESTS.c.id.desc())
    # Locked until the unit commits on PostgreSQL (SQLite has no row locks and needs
    # none): a colleague's decision on one of them waits for the batch that read it
    # (FOR NO KEY UPDATE: rows that only point at it do not wait).
    .with_for_update(key_share=True)
)


class Membership:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = store.sessions

    # -- join requests --------------------------------------------------------

    async def open_request(
        self, chat_id: int, person_id: int, *, now: datetime, answer_by: datetime
    ) -> models.JoinRequest:
        """A new request; any earlier unfinished one for the same group is withdrawn."""
        async with self.sessions.begin() as session:
            await session.execute(
                update(models.JoinRequest)
                .where(
                    models.JoinRequest.chat_id == chat_id,
                    models.JoinRequest.person_id == person_id,
                    models.JoinRequest.status.in_((*OPEN_REQUEST, "review")),
                )
                .values(status="withdrawn", decided_at=now)
            )
            request = models.JoinRequest(
                chat_id=chat_id,
                person_id=person_id,
                status="asking",
                step=0,
                attempts=0,
                answers={},
                requested_at=now,
                answer_by=answer_by,
            )
            session.add(request)
        return request

    async def request(self, request_id: int) -> models.JoinRequest | None:
        async with self.sessions() as session:
            return await session.get(models.JoinRequest, request_id)

    async def current_request(self, person_id: int) -> Row[Any] | None:
        """The person's join conversation in progress (answering or reading the rules).
        Asked on every private message, so a Core row (the columns by name), not a model;
        read ahead for a batch of messages where the worker has one."""
        found = await self.store.looked_ahead("join_requests", person_id)
        if found is not MISSING:
            return cast("Row[Any] | None", found)
        async with self.store.connection() as connection:
            result = await connection.execute(_CURRENT_REQUEST, {"person": person_id})
            return result.first()

    async def look_ahead(self, person_ids: Sequence[int]) -> None:
        """``current_request`` for a batch's people in one statement, kept for the unit."""
        if not person_ids or not self.store.reads_ahead:  # see Store.reads_ahead
            return
        found: dict[int, Row[Any] | None] = dict.fromkeys(person_ids)
        async with self.store.connection() as connection:
            rows = await connection.execute(_CURRENT_REQUESTS, {"people": list(found)})
            for row in rows:  # newest first, so each person's first row is theirs
                if found[row.person_id] is None:
                    found[row.person_id] = row
        self.store.look_ahead("join_requests", found)

    async def change_request(self, request_id: int, **values: Any) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(models.JoinRequest)
                .where(models.JoinRequest.id == request_id)
                .values(**values)
            )

    async def move_request(
        self, request_id: int, from_statuses: tuple[str, ...], **values: Any
    ) -> bool:
        """A conditional update, so two colleagues (or a colleague and the timeout sweep)
        deciding at once cannot both win."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(models.JoinRequest)
                .where(
                    models.JoinRequest.id == request_id,
                    models.JoinRequest.status.in_(from_statuses),
                )
                .values(**values)
            )
            return rows_changed(result) == 1

    async def overdue_requests(self, now: datetime) -> list[models.JoinRequest]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(models.JoinRequest)
                .where(
                    models.JoinRequest.status.in_(OPEN_REQUEST),
                    models.JoinRequest.answer_by <= now,
                )
                .order_by(models.JoinRequest.id)
            )
            return list(rows)

    async def requests(self) -> list[models.JoinRequest]:
        async with self.sessions() as session:
            return list(
                await session.scalars(select(models.JoinRequest).order_by(models.JoinRequest.id))
            )

    # -- members --------------------------------------------------------------

    async def member(self, chat_id: int, person_id: int) -> models.GroupMember | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(models.GroupMember).where(
                    models.GroupMember.chat_id == chat_id,
                    models.GroupMember.person_id == person_id,
                )
            )

    async def set_member(self, chat_id: int, person_id: int, **values: Any) -> None:
        values.setdefault("updated_at", models.utcnow())
        async with self.sessions.begin() as session:
            await session.execute(
                self.store._insert(models.GroupMember)
                .values(
                    chat_id=chat_id,
                    person_id=person_id,
                    status="member",
                    updated_at=models.utcnow(),
                )
                .on_conflict_do_nothing(index_elements=["chat_id", "person_id"])
            )
            await session.execute(
                update(models.GroupMember)
                .where(
                    models.GroupMember.chat_id == chat_id,
                    models.GroupMember.person_id == person_id,
                )
                .values(**values)
            )

    async def memberships(self, person_id: int) -> list[models.GroupMember]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(models.GroupMember)
                .where(models.GroupMember.person_id == person_id)
                .order_by(models.GroupMember.id)
            )
            return list(rows)

    async def members(self) -> list[models.GroupMember]:
        async with self.sessions() as session:
            return list(
                await session.scalars(select(models.GroupMember).order_by(models.GroupMember.id))
            )

    # -- people, chats and colleagues ---------------------------------------------

    async def person(self, person_id: int) -> models.Person | None:
        async with self.sessions() as session:
            return await session.get(models.Person, person_id)

    async def chat(self, chat_id: int) -> models.Chat | None:
        async with self.sessions() as session:
            return await session.get(models.Chat, chat_id)

    async def find_person(self, channel: str, who: str) -> models.Person | None:
        """A person by channel id or by @username (usernames compared without case)."""
        query = select(models.Person).where(models.Person.channel == channel)
        if who.startswith("@"):
            query = query.where(func.lower(models.Person.username) == who[1:].lower())
        else:
            query = query.where(models.Person.external_id == who)
        async with self.sessions() as session:
            return await session.scalar(query.order_by(models.Person.id).limit(1))

    async def find_people(self, channel: str, usernames: list[str]) -> list[models.Person]:
        if not usernames:
            return []
        lowered = [name.lower() for name in usernames]
        async with self.sessions() as session:
            rows = await session.scalars(
                select(models.Person).where(
                    models.Person.channel == channel,
                    func.lower(models.Person.username).in_(lowered)
                    | models.Person.external_id.in_(usernames),
                )
            )
            return list(rows)

    async def set_staff_since(self, person_id: int, value: datetime | None) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(models.Person).where(models.Person.id == person_id).values(staff_since=value)
            )

    async def has_written_privately(self, person_id: int) -> bool:
        """Whether the person has started a private chat with the bot (so it may write)."""
        async with self.sessions() as session:
            found = await session.scalar(
                select(models.Message.id)
                .join(models.Chat, models.Chat.id == models.Message.chat_id)
                .where(
                    models.Message.person_id == person_id,
                    models.Message.direction == "in",
                    models.Chat.kind == "private",
                )
                .limit(1)
            )
            return found is not None

    async def community_chats(self, channel: str) -> list[models.Chat]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(models.Chat)
                .where(models.Chat.channel == channel, models.Chat.kind == "community")
                .order_by(models.Chat.id)
            )
            return list(rows)

    async def messages_since(
        self, chat_id: int, person_id: int, since: datetime, up_to: int | None = None
    ) -> int:
        """How many posts a member has made in a group since a moment (flooding, 3.7)."""
        async with self.sessions() as session:
            count = await session.scalar(
                select(func.count(models.Message.id)).where(
                    models.Message.chat_id == chat_id,
                    models.Message.person_id == person_id,
                    models.Message.direction == "in",
                    models.Message.content.not_in(NOT_POSTS),
                    models.Message.created_at >= since,
                    models.Message.id <= up_to if up_to is not None else true(),
                )
            )
            return int(count or 0)

    async def sent_message(self, chat_id: int, channel_message_id: str) -> models.Message | None:
        """One of the bot's messages in a chat by the platform's id (indexed)."""
        async with self.sessions() as session:
            return await session.scalar(
                select(models.Message)
                .where(
                    models.Message.chat_id == chat_id,
                    models.Message.channel_message_id == channel_message_id,
                    models.Message.direction == "out",
                )
                .order_by(models.Message.id.desc())
                .limit(1)
            )

    async def message(self, message_id: int) -> models.Message | None:
        async with self.sessions() as session:
            return await session.get(models.Message, message_id)
