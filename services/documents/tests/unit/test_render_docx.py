"""The application form as a Word document (R-APP-5)."""

from __future__ import annotations

import dataclasses
import io

import docx
import zxingcpp
from docx.oxml.ns import qn
from PIL import Image
from tqr_documents.rendering.docx import BODY_FONT, render_docx
from tqr_documents.rendering.view import PHOTO_PLACEHOLDER


def _all_text(document) -> str:
    parts = [paragraph.text for paragraph in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts.extend(cell.text for cell in row.cells)
    return "\n".join(parts)


def _pictures(document) -> list[bytes]:
    return [
        part.blob for part in document.part.package.parts if part.partname.startswith("/word/media/")
    ]


def test_r_app_5_docx_contains_the_application_values(form, signer) -> None:
    document = docx.Document(io.BytesIO(render_docx(form, signer.sign_form(form))))
    text = _all_text(document)

    for value in (
        form.application_number,
        form.applicant_name,
        form.document_number,
        form.email,
        form.certificate.number,
        form.certificate.type_name,
        form.arrangement.authority_name,
        form.arrangement.point_address,
        form.current_post.school,
        form.work_history[1].school,
        form.annual_assessments[4].result,
        f"{form.continuing_education_hours} 学时",
        form.status_label,
    ):
        assert value in text, value
    headings = ("教师资格定期注册申请表", "申请人签名", "所在学校意见", "注册机构意见", "盖章")
    headings += ("现场确认时扫描此码",)
    for heading in headings:
        assert heading in text


def test_r_app_5_docx_sets_the_chinese_font_for_word(form, signer) -> None:
    document = docx.Document(io.BytesIO(render_docx(form, signer.sign_form(form))))
    fonts = document.styles["Normal"].element.rPr.find(qn("w:rFonts"))

    assert fonts.get(qn("w:eastAsia")) == BODY_FONT


def test_r_app_5_docx_qr_image_scans_to_a_genuine_code(form, signer) -> None:
    code = signer.sign_form(form)
    document = docx.Document(io.BytesIO(render_docx(form, code)))

    scanned = [
        result.text
        for blob in _pictures(document)
        for result in zxingcpp.read_barcodes(Image.open(io.BytesIO(blob)))
    ]

    assert scanned == [code]
    assert signer.verify(scanned[0]).application_number == form.application_number


def test_r_app_5_docx_shows_registry_photo_or_placeholder(form, photo, signer) -> None:
    without = docx.Document(io.BytesIO(render_docx(form, signer.sign_form(form))))
    with_photo_form = dataclasses.replace(form, photo=photo)
    with_photo = docx.Document(io.BytesIO(render_docx(with_photo_form, signer.sign_form(with_photo_form))))

    assert PHOTO_PLACEHOLDER in _all_text(without)
    assert len(_pictures(without)) == 1  # the QR only
    assert PHOTO_PLACEHOLDER not in _all_text(with_photo)
    assert len(_pictures(with_photo)) == 2
