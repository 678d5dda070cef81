"""The console's door: security headers on every answer (errors and redirects too), the
encrypted session cookie, who is signed in, CSRF on every form, the inactivity limit,
the admin's second factor, and the audit of every page and action."""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import logging
import secrets
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import aiohttp_session
from aiohttp import web
from aiohttp_session import AbstractStorage, Session
from aiohttp_session.cookie_storage import EncryptedCookieStorage

from helpbot.store.records import Store
from helpbot.store.staff_accounts import SignedIn, StaffAccounts, needs_second_factor
from helpbot.web.console.settings import ConsoleSettings
from helpbot.web.visitor_address import visitor_address

log = logging.getLogger(__name__)
COOKIE = "helpbot_console"
PREFIX = "/console"
OPEN_PATHS = ("/sign-in", "/set-password/")
ROLE_RANK = {"officer": 0, "lead": 1, "admin": 2}

CONSOLE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

STAFF = web.AppKey("console_staff_accounts", StaffAccounts)
CONFIG = web.AppKey("console_settings", ConsoleSettings)
STORE = web.AppKey("console_store", Store)
SIGNED_IN = web.RequestKey("console_signed_in", SignedIn)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def harden(response: web.StreamResponse, https: bool) -> None:
    headers = response.headers
    # A handler may set a stricter policy of its own (the reports chart); never none.
    headers.setdefault("Content-Security-Policy", CONSOLE_CSP)
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    # Pages hold tenants' personal data: never kept by a shared browser or proxy.
    headers.setdefault("Cache-Control", "no-store")
    if https:
        headers["Strict-Transport-Security"] = "max-age=31536000"


def headers_middleware(https: bool) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            response = await handler(request)
        except web.HTTPException as answer:
            harden(answer, https)
            raise
        except Exception as error:
            # A fault is a plain 500 page with the same headers; nothing of it is shown,
            # and only its class and place are logged (no tenant's words in a log line).
            frame = error.__traceback__
            while frame is not None and frame.tb_next is not None:
                frame = frame.tb_next
            where = f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}" if frame else "?"
            log.error("console fault %s at %s", type(error).__name__, where)
            failed = web.HTTPInternalServerError(text="Something went wrong.")
            harden(failed, https)
            raise failed from None
        harden(response, https)
        return response

    return middleware


class StoredKeyStorage(AbstractStorage):
    """aiohttp-session's encrypted cookie, with its key from the setting or, unset, from
    the store (made once, shared by every process), fetched on first use."""

    def __init__(self, accounts: StaffAccounts, settings: ConsoleSettings) -> None:
        self.params: dict[str, Any] = {
            "cookie_name": COOKIE,
            "path": PREFIX,
            "httponly": True,
            "samesite": "Lax",
            "secure": settings.secure_cookie,
            "max_age": None,
        }
        super().__init__(**self.params)
        self.accounts = accounts
        self.secret = settings.console_secret
        self.inner: EncryptedCookieStorage | None = None

    async def _storage(self) -> EncryptedCookieStorage:
        if self.inner is None:
            secret = self.secret or await self.accounts.cookie_key()
            key = hashlib.sha256(("helpbot-console:" + secret).encode()).digest()
            self.inner = EncryptedCookieStorage(key, **self.params)
        return self.inner

    async def load_session(self, request: web.Request) -> Session:
        return await (await self._storage()).load_session(request)

    async def save_session(
        self, request: web.Request, response: web.StreamResponse, session: Session
    ) -> None:
        await (await self._storage()).save_session(request, response, session)


def client_address(request: web.Request, settings: ConsoleSettings) -> str:
    return visitor_address(request, trust_proxy=settings.trusts_proxy)


def is_local(request: web.Request) -> bool:
    """A request from this machine that did not come through a proxy."""
    if "X-Forwarded-For" in request.headers or "Forwarded" in request.headers:
        return False
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


def metrics_guard(handler: Handler, settings: ConsoleSettings | None = None) -> Handler:
    """/metrics for operators only: a bearer token (HELPBOT_METRICS_TOKEN) or this machine."""
    config = settings or ConsoleSettings()

    async def guarded(request: web.Request) -> web.StreamResponse:
        token = config.metrics_token
        offered = request.headers.get("Authorization", "")
        if token and hmac.compare_digest(offered.encode(), f"Bearer {token}".encode()):
            return await handler(request)
        if is_local(request):
            return await handler(request)
        raise web.HTTPForbidden(text="Metrics need a token or a local address.")

    return guarded


def auth_middleware(idle: timedelta) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        session = await aiohttp_session.get_session(request)
        tail = request.path[len(PREFIX) :] if request.path.startswith(PREFIX) else request.path
        if any(tail.startswith(path) for path in OPEN_PATHS):
            if request.method == "POST":
                await check_form_token(request, session.get("pre_csrf"))
            return await handler(request)
        token = session.get("sid")
        signed_in = await request.app[STAFF].resume(token, idle) if token else None
        if signed_in is None:
            if token:
                session.pop("sid", None)
                session["notice"] = "You were signed out after a period of inactivity."
            destination = request.path_qs if request.method == "GET" else PREFIX + "/"
            session["next"] = destination if destination.startswith(PREFIX) else PREFIX + "/"
            raise web.HTTPSeeOther(PREFIX + "/sign-in")
        request[SIGNED_IN] = signed_in
        needs_second = needs_second_factor(signed_in.account) and not signed_in.second_factor_done
        if needs_second and not tail.startswith(("/second-factor", "/sign-out")):
            raise web.HTTPSeeOther(PREFIX + "/second-factor")
        if request.method == "POST":
            await check_form_token(request, signed_in.csrf_token)
        return await handler(request)

    return middleware


async def check_form_token(request: web.Request, expected: str | None) -> None:
    form = await request.post()
    offered = str(form.get("csrf", ""))
    if not expected or not offered or not hmac.compare_digest(offered, expected):
        await request.app[STORE].audit(
            actor=actor_of(request), action="console_csrf_refused", subject=request.path[:160]
        )
        raise web.HTTPForbidden(text="This form has expired. Go back, reload and try again.")


# Row ids are 64-bit. A longer number in a path or a form names nothing, and the
# database driver fails on it ("console fault OverflowError": a 500, outside review).
MAX_ROW_ID = 2**63 - 1


def row_id(value: object) -> int | None:
    """A row id from outside (a path or a form field), or None if it cannot be one."""
    try:
        number = int(str(value).strip())
    except ValueError:
        return None
    return number if 0 < number <= MAX_ROW_ID else None


def path_id(request: web.Request, name: str, missing: str) -> int:
    """The id in the path, or a 404 saying ``missing``."""
    number = row_id(request.match_info[name])
    if number is None:
        raise web.HTTPNotFound(text=missing)
    return number


def actor_of(request: web.Request) -> str:
    signed_in: SignedIn | None = request.get(SIGNED_IN)
    return f"console:{signed_in.account.email}" if signed_in else "console:anonymous"


def staff(request: web.Request) -> SignedIn:
    signed_in: SignedIn = request[SIGNED_IN]
    return signed_in


def require_role(request: web.Request, role: str) -> None:
    if ROLE_RANK.get(staff(request).account.role, -1) < ROLE_RANK[role]:
        raise web.HTTPForbidden(text=f"This page is for the {role} role.")


async def audit(
    request: web.Request, action: str, subject: str | None = None, **detail: Any
) -> None:
    await request.app[STORE].audit(
        actor=actor_of(request), action=action, subject=subject, detail=detail
    )


async def pre_csrf(request: web.Request) -> str:
    """The token for forms shown before signing in (sign-in, set password)."""
    session = await aiohttp_session.get_session(request)
    if not session.get("pre_csrf"):
        session["pre_csrf"] = secrets.token_urlsafe(32)
    return str(session["pre_csrf"])
