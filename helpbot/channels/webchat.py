"""The web chat channel: a page and a websocket on our aiohttp app.

Same desk, same answers as Telegram (DESIGN.md). It also serves the local demo
when no Telegram token is set. A visitor is known by a random cookie; only its
hash is stored, so the database alone cannot be used to take over a chat.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
from typing import Any

from aiohttp import WSMsgType, web

from helpbot.channels.switchboard import Switchboard
from helpbot.desk.actions import Action, SendText
from helpbot.desk.events import ChatKind, ChatRef, Content, Inbound, Person
from helpbot.desk.front_desk import Desk
from helpbot.store.records import Store

log = logging.getLogger(__name__)

CHANNEL = "web"
COOKIE = "helpbot_chat"
# Anything bigger than this is not a chat message; the socket refuses it politely.
MAX_FRAME = 64 * 1024
HISTORY_ON_CONNECT = 50


def visitor_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _buttons(action: SendText) -> list[list[dict[str, str | None]]]:
    return [
        [{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in action.buttons
    ]


class WebChat:
    def __init__(self, desk: Desk, store: Store, switchboard: Switchboard | None = None) -> None:
        self.desk = desk
        self.store = store
        self.switchboard = switchboard or Switchboard()
        self.switchboard.connect(CHANNEL, self)
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
        who = Person(channel=CHANNEL, external_id=visitor_id(token), first_name="")
        tabs = self.sockets.setdefault(who.external_id, set())
        tabs.add(ws)
        try:
            await self._converse(ws, who)
        finally:
            tabs.discard(ws)
            if not tabs:
                self.sockets.pop(who.external_id, None)
        return ws

    async def _converse(self, ws: web.WebSocketResponse, who: Person) -> None:
        where = ChatRef(channel=CHANNEL, external_id=who.external_id, kind=ChatKind.PRIVATE)
        history = await self.store.chat_history(where, limit=HISTORY_ON_CONNECT)
        if history:
            await ws.send_json(
                {
                    "type": "history",
                    "messages": [
                        {"from": "you" if m.direction == "in" else "bot", "text": m.text}
                        for m in history[-HISTORY_ON_CONNECT:]
                        if m.text
                    ],
                }
            )
        else:
            await self._deliver(await self.desk.handle(self._event(who, where, "/start")))
        async for frame in ws:
            if frame.type == WSMsgType.TEXT:
                await self._on_frame(ws, who, where, frame.data)
            elif frame.type == WSMsgType.ERROR:
                log.warning("web chat socket error: %s", type(ws.exception()).__name__)

    async def _on_frame(
        self, ws: web.WebSocketResponse, who: Person, where: ChatRef, raw: str
    ) -> None:
        try:
            data: Any = json.loads(raw)
        except json.JSONDecodeError:
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
            event = Inbound(chat=where, sender=who, content=Content.BUTTON, callback_data=value)
        else:
            text = data.get("text")
            if not isinstance(text, str):
                text = ""
            event = self._event(who, where, text)
        await self._deliver(await self.desk.handle(event))

    @staticmethod
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

    async def _deliver(self, actions: list[Action]) -> None:
        await self.switchboard.execute(actions, origin=CHANNEL)

    async def perform(self, action: Action) -> None:
        """Push a reply to every open tab of that visitor. With none open it stays in the
        history, which is shown when they come back."""
        if not isinstance(action, SendText):
            return
        payload = {"type": "reply", "text": action.text, "buttons": _buttons(action)}
        delivered = False
        for ws in list(self.sockets.get(action.chat.external_id, ())):
            if not ws.closed:
                await ws.send_json(payload)
                delivered = True
        await self.desk.delivered(action, None, "sent" if delivered else "pending")
