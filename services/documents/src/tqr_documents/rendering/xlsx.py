"""The staff export of a confirmation point's applicants, as an Excel workbook (R-STAFF-2).

Every value is written as text: an applicant-typed value such as ``=HYPERLINK(...)`` must stay a
string in staff's spreadsheet, never become a formula (spreadsheet formula injection).
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from tqr_documents.domain.point_export import PointExportRow
from tqr_documents.rendering.view import CHINA_TIME

SHEET_TITLE = "现场确认申请人"
# (heading, column width in characters)
COLUMNS: tuple[tuple[str, int], ...] = (
    ("报名号", 18),
    ("姓名", 12),
    ("证件号码", 22),
    ("证书号码", 20),
    ("申请状态", 30),
    ("提交时间", 18),
    ("手机号码", 14),
    ("电子邮箱", 28),
)
SUBMITTED_COLUMN = 5  # zero-based position of 提交时间
HEADER_FILL = PatternFill("solid", fgColor="D9E1F2")
HEADER_FONT = Font(bold=True)


def render_point_export(rows: Iterable[PointExportRow]) -> bytes:
    """One header row, then one row per application, in the order given."""
    workbook = Workbook(write_only=True)
    sheet: WriteOnlyWorksheet = workbook.create_sheet(SHEET_TITLE)
    for index, (_, width) in enumerate(COLUMNS, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"  # the header stays visible while scrolling
    count = 0
    sheet.append([_header_cell(sheet, heading) for heading, _ in COLUMNS])
    for row in rows:
        cells = [_text_cell(sheet, value) for value in _values(row)]
        cells.insert(SUBMITTED_COLUMN, _time_cell(sheet, row.submitted_at))
        sheet.append(cells)
        count += 1
    last_column = get_column_letter(len(COLUMNS))
    sheet.auto_filter.ref = f"A1:{last_column}{count + 1}"
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _values(row: PointExportRow) -> tuple[str, ...]:
    """The text columns, in order, without the submission time (a real date cell, see below)."""
    return (
        row.application_number,
        row.applicant_name,
        row.document_number_masked,
        row.certificate_number,
        row.status_label,
        row.mobile_masked,
        row.email,
    )


def _header_cell(sheet: WriteOnlyWorksheet, heading: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=heading)
    cell.font = HEADER_FONT
    cell.fill = HEADER_FILL
    cell.alignment = Alignment(horizontal="center")
    return cell


def _time_cell(sheet: WriteOnlyWorksheet, instant: datetime) -> WriteOnlyCell:
    # Excel has no time zones: write China time as a naive date-time so staff can sort and filter.
    cell = WriteOnlyCell(sheet, value=instant.astimezone(CHINA_TIME).replace(tzinfo=None))
    cell.number_format = "yyyy-mm-dd hh:mm"
    return cell


def _text_cell(sheet: WriteOnlyWorksheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl would otherwise store a leading "=" as a formula
    return cell
