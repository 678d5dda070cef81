"""The web chat channel: a page and a websocket on our aiohttp app.

Same path, same desk, same answers as Telegram (DESIGN.md): each frame is stored in
the inbox like any other event, and replies come back from the sender. It also
serves the local demo when no Telegram token is set. A visitor is known by a random
cookie; only its hash is stored, so the database alone cannot take over a chat.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import hmac
import json
import logging
import secrets
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSCloseCode, WSMsgType, web

from helpbot.channels.plain_text import clean_inbound
from helpbot.desk.actions import Action, SendText
from helpbot.desk.events import ChatKind, ChatRef, Content, Inbound, Person
from helpbot.postroom.inbox import Inbox
from helpbot.postroom.outcomes import Delivered, Undeliverable
from helpbot.store.records import Store
from helpbot.store.web_visitors import WebVisitors
from helpbot.web.visitor_address import VisitorAddresses

log = logging.getLogger(__name__)

CHANNEL = "web"
COOKIE = "helpbot_chat"
COOKIE_DAYS = 30  # from the last visit
# Anything bigger than this is not a chat message; the socket refuses it politely.
MAX_FRAME = 64 * 1024
HISTORY_ON_CONNECT = 50
RESTARTING = "Sorry, the chat is restarting. Please send that again in a minute."
UNREADABLE = "Sorry, I couldn't read that. Please type your message again."
TRY_AGAIN = "Sorry, something went wrong with that message. Please send it again."
TOO_MANY_CHATS = (
    "We've had a lot of new chats from this connection in the last hour. Please try again "
    "later, or call us on 01278 444344. If you are in danger, call 999. If you smell gas, "
    "call 0800 111 999."
)
SLOW_DOWN = (
    "You're sending messages faster than I can read them. Please wait a minute, "
    "then carry on. If you are in danger, call 999."
)


def visitor_id(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:32]


def _buttons(action: SendText) -> list[list[dict[str, str | None]]]:
    return [
        [{"label": b.label, "data": b.data, "url": b.url} for b in row] for row in action.buttons
    ]


class WebChat:
    def __init__(
        self,
        inbox: Inbox,
        store: Store,
        *,
        allowed_origins: tuple[str, ...] = (),
        limits: RateLimits | None = None,
        trust_proxy: bool = False,
    ) -> None:
        self.inbox = inbox
        self.store = store
        self.visitors = WebVisitors(store)
        self.allowed_origins = tuple(o.rstrip("/") for o in allowed_origins)
        self.limits = limits or RateLimits()
        # Per process: a keyed hash of each address, so nothing stored names it.
        self._origin_key = secrets.token_bytes(16)
        self.addresses = VisitorAddresses(trust_proxy=trust_proxy)
        self.origins: dict[str, str] = {}
        self.accepting = True  # off while shutting down: new frames get a polite refusal
        # Open sockets per visitor (a visitor may have several tabs open).
        self.sockets: dict[str, set[web.WebSocketResponse]] = {}

    def routes(self) -> list[web.RouteDef]:
        return [web.get("/chat/ws", self.socket), web.post("/chat/end", self.end)]

    async def ensure_session(self, request: web.Request, response: web.StreamResponse) -> str:
        """The visitor's session: kept if we minted it, otherwise a new one. A cookie the
        client chose (or one we never issued, or one its visitor ended) is replaced,
        never adopted. Each visit keeps it for another ``COOKIE_DAYS``."""
        token = await self._session_of(request)
        if token is None:
            token = await self.visitors.mint()
        response.set_cookie(
            COOKIE,
            token,
            max_age=COOKIE_DAYS * 24 * 3600,
            httponly=True,
            samesite="Strict",
            secure=request.secure,
        )
        return token

    async def end(self, request: web.Request) -> web.StreamResponse:
        """End chat: on a shared computer the next person must see nothing of it. The
        cookie opens nothing from now on, open tabs close, and the desk is told so
        colleagues know a reply in the chat will not reach this tenant."""
        if not self._form_from_our_page(request):
            return web.Response(status=403, text="This chat can only be used from its own page.")
        token = await self._session_of(request)
        if token is not None:
            await self.visitors.end(token)
            visitor = visitor_id(token)
            await self._store(visitor, {"kind": "ended"})
            for ws in list(self.sockets.get(visitor, ())):
                await ws.close(code=WSCloseCode.GOING_AWAY, message=b"chat ended")
        response = web.HTTPSeeOther("/chat?ended=1")
        response.del_cookie(COOKIE)
        return response

    async def _session_of(self, request: web.Request) -> str | None:
        """The request's session cookie if we minted it and it was not ended, else None."""
        token = request.cookies.get(COOKIE)
        if token and len(token) <= 128 and await self.visitors.known(token):
            return token
        return None

    def _form_from_our_page(self, request: web.Request) -> bool:
        """A form posted from our own page. Under our "no-referrer" policy a browser
        sends ``Origin: null`` on a form post, so the browser's own Sec-Fetch-Site says
        where it came from; the cookie is SameSite=Strict besides."""
        site = request.headers.get("Sec-Fetch-Site")
        if site is not None:
            return site in ("same-origin", "none")
        origin = request.headers.get("Origin")
        return origin in (None, "null") or self._same_origin(request)

    def _same_origin(self, request: web.Request) -> bool:
        """Browsers send Origin on every websocket; a page on another site must not be
        able to talk through a visitor's cookie."""
        origin = request.headers.get("Origin")
        if origin is None:
            return False
        allowed = {f"{request.scheme}://{request.host}", *self.allowed_origins}
        return origin.rstrip("/") in allowed

    async def socket(self, request: web.Request) -> web.StreamResponse:
        if not self._same_origin(request):
            return web.Response(status=403, text="This chat can only be used from its own page.")
        token = await self._session_of(request)
        if token is None:
            return web.Response(status=403, text="Open /chat first so we can start a conversation.")
        await self.visitors.opened(token)
        ws = web.WebSocketResponse(max_msg_size=MAX_FRAME, heartbeat=30)
        await ws.prepare(request)
        visitor = visitor_id(token)
        self.origins[visitor] = self.origin_of(request)
        tabs = self.sockets.setdefault(visitor, set())
        tabs.add(ws)
        try:
            await self._converse(ws, visitor)
        finally:
            tabs.discard(ws)
            if not tabs:
                self.sockets.pop(visitor, None)
        return ws

    def origin_of(self, request: web.Request) -> str:
        digest = hmac.new(self._origin_key, self.addresses.of(request).encode(), hashlib.sha256)
        return digest.hexdigest()[:32]

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
            if not self.limits.new_chat(self.origins.get(visitor, "")):
                # Each new chat is a person, a chat and a welcome stored: a script opening
                # sockets in a loop wrote rows without end (outside review).
                await ws.send_json({"type": "error", "text": TOO_MANY_CHATS})
                await ws.close()
                return
            # The welcome, once per visitor however many tabs open at once.
            await self._store(visitor, {"kind": "start"}, key=f"start:{visitor}")
        async for frame in ws:
            if frame.type == WSMsgType.TEXT:
                try:
                    await self._on_frame(ws, visitor, frame.data)
                except Exception as error:  # one bad frame never ends the conversation
                    log.warning("web chat frame failed: %s", type(error).__name__)
                    with contextlib.suppress(ConnectionError):
                        await ws.send_json({"type": "error", "text": TRY_AGAIN})
            elif frame.type == WSMsgType.BINARY:
                await ws.send_json({"type": "error", "text": UNREADABLE})
            elif frame.type == WSMsgType.ERROR:
                log.warning("web chat socket error: %s", type(ws.exception()).__name__)

    async def _on_frame(self, ws: web.WebSocketResponse, visitor: str, raw: str) -> None:
        if not self.limits.allow(visitor, self.origins.get(visitor, "")):
            await ws.send_json({"type": "error", "text": SLOW_DOWN})
            return
        try:
            data: Any = json.loads(raw)
        except (ValueError, RecursionError):
            data = None
        if not isinstance(data, dict) or data.get("type") not in {"message", "button"}:
            await ws.send_json({"type": "error", "text": UNREADABLE})
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
        payload = {**payload, "visitor": visitor, "origin": self.origins.get(visitor)}
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
        origin = payload.get("origin") if isinstance(payload.get("origin"), str) else None
        if kind == "start":
            event = _event(who, where, "/start")
        elif kind == "ended":
            event = Inbound(chat=where, sender=who, content=Content.MEMBER_LEFT)
        elif kind == "button":
            data = payload.get("data")
            event = Inbound(
                chat=where,
                sender=who,
                content=Content.BUTTON,
                callback_data=data if isinstance(data, str) else None,
            )
        else:
            event = _event(who, where, str(payload.get("text") or ""))
        return clean_inbound(dataclasses.replace(event, origin=origin))

    async def perform(self, action: Action) -> Delivered:
        """Push a reply to every open tab of that visitor. With none open it is in the
        history, which is shown when they come back: delivered either way."""
        if not isinstance(action, SendText):
            return Delivered()
        visitor = action.chat.external_id
        if not self.sockets.get(visitor) and await self.visitors.ended_chat(visitor):
            # The tenant pressed End chat: nobody will ever read it here, so a colleague's
            # reply is reported undelivered, never shown as sent (outside review).
            raise Undeliverable("the tenant ended the web chat")
        payload = {"type": "reply", "text": action.text, "buttons": _buttons(action)}
        for ws in list(self.sockets.get(visitor, ())):
            if not ws.closed:
                try:
                    await ws.send_json(payload)
                except ConnectionError:
                    continue  # the tab closed mid-send; the history has it
        return Delivered()


def _window_allows(times: deque[float], now: float, limit: int, seconds: float) -> bool:
    while times and now - times[0] > seconds:
        times.popleft()
    if len(times) >= limit:
        return False
    times.append(now)
    return True


@dataclass
class RateLimits:
    """Messages per minute per visitor and per address: a person typing fast is fine, a
    script is told to slow down. New cases per address are limited by the desk."""

    per_visitor: int = 20
    per_address: int = 60
    seconds: float = 60.0
    new_chats_per_address: int = 30  # an hour: far more than one household starts
    _seen: dict[str, deque[float]] = field(default_factory=dict)

    def new_chat(self, address: str) -> bool:
        started = self._times(f"n:{address}")
        return _window_allows(started, time.monotonic(), self.new_chats_per_address, 3600.0)

    def allow(self, visitor: str, address: str) -> bool:
        now = time.monotonic()
        mine, theirs = self._times(f"v:{visitor}"), self._times(f"a:{address}")
        return _window_allows(mine, now, self.per_visitor, self.seconds) and _window_allows(
            theirs, now, self.per_address, self.seconds
        )

    def _times(self, key: str) -> deque[float]:
        if len(self._seen) > 100_000:  # a flood of made-up keys: forget them all
            self._seen.clear()
        return self._seen.setdefault(key, deque())


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
