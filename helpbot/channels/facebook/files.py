"""The file in a stored Messenger event: Meta gives a URL to fetch it while it lasts."""

from __future__ import annotations

from typing import Any

from helpbot.channels.attachments import FileRef
from helpbot.channels.facebook.translate import MESSAGING, message_key

_TYPES = {
    "image": ("image/jpeg", "photo.jpg"),
    "audio": ("audio/mp4", "audio.mp4"),
    "video": ("video/mp4", "video.mp4"),
    "file": ("application/octet-stream", "file"),
}


def file_in(payload: dict[str, Any], message_id: str) -> FileRef | None:
    """The first attachment's URL in the stored event for that message, if Meta sent one
    (a comment's photo is not kept: only its wording comes to us)."""
    event = payload.get("event")
    if payload.get("field") != MESSAGING or not isinstance(event, dict):
        return None
    message = event.get("message")
    mid = message.get("mid") if isinstance(message, dict) else None
    if not isinstance(mid, str) or message_key(mid) != message_id:
        return None
    for attachment in message.get("attachments") or ():  # type: ignore[union-attr]
        if not isinstance(attachment, dict) or attachment.get("type") not in _TYPES:
            continue
        body = attachment.get("payload")
        url = body.get("url") if isinstance(body, dict) else None
        if isinstance(url, str) and url.startswith("https://"):
            content_type, name = _TYPES[attachment["type"]]
            return FileRef(url, content_type, name)
    return None
