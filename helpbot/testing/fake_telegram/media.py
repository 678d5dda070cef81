"""Files the fake holds: what users send (photos, stickers, voice, documents), what the
bot uploads, and the Bot API objects describing them. ``getFile`` downloads come from
here, so a bot's download path is exercised too."""

from __future__ import annotations

import re
from typing import Any

from helpbot.testing.fake_telegram.errors import ApiError
from helpbot.testing.fake_telegram.objects import FakeFile
from helpbot.testing.fake_telegram.world import World

__all__ = ["FAKE_JPEG", "Media", "document_json"]

JSON = dict[str, Any]

FAKE_JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"fake photo bytes" * 8 + b"\xff\xd9"
_UPLOAD_FOLDERS = {"photo": "photos", "voice": "voice", "sticker": "stickers"}


class Media:
    """Registers files in the world and builds PhotoSize, Sticker, Voice, Document."""

    def __init__(self, world: World) -> None:
        self.world = world

    def register_file(
        self,
        kind: str,
        content: bytes,
        extension: str,
        *,
        file_name: str | None = None,
        mime_type: str | None = None,
    ) -> FakeFile:
        fake = FakeFile(kind, content, extension, file_name=file_name, mime_type=mime_type)
        self.world.files[fake.file_id] = fake
        return fake

    def store_upload(
        self, field: str, content: bytes, filename: str | None, content_type: str | None
    ) -> JSON:
        """A multipart upload becomes a file; the parameter then refers to it by file_id."""
        name = filename or field
        extension = name.rsplit(".", 1)[-1] if "." in name else "bin"
        kind = _UPLOAD_FOLDERS.get(field, "documents")
        fake = self.register_file(kind, content, extension, file_name=name, mime_type=content_type)
        return {"upload": name, "size": len(content), "file_id": fake.file_id}

    def file_for(self, reference: Any, kind: str, extension: str) -> FakeFile:
        """A file_id the fake issued, a fresh upload, or an HTTP URL Telegram would fetch."""
        files = self.world.files
        if isinstance(reference, dict) and "file_id" in reference:
            return files[reference["file_id"]]
        if isinstance(reference, str):
            if reference in files:
                return files[reference]
            if re.match(r"https?://", reference):
                name = reference.rsplit("/", 1)[-1] or "file"
                return self.register_file(
                    kind, b"downloaded " + reference.encode(), extension, file_name=name
                )
        raise ApiError(400, "Bad Request: wrong file identifier/HTTP URL specified")

    def by_path(self, path: str) -> FakeFile | None:
        for fake in self.world.files.values():
            if fake.file_path == path:
                return fake
        return None

    def photo_sizes(self, content: bytes | None = None) -> list[JSON]:
        """A PhotoSize array (small to large), each size a distinct file, as Telegram sends."""
        data = content or FAKE_JPEG
        sizes = []
        for width, height in ((90, 68), (320, 240), (1280, 960)):
            fake = self.register_file("photos", data, "jpg")
            sizes.append(fake.photo_size(width, height))
        return sizes

    def sticker_object(self, emoji: str = "👍") -> JSON:
        fake = self.register_file("stickers", b"RIFF fake webp sticker", "webp")
        thumb = self.register_file("thumbnails", FAKE_JPEG, "jpg")
        return {
            "file_id": fake.file_id,
            "file_unique_id": fake.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "thumbnail": thumb.photo_size(128, 128),
            "emoji": emoji,
            "set_name": "ShalHelpStickers",
            "file_size": fake.size,
        }

    def voice_object(self, duration: int = 4, content: bytes | None = None) -> JSON:
        fake = self.register_file(
            "voice", content or b"OggS fake voice", "oga", mime_type="audio/ogg"
        )
        return {
            "file_id": fake.file_id,
            "file_unique_id": fake.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": fake.size,
        }

    def document_object(self, file_name: str, mime_type: str, content: bytes | None = None) -> JSON:
        extension = file_name.rsplit(".", 1)[-1] if "." in file_name else "bin"
        fake = self.register_file(
            "documents",
            content or b"%PDF-1.4 fake document",
            extension,
            file_name=file_name,
            mime_type=mime_type,
        )
        return document_json(fake)


def document_json(fake: FakeFile) -> JSON:
    """The Bot API ``Document`` object for a held file."""
    document: JSON = {"file_id": fake.file_id, "file_unique_id": fake.file_unique_id}
    if fake.file_name:
        document["file_name"] = fake.file_name
    if fake.mime_type:
        document["mime_type"] = fake.mime_type
    document["file_size"] = fake.size
    return document
