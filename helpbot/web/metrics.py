"""GET /metrics for operators (Prometheus text format).

Figures are read from the store at scrape time, so they are right after a restart
and across several processes: open cases by kind, overdue complaints, deliveries not
yet processed, replies that failed. Counts only; nothing personal.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Gauge,
    ProcessCollector,
    generate_latest,
)
from sqlalchemy import func, select

from helpbot.desk.complaints_clock import LONDON
from helpbot.store import models
from helpbot.store.casebook import deadline_on_or_before
from helpbot.store.records import Store


class StoreMetrics:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.registry = CollectorRegistry()
        ProcessCollector(registry=self.registry)
        self.open_cases = Gauge(
            "helpbot_cases_open", "Open cases by kind", ["kind"], registry=self.registry
        )
        self.overdue = Gauge(
            "helpbot_complaints_overdue",
            "Open complaints past an acknowledgement or response deadline",
            registry=self.registry,
        )
        self.unprocessed = Gauge(
            "helpbot_updates_unprocessed",
            "Deliveries stored but not yet processed",
            registry=self.registry,
        )
        self.messages = Gauge(
            "helpbot_messages", "Messages stored", ["direction", "status"], registry=self.registry
        )

    async def refresh(self) -> None:
        today = datetime.now(LONDON).date()
        case = models.Case
        async with self.store.sessions() as session:
            self.open_cases.clear()
            rows = await session.execute(
                select(case.kind, func.count(case.id))
                .where(case.status == "open")
                .group_by(case.kind)
            )
            for kind, count in rows:
                self.open_cases.labels(kind=kind).set(count)
            overdue = await session.scalar(
                select(func.count(case.id)).where(
                    case.kind == "complaint",
                    case.status == "open",
                    deadline_on_or_before(today - timedelta(days=1)),
                )
            )
            self.overdue.set(overdue or 0)
            update = models.ChannelUpdate
            pending = await session.scalar(
                select(func.count(update.id)).where(update.processed_at.is_(None))
            )
            self.unprocessed.set(pending or 0)
            self.messages.clear()
            message = models.Message
            rows = await session.execute(
                select(message.direction, message.status, func.count(message.id)).group_by(
                    message.direction, message.status
                )
            )
            for direction, status, count in rows:
                self.messages.labels(direction=direction, status=status).set(count)

    async def handler(self, request: web.Request) -> web.Response:
        await self.refresh()
        return web.Response(
            body=generate_latest(self.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )
