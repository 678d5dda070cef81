"""The control API under ``/_fake/``: drive the fake from another process.

A demo, a benchmark's load generator or a crash test that runs the fake in its own
process uses these instead of the Python methods:

    POST   /_fake/updates   one delivery attempt of an Update (or the shorthand below)
    POST   /_fake/deliver   deliver and re-POST until the webhook answers 2xx (bounded)
    GET    /_fake/calls     recorded calls [?method=sendMessage] [&since=N: from the Nth]
    DELETE /_fake/calls     forget calls and sent messages
    GET    /_fake/sent      messages the bot sent [?chat_id=42] [&thread_id=7]
    GET    /_fake/counts    calls by method and outcome, messages sent by chat
    GET    /_fake/faults    the faults in force, with hits
    POST   /_fake/faults    add one fault (or a list): {"kind": "storm", "seconds": 35, ...}
    DELETE /_fake/faults    clear them all

Shorthand for an update: ``{"from": {"id": 42, "first_name": "Ann"}, "chat_id": 42,
"text": "hi"}``, plus ``message_thread_id``, ``reply_to_message_id``, ``chat_title``,
or ``"callback_data"`` with ``"message_id"``, or ``"join_request": true``.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from aiohttp import web

from helpbot.testing.fake_telegram.delivery import WebhookDeliveryError
from helpbot.testing.fake_telegram.errors import ApiError
from helpbot.testing.fake_telegram.objects import FakeChat, FakeUser
from helpbot.testing.fake_telegram.polling import UPDATE_TYPES
from helpbot.testing.fake_telegram.server import json_response

if TYPE_CHECKING:
    from helpbot.testing.fake_telegram.fake import FakeTelegram

__all__ = ["ControlApi"]

JSON = dict[str, Any]
_BAD_BODY = (ValueError, KeyError, TypeError, WebhookDeliveryError, ApiError)


class ControlApi:
    def __init__(self, tg: FakeTelegram) -> None:
        self.tg = tg

    def add_routes(self, app: web.Application) -> None:
        app.router.add_post("/_fake/updates", self._post_update)
        app.router.add_post("/_fake/deliver", self._deliver)
        app.router.add_get("/_fake/calls", self._get_calls)
        app.router.add_delete("/_fake/calls", self._clear_calls)
        app.router.add_get("/_fake/sent", self._get_sent)
        app.router.add_get("/_fake/counts", self._get_counts)
        app.router.add_get("/_fake/faults", self._get_faults)
        app.router.add_post("/_fake/faults", self._add_faults)
        app.router.add_delete("/_fake/faults", self._clear_faults)

    # --- updates ----------------------------------------------------------------------------

    async def _post_update(self, request: web.Request) -> web.Response:
        try:
            update = self.update_from_control(await _object(request))
            status = await self.tg.deliver(update)
        except _BAD_BODY as error:
            return _refused(error)
        return json_response({"ok": True, "result": {"update": update, "webhook_status": status}})

    async def _deliver(self, request: web.Request) -> web.Response:
        """Body: an update (full or shorthand), or {"update": ..., "deadline": s,
        "max_attempts": n}. 200 once the bot accepted it; 504 if it never did."""
        try:
            body = await _object(request)
            options: JSON = {}
            if isinstance(body.get("update"), dict):
                options = {k: float(body[k]) for k in ("deadline",) if k in body}
                if body.get("max_attempts") is not None:
                    options["max_attempts"] = int(body["max_attempts"])
                body = body["update"]
            update = self.update_from_control(body)
        except _BAD_BODY as error:
            return _refused(error)
        report = await self.tg.deliver_until_accepted(update, **options)
        result = {"update_id": update.get("update_id"), **report.to_json()}
        if not report.accepted:
            description = f"the webhook did not accept the update after {report.attempts} tries"
            return json_response({"ok": False, "description": description, "result": result}, 504)
        return json_response({"ok": True, "result": result})

    def update_from_control(self, body: JSON) -> JSON:
        """A full Update, or shorthand {"from": {...}, "chat_id": ..., "text": ...}."""
        tg = self.tg
        if "update_id" in body or any(key in body for key in UPDATE_TYPES):
            result = tg.raw_update(body, assign_update_id=True)
            assert isinstance(result, dict)
            return result
        sender = body.get("from")
        if not isinstance(sender, dict) or "id" not in sender:
            raise ValueError('shorthand needs "from": {"id": ..., "first_name": ...}')
        known = tg.users.get(int(sender["id"]))
        user = tg.user(
            int(sender["id"]),
            sender.get("first_name") or (known.first_name if known else f"User {sender['id']}"),
            sender.get("username") or (known.username if known else None),
            sender.get("last_name") or (known.last_name if known else None),
        )
        chat_id = int(body.get("chat_id", user.id))
        thread_id = body.get("message_thread_id")
        chat: FakeChat | FakeUser
        if chat_id > 0:
            if chat_id != user.id:
                raise ValueError("a private chat's id is its user's id")
            chat = user
        else:
            chat = tg.chats.get(chat_id) or tg.group(
                chat_id,
                str(body.get("chat_title") or f"Group {chat_id}"),
                forum=bool(body.get("is_forum") or thread_id),
            )
        reply_to = None
        if body.get("reply_to_message_id") is not None:
            reply_to = tg.messages[(chat_id, int(body["reply_to_message_id"]))]
        if "callback_data" in body:
            message = tg.messages[(chat_id, int(body["message_id"]))]
            return tg.callback(user, message, str(body["callback_data"]))
        if body.get("join_request"):
            return tg.join_request(chat, user, bio=body.get("bio"))
        if "text" not in body:
            raise ValueError('shorthand needs "text", "callback_data" or "join_request"')
        text = str(body["text"])
        if isinstance(chat, FakeUser):
            return tg.private_message(user, text)
        if thread_id:
            return tg.topic_message(chat, int(thread_id), user, text, reply_to=reply_to)
        return tg.group_message(chat, user, text, reply_to=reply_to)

    # --- what the bot did -------------------------------------------------------------------

    async def _get_calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        calls = self.tg.calls_to(method) if method else self.tg.calls
        since = int(request.query.get("since", "0") or 0)
        return json_response([asdict(call) for call in calls[since:]])

    async def _clear_calls(self, request: web.Request) -> web.Response:
        self.tg.clear_calls()
        return json_response({"ok": True, "result": True})

    async def _get_sent(self, request: web.Request) -> web.Response:
        chat_id = request.query.get("chat_id")
        thread_id = request.query.get("thread_id")
        return json_response(
            self.tg.sent_messages(
                int(chat_id) if chat_id else None,
                thread_id=int(thread_id) if thread_id else None,
            )
        )

    async def _get_counts(self, request: web.Request) -> web.Response:
        return json_response(self.tg.counts())

    # --- faults -----------------------------------------------------------------------------

    async def _get_faults(self, request: web.Request) -> web.Response:
        faults = self.tg.faults
        return json_response({"ok": True, "result": faults.to_json(), "latency": faults.round_trip})

    async def _add_faults(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            bodies = body if isinstance(body, list) else [body]
            if not all(isinstance(item, dict) for item in bodies):
                raise ValueError("body must be a fault object or a list of them")
            shown = [self.tg.faults.from_json(item) for item in bodies]
        except _BAD_BODY as error:
            return _refused(error)
        return json_response({"ok": True, "result": shown if isinstance(body, list) else shown[0]})

    async def _clear_faults(self, request: web.Request) -> web.Response:
        self.tg.clear_faults()
        return json_response({"ok": True, "result": True})


async def _object(request: web.Request) -> JSON:
    body = await request.json()
    if not isinstance(body, dict):
        raise ValueError("body must be a JSON object")
    return body


def _refused(error: Exception) -> web.Response:
    return json_response({"ok": False, "description": str(error)}, 400)
