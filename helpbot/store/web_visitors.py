"""Web chat sessions: minted by the server, known by the hash of their cookie."""

from __future__ import annotations

import hashlib
import secrets

from sqlalchemy import select

from helpbot.store import models
from helpbot.store.records import Store


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class WebVisitors:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def mint(self) -> str:
        token = secrets.token_urlsafe(24)
        async with self.store.sessions.begin() as session:
            session.add(models.WebVisitor(token_hash=token_hash(token), created_at=models.utcnow()))
        return token

    async def known(self, token: str) -> bool:
        async with self.store.sessions() as session:
            found = await session.scalar(
                select(models.WebVisitor.id).where(
                    models.WebVisitor.token_hash == token_hash(token)
                )
            )
        return found is not None
