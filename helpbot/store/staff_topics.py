"""Which forum topic of the staff group holds what: one per case, and the fixed ones
("Join requests", "Moderation", ...). Kept by the sender, which makes the topics."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from helpbot.store import models
from helpbot.store.casebook import Casebook
from helpbot.store.records import Store


class StaffTopics:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = store.sessions
        self.casebook = Casebook(store)

    async def of_case(self, case_id: int) -> int | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(models.Case.staff_topic_id).where(models.Case.id == case_id)
            )

    async def case_topic_opened(self, case_id: int, thread_id: int) -> None:
        await self.casebook.change(case_id, staff_topic_id=thread_id)
        await self.casebook.log(
            case_id, "topic_opened", actor_kind="system", detail={"thread_id": thread_id}
        )

    async def named(self, name: str) -> int | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(models.StaffTopic.thread_id).where(models.StaffTopic.name == name)
            )

    async def named_opened(self, name: str, thread_id: int) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                self.store._insert(models.StaffTopic)
                .values(name=name, thread_id=thread_id, created_at=models.utcnow())
                .on_conflict_do_nothing(index_elements=["name"])
            )
            await session.execute(
                update(models.StaffTopic)
                .where(models.StaffTopic.name == name)
                .values(thread_id=thread_id)
            )

    async def named_gone(self, name: str) -> None:
        """A colleague deleted a fixed topic by hand: the next notice makes it again."""
        async with self.sessions.begin() as session:
            await session.execute(delete(models.StaffTopic).where(models.StaffTopic.name == name))
