"""One stored Facebook event -> Inbound. Pure translation: what happened, never what to do.

The webhook stores each Messenger event and each Page feed change on its own, as
``{"page_id": ..., "field": "messaging" | "feed" | "group_feed", "event": {...}}``, with
the sender's first name looked up beforehand (Messenger events carry no names).
"""

from __future__ import annotations

import hashlib
import re
from datetime import UTC, datetime
from typing import Any

from helpbot.desk.events import ChatKind, ChatRef, Content, Inbound, Person

CHANNEL = "facebook"
MESSAGING, FEED, GROUP_FEED = "messaging", "feed", "group_feed"
# A Messenger message id is often longer than the store keeps; a digest stands in for it.
MAX_MESSAGE_ID = 64
# Messenger has no command menu: "my cases" typed on its own is the /mycases command.
# Anything else typed is read like any other message, as it is on Telegram.
_TYPED_COMMANDS = {"my cases": "mycases", "my case": "mycases", "mycases": "mycases"}
GET_STARTED = "GET_STARTED"  # the payload of the Get Started button, set in the Page's profile
_ATTACHMENTS = {
    "image": Content.PHOTO,
    "audio": Content.VOICE,
    "video": Content.VIDEO,
    "file": Content.DOCUMENT,
    "location": Content.LOCATION,
}
_COMMAND = re.compile(r"^/([a-z0-9_]{1,32})(?:\s+(.*))?$", re.S | re.I)


def message_key(mid: str) -> str:
    return (
        mid if len(mid) <= MAX_MESSAGE_ID else "m#" + hashlib.sha256(mid.encode()).hexdigest()[:60]
    )


def first_name(name: object) -> str:
    """Only the first name is kept (3.3 needs no more, and privacy wants less)."""
    return name.split()[0][:64] if isinstance(name, str) and name.split() else ""


def _when(value: object, *, millis: bool) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        seconds = value / 1000 if millis or value > 10**11 else value
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            pass
    return datetime.now(UTC)


def _id(value: object) -> str:
    """A Graph id: digits and underscores, as a string; anything else is not an event."""
    text = str(value) if isinstance(value, int | str) and not isinstance(value, bool) else ""
    if not text or len(text) > 128 or not all(c.isdigit() or c == "_" for c in text):
        raise ValueError("not a Graph id")
    return text


def inbound(payload: dict[str, Any]) -> Inbound | None:
    """The desk's event (None: nothing for the desk). Raises ValueError if unreadable."""
    field = payload.get("field")
    event = payload.get("event")
    page_id = str(payload.get("page_id", ""))
    if not isinstance(event, dict):
        raise ValueError("no event")
    if field == MESSAGING:
        return _messaging(event, page_id, str(payload.get("first_name") or ""))
    if field in (FEED, GROUP_FEED):
        return _comment(event, page_id, in_group=field == GROUP_FEED)
    return None


def _messaging(event: dict[str, Any], page_id: str, name: str) -> Inbound | None:
    sender = event.get("sender")
    if not isinstance(sender, dict):
        raise ValueError("no sender")
    psid = _id(sender.get("id"))
    if psid == page_id:
        return None  # the Page's own message (an echo)
    person = Person(CHANNEL, psid, first_name(name))
    chat = ChatRef(CHANNEL, psid, ChatKind.PRIVATE)
    when = _when(event.get("timestamp"), millis=True)
    postback = event.get("postback")
    if isinstance(postback, dict):
        data = str(postback.get("payload") or "")[:256]
        if data == GET_STARTED:
            return Inbound(chat, person, Content.COMMAND, "/start", command="start")
        # A press has no message of its own to keep or copy: no message id.
        return Inbound(chat, person, Content.BUTTON, callback_data=data, received_at=when)
    message = event.get("message")
    if not isinstance(message, dict) or message.get("is_echo"):
        return None  # reads, deliveries, reactions, echoes: nothing for the desk
    mid = message.get("mid")
    key = message_key(mid) if isinstance(mid, str) and mid else None
    text = message.get("text") if isinstance(message.get("text"), str) else ""
    quick = message.get("quick_reply")
    if isinstance(quick, dict) and isinstance(quick.get("payload"), str):
        return Inbound(
            chat,
            person,
            Content.BUTTON,
            text,
            callback_data=quick["payload"][:256],
            received_at=when,
        )
    if text:
        match = _COMMAND.match(text.strip())
        typed = _TYPED_COMMANDS.get(" ".join(text.lower().split()).strip(" .!?"))
        if match or typed:
            command = typed or match.group(1).lower()  # type: ignore[union-attr]
            args = (match.group(2) or "").strip() if match and not typed else ""
            return Inbound(
                chat,
                person,
                Content.COMMAND,
                text,
                key,
                command=command,
                command_args=args,
                received_at=when,
            )
        reply_to = message.get("reply_to")
        replied = reply_to.get("mid") if isinstance(reply_to, dict) else None
        return Inbound(
            chat,
            person,
            Content.TEXT,
            text,
            key,
            reply_to_message_id=message_key(replied) if isinstance(replied, str) else None,
            has_link="http://" in text or "https://" in text or "www." in text,
            received_at=when,
        )
    attachments = message.get("attachments")
    content = Content.OTHER
    if isinstance(attachments, list) and attachments and isinstance(attachments[0], dict):
        first = attachments[0]
        sticker = isinstance(first.get("payload"), dict) and first["payload"].get("sticker_id")
        content = Content.STICKER if sticker else _ATTACHMENTS.get(str(first.get("type")), content)
    # The file itself stays on Facebook: no message id, so nothing tries to copy it.
    return Inbound(chat, person, content, received_at=when)


def _comment(value: dict[str, Any], page_id: str, *, in_group: bool) -> Inbound | None:
    if value.get("item") != "comment" or value.get("verb") not in ("add", "edited"):
        return None  # posts, reactions, shares and removed comments: nothing for the desk
    author = value.get("from")
    if not isinstance(author, dict):
        return None  # Facebook leaves the author out when it may not share them
    author_id = _id(author.get("id"))
    if author_id == page_id:
        return None  # the Page's own reply coming back
    post_id = _id(value.get("post_id"))
    comment_id = _id(value.get("comment_id"))
    parent = value.get("parent_id")
    parent_id = _id(parent) if parent is not None else post_id
    text = value.get("message") if isinstance(value.get("message"), str) else ""
    title = "the Page's post in a Facebook group" if in_group else "the Facebook Page's post"
    content = Content.TEXT if text else (Content.PHOTO if value.get("photo") else Content.OTHER)
    return Inbound(
        ChatRef(CHANNEL, post_id, ChatKind.PAGE_COMMENTS, title=title),
        Person(CHANNEL, author_id, first_name(author.get("name"))),
        content,
        text,
        comment_id,
        reply_to_message_id=parent_id if parent_id != post_id else None,
        has_link="http://" in text or "https://" in text or "www." in text,
        edited=value.get("verb") == "edited",
        received_at=_when(value.get("created_time"), millis=False),
    )
