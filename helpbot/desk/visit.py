"""One event at the desk, with what the desk worked out about it, and the small helpers
every policy uses to answer it."""

from __future__ import annotations

from dataclasses import dataclass

from helpbot.desk.actions import Button, SendText, split_long_text
from helpbot.desk.events import ChatKind, ChatRef, Content, Inbound
from helpbot.desk.ports import Classified
from helpbot.desk.records import Chat, Person, StoredMessage

# Knowledge-base answers look at the start of a very long message only; classification
# reads it all (front_desk), and the whole text is stored.
CLASSIFY_LIMIT = 2000
# What is classified: text, and the caption of a photo, video, file or voice note (a
# photo captioned "water pouring through the light" is an emergency like the words).
READ_CONTENT = frozenset(
    {Content.TEXT, Content.PHOTO, Content.VIDEO, Content.DOCUMENT, Content.VOICE}
)
# Safety first: these are answered whatever else is going on (a taken case, a join
# conversation, an ended chat, too many new cases from one address).
URGENT_INTENTS = frozenset({"emergency", "safeguarding"})


@dataclass(frozen=True, slots=True)
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

    @property
    def urgent_by_cue(self) -> bool:
        """Urgent because a safety cue fired (a gas smell, no heating with a baby, "I
        can't do this anymore"), not by the model's guess alone."""
        why = str(getattr(self.classification, "why", "") or "")
        return self.intent in URGENT_INTENTS and why.startswith("cue")


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


def hello(person: Person, lead: str = " ") -> str:
    """ " Ann" for a greeting, or nothing when we don't know their name."""
    return f"{lead}{person.first_name}" if person.first_name else ""


def colleague_name(inbound: Inbound) -> str:
    """How a colleague signs to tenants and appears in records: first name only (3.3)."""
    return (inbound.sender.first_name or "A colleague").split()[0]


def staff_actor(inbound: Inbound) -> str:
    """A colleague as the audit log names them: their channel id, never their name (from
    the console, their linked Telegram id or their console identity)."""
    return f"staff:{inbound.sender.channel}:{inbound.sender.external_id}"


def sender_actor(inbound: Inbound) -> str:
    """Anyone else as the audit log names them."""
    return f"{inbound.channel}:{inbound.sender.external_id}"
