"""The subject's report as a PDF (reportlab): subject, sessions, trends with dated axes, and per
session its overlay picture, values with units, quality flags and warnings; the "measurements,
not diagnoses" notice on the first page and in every page's footer. A4 or Letter.

The CLI (``python -m core report``) and the Sessions review page both call :func:`subject_pdf`.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from core.errors import InputError
from core.measure.display import UNRELIABLE_NOTE, display_info, format_number, unreliable
from core.reports.charts import trend_metrics, trend_png
from core.reports.content import ReportContent, SessionContent, report_content, trend_frame
from core.reports.notice import DISCLAIMER, PLANE_NOTE, UNRELIABLE_LEGEND
from core.store import Store, Subject

#: Paper names the CLI and the page offer.
PAPERS = ("a4", "letter")
_MARGIN_CM = 1.8
#: Longest side (pixels) of a picture as embedded.
MAX_IMAGE_PX = 1600
#: PDF points per centimetre.
cm = 72 / 2.54


@functools.cache
def _fonts() -> tuple[str, str]:
    """(regular, bold) font names. DejaVu Sans (shipped inside matplotlib) covers the Latin,
    Greek and Cyrillic letters a label may hold and "°"; reportlab's built-in Helvetica only has
    Latin-1. Helvetica is the fallback when the file is missing."""
    import matplotlib
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFError, TTFont

    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    try:
        pdfmetrics.registerFont(TTFont("DejaVuSans", str(folder / "DejaVuSans.ttf")))
        pdfmetrics.registerFont(TTFont("DejaVuSans-Bold", str(folder / "DejaVuSans-Bold.ttf")))
    except (OSError, TTFError):
        return "Helvetica", "Helvetica-Bold"
    return "DejaVuSans", "DejaVuSans-Bold"


def _styles() -> dict[str, object]:
    from reportlab.lib.styles import ParagraphStyle

    regular, bold = _fonts()
    base = ParagraphStyle("base", fontName=regular, fontSize=9, leading=11.5)
    return {
        "body": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7.5, leading=9.5),
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=16, leading=20),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=bold, fontSize=12, leading=15, spaceBefore=8, spaceAfter=4
        ),
        "notice": ParagraphStyle(
            "notice",
            parent=base,
            fontName=bold,
            borderColor="#999999",
            borderWidth=0.6,
            borderPadding=5,
            backColor="#F2F2F2",
            spaceBefore=6,
            spaceAfter=10,
        ),  # fmt: skip
        "cell": ParagraphStyle("cell", parent=base, fontSize=8, leading=10),
        "head": ParagraphStyle("head", parent=base, fontName=bold, fontSize=8, leading=10),
    }


def _p(text: object, style: object) -> object:
    from reportlab.platypus import Paragraph

    # Paragraph reads a small markup language: every stored text (labels, notes) is escaped.
    return Paragraph(escape(str(text)), style)


def _table(
    header: list[str], rows: Sequence[Sequence[object]], widths: list[float], st: dict
) -> object:
    from reportlab.lib import colors
    from reportlab.platypus import Table, TableStyle

    data = [[_p(h, st["head"]) for h in header]] + [[_p(c, st["cell"]) for c in r] for r in rows]
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#BBBBBB")),
                ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#E8E8E8")),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _when(created_utc: str) -> str:
    return created_utc[:16].replace("T", " ") + " UTC"


def values_rows(values: pd.DataFrame) -> list[list[str]]:
    """One row per metric: measure in words, then the value without a side, left, right (each
    formatted with its unit; "not measured" for NaN; "(unreliable)" after a value stored as
    unreliable; "" where the measure has no such side)."""
    out: dict[str, list[str]] = {}
    for metric, side, value, unit, flagged in zip(
        values["metric"], values["side"], values["value"], values["unit"], unreliable(values)
    ):
        info = display_info(str(metric), "", str(unit))
        row = out.setdefault(str(metric), [info.name, "", "", ""])
        col = {"": 1, "left": 2, "right": 3}.get(str(side or ""), 1)
        row[col] = format_number(value, info.unit) + UNRELIABLE_NOTE * flagged
    return list(out.values())


def _image(png: bytes, max_w: float, max_h: float) -> object:
    """The picture scaled to fit ``max_w`` x ``max_h`` points; a photo larger than
    :data:`MAX_IMAGE_PX` is downsized first (still ~240 dpi across the page), so a report of many
    12-megapixel overlays stays a file that can be mailed."""
    from PIL import Image as PILImage
    from reportlab.platypus import Image

    with PILImage.open(io.BytesIO(png)) as im:
        w, h = im.size
        if max(w, h) > MAX_IMAGE_PX:
            im.thumbnail((MAX_IMAGE_PX, MAX_IMAGE_PX))
            buf = io.BytesIO()
            im.save(buf, format="PNG")
            png, (w, h) = buf.getvalue(), im.size
    scale = min(max_w / w, max_h / h)
    return Image(io.BytesIO(png), width=w * scale, height=h * scale, hAlign="LEFT")


def _front(content: ReportContent, st: dict, width: float) -> list[object]:
    s = content.subject
    height = f"{s.height_m:.2f} m" if s.height_m else "not given"
    age = content.age_years
    born = f"{s.birth_year} (age {age - 1}-{age})" if age is not None else "not given"
    consent = f"yes ({s.consent_date})" if s.consent and s.consent_date else str(s.consent).lower()
    made = content.made_utc.strftime("%Y-%m-%d %H:%M UTC")
    story = [
        _p(f"Sapiens Measure report: {s.label}", st["title"]),
        _p(DISCLAIMER, st["notice"]),
        _p(UNRELIABLE_LEGEND, st["small"]),
        _table(
            ["Subject (pseudonym)", "Height", "Year of birth", "Consent", "Report made"],
            [[s.label, height, born, consent, made]],
            [width * f for f in (0.28, 0.12, 0.2, 0.18, 0.22)],
            st,
        ),
        _p("Sessions", st["h2"]),
    ]
    rows = [
        [f"#{sc.session.id}", _when(sc.session.created_utc), sc.session.kind,
         f"{sc.session.backend} / {sc.session.model} {sc.session.size}".strip(), sc.session.notes]
        for sc in content.sessions
    ]  # fmt: skip
    story.append(
        _table(
            ["Session", "Date", "Kind", "Backend / model", "Notes"],
            rows,
            [width * f for f in (0.11, 0.2, 0.1, 0.27, 0.32)],
            st,
        )
    )
    return story


def _trends(content: ReportContent, st: dict, width: float) -> list[object]:
    from reportlab.platypus import Table

    trend = trend_frame(content)
    pairs = trend_metrics(trend)
    if not pairs:
        return [_p("Trends: fewer than two sessions of a kind share a measure yet.", st["small"])]
    story: list[object] = [
        _p("Trends", st["h2"]),
        _p("Each chart compares sessions of one kind only; dates and times are UTC.", st["small"]),
    ]
    for kind in dict.fromkeys(k for k, _ in pairs):
        story.append(_p(f"{kind.capitalize()} sessions", st["body"]))
        cells = [
            _image(trend_png(trend, kind, m), width / 2 - 6, 7 * cm) for k, m in pairs if k == kind
        ]
        grid = [
            cells[i : i + 2] + [""] * (2 - len(cells[i : i + 2])) for i in range(0, len(cells), 2)
        ]
        story.append(Table(grid, colWidths=[width / 2] * 2, hAlign="LEFT"))
    return story


def _session(sc: SessionContent, st: dict, width: float) -> list[object]:
    s = sc.session
    threshold = "" if s.threshold is None else f", threshold {s.threshold:g}"
    story: list[object] = [
        _p(f"Session #{s.id}: {s.kind}, {_when(s.created_utc)}", st["h2"]),
        _p(f"{s.backend} / {s.model} {s.size} on {s.device} ({s.dtype}){threshold}", st["small"]),
    ]
    if s.notes:
        story.append(_p(f"Notes: {s.notes}", st["body"]))
    if sc.image is not None:
        story += [_image(sc.image, width * 0.75, 10 * cm), _p(sc.image_caption, st["small"])]
    else:
        story.append(_p("No overlay picture was saved with this session.", st["small"]))
    if len(sc.values):
        story += [
            _p("Measures", st["h2"]),
            _table(
                ["Measure", "Value", "Left", "Right"],
                values_rows(sc.values),
                [width * f for f in (0.4, 0.2, 0.2, 0.2)],
                st,
            ),
        ]
    if len(sc.quality):
        story += [
            _p("Quality flags", st["h2"]),
            _table(["Flag", "Value", "Left", "Right"], values_rows(sc.quality),
                   [width * f for f in (0.4, 0.2, 0.2, 0.2)], st),
        ]  # fmt: skip
    if sc.warnings:
        story.append(_p("Warnings", st["h2"]))
        story += [_p(f"• {w}", st["body"]) for w in sc.warnings]
    story.append(_p(PLANE_NOTE, st["small"]))
    return story


def build_pdf(content: ReportContent, *, paper: str = "a4") -> bytes:
    """The report of ``content`` as PDF bytes, on ``paper`` ("a4" or "letter")."""
    from reportlab.lib.pagesizes import A4, LETTER
    from reportlab.platypus import PageBreak, SimpleDocTemplate

    sizes = {"a4": A4, "letter": LETTER}
    if paper not in sizes:
        raise InputError(f"paper must be one of {', '.join(PAPERS)}, got {paper!r}")
    st = _styles()
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=sizes[paper], leftMargin=_MARGIN_CM * cm, rightMargin=_MARGIN_CM * cm,
        topMargin=_MARGIN_CM * cm, bottomMargin=_MARGIN_CM * cm,
        title=f"Sapiens Measure report: {content.subject.label}", author="Sapiens Measure",
        subject=DISCLAIMER,
    )  # fmt: skip
    width = doc.width
    story = _front(content, st, width) + _trends(content, st, width)
    for sc in content.sessions:
        story += [PageBreak(), *_session(sc, st, width)]
    label = content.subject.label
    footer_font = _fonts()[0]

    def footer(canvas: Any, d: Any) -> None:  # reportlab's Canvas and doc: untyped package
        canvas.saveState()
        canvas.setFont(footer_font, 7)
        text = f"{label} · page {d.page} · Measurements, not diagnoses."
        canvas.drawString(_MARGIN_CM * cm, 1.0 * cm, text)
        canvas.restoreState()

    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


def subject_pdf(
    store: Store, subject: Subject, *, paper: str = "a4", session_ids: list[int] | None = None
) -> bytes:
    """The report of ``subject`` (all its sessions, or those in ``session_ids``) as PDF bytes."""
    return build_pdf(report_content(store, subject, session_ids=session_ids), paper=paper)
