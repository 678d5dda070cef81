"""The web chat channel: a page and a websocket on our aiohttp app.

Same path, same desk, same answers as Telegram (DESIGN.md): each frame is stored in
the inbox like any other event, and replies come back from the sender. It also
serves the local demo when no Telegram token is set. A visitor is known by a random
cookie; only its hash is stored, so the database alone cannot take over a chat.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import secrets
import uuid
from typing import Any

from aiohttp import WSMsgType, web

from helpbot.desk.actions import Action, SendText
from helpbot.desk.events import ChatKind, ChatRef, Content, Inbound, Person
from helpbot.postroom.inbox import Inbox
from helpbot.postroom.outcomes import Delivered
from helpbot.store.records import Store

log = logging.getLogger(__name__)

CHANNEL = "web"
COOKIE = "helpbot_chat"
# Anything bigger than this is not a chat message; the socket refuses it politely.
MAX_FRAME = 64 * 1024
HISTORY_ON_CONNECT = 50
RESTARTING = "Sorry, the chat is restarting. Please send that again in a minute."


def visitor_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _buttons(action: SendText) -> list[list[dict[str, str | None]]]:
    return [
        [{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in action.buttons
    ]


class WebChat:
    def __init__(self, inbox: Inbox, store: Store) -> None:
        self.inbox = inbox
        self.store = store
        self.accepting = True  # off while shutting down: new frames get a polite refusal
        # Open sockets per visitor (a visitor may have several tabs open).
        self.sockets: dict[str, set[web.WebSocketResponse]] = {}

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/chat/ws", self.socket)]

    @staticmethod
    def ensure_cookie(request: web.Request, response: web.StreamResponse) -> str:
        token = request.cookies.get(COOKIE)
        if not token or len(token) > 128:
            token = secrets.token_urlsafe(24)
            response.set_cookie(
                COOKIE,
                token,
                max_age=90 * 24 * 3600,
                httponly=True,
                samesite="Strict",
                secure=request.secure,
            )
        return token

    async def socket(self, request: web.Request) -> web.WebSocketResponse:
        token = request.cookies.get(COOKIE)
        if not token or len(token) > 128:
            raise web.HTTPForbidden(text="Open /chat first so we can start a conversation.")
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=30)
        await ws.prepare(request)
        visitor = visitor_id(token)
        tabs = self.sockets.setdefault(visitor, set())
        tabs.add(ws)
        try:
            await self._converse(ws, visitor)
        finally:
            tabs.discard(ws)
            if not tabs:
                self.sockets.pop(visitor, None)
        return ws

    async def _converse(self, ws: web.WebSocketResponse, visitor: str) -> None:
        where = ChatRef(channel=CHANNEL, external_id=visitor, kind=ChatKind.PRIVATE)
        history = await self.store.chat_history(where, limit=HISTORY_ON_CONNECT)
        shown = [m for m in history if m.text and (m.direction == "in" or m.status != "queued")]
        if shown:
            await ws.send_json(
                {
                    "type": "history",
                    "messages": [
                        {"from": "you" if m.direction == "in" else "bot", "text": m.text}
                        for m in shown[-HISTORY_ON_CONNECT:]
                    ],
                }
            )
        if not history:
            # The welcome, once per visitor however many tabs open at once.
            await self._store(visitor, {"kind": "start"}, key=f"start:{visitor}")
        async for frame in ws:
            if frame.type == WSMsgType.TEXT:
                await self._on_frame(ws, visitor, frame.data)
            elif frame.type == WSMsgType.ERROR:
                log.warning("web chat socket error: %s", type(ws.exception()).__name__)

    async def _on_frame(self, ws: web.WebSocketResponse, visitor: str, raw: str) -> None:
        try:
            data: Any = json.loads(raw)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict) or data.get("type") not in {"message", "button"}:
            await ws.send_json(
                {
                    "type": "error",
                    "text": "Sorry, I couldn't read that. Please type your message again.",
                }
            )
            return
        if data["type"] == "button":
            value = data.get("data")
            if not isinstance(value, str) or len(value) > 64:
                return
            await self._store(visitor, {"kind": "button", "data": value})
            return
        text = data.get("text")
        await self._store(
            visitor, {"kind": "message", "text": text if isinstance(text, str) else ""}
        )

    async def _store(self, visitor: str, payload: dict[str, Any], key: str | None = None) -> None:
        if not self.accepting:
            for ws in list(self.sockets.get(visitor, ())):
                with contextlib.suppress(ConnectionError):
                    await ws.send_json({"type": "error", "text": RESTARTING})
            return
        payload = {**payload, "visitor": visitor}
        await self.inbox.accept(CHANNEL, key or uuid.uuid4().hex, f"{CHANNEL}:{visitor}", payload)

    # How a typed line becomes an event (also used by `helpbot ask`).
    _event = staticmethod(lambda who, where, text: _event(who, where, text))

    @staticmethod
    def translate(payload: dict[str, Any]) -> Inbound | None:
        """A stored frame as the desk's event."""
        visitor = payload.get("visitor")
        if not isinstance(visitor, str):
            raise ValueError("no visitor")
        who = Person(channel=CHANNEL, external_id=visitor, first_name="")
        where = ChatRef(channel=CHANNEL, external_id=visitor, kind=ChatKind.PRIVATE)
        kind = payload.get("kind")
        if kind == "start":
            return _event(who, where, "/start")
        if kind == "button":
            return Inbound(
                chat=where, sender=who, content=Content.BUTTON, callback_data=payload.get("data")
            )
        return _event(who, where, str(payload.get("text") or ""))

    async def perform(self, action: Action) -> Delivered:
        """Push a reply to every open tab of that visitor. With none open it is in the
        history, which is shown when they come back: delivered either way."""
        if not isinstance(action, SendText):
            return Delivered()
        payload = {"type": "reply", "text": action.text, "buttons": _buttons(action)}
        for ws in list(self.sockets.get(action.chat.external_id, ())):
            if not ws.closed:
                try:
                    await ws.send_json(payload)
                except ConnectionError:
                    continue  # the tab closed mid-send; the history has it
        return Delivered()


def _event(who: Person, where: ChatRef, text: str) -> Inbound:
    stripped = text.strip()
    if stripped.startswith("/") and len(stripped) > 1:
        word, _, rest = stripped[1:].partition(" ")
        return Inbound(
            chat=where,
            sender=who,
            content=Content.COMMAND,
            text=text,
            command=word.split("@")[0].lower(),
            command_args=rest.strip(),
        )
    return Inbound(chat=where, sender=who, content=Content.TEXT, text=text)
