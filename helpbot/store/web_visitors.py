"""Web chat sessions: minted by the server, known by the hash of their cookie.

A cookie is a random part and the server's signature of it (a key made once, kept in
the store, shared by every process), so a cookie the client made up is refused without
a row per page view: a stranger loading /chat in a loop writes nothing. The row is
written when the chat is first opened, and marks it ended when the visitor ends it
(on a shared computer, so the next person sees nothing of theirs).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select, update

from helpbot.store import models
from helpbot.store.records import Store
from helpbot.store.server_keys import server_key

KEY_NAME = "web_chat"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class WebVisitors:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._key: bytes | None = None

    async def _signing_key(self) -> bytes:
        if self._key is None:
            self._key = (await server_key(self.store, KEY_NAME)).encode()
        return self._key

    async def _signature(self, part: str) -> str:
        digest = hmac.new(await self._signing_key(), part.encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

    async def mint(self) -> str:
        part = secrets.token_urlsafe(24)
        return f"{part}.{await self._signature(part)}"

    async def known(self, token: str) -> bool:
        """Minted here and not ended. A session from before cookies were signed is known
        by its row."""
        async with self.store.sessions() as session:
            row = (
                await session.execute(
                    select(models.WebVisitor.id, models.WebVisitor.ended_at).where(
                        models.WebVisitor.token_hash == token_hash(token)
                    )
                )
            ).first()
        if row is not None:
            return row.ended_at is None
        part, _, signature = token.rpartition(".")
        return bool(part) and hmac.compare_digest(signature, await self._signature(part))

    async def opened(self, token: str) -> None:
        """The chat is in use: kept, so it can be ended."""
        async with self.store.sessions.begin() as session:
            await session.execute(
                self.store._insert(models.WebVisitor)
                .values(token_hash=token_hash(token), created_at=models.utcnow())
                .on_conflict_do_nothing(index_elements=["token_hash"])
            )

    async def end(self, token: str) -> None:
        await self.opened(token)
        async with self.store.sessions.begin() as session:
            await session.execute(
                update(models.WebVisitor)
                .where(
                    models.WebVisitor.token_hash == token_hash(token),
                    models.WebVisitor.ended_at.is_(None),
                )
                .values(ended_at=models.utcnow())
            )

    async def ended_chat(self, visitor: str) -> bool:
        """Whether the chat known as ``visitor`` (the first 32 hex digits of its cookie's
        hash, channels/webchat.visitor_id) was ended: nothing sent to it is read again."""
        if len(visitor) != 32:
            return False
        async with self.store.sessions() as session:
            ended = await session.scalar(
                select(models.WebVisitor.id).where(
                    models.WebVisitor.token_hash.startswith(visitor, autoescape=True),
                    models.WebVisitor.ended_at.is_not(None),
                )
            )
        return ended is not None
