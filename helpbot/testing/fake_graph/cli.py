"""Command line: the fake Graph API as a server of its own, for trying the Facebook channel
by hand. The first line on stdout is the Graph base URL to give the bot
(``HELPBOT_FACEBOOK_GRAPH_URL``); the control API pushes events as people would.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
from typing import Any

from aiohttp import web

from helpbot.testing.fake_graph.fake import (
    APP_SECRET,
    PAGE_ID,
    PAGE_TOKEN,
    VERIFY_TOKEN,
    FakeGraph,
)

__all__ = ["control_routes", "main"]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpbot.testing.fake_graph",
        description=(
            "Run the fake Graph API. Control API (JSON): POST /_fake/message "
            '{"psid": "7001", "first_name": "Ann", "text": "hi"}; POST /_fake/postback '
            '{"psid": "7001", "payload": "pub:1:yes"}; POST /_fake/comment '
            '{"psid": "7001", "first_name": "Ann", "text": "..."} (answers the comment id); '
            'POST /_fake/advance {"hours": 25}; GET /_fake/messenger?psid=7001; '
            "GET /_fake/comments; GET /_fake/calls."
        ),
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090, help="port (default 8090; 0 = free)")
    parser.add_argument("--webhook", required=True, help="the bot's /facebook/webhook address")
    parser.add_argument("--page-id", default=PAGE_ID)
    parser.add_argument("--token", default=PAGE_TOKEN, help="Page token to accept")
    parser.add_argument("--app-secret", default=APP_SECRET, help="secret to sign events with")
    parser.add_argument("--verify-token", default=VERIFY_TOKEN)
    return parser


def control_routes(fb: FakeGraph, app: web.Application) -> None:
    async def body(request: web.Request) -> dict[str, Any]:
        try:
            loaded = await request.json()
        except ValueError:
            raise web.HTTPBadRequest(text="JSON please") from None
        if not isinstance(loaded, dict):
            raise web.HTTPBadRequest(text="a JSON object please")
        return loaded

    def person(data: dict[str, Any]) -> Any:
        psid = str(data.get("psid", "7001"))
        known = fb.users.get(psid)
        name = str(data.get("first_name") or (known.first_name if known else "Ann"))
        return fb.user(psid, name)

    async def message(request: web.Request) -> web.Response:
        data = await body(request)
        status = await fb.message(person(data), str(data.get("text", "")))
        return web.json_response({"webhook_status": status})

    async def postback(request: web.Request) -> web.Response:
        data = await body(request)
        payload = str(data.get("payload", ""))
        status = await fb.postback(person(data), str(data.get("title", payload)), payload)
        return web.json_response({"webhook_status": status})

    async def comment(request: web.Request) -> web.Response:
        data = await body(request)
        post = str(data.get("post") or next(iter(fb.posts), "") or fb.post())
        status, comment_id = await fb.comment(person(data), post, str(data.get("text", "")))
        return web.json_response({"webhook_status": status, "comment_id": comment_id})

    async def advance(request: web.Request) -> web.Response:
        data = await body(request)
        fb.advance(hours=float(data.get("hours", 0)), days=float(data.get("days", 0)))
        return web.json_response({"now": fb.now().isoformat()})

    async def messenger(request: web.Request) -> web.Response:
        user = fb.users.get(request.query.get("psid", "7001"))
        return web.json_response(fb.sent_to(user) if user else [])

    async def comments(request: web.Request) -> web.Response:
        return web.json_response(
            [
                {
                    "id": c.id,
                    "post_id": c.post_id,
                    "from": c.author_name,
                    "message": c.message,
                    "is_hidden": c.is_hidden,
                    "deleted": c.deleted,
                    "private_replied": c.private_replied,
                    "replies": c.replies,
                }
                for c in fb.comments.values()
            ]
        )

    async def calls(request: web.Request) -> web.Response:
        return web.json_response(
            [{"method": c.method, "path": c.path, "body": c.body} for c in fb.calls]
        )

    app.router.add_post("/_fake/message", message)
    app.router.add_post("/_fake/postback", postback)
    app.router.add_post("/_fake/comment", comment)
    app.router.add_post("/_fake/advance", advance)
    app.router.add_get("/_fake/messenger", messenger)
    app.router.add_get("/_fake/comments", comments)
    app.router.add_get("/_fake/calls", calls)


class _ControlledFake(FakeGraph):
    def routes(self, app: web.Application) -> None:
        super().routes(app)
        control_routes(self, app)


async def _run(args: argparse.Namespace) -> None:
    fb = _ControlledFake(
        page_id=args.page_id,
        token=args.token,
        app_secret=args.app_secret,
        verify_token=args.verify_token,
    )
    await fb.start(args.host, args.port)
    fb.webhook_url = args.webhook
    fb.post("Welcome to SHAL's Page")
    print(fb.base_url, flush=True)
    print(f"fake Graph API for Page {fb.page_id}; events go to {args.webhook}", file=sys.stderr)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        await fb.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    asyncio.run(_run(args))
    return 0
