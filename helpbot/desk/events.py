"""What arrives at the desk: one channel-neutral shape for every platform.

Adapters translate their platform's payload into these; the desk never sees a
Telegram or web object, so every channel gets the same policy (DESIGN.md).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime


class ChatKind(enum.StrEnum):
    """Where a message was posted; this changes the action, not the intent (TAXONOMY.md)."""

    PRIVATE = "private"
    COMMUNITY = "community"  # a tenants' community group (3.4)
    STAFF = "staff"  # the staff supergroup with one forum topic per case
    OTHER = "other"  # a group we were added to but do not serve
    # Public comments under one of the Page's posts on Facebook (or on its post in a
    # group); the chat's id is the post's id, each message a comment.
    PAGE_COMMENTS = "page_comments"
    # Facebook's one private reply to a comment: lands in the commenter's Messenger; the
    # chat's id is the comment's id.
    COMMENT_REPLY = "comment_reply"
    # The staff console: a signed-in colleague's action on one case (Inbound.console).
    CONSOLE = "console"


class Content(enum.StrEnum):
    """What kind of thing the person sent."""

    TEXT = "text"
    COMMAND = "command"
    STICKER = "sticker"
    PHOTO = "photo"
    VOICE = "voice"
    DOCUMENT = "document"
    VIDEO = "video"
    LOCATION = "location"
    CONTACT = "contact"
    OTHER = "other"
    BUTTON = "button"  # a press on one of our inline buttons
    JOIN_REQUEST = "join_request"
    MEMBER_JOINED = "member_joined"
    MEMBER_LEFT = "member_left"


@dataclass(frozen=True, slots=True)
class Person:
    """Who wrote: a channel identity, never more than the platform gave us."""

    channel: str
    external_id: str
    first_name: str = ""
    username: str | None = None
    is_bot: bool = False


@dataclass(frozen=True, slots=True)
class ChatRef:
    channel: str
    external_id: str
    kind: ChatKind
    title: str | None = None
    thread_id: int | None = None  # forum topic (staff group) or reply thread


@dataclass(frozen=True, slots=True)
class ConsoleAct:
    """What the staff console vouches for on an action it sends: the colleague signed
    in, the case they acted on (in the staff room its topic names it; None for a
    join-request or held-post decision), whether they are a team lead (role lead or
    admin), and the colleague the action names (reassign)."""

    case_id: int | None
    lead: bool = False
    colleague: Person | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """One thing a person did on a channel."""

    chat: ChatRef
    sender: Person
    content: Content
    text: str = ""
    message_id: str | None = None
    reply_to_message_id: str | None = None
    reply_to_sender_id: str | None = None
    mentions: tuple[str, ...] = ()
    has_link: bool = False  # a web address or hidden link in the text or caption
    addressed_to_bot: bool = False  # mentions the bot or replies to one of its messages
    command: str | None = None  # without the slash, lower case: "start"
    command_args: str = ""
    callback_data: str | None = None  # for BUTTON
    callback_id: str | None = None
    edited: bool = False
    received_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    update_key: str | None = None  # platform's delivery id, used to drop repeats
    origin: str | None = None  # keyed hash of an anonymous web visitor's address
    console: ConsoleAct | None = None  # only on the console's own events (ChatKind.CONSOLE)

    @property
    def channel(self) -> str:
        return self.chat.channel
