"""The staff console: housing officers review, search and work cases in a browser.

Mounted on the one aiohttp app at /console. Pages read the store; actions go through
the inbox as the staff room's own commands, so the desk applies one set of rules.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp_jinja2
import aiohttp_session
import jinja2
from aiohttp import web

from helpbot.channels.attachments import FileSource
from helpbot.desk.events import ChatRef
from helpbot.postroom.inbox import Inbox
from helpbot.store.privacy import Privacy
from helpbot.store.records import Store
from helpbot.store.staff_accounts import StaffAccounts
from helpbot.web.console import case_files, guard, pages
from helpbot.web.console.settings import ConsoleSettings
from helpbot.web.console.staff_commands import CHANNEL, StaffCommands, translate

__all__ = ["CHANNEL", "ConsoleSettings", "console_app", "mount", "translate"]

log = logging.getLogger(__name__)
TEMPLATES = Path(__file__).resolve().parent.parent / "templates" / "console"
SWEEP_EVERY = timedelta(days=1)


def _local(value: datetime | None, pattern: str = "%d %b %Y %H:%M") -> str:
    from helpbot.desk.complaints_clock import LONDON

    return value.astimezone(LONDON).strftime(pattern) if value else "-"


def console_app(
    store: Store,
    inbox: Inbox | None,
    staff_chat: ChatRef | None,
    settings: ConsoleSettings | None = None,
    *,
    daily_sweep: bool = True,
    files: Mapping[str, FileSource] | None = None,
) -> web.Application:
    config = settings or ConsoleSettings()
    accounts = StaffAccounts(store)
    app = web.Application(
        middlewares=[
            guard.headers_middleware(config.secure_cookie),
            aiohttp_session.session_middleware(guard.StoredKeyStorage(accounts, config)),
            guard.auth_middleware(timedelta(minutes=config.console_idle_minutes)),
        ]
    )
    environment = aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
    )
    environment.filters["local"] = _local
    app[guard.STORE] = store
    app[guard.STAFF] = accounts
    app[guard.CONFIG] = config
    app[pages.COMMANDS] = StaffCommands(store, inbox, staff_chat)
    # The channels a tenant's photo or file can be fetched from, by channel name.
    app[case_files.SOURCES] = dict(files or {})
    app.add_routes(pages.routes())
    if daily_sweep:
        app.cleanup_ctx.append(_retention(store, config))
    return app


def _retention(store: Store, config: ConsoleSettings):  # type: ignore[no-untyped-def]
    """The retention sweep once a day while the server runs (and on demand from the
    console or `helpbot privacy sweep`)."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        async def daily() -> None:
            while True:
                await asyncio.sleep(SWEEP_EVERY.total_seconds())
                try:
                    await Privacy(store).sweep(
                        datetime.now(UTC),
                        closed_case_days=config.retention_closed_case_days,
                        raw_days=config.retention_raw_days,
                    )
                except Exception as error:  # tomorrow's run tries again
                    log.warning("retention sweep failed: %s", type(error).__name__)

        task = asyncio.get_running_loop().create_task(daily())
        yield
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task

    return context


def mount(
    app: web.Application,
    store: Store,
    inbox: Inbox | None,
    staff_chat: ChatRef | None,
    settings: ConsoleSettings | None = None,
    files: Mapping[str, FileSource] | None = None,
) -> None:
    """Put the console at /console on the main app."""

    async def to_inbox(request: web.Request) -> web.Response:
        raise web.HTTPFound(guard.PREFIX + "/")

    app.router.add_get(guard.PREFIX, to_inbox)
    app.add_subapp(guard.PREFIX, console_app(store, inbox, staff_chat, settings, files=files))
