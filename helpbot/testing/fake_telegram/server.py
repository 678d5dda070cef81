"""The HTTP side of the fake: Bot API routes, file downloads, and one call's life.

A call arrives as ``/bot<token>/<method>`` with query, form, multipart or JSON
parameters; it passes the fault plan (delay, then error), runs its handler, is
recorded once, and its answer may then be held. A handler that raises something
other than ApiError is a bug in the fake and answers a loud 500.
"""

from __future__ import annotations

import inspect
import json
import logging
import socket
import traceback
from collections.abc import Callable
from typing import Any

from aiohttp import web

from helpbot.testing.fake_telegram.calls import ApiCall, CallLog
from helpbot.testing.fake_telegram.errors import ApiError
from helpbot.testing.fake_telegram.faults import FaultPlan
from helpbot.testing.fake_telegram.media import Media
from helpbot.testing.fake_telegram.methods import MethodTable
from helpbot.testing.fake_telegram.params import coerce
from helpbot.testing.fake_telegram.world import World

__all__ = ["ApiServer", "json_response"]

JSON = dict[str, Any]

log = logging.getLogger("helpbot.testing.fake_telegram")


def json_response(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(
        payload, status=status, dumps=lambda value: json.dumps(value, ensure_ascii=False)
    )


class ApiServer:
    """Serves the Bot API over the method table, the fault plan and the call log."""

    def __init__(
        self,
        *,
        token: str,
        world: World,
        media: Media,
        methods: MethodTable,
        faults: FaultPlan,
        calls: CallLog,
    ) -> None:
        self.token = token
        self.world = world
        self.media = media
        self.methods = methods
        self.faults = faults
        self.calls = calls
        self._runner: web.AppRunner | None = None

    @property
    def running(self) -> bool:
        return self._runner is not None

    async def start(
        self, host: str, port: int, add_routes: Callable[[web.Application], None]
    ) -> int:
        """Listen on host:port (0: a free one); returns the port bound."""
        if self._runner is not None:
            raise RuntimeError("FakeTelegram is already running")
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        add_routes(app)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            sock.close()
            await runner.cleanup()
            raise
        bound = int(sock.getsockname()[1])
        await web.SockSite(runner, sock).start()
        self._runner = runner
        return bound

    async def stop(self) -> None:
        if self._runner is not None:
            runner, self._runner = self._runner, None
            await runner.cleanup()

    # --- one call ---------------------------------------------------------------------------

    async def perform(self, call: ApiCall) -> Any:
        """Delay faults, error faults, then the handler; raises ApiError."""
        handler = self.methods.get(call.method)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        delay = self.faults.take_seconds("delay", call.method, call.params)
        if delay:
            call.delayed = delay
            await self.faults.sleep(delay)
        error = self.faults.take_error(call.method, call.params)
        if error is not None:
            raise error
        result = handler(call.params)
        if inspect.isawaitable(result):
            result = await result
        return result

    async def run_method(self, method: str, params: JSON) -> None:
        """Run and record a call made outside HTTP (a method in a webhook's answer)."""
        call = ApiCall(self.methods.canonical(method), params, self.world.clock())
        try:
            call.result = await self.perform(call)
        except ApiError as error:
            call.failed_with, call.description = error.status, error.description
        self.calls.record(call)

    async def _handle_api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        call = ApiCall(self.methods.canonical(method), {}, self.world.clock())
        try:
            if request.match_info["token"] != self.token:
                raise ApiError(401, "Unauthorized")
            call.params = await self._read_params(request)
            result = await self.perform(call)
        except ApiError as error:
            call.failed_with = error.status
            call.description = error.description
            self.calls.record(call)
            return json_response(error.payload(), error.status)
        except Exception as exc:  # a bug in the fake: say so loudly, as a 500
            log.exception("fake telegram failed on %s", method)
            call.failed_with = 500
            call.description = f"fake server error: {exc!r}"
            call.result = traceback.format_exc()
            self.calls.record(call)
            return json_response(
                {"ok": False, "error_code": 500, "description": "Internal Server Error"}, 500
            )
        call.result = result
        # Recorded once, when it took effect: a held answer changes only when the client hears.
        self.calls.record(call)
        held = self.faults.take_seconds("hold", call.method, call.params)
        if held:
            call.held = held
            await self.faults.sleep(held)
        return json_response({"ok": True, "result": result})

    async def _read_params(self, request: web.Request) -> JSON:
        params: JSON = dict(request.query)
        if request.body_exists:
            ctype = request.content_type
            if ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for name, value in form.items():
                    if isinstance(value, web.FileField):
                        params[name] = self.media.store_upload(
                            name, value.file.read(), value.filename, value.content_type
                        )
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
        return {name: coerce(name, value) for name, value in params.items()}

    async def _handle_file(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return json_response(
                {"ok": False, "error_code": 401, "description": "Unauthorized"}, 401
            )
        fake = self.media.by_path(request.match_info["path"])
        if fake is None:
            return json_response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        return web.Response(body=fake.content, content_type="application/octet-stream")

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return json_response({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
