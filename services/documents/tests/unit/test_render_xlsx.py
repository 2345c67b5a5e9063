"""The staff export of a confirmation point's applicants (R-STAFF-2)."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import openpyxl
import pytest
from tqr_documents.domain.point_export import PointExportRow
from tqr_documents.rendering.xlsx import COLUMNS, render_point_export


def _rows(count: int) -> list[PointExportRow]:
    return [
        PointExportRow(
            application_number=f"20260000000{index:02d}",
            applicant_name=f"申请人{index}",
            certificate_number=f"2010110000{index:04d}",
            status_label="信息提交成功，等待现场确认" if index % 2 else "信息已确认，待审批",
            submitted_at=datetime(2026, 3, 1, 2, 0, tzinfo=UTC) + timedelta(hours=index),
            document_number_masked=f"1101**********{index:04d}",
            mobile_masked=f"139****{index:04d}",
            email=f"a{index}@example.cn",
        )
        for index in range(count)
    ]


def _sheet(data: bytes):
    return openpyxl.load_workbook(io.BytesIO(data)).active


def test_r_staff_2_export_has_a_header_and_one_row_per_application() -> None:
    rows = _rows(12)
    sheet = _sheet(render_point_export(rows))

    assert [cell.value for cell in sheet[1]] == [heading for heading, _ in COLUMNS]
    assert sheet.max_row == len(rows) + 1
    for excel_row, row in zip(sheet.iter_rows(min_row=2, values_only=True), rows, strict=True):
        assert excel_row == (
            row.application_number,
            row.applicant_name,
            row.document_number_masked,
            row.certificate_number,
            row.status_label,
            row.submitted_at.astimezone(UTC).replace(tzinfo=None) + timedelta(hours=8),
            row.mobile_masked,
            row.email,
        )


def test_r_staff_2_export_freezes_the_header_filters_and_sizes_columns() -> None:
    sheet = _sheet(render_point_export(_rows(3)))

    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:H4"
    assert sheet.column_dimensions["A"].width == COLUMNS[0][1]
    assert sheet.column_dimensions["H"].width == COLUMNS[7][1]


def test_r_staff_2_export_of_an_empty_point_has_the_header_only() -> None:
    sheet = _sheet(render_point_export([]))
    assert sheet.max_row == 1


def test_r_staff_2_applicant_text_never_becomes_a_formula() -> None:
    row = _rows(1)[0]
    hostile = PointExportRow(
        application_number=row.application_number,
        applicant_name='=HYPERLINK("http://evil.example","点我")',
        certificate_number="+1+1",
        status_label=row.status_label,
        submitted_at=row.submitted_at,
        document_number_masked=row.document_number_masked,
        mobile_masked=row.mobile_masked,
        email="@SUM(1,1)",
    )
    sheet = _sheet(render_point_export([hostile]))

    assert sheet["B2"].data_type == "s"
    assert sheet["B2"].value == hostile.applicant_name
    assert sheet["D2"].value == "+1+1"
    assert sheet["H2"].data_type == "s"


def test_r_staff_2_export_rows_refuse_clear_personal_numbers() -> None:
    row = _rows(1)[0]
    with pytest.raises(ValueError) as caught:
        PointExportRow(
            row.application_number, row.applicant_name, row.certificate_number, row.status_label,
            row.submitted_at, document_number_masked="110105198604231248",
        )
    assert "110105198604231248" not in str(caught.value)
