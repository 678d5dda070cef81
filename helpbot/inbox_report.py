"""``helpbot inbox``: what is waiting, what is parked and why, for operators.

Ids, channels, states and error class names only: never a message's text (Privacy).
"""

from __future__ import annotations

from typing import TextIO

from helpbot.desk.complaints_clock import LONDON
from helpbot.postroom.inbox import Inbox
from helpbot.postroom.outbox import Outbox
from helpbot.store import models
from helpbot.store.records import Store


async def print_inbox(url: str, out: TextIO, status: str | None = None) -> int:
    store = Store.from_url(url)
    try:
        inbox, outbox = Inbox(store), Outbox(store)
        counts = await inbox.counts()
        now = models.utcnow()
        for name in ("pending", "parked", "done"):
            count, oldest = counts[name]
            age = ""
            if oldest is not None and name != "done":
                seconds = (now - oldest).total_seconds()
                age = f", oldest waiting {max(0, int(seconds))}s"
            print(f"inbox {name}: {count}{age}", file=out)
        sends = await outbox.counts()
        print(
            "outbox: "
            + ", ".join(
                f"{name} {sends[name][0]}"
                for name in ("pending", "sending", "sent", "undelivered", "unconfirmed")
            ),
            file=out,
        )
        rows = await inbox.listing(status)
        if not rows:
            print("Nothing waiting or parked.", file=out)
            return 0
        print(
            f"{'ID':>8} {'CHANNEL':<9} {'STATUS':<8} {'TRIES':>5} {'RECEIVED':<17} ERROR", file=out
        )
        for row in rows:
            received = row.received_at.astimezone(LONDON)
            print(
                f"{row.id:>8} {row.channel:<9} {row.status:<8} {row.attempts:>5} "
                f"{received:%d %b %Y %H:%M} {row.error_class or '-'}",
                file=out,
            )
        return 0
    finally:
        await store.close()


async def retry_event(url: str, event_id: int, out: TextIO) -> int:
    store = Store.from_url(url)
    try:
        if not 0 < event_id < 2**63:
            print(f"No event {event_id}.", file=out)
            return 1
        if await Inbox(store).retry(event_id):
            print(
                f"Event {event_id} is back in line; a running bot takes it up within a second.",
                file=out,
            )
            return 0
        print(f"No parked or waiting event {event_id} (done events are not re-run).", file=out)
        return 1
    finally:
        await store.close()
