"""The file in a stored Telegram update: which file_id, and what kind of file it is."""

from __future__ import annotations

from typing import Any

from helpbot.channels.attachments import FileRef

# (field, default content type, default name) in the order Telegram's own clients show.
_KINDS: tuple[tuple[str, str, str], ...] = (
    ("document", "application/octet-stream", "document"),
    ("voice", "audio/ogg", "voice-note.oga"),
    ("audio", "audio/mpeg", "audio.mp3"),
    ("video", "video/mp4", "video.mp4"),
    ("video_note", "video/mp4", "video-note.mp4"),
    ("animation", "video/mp4", "animation.mp4"),
)


def _size(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def file_in(payload: dict[str, Any], message_id: str) -> FileRef | None:
    """The file of the message with that id in a stored update (None when the update is
    another message, has no file, or its payload was removed by retention or erasure)."""
    body = payload.get("message") or payload.get("edited_message")
    if not isinstance(body, dict) or str(body.get("message_id")) != message_id:
        return None
    photo = body.get("photo")
    if isinstance(photo, list) and photo and isinstance(photo[-1], dict):
        largest = photo[-1]  # Telegram lists the sizes small to large
        if isinstance(largest.get("file_id"), str):
            return FileRef(
                largest["file_id"], "image/jpeg", "photo.jpg", _size(largest.get("file_size"))
            )
    for field, content_type, name in _KINDS:
        part = body.get(field)
        if isinstance(part, dict) and isinstance(part.get("file_id"), str):
            mime = part.get("mime_type")
            given = part.get("file_name")
            return FileRef(
                part["file_id"],
                mime.lower()[:100] if isinstance(mime, str) and mime else content_type,
                given[:200] if isinstance(given, str) and given else name,
                _size(part.get("file_size")),
            )
    return None
