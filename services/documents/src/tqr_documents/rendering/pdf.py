"""The application form as PDF (R-APP-5): A4 portrait, laid out as a paper form to print and sign.

Page 1 carries the whole form; a work history too long for page 1 continues on extra pages, which
repeat the application number. Output is byte-for-byte reproducible for the same input (no
creation date or random id), so a cached copy and a fresh render are the same file.

ReportLab keeps per-document state in the shared font objects, and rendering is CPU-bound, so
renders in one process are serialised by a lock; scale out with processes, not threads.
"""

from __future__ import annotations

import io
import logging
import math
import threading

from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas

from tqr_documents.domain.form import ApplicationForm
from tqr_documents.rendering import view as text
from tqr_documents.rendering.fonts import FONT_NAME, LABEL_FONT_NAME, ensure_font, missing_glyphs
from tqr_documents.rendering.images import normalized_photo
from tqr_documents.rendering.pdf_cells import PageInk, qr_code
from tqr_documents.rendering.view import FormView, Row, build_view

log = logging.getLogger(__name__)

PAGE_W, PAGE_H = A4
LEFT = 40.0
WIDTH = PAGE_W - 2 * LEFT
RIGHT = LEFT + WIDTH
TOP = PAGE_H - 34.0
BOTTOM = 34.0
ROW_H = 17.0
SECTION_H = 15.0
LABEL_W = 76.0
PHOTO_W = 84.0
QR_SIZE = 80.0
HEADER_H = 96.0
CONTINUATION_HEADER_H = 56.0
SIGNATURE_H = 40.0
OPINION_H = 76.0
ASSESSMENTS_PER_ROW = 5
HISTORY_WIDTHS = (80.0, 80.0, WIDTH - 80.0 - 80.0 - 110.0, 110.0)

HistoryRow = tuple[str, str, str, str]

_render_lock = threading.Lock()


def render_pdf(form: ApplicationForm, code_text: str) -> bytes:
    """Renders the form; ``code_text`` is the signed form code printed as QR (see ``form_code``)."""
    ensure_font()
    view = build_view(form)
    _warn_missing_glyphs(view)
    history = list(view.work_history)
    page1_rows = _history_capacity_page1(view)
    if len(history) <= page1_rows:
        first, rest = history, []
    else:  # keep one row for the pointer to the continuation page
        first, rest = history[: page1_rows - 1], history[page1_rows - 1 :]
    per_page = int((TOP - CONTINUATION_HEADER_H - SECTION_H - ROW_H - BOTTOM) // ROW_H)
    pages = 1 + math.ceil(len(rest) / per_page)

    out = io.BytesIO()
    with _render_lock:
        canvas = Canvas(out, pagesize=A4, invariant=1, pageCompression=1, initialFontName=FONT_NAME)
        canvas.setTitle(f"{text.TITLE} {view.application_number}")
        _page_one(canvas, view, form.photo, code_text, first, len(rest), page1_rows, pages)
        for index in range(1, pages):
            chunk = rest[(index - 1) * per_page : index * per_page]
            _continuation_page(canvas, view, chunk, index + 1, pages)
        canvas.save()
    return out.getvalue()


def _page_one(
    canvas: Canvas,
    view: FormView,
    photo: bytes | None,
    code_text: str,
    history: list[HistoryRow],
    continued: int,
    history_rows: int,
    pages: int,
) -> None:
    _title(canvas, text.TITLE, 19)
    ink = PageInk(canvas)
    y = _header(ink, view, code_text)
    for title, rows in view.key_value_sections():
        y = _key_values(ink, title, rows, y, photo if title == text.SECTION_PERSONAL else None)
    # Blank rows fill the page when the history is short: the grid ends level with the page.
    note = f"（其余 {continued} 条见续页）" if continued else None
    y = _history(ink, text.SECTION_WORK_HISTORY, history, 0 if continued else history_rows, y, note)
    y = _assessments(ink, view, y)
    y = _key_values(ink, text.SECTION_ETHICS, view.ethics, y, None)
    y = _key_values(ink, text.SECTION_EDUCATION, view.education, y, None)
    _signatures(ink, y)
    _footer(ink, view, 1, pages)
    ink.finish()
    canvas.showPage()


def _title(canvas: Canvas, title: str, size: float) -> None:
    lettering = canvas.beginText()
    lettering.setTextRenderMode(2)  # fill + thin stroke: a bold look from the one regular CJK font
    lettering.setFont(LABEL_FONT_NAME, size)
    lettering.setTextOrigin(PAGE_W / 2 - canvas.stringWidth(title, LABEL_FONT_NAME, size) / 2, TOP - 20)
    lettering.textOut(title)
    lettering.setTextRenderMode(0)  # the render mode outlives the text object: reset it for the rest
    canvas.setLineWidth(0.5)
    canvas.drawText(lettering)


def _header(ink: PageInk, view: FormView, code_text: str) -> float:
    ink.string(LABEL_FONT_NAME, 10, LEFT, TOP - 54, f"{text.NUMBER_LABEL}：")
    ink.string(FONT_NAME, 20, LEFT + 52, TOP - 56, view.application_number)
    ink.string(FONT_NAME, 8.5, LEFT, TOP - 76, view.status_line())
    qr_left = RIGHT - QR_SIZE
    qr_code(ink.canvas, code_text, qr_left, TOP + 4, QR_SIZE)
    ink.centred_string(LABEL_FONT_NAME, 7.5, qr_left + QR_SIZE / 2, TOP - QR_SIZE - 4, text.QR_CAPTION)
    return TOP - HEADER_H


def _key_values(ink: PageInk, title: str, rows: tuple[Row, ...], y: float, photo: bytes | None) -> float:
    ink.section_bar(title, LEFT, y, WIDTH, SECTION_H)
    y -= SECTION_H
    with_photo = title == text.SECTION_PERSONAL
    room = WIDTH - (PHOTO_W if with_photo else 0)
    top = y
    for row in rows:
        x = LEFT
        value_w = (room - LABEL_W * len(row)) / len(row)
        for label, value in row:
            ink.label_cell(label, x, y, LABEL_W, ROW_H)
            ink.value_cell(value, x + LABEL_W, y, value_w, ROW_H)
            x += LABEL_W + value_w
        y -= ROW_H
    if with_photo:
        _photo_box(ink, photo, LEFT + room, top, PHOTO_W, top - y)
    return y


def _photo_box(ink: PageInk, photo: bytes | None, x: float, y: float, w: float, h: float) -> None:
    ink.cell(x, y, w, h)
    jpeg = normalized_photo(photo) if photo else None
    if jpeg is None:  # the applicant glues a photo here
        ink.fitted_text(text.PHOTO_PLACEHOLDER, x, y, w, h, 11, centred=True, font=LABEL_FONT_NAME)
        return
    margin = 3.0
    ink.canvas.drawImage(
        ImageReader(io.BytesIO(jpeg)),
        x + margin,
        y - h + margin,
        w - 2 * margin,
        h - 2 * margin,
        preserveAspectRatio=True,
        anchor="c",
    )


def _history(
    ink: PageInk, title: str, rows: list[HistoryRow], min_rows: int, y: float, note: str | None
) -> float:
    ink.section_bar(title, LEFT, y, WIDTH, SECTION_H)
    y -= SECTION_H
    y = _history_row(ink, text.WORK_HISTORY_HEADER, y, header=True)
    for row in rows:
        y = _history_row(ink, row, y)
    for _ in range(min_rows - len(rows)):
        y = _history_row(ink, ("", "", "", ""), y)
    if note:
        ink.value_cell(note, LEFT, y, WIDTH, ROW_H)
        y -= ROW_H
    return y


def _history_row(ink: PageInk, values: tuple[str, ...], y: float, header: bool = False) -> float:
    x = LEFT
    for value, width in zip(values, HISTORY_WIDTHS, strict=True):
        if header:
            ink.label_cell(value, x, y, width, ROW_H)
        else:
            ink.value_cell(value, x, y, width, ROW_H)
        x += width
    return y - ROW_H


def _assessments(ink: PageInk, view: FormView, y: float) -> float:
    ink.section_bar(text.SECTION_ASSESSMENTS, LEFT, y, WIDTH, SECTION_H)
    y -= SECTION_H
    width = (WIDTH - LABEL_W) / ASSESSMENTS_PER_ROW
    for chunk in _assessment_chunks(view):
        for label, column in ((text.ASSESSMENT_YEAR_LABEL, 0), (text.ASSESSMENT_RESULT_LABEL, 1)):
            ink.label_cell(label, LEFT, y, LABEL_W, ROW_H)
            for index in range(ASSESSMENTS_PER_ROW):
                value = chunk[index][column] if index < len(chunk) else ""
                ink.value_cell(value, LEFT + LABEL_W + index * width, y, width, ROW_H)
            y -= ROW_H
    return y


def _assessment_chunks(view: FormView) -> list[tuple[tuple[str, str], ...]]:
    items = view.assessments
    return [items[i : i + ASSESSMENTS_PER_ROW] for i in range(0, len(items), ASSESSMENTS_PER_ROW)] or [()]


def _signatures(ink: PageInk, y: float) -> float:
    ink.cell(LEFT, y, WIDTH, SIGNATURE_H)
    ink.string(LABEL_FONT_NAME, 8.5, LEFT + 6, y - 13, text.DECLARATION)
    ink.string(LABEL_FONT_NAME, 10, LEFT + 6, y - 32, text.APPLICANT_SIGNATURE)
    ink.string(LABEL_FONT_NAME, 10, RIGHT - 170, y - 32, text.SIGN_DATE)
    y -= SIGNATURE_H
    half = WIDTH / 2
    for index, heading in enumerate((text.SCHOOL_OPINION, text.AUTHORITY_OPINION)):
        x = LEFT + index * half
        ink.cell(x, y, half, OPINION_H)
        ink.string(LABEL_FONT_NAME, 10, x + 6, y - 14, heading)
        ink.string(LABEL_FONT_NAME, 9, x + half - 110, y - OPINION_H + 26, text.SEAL)
        ink.string(LABEL_FONT_NAME, 9, x + half - 110, y - OPINION_H + 10, text.SEAL_DATE)
    return y - OPINION_H


def _continuation_page(canvas: Canvas, view: FormView, rows: list[HistoryRow], page: int, pages: int) -> None:
    _title(canvas, f"{text.TITLE}（续页）", 14)
    ink = PageInk(canvas)
    ink.string(FONT_NAME, 10, LEFT, TOP - 40, f"{text.NUMBER_LABEL}：{view.application_number}")
    _history(ink, f"{text.SECTION_WORK_HISTORY}（续）", rows, len(rows), TOP - CONTINUATION_HEADER_H, None)
    _footer(ink, view, page, pages)
    ink.finish()
    canvas.showPage()


def _footer(ink: PageInk, view: FormView, page: int, pages: int) -> None:
    ink.string(FONT_NAME, 7.5, LEFT, BOTTOM - 16, f"{text.NUMBER_LABEL} {view.application_number}")
    ink.right_string(FONT_NAME, 7.5, RIGHT, BOTTOM - 16, f"第 {page} 页，共 {pages} 页")


def _history_capacity_page1(view: FormView) -> int:
    """Work-history rows that fit on page 1 once every other part has its place."""
    fixed = HEADER_H
    for _, rows in view.key_value_sections():
        fixed += SECTION_H + ROW_H * len(rows)
    fixed += SECTION_H + ROW_H  # work-history bar and column headings
    fixed += SECTION_H + 2 * ROW_H * len(_assessment_chunks(view))
    fixed += 2 * (SECTION_H + ROW_H)  # ethics, continuing education
    fixed += SIGNATURE_H + OPINION_H
    return max(2, int((TOP - BOTTOM - fixed) // ROW_H))


def _warn_missing_glyphs(view: FormView) -> None:
    printed = [value for _, rows in view.key_value_sections() for row in rows for _, value in row]
    printed += [value for row in view.work_history for value in row]
    missing = missing_glyphs("".join(printed))
    if missing:
        # A count only: the characters could be part of a name.
        log.warning(
            "form %s: %d characters have no glyph in the CJK font", view.application_number, len(missing)
        )
