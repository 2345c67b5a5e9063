"""The application form as a Word document (R-APP-5): the same content as the PDF, in tables.

Fonts: body 宋体 and headings 微软雅黑 through the ``w:eastAsia`` attribute, which is what Word
reads for Chinese characters (the plain font name only covers Latin text).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import lru_cache

from docx import Document
from docx.document import Document as WordDocument
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Emu, Pt
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

from tqr_documents.domain.form import ApplicationForm
from tqr_documents.rendering import view as text
from tqr_documents.rendering.images import normalized_photo, qr_png
from tqr_documents.rendering.view import FormView, Row, build_view

BODY_FONT = "宋体"
HEADING_FONT = "微软雅黑"
LATIN_FONT = "Times New Roman"
LABEL_SHADE = "EDEDED"
SECTION_SHADE = "D1D1D1"
ASSESSMENTS_PER_ROW = 5
BODY_SIZE = 9.5
CONTENT_WIDTH_CM = 17.8  # A4 less 1.6 cm margins
LABEL_WIDTH_CM = 2.6
KEY_VALUE_WIDTHS_CM = (LABEL_WIDTH_CM, 6.3, LABEL_WIDTH_CM, 6.3)
PHOTO_WIDTHS_CM = (LABEL_WIDTH_CM, 5.0, LABEL_WIDTH_CM, 5.0, 2.6)
HISTORY_WIDTHS_CM = (2.6, 2.6, 8.6, 4.0)
GRID_STYLE_ID = "TableGrid"


def render_docx(form: ApplicationForm, code_text: str) -> bytes:
    """Renders the form; ``code_text`` is the signed form code printed as QR (see ``form_code``)."""
    view = build_view(form)
    document = Document(io.BytesIO(_base_document()))
    _header(document, view, code_text)
    for title, rows in view.key_value_sections():
        _key_values(document, title, rows, form.photo)
    _history(document, view)
    _assessments(document, view)
    _key_values(document, text.SECTION_ETHICS, view.ethics, None)
    _key_values(document, text.SECTION_EDUCATION, view.education, None)
    _signatures(document)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


@lru_cache(maxsize=1)
def _base_document() -> bytes:
    """Page setup and styles, built once per process; each render starts from a copy."""
    document = Document()
    section = document.sections[0]
    section.page_width, section.page_height = Cm(21.0), Cm(29.7)
    section.left_margin = section.right_margin = Cm(1.6)
    section.top_margin = section.bottom_margin = Cm(1.3)
    normal = document.styles["Normal"]
    normal.font.name = LATIN_FONT
    normal.font.size = Pt(BODY_SIZE)
    _east_asia(normal.element.get_or_add_rPr(), BODY_FONT)
    normal.paragraph_format.space_after = Pt(0)
    normal.paragraph_format.space_before = Pt(0)
    document.core_properties.title = text.TITLE
    document.core_properties.author = ""
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def _east_asia(rpr: BaseOxmlElement, font: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), font)


def _styled(paragraph: Paragraph, value: str, size: float, heading: bool = False, bold: bool = False) -> None:
    run = paragraph.add_run(value)
    if size != BODY_SIZE:
        run.font.size = Pt(size)
    if bold:
        run.bold = True
    if heading:
        run.font.name = LATIN_FONT
        _east_asia(run._element.get_or_add_rPr(), HEADING_FONT)


def _header(document: WordDocument, view: FormView, code_text: str) -> None:
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _styled(title, text.TITLE, 18, heading=True, bold=True)
    table = document.add_table(rows=1, cols=2)
    left, right = table.rows[0].cells
    left.width, right.width = Cm(CONTENT_WIDTH_CM - 4.0), Cm(4.0)
    number = left.paragraphs[0]
    _styled(number, f"{text.NUMBER_LABEL}：", 10)
    _styled(number, view.application_number, 18, heading=True, bold=True)
    _styled(left.add_paragraph(), view.status_line(), 9)
    picture = right.paragraphs[0]
    picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture.add_run().add_picture(io.BytesIO(qr_png(code_text)), width=Cm(3.0))
    caption = right.add_paragraph()
    caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _styled(caption, text.QR_CAPTION, 8)


def _grid(document: WordDocument, rows: int, widths_cm: Sequence[float]) -> Table:
    """A bordered table with fixed column widths (Word reads the width of every cell)."""
    table = document.add_table(rows=rows, cols=len(widths_cm))
    # The style id of the template's "Table Grid"; looking it up by name costs more than the table.
    table._tbl.tblStyle_val = GRID_STYLE_ID
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    widths = [Cm(width) for width in widths_cm]
    for column, width in zip(table.columns, widths, strict=True):
        column.width = width
    for row in table.rows:
        for cell, width in zip(row.cells, widths, strict=True):
            cell._tc.width = width
    return table


def _span(row: Sequence[_Cell], first: int, last: int) -> _Cell:
    """Joins cells first..last of one row (gridSpan): cheaper than python-docx's general merge."""
    keep = row[first]
    keep._tc.grid_span = last - first + 1
    keep._tc.width = Emu(sum(cell._tc.width or 0 for cell in row[first : last + 1]))
    for cell in row[first + 1 : last + 1]:
        cell._tc.getparent().remove(cell._tc)
    return keep


def _section_row(table: Table, title: str) -> None:
    row = table.rows[0].cells
    _fill(_span(row, 0, len(row) - 1), title, SECTION_SHADE, heading=True)


def _fill(
    cell: _Cell, value: str, shade: str | None = None, heading: bool = False, centred: bool = False
) -> None:
    paragraph = cell.paragraphs[0]
    if centred:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _styled(paragraph, value, 10 if heading else 9.5, heading=heading, bold=heading)
    if shade:
        shading = OxmlElement("w:shd")
        shading.set(qn("w:val"), "clear")
        shading.set(qn("w:color"), "auto")
        shading.set(qn("w:fill"), shade)
        cell._tc.get_or_add_tcPr().append(shading)


def _key_values(
    document: WordDocument,
    title: str,
    rows: tuple[Row, ...],
    photo: bytes | None,
) -> None:
    with_photo = title == text.SECTION_PERSONAL
    table = _grid(document, len(rows) + 1, PHOTO_WIDTHS_CM if with_photo else KEY_VALUE_WIDTHS_CM)
    _section_row(table, title)
    for index, pairs in enumerate(rows, start=1):
        cells = table.rows[index].cells
        if len(pairs) == 1:  # one value across the width of two
            _span(cells, 1, 3)
        column = 0
        for label, value in pairs:
            _fill(cells[column], label, LABEL_SHADE, centred=True)
            _fill(cells[column + 1], value)
            column += 2
    if with_photo:  # one photo box down the last column (vMerge)
        column_cells = [table.rows[index].cells[-1] for index in range(1, len(rows) + 1)]
        for position, cell in enumerate(column_cells):
            cell._tc.vMerge = "restart" if position == 0 else "continue"
        _photo(column_cells[0], photo)


def _photo(box: _Cell, photo: bytes | None) -> None:
    paragraph = box.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    jpeg = normalized_photo(photo) if photo else None
    if jpeg is None:
        _styled(paragraph, text.PHOTO_PLACEHOLDER, 11)
    else:
        paragraph.add_run().add_picture(io.BytesIO(jpeg), height=Cm(3.0))


def _history(document: WordDocument, view: FormView) -> None:
    rows = list(view.work_history) or [("", "", "", "")]
    table = _grid(document, len(rows) + 2, HISTORY_WIDTHS_CM)
    _section_row(table, text.SECTION_WORK_HISTORY)
    for cell, heading in zip(table.rows[1].cells, text.WORK_HISTORY_HEADER, strict=True):
        _fill(cell, heading, LABEL_SHADE, centred=True)
    for index, values in enumerate(rows, start=2):
        for cell, value in zip(table.rows[index].cells, values, strict=True):
            _fill(cell, value)


def _assessments(document: WordDocument, view: FormView) -> None:
    items = view.assessments
    chunks = [items[i : i + ASSESSMENTS_PER_ROW] for i in range(0, len(items), ASSESSMENTS_PER_ROW)] or [()]
    year_width = (CONTENT_WIDTH_CM - LABEL_WIDTH_CM) / ASSESSMENTS_PER_ROW
    table = _grid(document, 1 + 2 * len(chunks), [LABEL_WIDTH_CM] + [year_width] * ASSESSMENTS_PER_ROW)
    _section_row(table, text.SECTION_ASSESSMENTS)
    for number, chunk in enumerate(chunks):
        for offset, (label, column) in enumerate(
            ((text.ASSESSMENT_YEAR_LABEL, 0), (text.ASSESSMENT_RESULT_LABEL, 1))
        ):
            cells = table.rows[1 + 2 * number + offset].cells
            _fill(cells[0], label, LABEL_SHADE, centred=True)
            for index, item in enumerate(chunk):
                _fill(cells[index + 1], item[column], centred=True)


def _signatures(document: WordDocument) -> None:
    table = _grid(document, 2, [CONTENT_WIDTH_CM / 2] * 2)
    declaration = _span(table.rows[0].cells, 0, 1)
    _styled(declaration.paragraphs[0], text.DECLARATION, 9)
    signature = declaration.add_paragraph()
    _styled(signature, f"{text.APPLICANT_SIGNATURE}\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000", 10.5)
    _styled(signature, text.SIGN_DATE, 10.5)
    for cell, heading in zip(table.rows[1].cells, (text.SCHOOL_OPINION, text.AUTHORITY_OPINION), strict=True):
        _styled(cell.paragraphs[0], heading, 10.5)
        for _ in range(3):
            cell.add_paragraph()
        for closing in (text.SEAL, text.SEAL_DATE):
            line = cell.add_paragraph()
            line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
            _styled(line, closing, 9.5)
