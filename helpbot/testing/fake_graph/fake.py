"""The fake Graph API: a Page, its posts and comments, Messenger users, and Meta's rules.

It answers the calls the bot makes (Send API, private replies, comment replies, hide,
delete, profile) in Graph's JSON shapes, and enforces what Meta enforces: the
24-hour window (7 days with the HUMAN_AGENT tag), one private reply per comment
within 7 days, button and text limits. It pushes signed webhook events as a
Messenger user or a commenter, and the Page's own comments come back as feed events,
as they do on Facebook. Faults are queued per kind of call (``fail_next``).
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from helpbot.testing.fake_graph.errors import (
    ALREADY_REPLIED,
    BAD_TOKEN,
    GONE,
    INVALID_PARAMETER,
    NO_USER,
    REPLY_TOO_OLD,
    WINDOW_CLOSED,
    GraphFailure,
)

__all__ = ["Call", "FakeComment", "FakeGraph", "FbUser"]

PAGE_ID = "1000000000001"
PAGE_TOKEN = "EAAB-fake-page-token"
APP_SECRET = "fake-app-secret"
VERIFY_TOKEN = "fake-verify-token"
VERSION = "v21.0"
WINDOW = timedelta(hours=24)
HUMAN_AGENT_WINDOW = timedelta(days=7)
PRIVATE_REPLY_WINDOW = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class FbUser:
    psid: str
    first_name: str
    last_name: str = "Tenant"

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


@dataclass
class FakeComment:
    id: str
    post_id: str
    parent_id: str
    author_id: str
    author_name: str
    message: str
    created_at: datetime
    is_hidden: bool = False
    deleted: bool = False
    private_replied: bool = False
    replies: list[str] = field(default_factory=list)  # the Page's public replies, text


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    body: dict[str, Any]


class FakeGraph:
    def __init__(
        self,
        *,
        page_id: str = PAGE_ID,
        token: str = PAGE_TOKEN,
        app_secret: str = APP_SECRET,
        verify_token: str = VERIFY_TOKEN,
        echo_page_comments: bool = True,
    ) -> None:
        self.page_id = page_id
        self.token = token
        self.app_secret = app_secret
        self.verify_token = verify_token
        self.echo_page_comments = echo_page_comments
        self.webhook_url: str | None = None
        self.calls: list[Call] = []
        self.users: dict[str, FbUser] = {}
        self.last_wrote: dict[str, datetime] = {}  # psid -> when they last messaged the Page
        self.comments: dict[str, FakeComment] = {}
        self.posts: dict[str, str] = {}
        self.messenger: dict[str, list[dict[str, Any]]] = {}  # psid -> what the Page sent
        self.offset = timedelta(0)
        self.last_delivery: bytes | None = None
        self._faults: dict[str, deque[GraphFailure]] = {}
        self._ids = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self.port = 0
        self.host = "127.0.0.1"

    # -- life cycle -----------------------------------------------------------------

    async def __aenter__(self) -> FakeGraph:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self.host = host
        self.port = self._runner.addresses[0][1]
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        if self._session is not None:
            await self._session.close()
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/{VERSION}"

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", f"/{VERSION}/{{path:.+}}", self._graph)

    # -- the world ----------------------------------------------------------------------

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def advance(self, **delta: float) -> None:
        """Move the fake's clock on (Meta's windows are measured by it)."""
        self.offset += timedelta(**delta)

    def user(self, psid: str, first_name: str, last_name: str = "Tenant") -> FbUser:
        found = FbUser(psid, first_name, last_name)
        self.users[psid] = found
        return found

    def post(self, text: str = "News from SHAL") -> str:
        post_id = f"{self.page_id}_{next(self._ids) + 500}"
        self.posts[post_id] = text
        return post_id

    def fail_next(self, kind: str, failure: GraphFailure, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``kind`` ("messages", "comments", "hide",
        "delete", "profile") with this error."""
        self._faults.setdefault(kind, deque()).extend([failure] * times)

    def sent_to(self, user: FbUser) -> list[str]:
        """The texts the Page sent this person in Messenger, oldest first."""
        return [_text_of(m["message"]) for m in self.messenger.get(user.psid, [])]

    def sent_bodies(self, user: FbUser) -> list[dict[str, Any]]:
        return list(self.messenger.get(user.psid, []))

    def calls_to(self, kind: str) -> list[Call]:
        return [c for c in self.calls if _kind(c.method, c.path, self.page_id) == kind]

    # -- pushing events ----------------------------------------------------------------

    async def deliver(
        self,
        payload: dict[str, Any] | bytes,
        *,
        signature: str | None = None,
        remember: bool = True,
    ) -> int:
        """POST a webhook delivery as Meta does: signed with the app secret unless a
        ``signature`` is given. Returns the HTTP status the bot answered."""
        assert self.webhook_url is not None and self._session is not None
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        signed = signature
        if signed is None:
            digest = hmac.new(self.app_secret.encode(), body, hashlib.sha256).hexdigest()
            signed = f"sha256={digest}"
        if remember:
            self.last_delivery = body
        async with self._session.post(
            self.webhook_url,
            data=body,
            headers={"Content-Type": "application/json", "X-Hub-Signature-256": signed},
        ) as response:
            await response.read()
            return response.status

    async def redeliver(self) -> int:
        """Send the last delivery again, byte for byte (Meta retries what it thinks failed)."""
        assert self.last_delivery is not None
        return await self.deliver(self.last_delivery)

    def _messaging(self, user: FbUser, event: dict[str, Any]) -> dict[str, Any]:
        now = self.now()
        self.last_wrote[user.psid] = now
        self.users.setdefault(user.psid, user)
        stamp = int(now.timestamp() * 1000)
        return {
            "object": "page",
            "entry": [
                {
                    "id": self.page_id,
                    "time": stamp,
                    "messaging": [
                        {
                            "sender": {"id": user.psid},
                            "recipient": {"id": self.page_id},
                            "timestamp": stamp,
                            **event,
                        }
                    ],
                }
            ],
        }

    def _mid(self) -> str:
        # Real mids are long; the bot must cope with ids longer than it stores.
        return "m_" + secrets.token_urlsafe(60)

    async def message(self, user: FbUser, text: str) -> int:
        return await self.deliver(
            self._messaging(user, {"message": {"mid": self._mid(), "text": text}})
        )

    async def quick_reply(self, user: FbUser, title: str, payload: str) -> int:
        message = {"mid": self._mid(), "text": title, "quick_reply": {"payload": payload}}
        return await self.deliver(self._messaging(user, {"message": message}))

    async def postback(self, user: FbUser, title: str, payload: str) -> int:
        postback = {"mid": self._mid(), "title": title, "payload": payload}
        return await self.deliver(self._messaging(user, {"postback": postback}))

    async def photo(self, user: FbUser) -> int:
        attachment = {"type": "image", "payload": {"url": "https://example.invalid/p.jpg"}}
        message = {"mid": self._mid(), "attachments": [attachment]}
        return await self.deliver(self._messaging(user, {"message": message}))

    async def read_receipt(self, user: FbUser) -> int:
        stamp = int(self.now().timestamp() * 1000)
        return await self.deliver(self._messaging(user, {"read": {"watermark": stamp}}))

    def feed_change(
        self, comment: FakeComment, verb: str, *, field_name: str = "feed"
    ) -> dict[str, Any]:
        created = int(comment.created_at.timestamp())
        value: dict[str, Any] = {
            "from": {"id": comment.author_id, "name": comment.author_name},
            "post": {"id": comment.post_id, "status_type": "mobile_status_update"},
            "post_id": comment.post_id,
            "comment_id": comment.id,
            "parent_id": comment.parent_id,
            "created_time": created,
            "item": "comment",
            "verb": verb,
        }
        if verb != "remove":
            value["message"] = comment.message
        return {
            "object": "page",
            "entry": [
                {
                    "id": self.page_id,
                    "time": int(self.now().timestamp()),
                    "changes": [{"field": field_name, "value": value}],
                }
            ],
        }

    async def comment(
        self,
        user: FbUser,
        post_id: str,
        text: str,
        *,
        parent: str | None = None,
        group: bool = False,
    ) -> tuple[int, str]:
        """``user`` comments on a post (or replies to a comment); (status, comment id)."""
        made = self._add_comment(post_id, parent, user.psid, user.name, text)
        self.users.setdefault(user.psid, user)
        event = self.group_comment(made) if group else self.feed_change(made, "add")
        status = await self.deliver(event)
        return status, made.id

    def group_comment(self, comment: FakeComment) -> dict[str, Any]:
        """A comment on the Page's post in a group: Meta sends these (field ``group_feed``)
        as a messaging event with ``from``, ``group_id``, ``comment_id`` and ``post_id``."""
        stamp = int(comment.created_at.timestamp() * 1000)
        return {
            "object": "page",
            "entry": [
                {
                    "time": stamp,
                    "id": self.page_id,
                    "messaging": [
                        {
                            "recipient": {"id": self.page_id},
                            "from": {"id": comment.author_id, "name": comment.author_name},
                            "group_id": "2000000000002",
                            "comment_id": comment.id,
                            "parent_id": comment.parent_id,
                            "post_id": comment.post_id,
                            "created_time": stamp,
                            "message": comment.message,
                        }
                    ],
                }
            ],
        }

    async def edit_comment(self, comment_id: str, text: str) -> int:
        found = self.comments[comment_id]
        found.message = text
        return await self.deliver(self.feed_change(found, "edited"))

    async def remove_comment(self, comment_id: str) -> int:
        found = self.comments[comment_id]
        found.deleted = True
        return await self.deliver(self.feed_change(found, "remove"))

    def _add_comment(
        self, post_id: str, parent: str | None, author_id: str, author_name: str, text: str
    ) -> FakeComment:
        made = FakeComment(
            id=f"{post_id.split('_')[-1]}_{next(self._ids) + 9000}",
            post_id=post_id,
            parent_id=parent or post_id,
            author_id=author_id,
            author_name=author_name,
            message=text,
            created_at=self.now(),
        )
        self.comments[made.id] = made
        return made

    # -- answering the bot ---------------------------------------------------------------

    async def _graph(self, request: web.Request) -> web.Response:
        path = request.match_info["path"]
        body: dict[str, Any] = {}
        if request.can_read_body:
            try:
                loaded = await request.json()
            except ValueError:
                return _error(INVALID_PARAMETER)
            body = loaded if isinstance(loaded, dict) else {}
        self.calls.append(Call(request.method, path, body | dict(request.query)))
        if request.query.get("access_token") != self.token:
            return _error(BAD_TOKEN)
        kind = _kind(request.method, path, self.page_id)
        queued = self._faults.get(kind)
        if queued:
            return _error(queued.popleft())
        if kind == "messages":
            return self._send(body)
        if kind == "comments":
            return await self._reply_publicly(path.split("/")[0], body)
        if kind == "hide":
            return self._hide(path, body)
        if kind == "delete":
            found = self.comments.get(path)
            if found is None or found.deleted:
                return _error(GONE)
            found.deleted = True
            return web.json_response({"success": True})
        if kind == "profile":
            user = self.users.get(path)
            if user is None:
                return _error(GONE)
            return web.json_response({"first_name": user.first_name, "id": user.psid})
        return _error(INVALID_PARAMETER)

    def _send(self, body: dict[str, Any]) -> web.Response:
        recipient = body.get("recipient") or {}
        message = body.get("message")
        if not isinstance(message, dict) or not _valid_message(message):
            return _error(INVALID_PARAMETER)
        messaging_type = body.get("messaging_type")
        if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            return _error(INVALID_PARAMETER)
        now = self.now()
        if "comment_id" in recipient:
            found = self.comments.get(str(recipient["comment_id"]))
            if found is None or found.deleted:
                return _error(REPLY_TOO_OLD)
            if found.private_replied:
                return _error(ALREADY_REPLIED)
            if now - found.created_at > PRIVATE_REPLY_WINDOW:
                return _error(REPLY_TOO_OLD)
            found.private_replied = True
            psid = found.author_id
        else:
            psid = str(recipient.get("id", ""))
            if psid not in self.users:
                return _error(NO_USER)
            wrote = self.last_wrote.get(psid)
            tagged = messaging_type == "MESSAGE_TAG" and body.get("tag") == "HUMAN_AGENT"
            if messaging_type == "MESSAGE_TAG" and not tagged:
                return _error(INVALID_PARAMETER)
            window = HUMAN_AGENT_WINDOW if tagged else WINDOW
            if wrote is None or now - wrote > window:
                return _error(WINDOW_CLOSED)
        self.messenger.setdefault(psid, []).append(body)
        return web.json_response({"recipient_id": psid, "message_id": self._mid()})

    async def _reply_publicly(self, object_id: str, body: dict[str, Any]) -> web.Response:
        text = body.get("message")
        if not isinstance(text, str) or not text.strip() or len(text) > 8000:
            return _error(INVALID_PARAMETER)
        parent = self.comments.get(object_id)
        if parent is not None:
            if parent.deleted:
                return _error(GONE)
            post_id, parent_id = parent.post_id, parent.id
            parent.replies.append(text)
        elif object_id in self.posts:
            post_id, parent_id = object_id, None
        else:
            return _error(GONE)
        made = self._add_comment(post_id, parent_id, self.page_id, "SHAL", text)
        if self.echo_page_comments and self.webhook_url:
            # Facebook tells the Page's app about the Page's own comments too.
            await self.deliver(self.feed_change(made, "add"), remember=False)
        return web.json_response({"id": made.id})

    def _hide(self, path: str, body: dict[str, Any]) -> web.Response:
        found = self.comments.get(path)
        if found is None or found.deleted:
            return _error(GONE)
        hidden = body.get("is_hidden")
        if not isinstance(hidden, bool):
            return _error(INVALID_PARAMETER)
        found.is_hidden = hidden
        return web.json_response({"success": True})

    def public_replies(self, comment_id: str) -> list[str]:
        return list(self.comments[comment_id].replies)


def _kind(method: str, path: str, page_id: str) -> str:
    if method == "POST" and path == f"{page_id}/messages":
        return "messages"
    if method == "POST" and path.endswith("/comments"):
        return "comments"
    if method == "POST" and "/" not in path:
        return "hide"
    if method == "DELETE" and "/" not in path:
        return "delete"
    if method == "GET" and "/" not in path:
        return "profile"
    return "other"


def _error(failure: GraphFailure) -> web.Response:
    return web.json_response(failure.body(), status=failure.status, headers=failure.headers)


def _text_of(message: dict[str, Any]) -> str:
    if "text" in message:
        return str(message["text"])
    payload = message.get("attachment", {}).get("payload", {})
    return str(payload.get("text", ""))


def _valid_message(message: dict[str, Any]) -> bool:
    """Meta's limits: text up to 2000 characters, quick reply titles up to 20 (13 of
    them), a button template's text up to 640 with 1-3 buttons of up to 20."""
    if "text" in message:
        text = message["text"]
        if not isinstance(text, str) or not text or len(text) > 2000:
            return False
        quick = message.get("quick_replies", [])
        return len(quick) <= 13 and all(
            len(q.get("title", "")) <= 20 and q.get("payload") for q in quick
        )
    attachment = message.get("attachment")
    if not isinstance(attachment, dict) or attachment.get("type") != "template":
        return False
    payload = attachment.get("payload", {})
    buttons = payload.get("buttons", [])
    return (
        payload.get("template_type") == "button"
        and 0 < len(payload.get("text", "")) <= 640
        and 1 <= len(buttons) <= 3
        and all(0 < len(b.get("title", "")) <= 20 for b in buttons)
    )
