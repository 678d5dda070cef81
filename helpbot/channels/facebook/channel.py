"""The Facebook channel: Messenger and the Page's comments on the one message path.

In: ``GET /facebook/webhook`` answers Meta's subscribe handshake; every ``POST`` is
checked against ``X-Hub-Signature-256`` (HMAC-SHA256 of the raw body with the app
secret) before a byte of it is parsed, then each Messenger event and each feed change
is stored in the inbox, keyed so a redelivery is dropped, before Meta gets its 200.
Out: the desk's actions as Graph calls (graph.py), each failure told apart.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from typing import Any

from aiohttp import web

from helpbot.channels.attachments import MAX_FILE_BYTES, FileRef
from helpbot.channels.facebook import files
from helpbot.channels.facebook.graph import Graph
from helpbot.channels.facebook.translate import (
    CHANNEL,
    FEED,
    GROUP_FEED,
    MESSAGING,
    inbound,
    message_key,
)
from helpbot.channels.plain_text import clean_inbound
from helpbot.channels.telegram.channel import within_bounds
from helpbot.desk.actions import (
    Action,
    AnswerButton,
    Button,
    DeleteMessage,
    EditMessage,
    HideComment,
    React,
    SendText,
)
from helpbot.desk.events import ChatKind, Inbound
from helpbot.postroom.inbox import Inbox
from helpbot.postroom.outcomes import Delivered, OutcomeUnknown, RetryLater, Undeliverable

log = logging.getLogger(__name__)

WEBHOOK_PATH = "/facebook/webhook"
SIGNATURE_HEADER = "X-Hub-Signature-256"
MESSENGER_TEXT_LIMIT = 2000  # the Send API's limit on a text message
TEMPLATE_TEXT_LIMIT = 640  # on a button template's text
BUTTON_TITLE_LIMIT = 20
COMMENT_LIMIT = 8000
NAME_LOOKUP_TIMEOUT = 3.0
# Messenger events that tell us nothing the desk needs: stored nowhere.
_IGNORED = (
    "read",
    "delivery",
    "reaction",
    "optin",
    "account_linking",
    "policy_enforcement",
    "message_edit",
    "referral",
    "standby",
    "pass_thread_control",
    "take_thread_control",
    "request_thread_control",
)
_VERBS = ("add", "edited", "remove")


def sign(secret: str, body: bytes) -> str:
    """The header value Meta sends: ``sha256=`` and the hex HMAC of the raw body."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()[:48]


def split_text(text: str, limit: int = MESSENGER_TEXT_LIMIT) -> list[str]:
    parts: list[str] = []
    rest = text
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        parts.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    parts.append(rest)
    return parts


def _title(label: str) -> str:
    return label if len(label) <= BUTTON_TITLE_LIMIT else label[: BUTTON_TITLE_LIMIT - 1] + "…"


def message_body(text: str, rows: tuple[tuple[Button, ...], ...]) -> dict[str, Any]:
    """Our buttons as Messenger shows them: up to three as a button template (postbacks,
    links), more than that as quick replies; plain text when there are none."""
    buttons = [b for row in rows for b in row]
    if not buttons:
        return {"text": text}
    fits_template = len(buttons) <= 3 and len(text) <= TEMPLATE_TEXT_LIMIT
    if fits_template or any(b.url for b in buttons):
        return {
            "attachment": {
                "type": "template",
                "payload": {
                    "template_type": "button",
                    "text": text[:TEMPLATE_TEXT_LIMIT],
                    "buttons": [
                        {"type": "web_url", "url": b.url, "title": _title(b.label)}
                        if b.url
                        else {"type": "postback", "title": _title(b.label), "payload": b.data}
                        for b in buttons[:3]
                    ],
                },
            }
        }
    return {
        "text": text,
        "quick_replies": [
            {"content_type": "text", "title": _title(b.label), "payload": b.data}
            for b in buttons[:13]
            if b.data
        ],
    }


class FacebookChannel:
    def __init__(
        self,
        inbox: Inbox,
        *,
        page_id: str,
        page_token: str,
        app_secret: str,
        verify_token: str,
        graph_url: str,
        human_agent: bool = True,
        send_timeout: float = 30.0,
    ) -> None:
        self.inbox = inbox
        self.page_id = page_id
        self.app_secret = app_secret
        self.verify_token = verify_token
        # Meta's Human Agent permission lets colleagues reply for 7 days, not 24 hours.
        self.human_agent = human_agent
        self.graph = Graph(graph_url, page_id, page_token, timeout=send_timeout)
        self.accepting = True
        self._names: dict[str, str] = {}

    async def stop(self) -> None:
        self.accepting = False
        await self.graph.close()

    # -- a tenant's file, for the console ------------------------------------------

    def file_in(self, payload: dict[str, Any], message_id: str) -> FileRef | None:
        return files.file_in(payload, message_id)

    async def download(self, ref: FileRef, limit: int = MAX_FILE_BYTES) -> bytes:
        return await self.graph.fetch_file(ref.key, limit)

    # -- receiving ----------------------------------------------------------

    async def verify(self, request: web.Request) -> web.Response:
        """GET: Meta's subscribe handshake; the challenge echoed only for our verify token."""
        query = request.query
        given = query.get("hub.verify_token", "").encode("utf-8", "replace")
        if query.get("hub.mode") != "subscribe" or not hmac.compare_digest(
            given, self.verify_token.encode()
        ):
            return web.Response(status=403, text="Forbidden")
        return web.Response(text=query.get("hub.challenge", "")[:256])

    async def webhook(self, request: web.Request) -> web.Response:
        """POST: signature first, then store every event, then 200."""
        if not self.accepting:
            return web.Response(status=503, text="Stopping", headers={"Retry-After": "5"})
        body = await request.read()
        given = request.headers.get(SIGNATURE_HEADER, "").encode("utf-8", "replace")
        if not hmac.compare_digest(given, sign(self.app_secret, body).encode()):
            log.warning("facebook webhook refused: bad signature")
            return web.Response(status=403, text="Forbidden")
        try:
            payload = json.loads(body)
        except (ValueError, RecursionError, UnicodeDecodeError):
            return web.Response(status=400, text="Not JSON")
        if not isinstance(payload, dict) or not within_bounds(payload):
            return web.Response(status=400, text="Not an event")
        events = await self._events(payload)
        try:
            for key, conversation, position, stored in events:
                await self._accept(key, conversation, position, stored)
        except Exception as error:  # the store is down: Meta keeps it and tries again
            log.warning("facebook event not stored: %s", type(error).__name__)
            return web.Response(status=503, text="Try again later", headers={"Retry-After": "5"})
        return web.Response(text="EVENT_RECEIVED")

    async def _accept(
        self, key: str, conversation: str, position: int | None, payload: Any
    ) -> None:
        if not await self.inbox.accept(CHANNEL, key, conversation, payload, position=position):
            log.info("duplicate facebook event ignored")

    async def _events(self, payload: dict[str, Any]) -> list[tuple[str, str, int | None, Any]]:
        """(key, conversation, position, what to store) for each event in a delivery; Meta
        batches several, and may send the same one again."""
        found: list[tuple[str, str, int | None, Any]] = []
        entries = payload.get("entry")
        if payload.get("object") not in ("page", "group") or not isinstance(entries, list):
            return found
        for entry in entries:
            if not isinstance(entry, dict) or str(entry.get("id", "")) != self.page_id:
                continue  # not ours: an app can be subscribed to several Pages
            page_id = self.page_id
            messaging = entry.get("messaging")
            changes = entry.get("changes")
            for event in messaging if isinstance(messaging, list) else []:
                if not isinstance(event, dict) or any(k in event for k in _IGNORED):
                    continue
                if "comment_id" in event and "sender" not in event:
                    # group_feed: a comment on the Page's post in a group comes this way.
                    comment = {"item": "comment", "verb": "add"} | event
                    found.append(self._comment(page_id, GROUP_FEED, comment))
                    continue
                sender = event.get("sender")
                psid = str(sender.get("id", "")) if isinstance(sender, dict) else ""
                if not psid or psid == self.page_id:
                    continue
                part = event.get("message") or event.get("postback") or {}
                mid = part.get("mid") if isinstance(part, dict) else None
                key = "mid:" + message_key(mid) if isinstance(mid, str) and mid else None
                stamp = event.get("timestamp")
                position = stamp if isinstance(stamp, int) and 0 < stamp < 2**53 else None
                stored = {
                    "page_id": page_id,
                    "field": MESSAGING,
                    "event": event,
                    "first_name": await self._first_name(psid),
                }
                found.append((key or "ev:" + _digest(event), f"{CHANNEL}:{psid}", position, stored))
            for change in changes if isinstance(changes, list) else []:
                if not isinstance(change, dict) or change.get("field") not in (FEED, GROUP_FEED):
                    continue
                value = change.get("value")
                if not isinstance(value, dict) or value.get("item") != "comment":
                    continue
                found.append(self._comment(page_id, change["field"], value))
        return found

    @staticmethod
    def _comment(page_id: str, field: str, value: dict[str, Any]) -> tuple[str, str, None, Any]:
        """A comment is added once, whatever else Meta puts around it the second time;
        an edit counts once per wording. Kept in order with the other comments on its
        post."""
        post = str(value.get("post_id", ""))[:100]
        stored = {"page_id": page_id, "field": field, "event": value}
        comment = value.get("comment_id")
        verb = value.get("verb")
        if isinstance(comment, str | int) and len(str(comment)) <= 100 and verb in _VERBS:
            key = f"comment:{comment}:{verb}"
            if verb == "edited":
                key += ":" + _digest(value.get("message"))[:16]
        else:
            key = "feed:" + _digest(value)
        return key, f"{CHANNEL}:post:{post}", None, stored

    async def _first_name(self, psid: str) -> str:
        """Messenger events carry no name; ask once per person, briefly, and carry on
        without one if Graph is slow (the event must be stored before Meta gives up)."""
        if psid in self._names:
            return self._names[psid]
        try:
            async with asyncio.timeout(NAME_LOOKUP_TIMEOUT):
                name = await self.graph.first_name(psid)
        except Exception as error:
            log.info("facebook name lookup failed: %s", type(error).__name__)
            return ""
        if len(self._names) > 10_000:
            self._names.clear()
        self._names[psid] = name
        return name

    def translate(self, payload: dict[str, Any]) -> Inbound | None:
        event = inbound(payload)
        return clean_inbound(event) if event is not None else None

    # -- acting -------------------------------------------------------------

    async def perform(self, action: Action) -> Delivered:
        if isinstance(action, SendText):
            kind = action.chat.kind
            if kind is ChatKind.PAGE_COMMENTS:
                target = action.reply_to_message_id or action.chat.external_id
                made = await self.graph.comment(target, action.text[:COMMENT_LIMIT])
                return Delivered(external_id=made[:64] if made else None)
            if kind is ChatKind.COMMENT_REPLY:
                return await self._private_reply(action)
            return await self._messenger(action)
        if isinstance(action, HideComment):
            await self.graph.hide(action.comment_id, action.hidden)
            return Delivered()
        if isinstance(action, DeleteMessage) and action.chat.kind is ChatKind.PAGE_COMMENTS:
            await self.graph.delete(action.message_id)
            return Delivered()
        if isinstance(action, AnswerButton | EditMessage | React):
            # Messenger has no spinner to stop, and its sent messages cannot be edited.
            return Delivered()
        raise Undeliverable(f"Facebook cannot do {type(action).__name__}")

    async def _private_reply(self, action: SendText) -> Delivered:
        """The one private reply a comment allows, into the commenter's Messenger."""
        body = {
            "recipient": {"comment_id": action.chat.external_id},
            "messaging_type": "RESPONSE",
            "message": message_body(split_text(action.text)[0], action.buttons),
        }
        answer = await self.graph.send(body)
        mid = answer.get("message_id")
        return Delivered(external_id=message_key(mid) if isinstance(mid, str) else None)

    async def _messenger(self, action: SendText) -> Delivered:
        """The bot answers within the 24-hour window (RESPONSE); a colleague's reply is
        tagged HUMAN_AGENT, which Meta allows for 7 days after the person's last message."""
        tagged = action.author is not None and self.human_agent
        parts = split_text(action.text)
        mid: str | None = None
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            body: dict[str, Any] = {
                "recipient": {"id": action.chat.external_id},
                "messaging_type": "MESSAGE_TAG" if tagged else "RESPONSE",
                "message": message_body(part, action.buttons if last else ()),
            }
            if tagged:
                body["tag"] = "HUMAN_AGENT"
            try:
                answer = await self.graph.send(body)
            except (RetryLater, OutcomeUnknown, Undeliverable) as error:
                if index == 0:
                    raise
                # Part of it went: repeating would send that part twice.
                raise OutcomeUnknown(f"only part of a long message was sent: {error}") from None
            found = answer.get("message_id")
            mid = mid or (message_key(found) if isinstance(found, str) else None)
        return Delivered(external_id=mid)
