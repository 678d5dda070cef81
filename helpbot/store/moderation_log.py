"""The moderation log and the discussions the bot watches (3.7, 3.10).

Every warning, removal, block, held post and restriction is a row here, with who did it,
when and why; ``helpbot moderation log`` prints them for staff.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from helpbot.store import models
from helpbot.store.database import rows_changed
from helpbot.store.records import Store


@dataclass(frozen=True, slots=True)
class LogLine:
    """One moderation log entry with the names staff need to read it."""

    entry: models.ModerationAction
    group: str | None
    member: str | None
    member_username: str | None


class ModerationLog:
    def __init__(self, store: Store) -> None:
        self.sessions = store.sessions

    async def record(
        self,
        action: str,
        *,
        actor_kind: str,
        chat_id: int | None = None,
        person_id: int | None = None,
        reason: str = "",
        actor_id: int | None = None,
        actor_name: str = "",
        until: datetime | None = None,
        state: str | None = None,
        message_id: int | None = None,
        detail: dict[str, Any] | None = None,
        at: datetime | None = None,
    ) -> models.ModerationAction:
        entry = models.ModerationAction(
            at=at or models.utcnow(),
            chat_id=chat_id,
            person_id=person_id,
            action=action,
            reason=reason,
            actor_kind=actor_kind,
            actor_id=actor_id,
            actor_name=actor_name,
            until=until,
            state=state,
            message_id=message_id,
            detail=detail or {},
        )
        async with self.sessions.begin() as session:
            session.add(entry)
        return entry

    async def get(self, entry_id: int) -> models.ModerationAction | None:
        async with self.sessions() as session:
            return await session.get(models.ModerationAction, entry_id)

    async def settle(self, entry_id: int, from_state: str, to_state: str) -> bool:
        """Move a held post or a proposal on, once: a second press finds it settled."""
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(models.ModerationAction)
                .where(
                    models.ModerationAction.id == entry_id,
                    models.ModerationAction.state == from_state,
                )
                .values(state=to_state)
            )
            return rows_changed(result) == 1

    async def count(self, person_id: int, action: str) -> int:
        async with self.sessions() as session:
            found = await session.scalar(
                select(func.count(models.ModerationAction.id)).where(
                    models.ModerationAction.person_id == person_id,
                    models.ModerationAction.action == action,
                )
            )
            return int(found or 0)

    async def active_restriction(
        self, chat_id: int, person_id: int, now: datetime
    ) -> models.ModerationAction | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(models.ModerationAction)
                .where(
                    models.ModerationAction.chat_id == chat_id,
                    models.ModerationAction.person_id == person_id,
                    models.ModerationAction.action == "restrict",
                    models.ModerationAction.lifted_at.is_(None),
                    models.ModerationAction.until > now,
                )
                .limit(1)
            )

    async def restrictions_due(self, now: datetime) -> list[models.ModerationAction]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(models.ModerationAction)
                .where(
                    models.ModerationAction.action == "restrict",
                    models.ModerationAction.lifted_at.is_(None),
                    models.ModerationAction.until <= now,
                )
                .order_by(models.ModerationAction.id)
            )
            return list(rows)

    async def mark_lifted(self, entry_id: int, now: datetime) -> bool:
        async with self.sessions.begin() as session:
            result = await session.execute(
                update(models.ModerationAction)
                .where(
                    models.ModerationAction.id == entry_id,
                    models.ModerationAction.lifted_at.is_(None),
                )
                .values(lifted_at=now)
            )
            return rows_changed(result) == 1

    async def entries(self, limit: int = 200, action: str | None = None) -> list[LogLine]:
        member = aliased(models.Person)
        query = (
            select(models.ModerationAction, models.Chat.title, member.first_name, member.username)
            .outerjoin(models.Chat, models.Chat.id == models.ModerationAction.chat_id)
            .outerjoin(member, member.id == models.ModerationAction.person_id)
            .order_by(models.ModerationAction.id.desc())
            .limit(limit)
        )
        if action:
            query = query.where(models.ModerationAction.action == action)
        async with self.sessions() as session:
            rows = (await session.execute(query)).all()
        return [LogLine(row[0], row[1], row[2], row[3]) for row in reversed(rows)]

    # -- discussions ----------------------------------------------------------

    async def discussions(
        self, chat_id: int, kind: str, since: datetime
    ) -> list[models.Discussion]:
        async with self.sessions() as session:
            rows = await session.scalars(
                select(models.Discussion)
                .where(
                    models.Discussion.chat_id == chat_id,
                    models.Discussion.kind == kind,
                    models.Discussion.last_at >= since,
                )
                .order_by(models.Discussion.id)
            )
            return list(rows)

    async def save_discussion(self, discussion: models.Discussion) -> models.Discussion:
        async with self.sessions.begin() as session:
            merged = await session.merge(discussion)
        return merged

    async def all_discussions(self) -> list[models.Discussion]:
        async with self.sessions() as session:
            return list(
                await session.scalars(select(models.Discussion).order_by(models.Discussion.id))
            )
