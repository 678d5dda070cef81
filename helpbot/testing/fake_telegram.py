"""A fake Telegram Bot API server on 127.0.0.1, for tests and the no-network demo.

Telegram cannot be reached from the build machine, so the bot talks to this server
through python-telegram-bot's real HTTP stack (``Bot(token, base_url=tg.base_url)``).
Everything the fake answers follows the Bot API's JSON shapes exactly, so the same
bot runs against real Telegram unchanged; where Telegram has a rule bots get wrong
(forum thread ids, "message is not modified", can't-initiate-conversation, the
default ``allowed_updates`` leaving out ``chat_member``) the fake enforces it.

It records every call (``tg.calls``), injects updates (builders in
``fake_telegram_updates``, delivered by webhook or ``getUpdates`` long polling), and
injects faults: 429 with ``retry_after``, 5xx, and slow answers for client timeouts.

Command line (manual demo)::

    python -m helpbot.testing.fake_telegram --port 8081
    curl -XPOST localhost:8081/_fake/updates \\
         -d '{"from": {"id": 42, "first_name": "Ann"}, "chat_id": 42, "text": "hi"}'
    curl localhost:8081/_fake/calls
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import inspect
import json
import logging
import re
import signal
import socket
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any, Self

import aiohttp
from aiohttp import web

from helpbot.testing.fake_telegram_methods import THREAD_NOT_FOUND, BotApiMethods, int_param
from helpbot.testing.fake_telegram_objects import FakeChat, FakeUser
from helpbot.testing.fake_telegram_updates import ApiError

__all__ = [
    "SECRET_HEADER",
    "ApiCall",
    "ApiError",
    "FakeTelegram",
    "Webhook",
    "WebhookDeliveryError",
    "main",
]

JSON = dict[str, Any]
Handler = Callable[[JSON], Any]

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

#: Update types Telegram withholds unless allowed_updates asks for them explicitly.
NOT_DELIVERED_BY_DEFAULT = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_FAULT_DESCRIPTIONS = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden: bot was blocked by the user",
    404: "Not Found",
    409: "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
#: Parameters that are plain strings even when they look like JSON ("123", "true").
_STRING_PARAMS = frozenset(
    {
        "text",
        "caption",
        "name",
        "url",
        "secret_token",
        "callback_query_id",
        "parse_mode",
        "icon_custom_emoji_id",
        "action",
        "file_id",
        "title",
        "description",
        "short_description",
        "custom_title",
        "language_code",
        "ip_address",
        "inline_message_id",
        "business_connection_id",
        "message_effect_id",
        "photo",
        "document",
        "voice",
        "sticker",
        "audio",
        "video",
        "animation",
        "emoji",
        "invite_link",
        "first_name",
        "last_name",
        "phone_number",
        "vcard",
        "address",
        "question",
        "payload",
        "start_parameter",
        "game_short_name",
        "currency",
        "tag",
    }
)
_CHAT_ID_PARAMS = frozenset({"chat_id", "from_chat_id", "sender_chat_id"})
_UPDATE_TYPES = (
    "message",
    "edited_message",
    "channel_post",
    "edited_channel_post",
    "business_connection",
    "business_message",
    "edited_business_message",
    "deleted_business_messages",
    "message_reaction",
    "message_reaction_count",
    "inline_query",
    "chosen_inline_result",
    "callback_query",
    "shipping_query",
    "pre_checkout_query",
    "purchased_paid_media",
    "poll",
    "poll_answer",
    "my_chat_member",
    "chat_member",
    "chat_join_request",
    "chat_boost",
    "removed_chat_boost",
)


@dataclass
class ApiCall:
    """One request the bot made. ``failed_with`` is the HTTP status of an error answer."""

    method: str
    params: dict[str, Any]
    at: float
    failed_with: int | None = None
    description: str | None = None
    result: Any = None
    delayed: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failed_with is None

    def brief(self) -> str:
        """One line for failure messages: method, the telling params, the outcome."""
        keys = ("chat_id", "message_thread_id", "text", "caption", "name", "message_id", "user_id")
        shown = []
        for key in keys:
            if key in self.params:
                value = repr(self.params[key])
                shown.append(f"{key}={value[:60] + '...' if len(value) > 60 else value}")
        outcome = f" -> {self.failed_with} {self.description}" if self.failed_with else ""
        return f"{self.method}({', '.join(shown)}){outcome}"


@dataclass
class Webhook:
    """What setWebhook stored (and getWebhookInfo reports)."""

    url: str
    secret_token: str | None = None
    allowed_updates: list[str] | None = None
    max_connections: int = 40
    ip_address: str | None = None
    last_error_date: int | None = None
    last_error_message: str | None = None


class WebhookDeliveryError(ConnectionError):
    """The webhook could not be reached at all (connection refused, timeout)."""


@dataclass
class _Rule:
    method: str
    remaining: int
    match: Callable[[JSON], bool] | None = None
    status: int = 0
    description: str = ""
    parameters: JSON | None = None
    seconds: float = 0.0

    def applies(self, method: str, params: JSON) -> bool:
        if self.remaining <= 0:
            return False
        if self.method == "*":
            if method == "getUpdates":  # a wildcard must not be eaten by the long poll
                return False
        elif self.method != method:
            return False
        return self.match is None or bool(self.match(params))


@dataclass
class _Queued:
    update: JSON
    forced: bool = False  # deliver_again: returned once even if already confirmed


def _coerce(name: str, value: Any) -> Any:
    """Decode one request parameter the way the Bot API reads form fields."""
    if not isinstance(value, str):
        return value
    if name in _CHAT_ID_PARAMS:
        return int(value) if re.fullmatch(r"-?\d+", value) else value
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value


def _update_type(update: Any) -> str | None:
    if isinstance(update, dict):
        for key in update:
            if key != "update_id":
                return str(key)
    return None


def _allowed(update: Any, allowed: list[str] | None) -> bool:
    kind = _update_type(update)
    if kind is None:
        return True
    if not allowed:
        return kind not in NOT_DELIVERED_BY_DEFAULT
    return kind in allowed


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


class FakeTelegram(BotApiMethods):
    """The fake Bot API server::

        async with FakeTelegram(bot_username="shal_helpbot") as tg:
            bot = Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url)
            ann = tg.user(42, "Ann")
            await tg.deliver(tg.private_message(ann, "my boiler is broken"))
            [reply] = await tg.wait_for_sent(ann.id)

    The world (users, chats, messages, topics, members) and the update builders come
    from TelegramState, the Bot API methods from BotApiMethods; this class adds the
    HTTP server, call recording, fault injection and update delivery.
    """

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "shal_helpbot",
        *,
        bot_first_name: str = "SHAL Help",
        host: str = "127.0.0.1",
        port: int = 0,
        require_start: bool = True,
        closed_topic_error: str | None = THREAD_NOT_FOUND,
        clock: Callable[[], float] = time.time,
        webhook_timeout: float = 10.0,
    ) -> None:
        bot_id_text = token.split(":", 1)[0]
        bot_id = int(bot_id_text) if bot_id_text.isdigit() else 123456
        bot_user: JSON = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_first_name,
            "username": bot_username,
        }
        super().__init__(
            bot_user=bot_user,
            clock=clock,
            closed_topic_error=closed_topic_error,
            require_start=require_start,
        )
        self.token = token
        self.host = host
        self.port = port
        self.webhook_timeout = webhook_timeout
        #: Every API call, in order of completion.
        self.calls: list[ApiCall] = []
        #: Called with each ApiCall as it is recorded (the CLI prints them).
        self.on_call: Callable[[ApiCall], None] | None = None
        self.webhook: Webhook | None = None

        self._faults: list[_Rule] = []
        self._delays: list[_Rule] = []
        self._queue: list[_Queued] = []
        self._poll_allowed: list[str] | None = None
        self._poll_generation = 0
        self._queue_event = asyncio.Event()
        self._calls_event = asyncio.Event()
        self._closing = asyncio.Event()
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in self._method_table().items()
        }

    # --- lifecycle ------------------------------------------------------------------------

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def start(self) -> None:
        """Listen on host:port (port 0: a free one, readable as ``tg.port`` afterwards)."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already running")
        # Fresh events: an instance may be started again under another event loop.
        self._closing = asyncio.Event()
        self._queue_event = asyncio.Event()
        self._calls_event = asyncio.Event()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_post("/_fake/updates", self._handle_control_update)
        app.router.add_get("/_fake/calls", self._handle_control_calls)
        app.router.add_get("/_fake/sent", self._handle_control_sent)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((self.host, self.port))
        except OSError:
            sock.close()
            await runner.cleanup()
            raise
        self.port = sock.getsockname()[1]
        await web.SockSite(runner, sock).start()
        self._runner = runner
        self._session = aiohttp.ClientSession()

    async def stop(self) -> None:
        """Stop serving; pending long polls and delayed answers return at once."""
        self._closing.set()
        self._notify_queue()
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    @property
    def url(self) -> str:
        """Root URL of the server (control API lives under ``/_fake/``)."""
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        """Pass as ``Bot(token, base_url=...)`` / ``ApplicationBuilder().base_url(...)``."""
        return f"{self.url}/bot"

    @property
    def base_file_url(self) -> str:
        """Pass as ``base_file_url`` so ``File.download_*`` fetches from the fake."""
        return f"{self.url}/file/bot"

    # --- recording --------------------------------------------------------------------------

    def _canonical(self, method: str) -> str:
        entry = self._methods.get(method.lower())
        return entry[0] if entry else method

    def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        log.debug("fake telegram: %s", call.brief())
        if self.on_call is not None:
            self.on_call(call)
        self._calls_event.set()
        self._calls_event = asyncio.Event()

    def calls_to(self, method: str) -> list[ApiCall]:
        """All recorded calls to ``method`` (case-insensitive, like the API), failed ones too."""
        name = self._canonical(method)
        return [call for call in self.calls if call.method == name]

    def sent_messages(
        self, chat_id: int | None = None, *, thread_id: int | None = None
    ) -> list[JSON]:
        """Messages the bot sent (sendMessage, send<Media>, copy/forwardMessage) as returned.

        Snapshots at send time; ``tg.message(chat_id, message_id)`` gives the current state.
        A reply keyboard (non-inline) is not part of a Message: see the call's params.
        """
        return [
            copy.deepcopy(message)
            for message in self._sent
            if (chat_id is None or message["chat"]["id"] == chat_id)
            and (thread_id is None or message.get("message_thread_id") == thread_id)
        ]

    def clear_calls(self) -> None:
        """Forget recorded calls and sent-message snapshots (state such as topics stays)."""
        self.calls.clear()
        self._sent.clear()

    async def wait_for(
        self,
        method: str,
        predicate: Callable[[ApiCall], bool] | None = None,
        count: int = 1,
        timeout: float = 5.0,  # noqa: ASYNC109 - a deadline in seconds is the helper's contract
    ) -> list[ApiCall]:
        """Wait until ``count`` recorded calls to ``method`` match; returns all matches.

        Calls already recorded count (use ``clear_calls()`` first to wait for new ones).
        On timeout raises AssertionError listing what the bot did call.
        """
        name = self._canonical(method)

        def matching() -> list[ApiCall]:
            return [
                c for c in self.calls if c.method == name and (predicate is None or predicate(c))
            ]

        found = await self._wait(lambda: matching() if len(matching()) >= count else None, timeout)
        if found is None:
            got = matching()
            what = f"{count} x {name}" + (" matching the predicate" if predicate else "")
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what}; {len(got)} matched.\n"
                + self.describe_calls()
            )
        return found

    async def wait_for_sent(
        self,
        chat_id: int | None = None,
        *,
        predicate: Callable[[JSON], bool] | None = None,
        count: int = 1,
        thread_id: int | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - as wait_for
    ) -> list[JSON]:
        """Wait until the bot has sent ``count`` messages (to ``chat_id``) matching."""

        def matching() -> list[JSON]:
            return [
                m
                for m in self.sent_messages(chat_id, thread_id=thread_id)
                if predicate is None or predicate(m)
            ]

        found = await self._wait(lambda: matching() if len(matching()) >= count else None, timeout)
        if found is None:
            where = "" if chat_id is None else f" to chat {chat_id}"
            raise AssertionError(
                f"timed out after {timeout}s waiting for {count} sent message(s){where}; "
                f"{len(matching())} matched.\n" + self.describe_calls()
            )
        return found

    async def _wait(self, check: Callable[[], Any], seconds: float) -> Any:
        """Re-run ``check`` after every recorded call until it returns non-None."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while True:
            event = self._calls_event
            result = check()
            if result is not None:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                return None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def describe_calls(self, last: int = 40) -> str:
        """Readable list of recent calls, runs of getUpdates collapsed."""
        lines: list[str] = []
        polls = 0
        for call in self.calls[-last:]:
            if call.method == "getUpdates" and call.ok and not call.result:
                polls += 1
                continue
            if polls:
                lines.append(f"  getUpdates (empty) x{polls}")
                polls = 0
            lines.append("  " + call.brief())
        if polls:
            lines.append(f"  getUpdates (empty) x{polls}")
        header = f"Calls so far ({len(self.calls)}, last {min(last, len(self.calls))} shown):"
        return "\n".join([header, *lines]) if lines else "No API calls were made."

    # --- fault injection --------------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        status: int = 429,
        retry_after: int = 1,
        count: int = 1,
        *,
        description: str | None = None,
        match: Callable[[JSON], bool] | None = None,
    ) -> None:
        """Answer the next ``count`` calls to ``method`` ("*": any but getUpdates) with an error.

        429 carries ``parameters.retry_after`` (PTB raises RetryAfter); 5xx give NetworkError.
        ``match`` narrows it to calls whose params satisfy it (e.g. one chat).
        """
        text = description or _FAULT_DESCRIPTIONS.get(status, "Error").format(
            retry_after=retry_after
        )
        parameters = {"retry_after": retry_after} if status == 429 else None
        self._faults.append(_Rule(self._canonical(method), count, match, status, text, parameters))

    def delay_next(
        self,
        method: str,
        seconds: float,
        count: int = 1,
        *,
        match: Callable[[JSON], bool] | None = None,
    ) -> None:
        """Hold the answer to the next ``count`` calls for ``seconds``.

        The call still takes effect afterwards, as on Telegram: a client that timed out
        may find its message was sent after all.
        """
        self._delays.append(_Rule(self._canonical(method), count, match, seconds=seconds))

    def clear_faults(self) -> None:
        self._faults.clear()
        self._delays.clear()

    @staticmethod
    def _take_rule(rules: list[_Rule], method: str, params: JSON) -> _Rule | None:
        for rule in rules:
            if rule.applies(method, params):
                rule.remaining -= 1
                if rule.remaining <= 0:
                    rules.remove(rule)
                return rule
        return None

    # --- HTTP ---------------------------------------------------------------------------------

    async def _read_params(self, request: web.Request) -> JSON:
        params: JSON = dict(request.query)
        if request.body_exists:
            ctype = request.content_type
            if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        params[name] = self._store_upload(name, value)
                    else:
                        params[name] = value
            else:
                raw = await request.read()
                if raw.strip():
                    try:
                        body = json.loads(raw)
                    except ValueError:
                        raise ApiError(400, "Bad Request: can't parse JSON request") from None
                    if not isinstance(body, dict):
                        raise ApiError(400, "Bad Request: request body must be an object")
                    params.update(body)
        return {name: _coerce(name, value) for name, value in params.items()}

    def _store_upload(self, name: str, upload: web.FileField) -> JSON:
        content = upload.file.read()
        kind = {
            "photo": "photos",
            "voice": "voice",
            "sticker": "stickers",
            "document": "documents",
        }.get(name, "documents")
        filename = upload.filename or name
        extension = filename.rsplit(".", 1)[-1] if "." in filename else "bin"
        fake = self._register_file(
            kind, content, extension, file_name=filename, mime_type=upload.content_type
        )
        return {"upload": filename, "size": len(content), "file_id": fake.file_id}

    @staticmethod
    def _json(payload: Any, status: int = 200) -> web.Response:
        return web.json_response(payload, status=status, dumps=_dumps)

    async def _handle_api(self, request: web.Request) -> web.Response:
        arrived = self.clock()
        method = request.match_info["method"]
        call = ApiCall(self._canonical(method), {}, arrived)
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            call.params = await self._read_params(request)
            entry = self._methods.get(method.lower())
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            result = await self._perform(call, entry[1])
        except ApiError as error:
            call.failed_with = error.status
            call.description = error.description
            self._record(call)
            return self._json(error.payload(), error.status)
        except Exception as exc:  # a bug in the fake: say so loudly, as a 500
            log.exception("fake telegram failed on %s", method)
            call.failed_with = 500
            call.description = f"fake server error: {exc!r}"
            call.result = traceback.format_exc()
            self._record(call)
            return self._json(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"}, 500
            )
        call.result = result
        self._record(call)
        return self._json({"ok": True, "result": result})

    async def _perform(self, call: ApiCall, handler: Handler) -> Any:
        delay = self._take_rule(self._delays, call.method, call.params)
        if delay is not None:
            call.delayed = delay.seconds
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._closing.wait(), delay.seconds)
        fault = self._take_rule(self._faults, call.method, call.params)
        if fault is not None:
            raise ApiError(fault.status, fault.description, fault.parameters)
        result = handler(call.params)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return self._json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        path = request.match_info["path"]
        for fake in self.files.values():
            if fake.file_path == path:
                return web.Response(body=fake.content, content_type="application/octet-stream")
        return self._json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return self._json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)

    # --- update delivery ------------------------------------------------------------------

    async def deliver(
        self,
        update: JSON | str | bytes,
        *,
        secret_override: str | None = None,
        omit_secret: bool = False,
    ) -> int | None:
        """Hand an update to the bot, as Telegram would.

        Webhook set: POST it there (secret header from setWebhook, or ``secret_override``;
        ``omit_secret`` sends none) and return the HTTP status; a webhook that cannot be
        reached raises WebhookDeliveryError. No webhook: queue it for getUpdates and return
        None. Updates whose type allowed_updates excludes are dropped (None).
        """
        return await self._deliver(
            update, forced=False, secret_override=secret_override, omit_secret=omit_secret
        )

    async def deliver_again(
        self,
        update: JSON | str | bytes,
        *,
        secret_override: str | None = None,
        omit_secret: bool = False,
    ) -> int | None:
        """Deliver the same update (same update_id) once more, to test de-duplication.

        With getUpdates it is returned once even though the bot already confirmed it.
        """
        return await self._deliver(
            update, forced=True, secret_override=secret_override, omit_secret=omit_secret
        )

    async def _deliver(
        self,
        update: JSON | str | bytes,
        *,
        forced: bool,
        secret_override: str | None,
        omit_secret: bool,
    ) -> int | None:
        if self.webhook is not None:
            if not _allowed(update, self.webhook.allowed_updates):
                return None
            return await self._post_webhook(update, secret_override, omit_secret)
        if not isinstance(update, dict):
            raise TypeError(
                "getUpdates only ever returns valid JSON objects; raw text can only be "
                "delivered to a webhook (setWebhook first)"
            )
        self._queue.append(_Queued(copy.deepcopy(update), forced))
        self._notify_queue()
        return None

    async def _post_webhook(
        self, update: JSON | str | bytes, secret_override: str | None, omit_secret: bool
    ) -> int:
        assert self.webhook is not None
        if self._session is None:
            raise RuntimeError("FakeTelegram is not running; use `async with` or start()")
        headers = {"Content-Type": "application/json"}
        secret = secret_override if secret_override is not None else self.webhook.secret_token
        if secret and not omit_secret:
            headers[SECRET_HEADER] = secret
        body = update if isinstance(update, (str, bytes)) else _dumps(update)
        try:
            async with self._session.post(
                self.webhook.url,
                data=body,
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self.webhook_timeout),
            ) as response:
                status = response.status
                reply = await response.read()
                reason = response.reason or ""
        except (aiohttp.ClientError, TimeoutError) as exc:
            self.webhook.last_error_date = self.now()
            self.webhook.last_error_message = (
                "Read timeout expired" if isinstance(exc, TimeoutError) else "Connection refused"
            )
            raise WebhookDeliveryError(f"webhook {self.webhook.url} unreachable: {exc!r}") from exc
        if not 200 <= status < 300:
            self.webhook.last_error_date = self.now()
            self.webhook.last_error_message = f"Wrong response from the webhook: {status} {reason}"
        else:
            await self._run_webhook_reply(reply)
        return status

    async def _run_webhook_reply(self, reply: bytes) -> None:
        """A webhook may answer with one method call in its body; Telegram runs it."""
        try:
            body = json.loads(reply) if reply.strip() else None
        except ValueError:
            return
        if not isinstance(body, dict) or "method" not in body:
            return
        params = {k: _coerce(k, v) for k, v in body.items() if k != "method"}
        entry = self._methods.get(str(body["method"]).lower())
        call = ApiCall(self._canonical(str(body["method"])), params, self.clock())
        try:
            if entry is None:
                raise ApiError(404, "Not Found: method not found")
            call.result = await self._perform(call, entry[1])
        except ApiError as error:
            call.failed_with, call.description = error.status, error.description
        self._record(call)

    def _notify_queue(self) -> None:
        self._queue_event.set()
        self._queue_event = asyncio.Event()

    @property
    def pending_updates(self) -> list[JSON]:
        """Updates queued for getUpdates and not yet confirmed by the bot."""
        return [copy.deepcopy(entry.update) for entry in self._queue]

    async def wait_until_confirmed(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until the bot has fetched and confirmed (offset) every queued update."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while self._queue:
            event = self._queue_event
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"{len(self._queue)} update(s) still unconfirmed after {timeout}s "
                    "(is the bot polling?)\n" + self.describe_calls()
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def _confirm(self, offset: int) -> None:
        before = len(self._queue)
        if offset < 0:
            self._queue = self._queue[offset:]
        elif offset:
            self._queue = [
                entry
                for entry in self._queue
                if entry.forced
                or not isinstance(entry.update.get("update_id"), int)
                or entry.update["update_id"] >= offset
            ]
        if len(self._queue) != before:
            self._notify_queue()

    def _take_batch(self, limit: int) -> list[JSON]:
        """Up to ``limit`` deliverable updates; they stay queued until confirmed by offset.

        Exceptions, returned once and dropped: deliver_again duplicates, and updates
        without an integer update_id (they can never be confirmed).
        """
        batch: list[_Queued] = []
        keep: list[_Queued] = []
        for entry in self._queue:
            if not _allowed(entry.update, self._poll_allowed):
                continue  # not an allowed type: Telegram would never have queued it
            taken = len(batch) < limit
            if taken:
                batch.append(entry)
            once = entry.forced or not isinstance(entry.update.get("update_id"), int)
            if not (taken and once):
                keep.append(entry)
        changed = len(keep) != len(self._queue)
        self._queue = keep
        if changed:
            self._notify_queue()
        batch.sort(key=lambda e: e.update.get("update_id", 0))
        return [copy.deepcopy(entry.update) for entry in batch]

    # --- the Bot API methods ----------------------------------------------------------------

    def _method_table(self) -> dict[str, Handler]:
        return {
            **super()._method_table(),
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
        }

    # webhook and polling

    def _set_webhook(self, params: JSON) -> bool:
        url = str(params.get("url") or "")
        if not url:
            self.webhook = None
            return True
        if not re.match(r"https?://", url):
            raise ApiError(
                400,
                "Bad Request: bad webhook: Webhook can be set up only on ports 80, 88, 443 or 8443",
            )
        secret = params.get("secret_token")
        if secret is not None:
            secret = str(secret)
            if not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret):
                raise ApiError(400, "Bad Request: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if params.get("drop_pending_updates"):
            self._queue.clear()
            self._notify_queue()
        previous = self.webhook
        self.webhook = Webhook(
            url=url,
            secret_token=secret,
            allowed_updates=list(allowed)
            if allowed is not None
            else (previous.allowed_updates if previous else None),
            max_connections=int_param(params, "max_connections", 40) or 40,
            ip_address=params.get("ip_address"),
        )
        return True

    def _delete_webhook(self, params: JSON) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            self._queue.clear()
            self._notify_queue()
        return True

    def _get_webhook_info(self, params: JSON) -> JSON:
        info: JSON = {
            "url": self.webhook.url if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self.webhook is not None:
            info["ip_address"] = self.webhook.ip_address or "127.0.0.1"
            if self.webhook.last_error_date:
                info["last_error_date"] = self.webhook.last_error_date
                info["last_error_message"] = self.webhook.last_error_message
            info["max_connections"] = self.webhook.max_connections
            if self.webhook.allowed_updates:
                info["allowed_updates"] = self.webhook.allowed_updates
        return info

    async def _get_updates(self, params: JSON) -> list[JSON]:
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int_param(params, "offset", 0) or 0
        limit = min(max(int_param(params, "limit", 100) or 100, 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        if params.get("allowed_updates") is not None:
            self._poll_allowed = list(params["allowed_updates"])
        self._poll_generation += 1
        generation = self._poll_generation
        self._confirm(offset)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            event = self._queue_event
            batch = self._take_batch(limit)
            if batch or self._closing.is_set():
                return batch
            remaining = deadline - loop.time()
            if remaining <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)
            if generation != self._poll_generation:
                raise ApiError(409, _FAULT_DESCRIPTIONS[409])

    # --- control API (manual demos) -------------------------------------------------------

    async def _handle_control_update(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
            if not isinstance(body, dict):
                raise ValueError("body must be a JSON object")
            update = self._update_from_control(body)
            status = await self.deliver(update)
        except (ValueError, KeyError, TypeError, WebhookDeliveryError, ApiError) as error:
            return self._json({"ok": False, "description": str(error)}, 400)
        return self._json({"ok": True, "result": {"update": update, "webhook_status": status}})

    def _update_from_control(self, body: JSON) -> JSON:
        """A full Update, or shorthand {"from": {...}, "chat_id": ..., "text": ...}."""
        if "update_id" in body or any(key in body for key in _UPDATE_TYPES):
            result = self.raw_update(body, assign_update_id=True)
            assert isinstance(result, dict)
            return result
        sender = body.get("from")
        if not isinstance(sender, dict) or "id" not in sender:
            raise ValueError('shorthand needs "from": {"id": ..., "first_name": ...}')
        known = self.users.get(int(sender["id"]))
        user = self.user(
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
            chat = self.chats.get(chat_id) or self.group(
                chat_id,
                str(body.get("chat_title") or f"Group {chat_id}"),
                forum=bool(body.get("is_forum") or thread_id),
            )
        reply_to = None
        if body.get("reply_to_message_id") is not None:
            reply_to = self.messages[(chat_id, int(body["reply_to_message_id"]))]
        if "callback_data" in body:
            message = self.messages[(chat_id, int(body["message_id"]))]
            return self.callback(user, message, str(body["callback_data"]))
        if body.get("join_request"):
            return self.join_request(chat, user, bio=body.get("bio"))
        if "text" not in body:
            raise ValueError('shorthand needs "text", "callback_data" or "join_request"')
        text = str(body["text"])
        if isinstance(chat, FakeUser):
            return self.private_message(user, text)
        if thread_id:
            return self.topic_message(chat, int(thread_id), user, text, reply_to=reply_to)
        return self.group_message(chat, user, text, reply_to=reply_to)

    async def _handle_control_calls(self, request: web.Request) -> web.Response:
        method = request.query.get("method")
        calls = self.calls_to(method) if method else self.calls
        return self._json([asdict(call) for call in calls])

    async def _handle_control_sent(self, request: web.Request) -> web.Response:
        chat_id = request.query.get("chat_id")
        return self._json(self.sent_messages(int(chat_id) if chat_id else None))


# --- command line -------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpbot.testing.fake_telegram",
        description=(
            "Run the fake Telegram Bot API server for the local demo. Point the bot at the "
            "printed base_url. Control API: POST /_fake/updates with a full Update or "
            '{"from": {"id": 42, "first_name": "Ann"}, "chat_id": 42, "text": "hi"} '
            '(also "callback_data" + "message_id", "join_request": true, '
            '"message_thread_id"); GET /_fake/calls[?method=sendMessage]; '
            "GET /_fake/sent[?chat_id=42]."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8081, help="port (default 8081; 0 = free)")
    parser.add_argument("--token", default="123456:TEST-TOKEN", help="bot token to accept")
    parser.add_argument("--bot-username", default="shal_helpbot", help="the bot's @username")
    parser.add_argument(
        "--allow-unstarted",
        action="store_true",
        help="let the bot message users who never wrote to it (Telegram forbids this)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not print each API call")
    return parser


async def _serve(args: argparse.Namespace) -> None:
    tg = FakeTelegram(
        args.token,
        args.bot_username,
        host=args.host,
        port=args.port,
        require_start=not args.allow_unstarted,
    )
    if not args.quiet:
        tg.on_call = lambda call: print(call.brief(), file=sys.stderr, flush=True)
    await tg.start()
    print(tg.base_url, flush=True)
    print(
        f"fake Telegram for @{args.bot_username}: token {args.token}; "
        f"control API POST {tg.url}/_fake/updates, GET {tg.url}/_fake/calls",
        file=sys.stderr,
        flush=True,
    )
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await tg.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``python -m helpbot.testing.fake_telegram``."""
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
