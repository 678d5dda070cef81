"""The raw channel events behind a tenant's photo or file on a case: the channel keeps
the file, and the stored update says where. Retention and erasure empty or delete those
events, after which the file can no longer be found (and is not ours to fetch)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, cast, select

from helpbot.store import models
from helpbot.store.records import Store

# What a tenant sends that is not words: the timeline shows these as attachments.
NOT_FILES = ("text", "command", "button")


@dataclass(frozen=True, slots=True)
class SentFile:
    """One message with a file on a case, and the stored raw events that may name it
    (newest first: an edit's update wins)."""

    message_id: int
    content: str
    channel: str
    channel_message_id: str | None
    payloads: list[dict[str, Any]]


class CaseFiles:
    def __init__(self, store: Store) -> None:
        self.store = store

    async def sent(self, case_id: int, message_id: int) -> SentFile | None:
        """The tenant's message with that id on that case, or None (another case's
        message, a colleague's, or plain words)."""
        async with self.store.sessions() as session:
            found = (
                await session.execute(
                    select(models.Message, models.Chat)
                    .join(models.Chat, models.Chat.id == models.Message.chat_id)
                    .where(
                        models.Message.id == message_id,
                        models.Message.case_id == case_id,
                        models.Message.direction == "in",
                        models.Message.content.notin_(NOT_FILES),
                    )
                )
            ).first()
            if found is None:
                return None
            message, chat = found
            payloads: list[dict[str, Any]] = []
            if message.channel_message_id:
                event = models.InboxEvent
                rows = await session.scalars(
                    select(event.payload)
                    .where(
                        event.channel == chat.channel,
                        event.conversation == f"{chat.channel}:{chat.external_id}",
                        cast(event.payload, String).contains(message.channel_message_id),
                    )
                    .order_by(event.id.desc())
                )
                payloads = [p for p in rows if isinstance(p, dict) and p]
        return SentFile(
            message.id, message.content, chat.channel, message.channel_message_id, payloads
        )
