"""What a colleague does in the console, as an event on the one inbox.

A claim, a note or a reply from the console is the same thing as from the case's staff
topic: the event translates to the Inbound the desk already understands there (the
staff chat, the case's topic, the colleague's linked Telegram identity), so the desk
applies the same rules, writes the same history and sends through the outbox.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from helpbot.desk.events import ChatKind, ChatRef, Content, Inbound, Person
from helpbot.postroom.inbox import Inbox
from helpbot.store import models
from helpbot.store.records import Store
from helpbot.store.staff_models import StaffAccount

CHANNEL = "console"
# The staff topic's commands a console button may send; the desk decides what each does.
COMMANDS = frozenset(
    {
        "reply",
        "claim",
        "release",
        "note",
        "resolve",
        "close",
        "reopen",
        "escalate",
        "extend",
        "publish",
    }
    # The hazard clock (Awaab's Law).
    | {
        "hazard",
        "investigated",
        "made_safe",
        "summary_sent",
        "works_started",
        "works_later",
        "alternative_offered",
    }
)
MAX_TEXT = 4000
# The staff room's buttons the console may press: join requests and held posts.
BUTTONS = re.compile(r"^(jr:\d{1,18}:(ok|no)|held:\d{1,18}:(repost|discard))$")


class NotAvailable(Exception):
    """The console cannot act on this case (no staff room, or the case has no topic yet)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the desk said back in the case's topic, for the colleague to read."""

    done: bool
    said: tuple[str, ...]
    to_tenant: int = 0  # messages queued for the tenant


def sender_of(account: StaffAccount) -> Person:
    """The colleague as the desk knows them: their Telegram identity when linked, so
    history shows one person whichever place they worked from."""
    first = (account.name or "A colleague").split()[0]
    if account.telegram_user_id:
        return Person(channel="telegram", external_id=account.telegram_user_id, first_name=first)
    return Person(channel=CHANNEL, external_id=f"staff-{account.id}", first_name=first)


def translate(payload: dict[str, Any]) -> Inbound | None:
    """A stored console event as the desk's event in the staff room."""
    try:
        chat = payload["staff_chat"]
        sender = payload["sender"]
        command = payload.get("command")
        button = payload.get("button")
        text = str(payload.get("text", ""))[:MAX_TEXT]
        thread = payload.get("thread_id")
        where = ChatRef(
            channel=str(chat["channel"]),
            external_id=str(chat["external_id"]),
            kind=ChatKind.STAFF,
            title=chat.get("title"),
            thread_id=int(thread) if thread is not None else None,
        )
        who = Person(
            channel=str(sender["channel"]),
            external_id=str(sender["external_id"]),
            first_name=str(sender.get("first_name", "")),
        )
    except (KeyError, TypeError) as error:
        raise ValueError("malformed console event") from error
    if button is not None:
        if not BUTTONS.match(str(button)):
            raise ValueError("unknown console button")
        return Inbound(
            chat=where,
            sender=who,
            content=Content.BUTTON,
            callback_data=str(button),
            update_key=payload.get("key"),
        )
    if where.thread_id is None:
        raise ValueError("a case action needs the case's topic")
    if command is not None and command not in COMMANDS:
        raise ValueError("unknown console command")
    # The console's reply box is a deliberate message to the tenant: the desk's /reply
    # (plain text in a case topic is only an internal note).
    command = command or "reply"
    return Inbound(
        chat=where,
        sender=who,
        content=Content.COMMAND if command else Content.TEXT,
        text=f"/{command} {text}".strip() if command else text,
        command=command,
        command_args=text if command else "",
        update_key=payload.get("key"),
    )


class StaffCommands:
    def __init__(self, store: Store, inbox: Inbox | None, staff_chat: ChatRef | None) -> None:
        self.store = store
        self.inbox = inbox
        self.staff_chat = staff_chat

    def available(self, case: models.Case) -> str | None:
        """Why actions are not offered on this case, or None when they are."""
        if self.inbox is None or self.staff_chat is None:
            return "Actions need the Telegram staff room (HELPBOT_STAFF_GROUP_ID)."
        if case.staff_topic_id is None:
            return "This case has no staff topic yet; actions open once it has one."
        return None

    async def send(
        self,
        account: StaffAccount,
        case: models.Case,
        *,
        command: str | None,
        text: str,
        nonce: str,
        wait: float = 10.0,
    ) -> Outcome:
        """Put the colleague's action in the inbox and wait (a little) for the desk's
        answer. The form's nonce is the event key: a double submit is one action."""
        why = self.available(case)
        if why is not None:
            raise NotAvailable(why)
        assert self.inbox is not None and self.staff_chat is not None
        if command is not None and command not in COMMANDS:
            raise NotAvailable("That is not something the console can do.")
        return await self._put(
            account,
            nonce,
            {"case": case.ref, "thread_id": case.staff_topic_id, "command": command, "text": text},
            wait,
        )

    async def press(self, account: StaffAccount, data: str, *, nonce: str) -> Outcome:
        """Press one of the staff room's buttons (approve a join request, release a held
        post) as the colleague would in Telegram."""
        if self.inbox is None or self.staff_chat is None:
            raise NotAvailable("Actions need the Telegram staff room (HELPBOT_STAFF_GROUP_ID).")
        if not BUTTONS.match(data):
            raise NotAvailable("That is not something the console can do.")
        return await self._put(account, nonce, {"button": data}, 10.0)

    async def _put(
        self, account: StaffAccount, nonce: str, body: dict[str, Any], wait: float
    ) -> Outcome:
        assert self.inbox is not None and self.staff_chat is not None
        who = sender_of(account)
        key = f"{account.id}:{nonce or secrets.token_hex(8)}"[:128]
        payload = {
            "key": key,
            "account": account.id,
            "staff_chat": {
                "channel": self.staff_chat.channel,
                "external_id": self.staff_chat.external_id,
                "title": self.staff_chat.title,
            },
            "sender": {
                "channel": who.channel,
                "external_id": who.external_id,
                "first_name": who.first_name,
            },
            **body,
        }
        if "text" in payload:
            payload["text"] = str(payload["text"])[:MAX_TEXT]
        # The staff room's own conversation: console and topic actions run in one order.
        conversation = f"{self.staff_chat.channel}:{self.staff_chat.external_id}"
        await self.inbox.accept(CHANNEL, key, conversation, payload)
        return await self._outcome(key, wait)

    async def _outcome(self, key: str, wait: float) -> Outcome:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        event = models.InboxEvent
        while True:
            async with self.store.sessions() as session:
                row = await session.scalar(
                    select(event).where(event.channel == CHANNEL, event.event_key == key)
                )
                if row is not None and row.status == "done":
                    items = await session.scalars(
                        select(models.OutboxItem)
                        .where(models.OutboxItem.event_id == row.id)
                        .order_by(models.OutboxItem.id)
                    )
                    queued = list(items)
                    said = tuple(
                        str(item.payload.get("text", ""))
                        for item in queued
                        if item.kind in ("SendText", "AnswerButton", "StaffNotice")
                        and item.payload.get("text")
                        and (item.kind != "SendText" or _to_staff(item.payload))
                    )
                    to_tenant = sum(
                        1
                        for item in queued
                        if item.kind == "SendText" and not _to_staff(item.payload)
                    )
                    return Outcome(True, said, to_tenant)
            if loop.time() >= deadline:
                return Outcome(False, ())
            await asyncio.sleep(0.05)


def _to_staff(payload: dict[str, Any]) -> bool:
    chat = payload.get("chat")
    return isinstance(chat, dict) and chat.get("kind") == ChatKind.STAFF.value
