"""Drawing primitives of the PDF form: bordered cells, text fitted into a cell, the QR code.

Plain canvas calls rather than platypus tables: the form has a fixed grid, and drawing it directly
is about ten times faster than letting a layout engine measure it. ``PageInk`` goes further and
collects a page's cells into one stroked path (plus one filled path per grey) and its text into one
text object, so a page is a handful of PDF operators per cell instead of a dozen.
"""

from __future__ import annotations

from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.pdfgen.pathobject import PDFPathObject

from tqr_documents.rendering.fonts import FONT_NAME, LABEL_FONT_NAME
from tqr_documents.rendering.images import qr_runs

LABEL_FILL = 0.93  # grey level of label cells
SECTION_FILL = 0.82
GRID_LINE = 0.6
PADDING = 3.0
MIN_ONE_LINE_SIZE = 6.5  # below this a value wraps instead of shrinking further
MIN_WRAPPED_SIZE = 5.0
LEADING = 1.15
ELLIPSIS = "…"


class PageInk:
    """Everything drawn on one page's grid; call ``finish()`` once before ``showPage()``."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self._grid = canvas.beginPath()
        self._fills: dict[float, PDFPathObject] = {}
        self._text = canvas.beginText()
        self._font: tuple[str, float] | None = None

    def finish(self) -> None:
        canvas = self.canvas
        for grey, path in self._fills.items():
            canvas.setFillGray(grey)
            canvas.drawPath(path, stroke=0, fill=1)
        canvas.setFillGray(0)
        canvas.setLineWidth(GRID_LINE)
        canvas.drawPath(self._grid, stroke=1, fill=0)
        canvas.drawText(self._text)

    # --- cells -------------------------------------------------------------------------------

    def cell(self, x: float, y: float, w: float, h: float, fill: float | None = None) -> None:
        """A bordered rectangle whose top-left corner is (x, y)."""
        self._grid.rect(x, y - h, w, h)
        if fill is not None:
            path = self._fills.get(fill)
            if path is None:
                path = self._fills[fill] = self.canvas.beginPath()
            path.rect(x, y - h, w, h)

    def label_cell(self, text: str, x: float, y: float, w: float, h: float, size: float = 9) -> None:
        self.cell(x, y, w, h, LABEL_FILL)
        self.fitted_text(text, x, y, w, h, size, centred=True, font=LABEL_FONT_NAME)

    def value_cell(self, text: str, x: float, y: float, w: float, h: float, size: float = 9) -> None:
        self.cell(x, y, w, h)
        self.fitted_text(text, x, y, w, h, size)

    def section_bar(self, title: str, x: float, y: float, w: float, h: float) -> None:
        self.cell(x, y, w, h, SECTION_FILL)
        self.string(LABEL_FONT_NAME, 10, x + PADDING + 1, baseline(y, h, 10), title)

    # --- text --------------------------------------------------------------------------------

    def string(self, font: str, size: float, x: float, y: float, text: str) -> None:
        if self._font != (font, size):
            self._text.setFont(font, size)
            self._font = (font, size)
        self._text.setTextOrigin(x, y)
        self._text.textOut(text)

    def centred_string(self, font: str, size: float, centre: float, y: float, text: str) -> None:
        self.string(font, size, centre - stringWidth(text, font, size) / 2, y, text)

    def right_string(self, font: str, size: float, right: float, y: float, text: str) -> None:
        self.string(font, size, right - stringWidth(text, font, size), y, text)

    def fitted_text(
        self,
        text: str,
        x: float,
        y: float,
        w: float,
        h: float,
        size: float,
        centred: bool = False,
        font: str = FONT_NAME,
    ) -> None:
        """Draws ``text`` inside the cell: as is, else smaller, else wrapped, else cut with an ellipsis."""
        if not text:
            return
        room = w - 2 * PADDING
        width = stringWidth(text, font, size)
        if width > room:
            shrunk = size * room / width
            if shrunk < MIN_ONE_LINE_SIZE:
                self._wrapped_text(text, x, y, w, h, size, font)
                return
            size, width = shrunk, room
        left = x + (w - width) / 2 if centred else x + PADDING
        self.string(font, size, left, baseline(y, h, size), text)

    def _wrapped_text(self, text: str, x: float, y: float, w: float, h: float, size: float, font: str) -> None:
        room = w - 2 * PADDING
        lines: list[str] = []
        while size >= MIN_WRAPPED_SIZE:
            lines = _wrap(text, room, size, font)
            if len(lines) * size * LEADING <= h - 2:
                break
            size -= 0.5
        else:
            size = MIN_WRAPPED_SIZE
            fit = max(1, int((h - 2) // (size * LEADING)))
            if len(lines) > fit:
                lines = lines[:fit]
                lines[-1] = _cut(lines[-1], room, size, font)
        leading = size * LEADING
        top_baseline = y - (h - leading * len(lines)) / 2 - size * 0.9
        for index, line in enumerate(lines):
            self.string(font, size, x + PADDING, top_baseline - index * leading, line)


def _wrap(text: str, room: float, size: float, font: str) -> list[str]:
    """Greedy wrap by character: Chinese text has no spaces to break at."""
    lines: list[str] = []
    current, current_width = "", 0.0
    for ch in text:
        ch_width = stringWidth(ch, font, size)
        if current and current_width + ch_width > room:
            lines.append(current)
            current, current_width = "", 0.0
        current += ch
        current_width += ch_width
    if current:
        lines.append(current)
    return lines


def _cut(line: str, room: float, size: float, font: str) -> str:
    while line and stringWidth(line + ELLIPSIS, font, size) > room:
        line = line[:-1]
    return line + ELLIPSIS


def baseline(top: float, h: float, size: float) -> float:
    """Baseline that centres a line of CJK text vertically in a cell whose top is ``top``."""
    # CJK glyphs sit about 0.88 em above and 0.12 em below the baseline: centre that box.
    return top - h / 2 - size * 0.38


def qr_code(canvas: Canvas, code_text: str, x: float, y: float, size: float) -> None:
    """The QR with its top-left corner at (x, y), drawn as vector rectangles (sharp at any dpi)."""
    modules, runs = qr_runs(code_text)
    unit = size / modules
    path = canvas.beginPath()
    for row, col, length in runs:
        path.rect(x + col * unit, y - (row + 1) * unit, length * unit, unit)
    canvas.setFillGray(0)
    canvas.drawPath(path, stroke=0, fill=1)
