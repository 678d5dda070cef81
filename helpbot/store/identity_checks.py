"""The web chat's light identity check, as rows: the verified link from a person to a
tenancy, and every try (matched or not, never what was typed), so wrong answers can be
counted per person and per address."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, or_, select, update

from helpbot.store import models
from helpbot.store.records import Store


class IdentityChecks:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.sessions = store.sessions

    async def verified_tenancy(self, person_id: int) -> str | None:
        async with self.sessions() as session:
            return await session.scalar(
                select(models.Person.tenancy_ref).where(
                    models.Person.id == person_id, models.Person.tenancy_verified_at.is_not(None)
                )
            )

    async def verify(self, person_id: int, reference: str, at: datetime) -> None:
        async with self.sessions.begin() as session:
            await session.execute(
                update(models.Person)
                .where(models.Person.id == person_id)
                .values(tenancy_ref=reference, tenancy_verified_at=at)
            )
        self.store.forget_person(person_id)

    async def record_try(
        self, person_id: int, origin: str | None, *, matched: bool, at: datetime
    ) -> None:
        async with self.sessions.begin() as session:
            session.add(
                models.IdentityCheck(person_id=person_id, origin=origin, matched=matched, at=at)
            )

    async def wrong_tries(self, person_id: int, origin: str | None, since: datetime) -> int:
        who = models.IdentityCheck.person_id == person_id
        if origin is not None:
            who = or_(who, models.IdentityCheck.origin == origin)
        async with self.sessions() as session:
            count = await session.scalar(
                select(func.count(models.IdentityCheck.id)).where(
                    who, models.IdentityCheck.matched.is_(False), models.IdentityCheck.at >= since
                )
            )
        return int(count or 0)

    async def wrong_tries_everywhere(self, since: datetime) -> int:
        async with self.sessions() as session:
            count = await session.scalar(
                select(func.count(models.IdentityCheck.id)).where(
                    models.IdentityCheck.matched.is_(False), models.IdentityCheck.at >= since
                )
            )
        return int(count or 0)
