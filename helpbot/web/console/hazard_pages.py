"""The console's side of the hazard clock (Awaab's Law): the hazard panel on a case page
(its category, reason, due dates and the answers the tenant gave), the written summary
as a PDF, and the hazards report. Deciding a category and recording a step are the
staff room's own commands, sent through the inbox like every other case action
(``pages.case_action``)."""

from __future__ import annotations

from datetime import UTC, datetime, time
from typing import Any

from aiohttp import web

import helpbot.web.console.guard as guard
from helpbot.desk.hazards.clock import due_text, is_missed, met
from helpbot.desk.hazards.kinds import KINDS, label
from helpbot.desk.hazards.notes import step_name
from helpbot.desk.hazards.questions import LABELS
from helpbot.desk.hazards.reading import AT_RISK
from helpbot.desk.hazards.timetable import (
    CATEGORIES,
    MAKE_SAFE,
    SIGNIFICANT,
    SUMMARY,
    TIMESCALES,
    WORKS,
)
from helpbot.desk.records import Hazard, HazardStep
from helpbot.printouts.hazard_summary import summary_pdf
from helpbot.store import models
from helpbot.store.case_search import CaseSearch
from helpbot.store.hazard_book import HazardBook, step_record
from helpbot.working_days import LONDON, local_day

# The case page's hazard forms and the staff-room command each one sends.
HAZARD_ACTIONS = {
    "hazard": "hazard",
    "investigated": "investigated",
    "made_safe": "made_safe",
    "summary_sent": "summary_sent",
    "works_started": "works_started",
    "works_later": "works_later",
    "alternative_offered": "alternative_offered",
}
HAZARD_NEEDS_TEXT = {"hazard", "investigated", "summary_sent", "works_later", "alternative_offered"}


def _state(step: HazardStep, now: datetime) -> str:
    on_time = met(step)
    if on_time is True:
        return "done on time"
    if on_time is False:
        return "done late"
    return "missed" if is_missed(step, now) else "due"


async def case_context(store: Any, case: models.Case) -> dict[str, Any]:
    """What the case page shows about the case's hazard (empty for other kinds)."""
    book = HazardBook(store)
    hazard = await book.hazard(case.id)
    details = await book.details(case.id)
    if hazard is None and details is None and case.kind not in ("repair", "emergency"):
        return {}
    now = datetime.now(UTC)
    steps = []
    if hazard is not None:
        steps = [
            {
                "name": step_name(s.step, hazard.clock),
                "due": due_text(s),
                "done_at": s.done_at,
                "done_by": s.done_by,
                "note": s.note,
                "state": _state(s, now),
            }
            for s in hazard.steps
        ]
    answers = [
        (LABELS.get(question, question), text)
        for question, text in (details.answers.items() if details else ())
    ]
    at_risk = [AT_RISK[k] for k in (hazard.at_risk if hazard else ()) if k in AT_RISK]
    return {
        "hazard_panel": True,
        "hazard": hazard,
        "hazard_label": label(hazard.kind) if hazard else "",
        "hazard_steps": steps,
        "hazard_answers": answers,
        "hazard_at_risk": at_risk,
        "hazard_categories": CATEGORIES,
        "hazard_kinds": KINDS,
        "hazard_has_summary": bool(hazard and hazard.summary),
        "hazard_then": _then(hazard),
    }


def _then(hazard: Hazard | None) -> str:
    """Before the investigation ends, the steps counted from it, in words."""
    if hazard is None or hazard.clock != SIGNIFICANT or hazard.step(SUMMARY) is not None:
        return ""
    scales = TIMESCALES[SIGNIFICANT]
    return (
        "Then, from the end of the investigation: written summary within "
        f"{scales[SUMMARY].working_days} working days, safety work within "
        f"{scales[MAKE_SAFE].working_days}, further work begun within "
        f"{scales[WORKS].working_days}."
    )


async def summary_download(request: web.Request) -> web.Response:
    store = request.app[guard.STORE]
    case = await CaseSearch(store).case(request.match_info["ref"])
    if case is None:
        raise web.HTTPNotFound(text="No such case.")
    hazard = await HazardBook(store).hazard(case.id)
    if hazard is None or not hazard.summary:
        raise web.HTTPNotFound(text="This case has no written summary yet.")
    await guard.audit(request, "console_hazard_summary_pdf", case.ref)
    step = hazard.step(SUMMARY)
    body = summary_pdf(case.ref, hazard.summary, step.done_at if step else None)
    return web.Response(
        body=body,
        content_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="{case.ref}-summary.pdf"'},
    )


async def report_context(store: Any) -> dict[str, Any]:
    """The hazards report: by kind and category, steps met on time, and the open
    hazards with someone at higher risk first."""
    book = HazardBook(store)
    now = datetime.now(UTC)
    report = await book.report(now, local_day(now))
    rows = []
    for hazard, case, steps in await book.open_hazards():
        undone = [step_record(s) for s in steps if s.done_at is None and (s.due_at or s.due_on)]
        first = min(undone, key=_due_key) if undone else None
        rows.append(
            {
                "case": case,
                "kind": label(hazard.kind),
                "category": hazard.clock or hazard.confirmed or hazard.proposed,
                "decided": bool(hazard.confirmed),
                "at_risk": [AT_RISK[k] for k in hazard.at_risk or () if k in AT_RISK],
                "next": step_name(first.step, hazard.clock) if first else "",
                "due": due_text(first) if first else "",
                "missed": bool(first and is_missed(first, now)),
            }
        )
    table = [
        (label(kind), category, count)
        for (kind, category), count in sorted(report.by_kind_category.items())
    ]
    return {"report": report, "table": table, "rows": rows}


def _due_key(step: HazardStep) -> datetime:
    if step.due_at is not None:
        return step.due_at
    assert step.due_on is not None
    return datetime.combine(step.due_on, time(23, 59), tzinfo=LONDON)


def routes() -> list[web.RouteDef]:
    return [
        web.get("/cases/{ref}/hazard-summary.pdf", summary_download),
    ]
