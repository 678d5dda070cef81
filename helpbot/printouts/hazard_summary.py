"""The written summary of a hazard investigation (Awaab's Law) as a PDF, for a colleague
to download from the console and post, email or hand over: the same words the tenant
was sent, on one page with SHAL's name, the case reference and the date.

fpdf2 writes it (pure Python, well kept, no system libraries). It embeds DejaVu Sans,
which matplotlib already ships, so any name or accent prints as written; without it
the core Helvetica font is used and characters it lacks are replaced.
"""

from __future__ import annotations

import importlib.util
import re
from datetime import datetime
from functools import lru_cache
from pathlib import Path

from helpbot.working_days import LONDON

_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
TITLE = "Written summary of our investigation"
FOOTER = "SHAL · 01278 444344 · information@shal.org"


@lru_cache(maxsize=1)
def _font() -> Path | None:
    spec = importlib.util.find_spec("matplotlib")
    if spec is None or spec.origin is None:
        return None
    path = Path(spec.origin).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"
    return path if path.exists() else None


def summary_pdf(ref: str, text: str, sent_at: datetime | None) -> bytes:
    """One A4 page (more if the text is long): title, reference, date, the summary."""
    # Imported here, not at the top: fpdf2 and what it brings cost every serving
    # process about 18 MB resident, for a page a colleague downloads now and then.
    from fpdf import FPDF

    # Control characters have no glyph: a tab is spaces, the rest go.
    text = _CONTROL.sub("", text.replace("\t", "    "))
    pdf = FPDF(format="A4")
    pdf.set_title(f"{TITLE} {ref}")
    pdf.set_author("SHAL")
    pdf.set_creation_date(sent_at or datetime.now(LONDON))
    font = _font()
    family = "Helvetica"
    if font is not None:
        pdf.add_font("DejaVu", fname=str(font))
        family = "DejaVu"
    else:
        text = text.encode("latin-1", "replace").decode("latin-1")
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(True, margin=20)
    pdf.add_page()
    pdf.set_font(family, size=16)
    pdf.multi_cell(0, 9, TITLE, align="L")
    pdf.ln(2)
    pdf.set_font(family, size=11)
    day = f"{sent_at.astimezone(LONDON):%d %B %Y}" if sent_at else "not yet sent"
    pdf.multi_cell(0, 6, f"Case {ref} · sent {day}", align="L")
    pdf.ln(6)
    pdf.set_font(family, size=12)
    pdf.multi_cell(0, 6.5, text, align="L")
    pdf.ln(10)
    pdf.set_font(family, size=9)
    pdf.multi_cell(0, 5, FOOTER, align="L")
    return bytes(pdf.output())
