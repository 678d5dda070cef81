"""One event at the desk, with what the desk worked out about it, and the small helpers
every policy uses to answer it."""

from __future__ import annotations

from dataclasses import dataclass

from helpbot.desk.actions import Button, SendText, split_long_text
from helpbot.desk.events import ChatKind, ChatRef, Inbound
from helpbot.desk.ports import Classified
from helpbot.desk.records import Chat, Person, StoredMessage

# Commands staff use in the staff group; anyone else sending one is refused and audited.
STAFF_COMMANDS = frozenset(
    {
        "claim",
        "release",
        "note",
        "history",
        "resolve",
        "close",
        "reopen",
        "escalate",
        "extend",
        "publish",
        "warn",
        "remove",
        "block",
        "unblock",
    }
)

# Classification looks at the start of very long messages only; the whole text is stored.
CLASSIFY_LIMIT = 2000


# Commands for moderating community groups (3.7): from the staff group, or by a colleague
# replying to a member's message in a community group.
MODERATION_COMMANDS = frozenset({"warn", "remove", "block", "unblock"})


@dataclass(slots=True)
class Visit:
    """One inbound event with what the desk worked out about it."""

    inbound: Inbound
    person: Person
    chat: Chat
    classification: Classified | None
    message: StoredMessage

    @property
    def intent(self) -> str | None:
        return self.classification.intent if self.classification else None


def reply(
    inbound: Inbound,
    text: str,
    *,
    intent: str | None = None,
    buttons: tuple[tuple[Button, ...], ...] = (),
    case_id: int | None = None,
) -> SendText:
    """A reply in the same chat (and topic); in groups it quotes the message it answers."""
    in_group = inbound.chat.kind is not ChatKind.PRIVATE
    return SendText(
        chat=inbound.chat,
        text=split_long_text(text)[0],
        buttons=buttons,
        reply_to_message_id=inbound.message_id if in_group else None,
        thread_id=inbound.chat.thread_id,
        intent=intent,
        case_id=case_id,
    )


def chat_ref(chat: Chat) -> ChatRef:
    return ChatRef(
        channel=chat.channel,
        external_id=chat.external_id,
        kind=ChatKind(chat.kind),
        title=chat.title,
    )


def private_chat(person: Person) -> ChatRef:
    """A person's private chat with the bot: on Telegram its id is the user's id, and the
    bot may write there once they have written to it, or for 5 minutes after a join
    request."""
    return ChatRef(channel=person.channel, external_id=person.external_id, kind=ChatKind.PRIVATE)


def who(person: Person) -> str:
    """How colleagues see a member in the staff group: first name, @username, id."""
    handle = f"@{person.username}, " if person.username else ""
    return f"{person.first_name or 'Someone'} ({handle}id {person.external_id})"
