"""Builds the one aiohttp application every part is served from."""

from __future__ import annotations

import asyncio
from pathlib import Path

import jinja2
from aiohttp import web
from sqlalchemy import text

from helpbot.channels.attachments import FileSource
from helpbot.channels.facebook.channel import WEBHOOK_PATH as FACEBOOK_WEBHOOK_PATH
from helpbot.channels.facebook.channel import FacebookChannel
from helpbot.channels.telegram.channel import TelegramChannel
from helpbot.channels.webchat import WebChat
from helpbot.postroom.room import PostRoom
from helpbot.store import models
from helpbot.store.records import Store
from helpbot.web.console import ConsoleSettings, mount
from helpbot.web.console.guard import metrics_guard
from helpbot.web.metrics import StoreMetrics

HEALTH_DB_TIMEOUT = 3.0

WEB_DIR = Path(__file__).resolve().parent
WEBHOOK_PATH = "/telegram/webhook"
STORE = web.AppKey("store", Store)

_templates = jinja2.Environment(
    loader=jinja2.FileSystemLoader(WEB_DIR / "templates"),
    autoescape=jinja2.select_autoescape(["html"]),
)


@web.middleware
async def security_headers(request: web.Request, handler: web.Handler) -> web.StreamResponse:
    try:
        response = await handler(request)
    except web.HTTPException as answer:  # errors and redirects carry the headers too
        _harden(answer)
        raise
    _harden(response)
    return response


def _harden(response: web.StreamResponse) -> None:
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "no-referrer")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; "
        "frame-ancestors 'none'",
    )


def _file_sources(
    telegram: TelegramChannel | None, facebook: FacebookChannel | None
) -> dict[str, FileSource]:
    """The channels the console can fetch a tenant's photo or file from."""
    sources: dict[str, FileSource] = {}
    if telegram is not None:
        sources["telegram"] = telegram
    if facebook is not None:
        sources["facebook"] = facebook
    return sources


def build_app(
    store: Store,
    webchat: WebChat,
    telegram: TelegramChannel | None = None,
    *,
    postroom: PostRoom | None = None,
    max_wait: float = 60.0,
    console: ConsoleSettings | None = None,
    facebook: FacebookChannel | None = None,
    warnings: tuple[str, ...] = (),
) -> web.Application:
    app = web.Application(middlewares=[security_headers], client_max_size=1024 * 1024)

    async def chat_page(request: web.Request) -> web.Response:
        response = web.Response(
            text=_templates.get_template("chat.html").render(ended="ended" in request.query),
            content_type="text/html",
        )
        await webchat.ensure_session(request, response)
        return response

    async def health(request: web.Request) -> web.Response:
        """200 with the figures when the store answers and nothing has waited too long;
        503 otherwise, so a load balancer or an operator is told the truth."""
        report: dict[str, object] = {
            "telegram": telegram is not None,
            "facebook": facebook is not None,
            # Whether colleagues are alerted to new cases (and can reply in the chat).
            "staff_room": telegram is not None and telegram.staff_chat is not None,
        }
        noted = [
            *warnings,
            *(telegram.staff_room_warnings if telegram is not None else []),
            *webchat.addresses.warnings,
        ]
        if noted:
            report["warnings"] = noted
        try:
            async with asyncio.timeout(HEALTH_DB_TIMEOUT):
                async with store.sessions() as session:
                    await session.execute(text("SELECT 1"))
                if postroom is not None:
                    inbox = await postroom.inbox.counts()
                    outbox = await postroom.outbox.counts()
                    oldest = inbox["pending"][1]
                    wait = (models.utcnow() - oldest).total_seconds() if oldest else 0.0
                    report |= {
                        "pending": inbox["pending"][0],
                        "parked": inbox["parked"][0],
                        "oldest_pending_seconds": round(max(0.0, wait), 1),
                        "sending": outbox["pending"][0] + outbox["sending"][0],
                        "undelivered": outbox["undelivered"][0],
                        "unconfirmed": outbox["unconfirmed"][0],
                    }
        except Exception as error:
            report |= {"status": "unavailable", "database": type(error).__name__}
            return web.json_response(report, status=503)
        stopping = facebook is not None and not facebook.accepting
        if (telegram is not None and not telegram.accepting) or stopping:
            return web.json_response(report | {"status": "stopping"}, status=503)
        if float(report.get("oldest_pending_seconds", 0.0)) > max_wait:  # type: ignore[arg-type]
            return web.json_response(report | {"status": "behind"}, status=503)
        return web.json_response(report | {"status": "ok"})

    async def home(request: web.Request) -> web.Response:
        raise web.HTTPFound("/chat")

    app.add_routes(
        [
            web.get("/", home),
            web.get("/chat", chat_page),
            web.get("/healthz", health),
            web.get("/metrics", metrics_guard(StoreMetrics(store).handler, console)),
            web.static("/static", WEB_DIR / "static"),
            *webchat.routes(),
        ]
    )
    if telegram is not None:
        app.router.add_post(WEBHOOK_PATH, telegram.webhook)
    mount(
        app,
        store,
        postroom.inbox if postroom is not None else None,
        telegram.staff_chat if telegram is not None else None,
        console,
        files=_file_sources(telegram, facebook),
    )
    if facebook is not None:
        app.router.add_get(FACEBOOK_WEBHOOK_PATH, facebook.verify)
        app.router.add_post(FACEBOOK_WEBHOOK_PATH, facebook.webhook)
    app[STORE] = store
    return app
