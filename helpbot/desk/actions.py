"""What the desk asks a channel to do. Adapters only execute these (DESIGN.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from helpbot.desk.events import ChatRef

# Telegram rejects longer messages; other channels inherit the same cap so a
# reply is never cut differently on different channels.
MAX_MESSAGE_LENGTH = 4096


@dataclass(frozen=True, slots=True)
class Button:
    """An inline button: either a callback (data) or a link (url)."""

    label: str
    data: str | None = None
    url: str | None = None


@dataclass(frozen=True, slots=True)
class SendText:
    chat: ChatRef
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    reply_to_message_id: str | None = None
    thread_id: int | None = None
    intent: str | None = None  # what the reply is answering, kept with the stored copy
    case_id: int | None = None
    author: str | None = None  # a colleague's first name when staff wrote it (3.3)


@dataclass(frozen=True, slots=True)
class AnswerButton:
    """Acknowledge a button press so the client stops its spinner."""

    callback_id: str
    text: str | None = None


@dataclass(frozen=True, slots=True)
class EditMessage:
    """Rewrite one of the bot's own messages, dropping its buttons: a question the tenant
    has answered shows their answer and cannot be answered twice."""

    chat: ChatRef
    message_id: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()


@dataclass(frozen=True, slots=True)
class React:
    """Put a small reaction on someone's message: the quiet "seen, filed" for a
    colleague's internal note in a case topic."""

    chat: ChatRef
    message_id: str
    emoji: str


@dataclass(frozen=True, slots=True)
class DeleteMessage:
    chat: ChatRef
    message_id: str


# The intent kept with the stored copy of a PostToStaff that relays the tenant's words.
TENANT_RELAY = "tenant_relay"


@dataclass(frozen=True, slots=True)
class PostToStaff:
    """Post in a case's topic in the staff group; the adapter creates the topic when the
    case has none yet, or recreates it if a colleague deleted it by hand."""

    case_id: int
    topic_name: str
    thread_id: int | None
    text: str = ""
    copy_from: ChatRef | None = None  # relay the tenant's own message (photo, file, voice)
    copy_message_id: str | None = None
    # The tenant's own words (or file): a colleague's reply to this message goes to them.
    relay: bool = False


@dataclass(frozen=True, slots=True)
class SetTopicOpen:
    """Close a case's staff topic when the case closes, reopen it with the case."""

    case_id: int
    thread_id: int
    open: bool


@dataclass(frozen=True, slots=True)
class RemoveStaffTopic:
    """Delete a case's staff topic with everything posted in it: after a tenant's data is
    erased (UK GDPR art. 17) their words must not stay in the staff group either."""

    case_id: int
    thread_id: int


@dataclass(frozen=True, slots=True)
class StaffNotice:
    """Post in a fixed, named topic of the staff group ("Join requests", "Moderation",
    "Held for review"); the adapter makes the topic the first time and remembers it.
    ``link_chat``/``link_message_id`` point colleagues at a message in a group."""

    topic: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    link_chat: ChatRef | None = None
    link_message_id: str | None = None
    # The person whose words or details it carries: erasing them deletes it too.
    about: int | None = None


@dataclass(frozen=True, slots=True)
class ApproveJoin:
    """Let an applicant into a community group: a colleague confirmed them (3.5)."""

    chat: ChatRef
    member: str  # the person's id on the channel


@dataclass(frozen=True, slots=True)
class DeclineJoin:
    """Turn down a request to join (3.6); the applicant is told why in private."""

    chat: ChatRef
    member: str


@dataclass(frozen=True, slots=True)
class HideComment:
    """Hide a public comment (Facebook): the writer and their friends still see it, nobody
    else does, and nothing is lost. The most the bot does alone, for personal data (3.12)."""

    chat: ChatRef  # the post's comments
    comment_id: str
    hidden: bool = True


# What a restricted member may still do; anything not listed is paused.
MEMBER_PERMISSIONS = frozenset({"messages", "media", "polls", "links", "reactions"})


@dataclass(frozen=True, slots=True)
class RestrictMember:
    """Pause a member's posting until a time (a cool-down after an argument, or flooding)."""

    chat: ChatRef
    member: str
    until: datetime
    allow: frozenset[str] = frozenset()  # from MEMBER_PERMISSIONS


@dataclass(frozen=True, slots=True)
class LiftRestriction:
    """Give a member back the group's usual permissions."""

    chat: ChatRef
    member: str


@dataclass(frozen=True, slots=True)
class RemoveMember:
    """Remove from a group but leave them free to ask to join again (3.7.1)."""

    chat: ChatRef
    member: str


@dataclass(frozen=True, slots=True)
class BlockMember:
    """Block from a group: they cannot come back until unblocked (3.7.1)."""

    chat: ChatRef
    member: str


@dataclass(frozen=True, slots=True)
class UnblockMember:
    chat: ChatRef
    member: str


# Things done to a member of a group; the adapter of the group's channel carries them out.
MemberAction = (
    ApproveJoin
    | DeclineJoin
    | RestrictMember
    | LiftRestriction
    | RemoveMember
    | BlockMember
    | UnblockMember
)

Action = (
    SendText
    | AnswerButton
    | EditMessage
    | React
    | DeleteMessage
    | PostToStaff
    | SetTopicOpen
    | RemoveStaffTopic
    | StaffNotice
    | HideComment
    | MemberAction
)


def split_long_text(text: str, limit: int = MAX_MESSAGE_LENGTH) -> list[str]:
    """Split at paragraph, line or word boundaries so no part exceeds the channel limit."""
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest or not parts:
        parts.append(rest)
    return parts
