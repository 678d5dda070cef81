"""Keys the server makes once and keeps in the store (table ``console_secrets``), so every
process shares them: the console's cookie key, the web chat's cookie signing key."""

from __future__ import annotations

import secrets

from sqlalchemy import select

from helpbot.store import models
from helpbot.store.records import Store
from helpbot.store.staff_models import ConsoleSecret


async def server_key(store: Store, name: str) -> str:
    """The key called ``name``, made on first use; two processes making it at once
    agree on the one written first."""
    async with store.sessions.begin() as session:
        await session.execute(
            store._insert(ConsoleSecret)
            .values(name=name, value=secrets.token_urlsafe(32), created_at=models.utcnow())
            .on_conflict_do_nothing(index_elements=["name"])
        )
        value = await session.scalar(select(ConsoleSecret.value).where(ConsoleSecret.name == name))
    assert value is not None
    return value
