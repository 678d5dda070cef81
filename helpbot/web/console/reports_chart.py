"""Reports' chart, drawn on the server as SVG (matplotlib), so the page runs no script."""

from __future__ import annotations

import asyncio
import io

from helpbot.store.case_search import Report


def _draw(report: Report) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8, 3.2))
    axes = figure.subplots()
    labels = [f"{week:%d %b}" for week in report.weeks]
    opened = [sum(report.opened[week].values()) for week in report.weeks]
    closed = [sum(report.closed[week].values()) for week in report.weeks]
    positions = range(len(labels))
    axes.bar([p - 0.2 for p in positions], opened, width=0.4, label="opened", color="#1d4e89")
    axes.bar([p + 0.2 for p in positions], closed, width=0.4, label="closed", color="#e07b00")
    axes.set_xticks(list(positions), labels, rotation=45, ha="right", fontsize=8)
    axes.set_ylabel("cases")
    axes.set_title("Cases opened and closed per week")
    axes.legend()
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    return buffer.getvalue()


async def weekly_chart_svg(report: Report) -> str:
    return await asyncio.to_thread(_draw, report)
