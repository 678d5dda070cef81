"""Builds the one aiohttp application every part is served from."""

from __future__ import annotations

from pathlib import Path

import jinja2
from aiohttp import web

from helpbot.channels.telegram.channel import TelegramChannel
from helpbot.channels.webchat import WebChat
from helpbot.store.records import Store
from helpbot.web.metrics import StoreMetrics

WEB_DIR = Path(__file__).resolve().parent
WEBHOOK_PATH = "/telegram/webhook"
STORE = web.AppKey("store", Store)

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)


@web.middleware
async def security_headers(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "frame-ancestors 'none'",
    )
    return response


def build_app(
    store: Store, webchat: WebChat, telegram: TelegramChannel | None = None
) -> web.Application:
    app = web.Application(middlewares=[security_headers], client_max_size=1024 * 1024)

    async def chat_page(request: web.Request) -> web.Response:
        response = web.Response(
            text=_templates.get_template("chat.html").render(), content_type="text/html"
        )
        webchat.ensure_cookie(request, response)
        return response

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "telegram": telegram is not None})

    async def home(request: web.Request) -> web.Response:
        raise web.HTTPFound("/chat")

    app.add_routes(
        [
            web.get("/", home),
            web.get("/chat", chat_page),
            web.get("/healthz", health),
            web.get("/metrics", StoreMetrics(store).handler),
            web.static("/static", WEB_DIR / "static"),
            *webchat.routes(),
        ]
    )
    if telegram is not None:
        app.router.add_post(WEBHOOK_PATH, telegram.webhook)
    app[STORE] = store
    return app
