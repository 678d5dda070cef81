"""A tenant's photo, document, video or voice note on a case, shown to a signed-in
colleague: fetched from the channel it came on (we keep no copy) and streamed back
with headers that keep it private and stop it running as a page. Every view is in
the audit log; where retention or erasure removed the raw event, the file is gone."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from aiohttp import web

import helpbot.web.console.guard as guard
from helpbot.channels.attachments import MAX_FILE_BYTES, FileRef, FileSource, FileTooLarge
from helpbot.store.case_files import CaseFiles, SentFile
from helpbot.store.case_search import CaseSearch, TimelineEntry

log = logging.getLogger(__name__)
SOURCES = web.AppKey("console_file_sources", dict[str, FileSource])

# What the case page says of each attachment.
KEPT, GONE, NOT_KEPT = "kept", "gone", "not_kept"


def file_of(sources: Mapping[str, FileSource], sent: SentFile) -> FileRef | None:
    source = sources.get(sent.channel)
    if source is None or sent.channel_message_id is None:
        return None
    for payload in sent.payloads:
        ref = source.file_in(payload, sent.channel_message_id)
        if ref is not None:
            return ref
    return None


def state_of(sources: Mapping[str, FileSource], sent: SentFile) -> str:
    """Kept (a link), gone (its raw event removed by retention or erasure), or not kept
    (the channel never gave us a way to fetch it, as with a Facebook comment's photo)."""
    if file_of(sources, sent) is not None:
        return KEPT
    if sent.channel in sources and not sent.payloads:
        return GONE
    return NOT_KEPT


async def mark_files(app: web.Application, case_id: int, timeline: list[TimelineEntry]) -> None:
    """Say on each attachment entry whether its file can be opened."""
    files = CaseFiles(app[guard.STORE])
    sources = app[SOURCES]
    for entry in timeline:
        message_id = entry.detail.get("message_id")
        if entry.kind != "attachment" or not isinstance(message_id, int):
            continue
        sent = await files.sent(case_id, message_id)
        ref = file_of(sources, sent) if sent is not None else None
        entry.detail["file"] = state_of(sources, sent) if sent is not None else GONE
        entry.detail["image"] = ref is not None and ref.inline


async def case_file(request: web.Request) -> web.StreamResponse:
    store = request.app[guard.STORE]
    case = await CaseSearch(store).case(request.match_info["ref"])
    if case is None:
        raise web.HTTPNotFound(text="No such case.")
    message_id = guard.path_id(request, "message_id", "No such file on this case.")
    sent = await CaseFiles(store).sent(case.id, message_id)
    if sent is None:
        raise web.HTTPNotFound(text="No such file on this case.")
    await guard.audit(request, "console_view_file", case.ref, message_id=message_id)
    source = request.app[SOURCES].get(sent.channel)
    ref = file_of(request.app[SOURCES], sent)
    if source is None or ref is None:
        raise web.HTTPGone(text="This file is no longer kept.")
    try:
        data = await source.download(ref, MAX_FILE_BYTES)
    except FileTooLarge:
        raise web.HTTPRequestEntityTooLarge(
            max_size=MAX_FILE_BYTES, actual_size=ref.size or 0, text="This file is too large."
        ) from None
    except Exception as error:  # the channel's fault; its class only, never the file
        log.warning("tenant file fetch failed on %s: %s", sent.channel, type(error).__name__)
        raise web.HTTPBadGateway(text="The file could not be fetched. Try again later.") from None
    disposition = "inline" if ref.inline else "attachment"
    headers: dict[str, Any] = {
        "Content-Disposition": f'{disposition}; filename="{_safe_name(ref.file_name)}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
        # Opened on its own it is a picture or a download, never a page.
        "Content-Security-Policy": "default-src 'none'; sandbox; frame-ancestors 'none'",
    }
    return web.Response(body=data, content_type=ref.served_type, headers=headers)


def _safe_name(name: str) -> str:
    """A header-safe file name: letters, digits, dots and dashes (the tenant chose it)."""
    kept = "".join(c if c.isascii() and (c.isalnum() or c in ".-_") else "-" for c in name)
    return kept.strip(".-")[:80] or "file"


def routes() -> list[web.RouteDef]:
    return [web.get("/cases/{ref}/files/{message_id:\\d+}", case_file)]
