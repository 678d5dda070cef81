"""The conversations in the community groups (3.9, 3.12): which thread each message is
in, when the bot last spoke in it and the cases its matters opened. Message ids only,
never text, so nothing here needs erasing with a person's data."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from helpbot.store import models
from helpbot.store.records import Store


class GroupThreadBook:
    def __init__(self, store: Store) -> None:
        self.sessions = store.sessions

    async def place(
        self,
        chat_id: int,
        message_id: str,
        *,
        topic: int | None,
        reply_to: str | None,
        at: datetime,
        gap: timedelta,
    ) -> models.GroupThread:
        """The thread of this message (see ``ports.GroupThreads.place``), recorded."""
        async with self.sessions.begin() as session:
            known = await self._thread_of(session, chat_id, message_id)
            if known is not None:
                return known  # an edit: the message is where it was
            thread = await self._thread_of(session, chat_id, reply_to) if reply_to else None
            if thread is None:
                thread = await session.scalar(
                    select(models.GroupThread)
                    .where(
                        models.GroupThread.chat_id == chat_id,
                        models.GroupThread.topic_id.is_(None)
                        if topic is None
                        else models.GroupThread.topic_id == topic,
                        models.GroupThread.last_message_at >= at - gap,
                    )
                    .order_by(
                        models.GroupThread.last_message_at.desc(), models.GroupThread.id.desc()
                    )
                    .limit(1)
                )
            if thread is None:
                thread = models.GroupThread(
                    chat_id=chat_id,
                    topic_id=topic,
                    root_message_id=message_id,
                    started_at=at,
                    last_message_at=at,
                    cases={},
                )
                session.add(thread)
                await session.flush()
            elif at > thread.last_message_at:
                thread.last_message_at = at
            session.add(
                models.GroupThreadMessage(
                    chat_id=chat_id, message_id=message_id, thread_id=thread.id
                )
            )
        return thread

    async def _thread_of(
        self, session: AsyncSession, chat_id: int, message_id: str
    ) -> models.GroupThread | None:
        return await session.scalar(
            select(models.GroupThread)
            .join(
                models.GroupThreadMessage,
                models.GroupThreadMessage.thread_id == models.GroupThread.id,
            )
            .where(
                models.GroupThreadMessage.chat_id == chat_id,
                models.GroupThreadMessage.message_id == message_id,
            )
        )

    async def spoke(self, thread_id: int, at: datetime) -> None:
        async with self.sessions.begin() as session:
            thread = await session.get(models.GroupThread, thread_id)
            if thread is not None:
                thread.last_public_at = at

    async def add_case(self, thread_id: int, kind: str, case_id: int) -> None:
        async with self.sessions.begin() as session:
            thread = await session.get(models.GroupThread, thread_id)
            if thread is not None:
                thread.cases = {**(thread.cases or {}), kind: case_id}

    async def all_threads(self, chat_id: int | None = None) -> list[models.GroupThread]:
        """Every thread, oldest first (tests and operators)."""
        query = select(models.GroupThread).order_by(models.GroupThread.id)
        if chat_id is not None:
            query = query.where(models.GroupThread.chat_id == chat_id)
        async with self.sessions() as session:
            return list(await session.scalars(query))
