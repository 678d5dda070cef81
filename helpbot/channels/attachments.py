"""A tenant's file as the channel it came on holds it: the console shows a photo or
opens a document by asking that channel for it, because we keep no copy of our own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

# Telegram's bots may download files up to 20 MB; nothing larger is fetched from anywhere.
MAX_FILE_BYTES = 20 * 1024 * 1024

# Shown in the browser (inline) only as these; anything else, whatever the sender said it
# was, is a download, so a file cannot run as a page on the console's own origin.
INLINE_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
SAFE_DOWNLOADS = frozenset(
    {
        "application/pdf",
        "audio/ogg",
        "audio/mpeg",
        "audio/mp4",
        "video/mp4",
        "video/quicktime",
        "video/webm",
        "image/heic",
    }
)


class FileTooLarge(Exception):
    """Larger than MAX_FILE_BYTES: not fetched."""


@dataclass(frozen=True, slots=True)
class FileRef:
    """Where a channel keeps one file a tenant sent, and what it says the file is."""

    key: str  # Telegram's file_id, or the URL Messenger gave
    content_type: str
    file_name: str
    size: int | None = None

    @property
    def inline(self) -> bool:
        return self.content_type in INLINE_IMAGES

    @property
    def served_type(self) -> str:
        if self.inline or self.content_type in SAFE_DOWNLOADS:
            return self.content_type
        return "application/octet-stream"


class FileSource(Protocol):
    """A channel that can find a file in one of its stored raw events and fetch it."""

    def file_in(self, payload: dict[str, Any], message_id: str) -> FileRef | None:
        """The file the stored event carries for that message, or None."""
        ...

    async def download(self, ref: FileRef, limit: int = MAX_FILE_BYTES) -> bytes:
        """The file's bytes; FileTooLarge past the limit."""
        ...
