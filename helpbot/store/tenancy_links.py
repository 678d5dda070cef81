"""Which tenancy a person is: set by a colleague who has checked (in the console), so one
tenant's Telegram, web chat and Facebook identities show as one person with their cases
together, and their tenancy is on their page."""

from __future__ import annotations

from sqlalchemy import select

from helpbot.desk.records import normalise_reference
from helpbot.store import models
from helpbot.store.records import Store


class TenancyLinks:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def link(self, person_id: int, reference: str) -> models.Tenancy | None:
        """Link the person to the register's tenancy with this reference; None (and no
        change) when the register has no such tenancy or there is no such person."""
        wanted = normalise_reference(reference)[:32]
        if not wanted:
            return None
        async with self.store.sessions.begin() as session:
            tenancy = await session.scalar(
                select(models.Tenancy).where(models.Tenancy.reference == wanted)
            )
            person = await session.get(models.Person, person_id)
            if tenancy is None or person is None:
                return None
            person.tenancy_ref = tenancy.reference
        self.store.forget_person(person_id)
        return tenancy

    async def unlink(self, person_id: int) -> bool:
        async with self.store.sessions.begin() as session:
            person = await session.get(models.Person, person_id)
            if person is None:
                return False
            person.tenancy_ref = None
        self.store.forget_person(person_id)
        return True
