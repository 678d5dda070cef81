"""GET /metrics for operators (Prometheus text format).

Figures are read from the store at scrape time, so they are right after a restart
and across several processes: open cases by kind, overdue complaints, the inbox and
the outbox by state with the oldest waiting, replies not delivered. Counts only;
nothing personal.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

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
from helpbot.postroom.inbox import Inbox
from helpbot.postroom.outbox import Outbox
from helpbot.store import models
from helpbot.store.casebook import deadline_on_or_before
from helpbot.store.hazard_book import HazardBook
from helpbot.store.records import Store


class StoreMetrics:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.inbox_counts = Inbox(store).counts
        self.outbox_counts = Outbox(store).counts
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
        self.inbox = Gauge(
            "helpbot_inbox_events", "Inbound events by state", ["status"], registry=self.registry
        )
        self.inbox_oldest = Gauge(
            "helpbot_inbox_oldest_seconds",
            "Age of the oldest event in a state (pending: waiting to be handled; parked: "
            "failed repeatedly, see `helpbot inbox`)",
            ["status"],
            registry=self.registry,
        )
        self.outbox = Gauge(
            "helpbot_outbox_items",
            "Outgoing actions by state (undelivered: given up; unconfirmed: no answer came back)",
            ["status"],
            registry=self.registry,
        )
        self.outbox_oldest = Gauge(
            "helpbot_outbox_oldest_seconds",
            "Age of the oldest outgoing action still waiting or being sent",
            ["status"],
            registry=self.registry,
        )
        self.messages = Gauge(
            "helpbot_messages", "Messages stored", ["direction", "status"], registry=self.registry
        )
        # Awaab's Law: hazards by kind and the category their clock runs (or the decided or
        # proposed one when none runs), steps met on time, open hazards by higher risk.
        self.hazards = Gauge(
            "helpbot_hazards",
            "Hazards by kind and category",
            ["kind", "category"],
            registry=self.registry,
        )
        self.hazard_steps = Gauge(
            "helpbot_hazard_steps",
            "Hazard clock steps that fell due (done, or past due) and those met on time",
            ["outcome"],
            registry=self.registry,
        )
        self.hazard_met = Gauge(
            "helpbot_hazard_steps_met_ratio",
            "Share of hazard steps that fell due which were met on time (1 when none fell due)",
            registry=self.registry,
        )
        self.hazards_open = Gauge(
            "helpbot_hazards_open",
            "Open hazards, by whether someone at home is at higher risk",
            ["at_risk"],
            registry=self.registry,
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
            self.messages.clear()
            message = models.Message
            rows = await session.execute(
                select(message.direction, message.status, func.count(message.id)).group_by(
                    message.direction, message.status
                )
            )
            for direction, status, count in rows:
                self.messages.labels(direction=direction, status=status).set(count)
        # Outside the session above: on SQLite's one connection a second session would
        # wait for the first.
        now = models.utcnow()
        await self._hazards(now, today)
        for gauge, oldest_gauge, counts, waiting in (
            (self.inbox, self.inbox_oldest, self.inbox_counts, ("pending", "parked")),
            (self.outbox, self.outbox_oldest, self.outbox_counts, ("pending", "sending")),
        ):
            gauge.clear()
            oldest_gauge.clear()
            for status, (count, oldest) in (await counts()).items():
                gauge.labels(status=status).set(count)
                if status in waiting:
                    age = (now - oldest).total_seconds() if oldest else 0.0
                    oldest_gauge.labels(status=status).set(max(0.0, age))

    async def _hazards(self, now: datetime, today: date) -> None:
        report = await HazardBook(self.store).report(now, today)
        self.hazards.clear()
        for (kind, category), count in report.by_kind_category.items():
            self.hazards.labels(kind=kind, category=category).set(count)
        self.hazard_steps.labels(outcome="due").set(report.steps_due)
        self.hazard_steps.labels(outcome="met").set(report.steps_met)
        met = report.met_percent
        self.hazard_met.set(1.0 if met is None else met / 100)
        self.hazards_open.labels(at_risk="yes").set(report.open_at_risk)
        self.hazards_open.labels(at_risk="no").set(report.open_total - report.open_at_risk)

    async def handler(self, request: web.Request) -> web.Response:
        try:
            await self.refresh()
        except Exception as error:  # the store is down: say so, without a traceback
            return web.Response(status=503, text=f"# store unavailable: {type(error).__name__}\n")
        return web.Response(
            body=generate_latest(self.registry),
            headers={"Content-Type": CONTENT_TYPE_LATEST},
        )
