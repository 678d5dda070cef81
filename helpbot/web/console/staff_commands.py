"""What a colleague does in the console, as an event on the one inbox.

A case action from the console is an event naming the case and the colleague
(``desk.events.ConsoleAct``): the desk finds the case by its id, applies the same rules
as in the case's staff topic and writes the same history, whether or not the case has a
topic (web chat cases with no staff room, a topic Telegram failed to make). The console
signed the colleague in; its events reach the desk only from here, so the desk takes
them as a colleague's (and as a lead's for the roles lead and admin). Join-request and
held-post decisions are the staff room's own buttons, pressed from the console.
"""

from __future__ import annotations

import asyncio
import re
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from helpbot.desk.actions import Action
from helpbot.desk.events import ChatKind, ChatRef, ConsoleAct, Content, Inbound, Person
from helpbot.postroom.inbox import Inbox
from helpbot.postroom.outcomes import Delivered
from helpbot.store import models
from helpbot.store.records import Store
from helpbot.store.staff_models import StaffAccount

CHANNEL = "console"
# Where the desk's answers to a console colleague go: the console shows them.
CONSOLE_CHAT = ChatRef(channel=CHANNEL, external_id=CHANNEL, kind=ChatKind.CONSOLE)
# The case commands a console button may send; the desk decides what each does.
COMMANDS = frozenset(
    {
        "reply",
        "claim",
        "release",
        "note",
        "resolve",
        "close",
        "reopen",
        "merge",
        "escalate",
        "extend",
        "publish",
        "assign",
        "takeover",
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
LEAD_ROLES = frozenset({"lead", "admin"})
MAX_TEXT = 4000
# The staff room's buttons the console may press: join requests and held posts.
BUTTONS = re.compile(r"^(jr:\d{1,18}:(ok|no)|held:\d{1,18}:(repost|discard))$")


class NotAvailable(Exception):
    """The console cannot do this (no inbox running, or not a console action)."""


@dataclass(frozen=True, slots=True)
class Outcome:
    """What the desk answered the colleague (in the console, and in the case's topic
    when it has one), for the colleague to read."""

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


def _person(value: Any) -> Person:
    return Person(
        channel=str(value["channel"]),
        external_id=str(value["external_id"]),
        first_name=str(value.get("first_name", "")),
    )


def translate(payload: dict[str, Any]) -> Inbound | None:
    """A stored console event as the desk's event."""
    try:
        who = _person(payload["sender"])
        button = payload.get("button")
        if button is not None:
            return _button(payload, who, str(button))
        case_id = int(payload["case_id"])
        command = str(payload["command"])
        text = str(payload.get("text", ""))[:MAX_TEXT]
        named = payload.get("colleague")
        colleague = _person(named) if named else None
    except (KeyError, TypeError, ValueError) as error:
        raise ValueError("malformed console event") from error
    if command not in COMMANDS:
        raise ValueError("unknown console command")
    # The console's reply box is a deliberate message to the tenant: the desk's /reply
    # (plain text in a case topic is only an internal note).
    command = command or "reply"
    return Inbound(
        chat=CONSOLE_CHAT,
        sender=who,
        content=Content.COMMAND,
        text=f"/{command} {text}".strip(),
        command=command,
        command_args=text,
        update_key=payload.get("key"),
        console=ConsoleAct(case_id, lead=bool(payload.get("lead")), colleague=colleague),
    )


def _button(payload: dict[str, Any], who: Person, button: str) -> Inbound:
    """A staff-room decision button (a join request, a held post) pressed from the console."""
    if not BUTTONS.match(button):
        raise ValueError("unknown console button")
    return Inbound(
        chat=CONSOLE_CHAT,
        sender=who,
        content=Content.BUTTON,
        callback_data=button,
        update_key=payload.get("key"),
        console=ConsoleAct(None, lead=bool(payload.get("lead"))),
    )


class ShownInConsole:
    """The switchboard's performer for the desk's answers to a console colleague: the
    console reads them from the outbox (``StaffCommands``), so nothing is carried."""

    async def perform(self, action: Action) -> Delivered:
        return Delivered()


class StaffCommands:
    def __init__(self, store: Store, inbox: Inbox | None, staff_chat: ChatRef | None) -> None:
        self.store = store
        self.inbox = inbox
        self.staff_chat = staff_chat

    def available(self, case: models.Case) -> str | None:
        """Why actions are not offered on this case, or None when they are: the console
        acts on any case through the inbox, topic or none."""
        if self.inbox is None:
            return "Actions are not available here: this server has no inbox running."
        return None

    async def send(
        self,
        account: StaffAccount,
        case: models.Case,
        *,
        command: str,
        text: str,
        nonce: str,
        colleague: StaffAccount | None = None,
        wait: float = 10.0,
    ) -> Outcome:
        """Put the colleague's action on the case in the inbox and wait (a little) for
        the desk's answer. The form's nonce is the event key: a double submit is one
        action. ``colleague`` is the account a reassignment names."""
        why = self.available(case)
        if why is not None:
            raise NotAvailable(why)
        if command not in COMMANDS:
            raise NotAvailable("That is not something the console can do.")
        body: dict[str, Any] = {
            "case_id": case.id,
            "command": command,
            "text": text,
            "lead": account.role in LEAD_ROLES,
        }
        if colleague is not None:
            named = sender_of(colleague)
            body["colleague"] = {
                "channel": named.channel,
                "external_id": named.external_id,
                "first_name": named.first_name,
            }
        return await self._put(account, nonce, body, wait)

    async def press(self, account: StaffAccount, data: str, *, nonce: str) -> Outcome:
        """Press one of the staff room's buttons (approve a join request, release a held
        post) as the colleague would in Telegram."""
        if self.inbox is None:
            raise NotAvailable("Actions are not available here: this server has no inbox running.")
        if not BUTTONS.match(data):
            raise NotAvailable("That is not something the console can do.")
        body = {"button": data, "lead": account.role in LEAD_ROLES}
        return await self._put(account, nonce, body, 10.0)

    async def _put(
        self, account: StaffAccount, nonce: str, body: dict[str, Any], wait: float
    ) -> Outcome:
        assert self.inbox is not None
        who = sender_of(account)
        key = f"{account.id}:{nonce or secrets.token_hex(8)}"[:128]
        payload = {
            "key": key,
            "account": account.id,
            "sender": {
                "channel": who.channel,
                "external_id": who.external_id,
                "first_name": who.first_name,
            },
            **body,
        }
        if "text" in payload:
            payload["text"] = str(payload["text"])[:MAX_TEXT]
        # With a staff room, console and topic actions run in one order (its
        # conversation); without one, the console's own.
        staff = self.staff_chat
        conversation = f"{staff.channel}:{staff.external_id}" if staff else f"{CHANNEL}:cases"
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
                        and (item.kind != "SendText" or _to_colleague(item.payload))
                    )
                    to_tenant = sum(
                        1
                        for item in queued
                        if item.kind == "SendText" and not _to_colleague(item.payload)
                    )
                    return Outcome(True, said, to_tenant)
            if loop.time() >= deadline:
                return Outcome(False, ())
            await asyncio.sleep(0.05)


def _to_colleague(payload: dict[str, Any]) -> bool:
    """Said to colleagues (the staff room or the console), not to a tenant."""
    chat = payload.get("chat")
    return isinstance(chat, dict) and chat.get("kind") in (
        ChatKind.STAFF.value,
        ChatKind.CONSOLE.value,
    )
