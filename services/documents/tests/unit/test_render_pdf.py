"""The application form as PDF (R-APP-5): what is printed, that it prints, and that its code scans."""

from __future__ import annotations

import dataclasses
import io
import re
import shutil
import subprocess
from pathlib import Path

import pypdf
import pytest
import zxingcpp
from PIL import Image
from tqr_documents.domain.demo_forms import demo_form
from tqr_documents.domain.form_code import FormCodeRejected
from tqr_documents.rendering.fonts import missing_glyphs
from tqr_documents.rendering.images import qr_png
from tqr_documents.rendering.pdf import render_pdf
from tqr_documents.rendering.view import PHOTO_PLACEHOLDER, build_view, format_date

needs_poppler = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils not installed")


def _text(pdf: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    return "\n".join(page.extract_text() for page in reader.pages)


def _printed_values(form) -> list[str]:
    view = build_view(form)
    values = [value for _, rows in view.key_value_sections() for row in rows for _, value in row]
    values += [value for row in view.work_history for value in row]
    values += [value for pair in view.assessments for value in pair]
    return [value for value in values if value]


def _page_images(pdf: bytes, tmp_path: Path) -> list[Image.Image]:
    source = tmp_path / "form.pdf"
    source.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "100", "-png", str(source), str(tmp_path / "page")], check=True)
    return [Image.open(path) for path in sorted(tmp_path.glob("page*.png"))]


def test_r_app_5_pdf_contains_the_application_values(form, signer) -> None:
    text = _text(render_pdf(form, signer.sign_form(form)))

    for value in (
        form.application_number,
        form.applicant_name,
        form.document_number,
        form.certificate.number,
        form.certificate.issuing_body,
        form.arrangement.point_name,
        form.arrangement.point_address,
        form.current_post.school,
        form.current_post.post,
        form.work_history[0].school,
        form.ethics_assessment,
        f"{form.continuing_education_hours} 学时",
        form.status_label,
        format_date(form.birth_date),
    ):
        assert value in text, value
    headings = ("教师资格定期注册申请表", "五年工作经历", "申请人签名", "所在学校意见", "注册机构意见")
    headings += ("盖章",)
    for heading in headings:
        assert heading in text


def test_r_app_5_pdf_prints_confirmation_window_in_china_time(form, signer) -> None:
    text = _text(render_pdf(form, signer.sign_form(form)))
    # 01:00 UTC is 09:00 in Beijing; 09:00 UTC is 17:00.
    assert "2026-04-07 09:00 至 2026-04-17 17:00" in text


def test_r_app_5_pdf_embeds_only_subsets_of_the_cjk_font(form, signer) -> None:
    reader = pypdf.PdfReader(io.BytesIO(render_pdf(form, signer.sign_form(form))))
    fonts = reader.pages[0]["/Resources"]["/Font"]
    names = []
    for ref in fonts.values():
        font = ref.get_object()
        names.append(str(font["/BaseFont"]))
        assert "/FontFile2" in font["/FontDescriptor"], "font not embedded"
    assert names and all(re.fullmatch(r"/[A-Z]{6}\+WenQuanYiMicroHei.*", name) for name in names), names


def test_r_app_5_every_printed_character_has_a_glyph(form) -> None:
    assert missing_glyphs("".join(_printed_values(form))) == set()
    for seed in range(20):  # varied names, schools, addresses
        assert missing_glyphs("".join(_printed_values(demo_form(seed)))) == set()


def test_r_app_5_glyph_check_detects_a_character_the_font_lacks() -> None:
    # U+20000 (CJK Extension B) is not in WenQuanYi Micro Hei: the check must be able to say so.
    assert missing_glyphs("王\U00020000") == {"\U00020000"}


@needs_poppler
def test_r_app_5_pdf_renders_and_its_qr_verifies(form, signer, tmp_path) -> None:
    code = signer.sign_form(form)
    [page] = _page_images(render_pdf(form, code), tmp_path)

    gray = page.convert("L")
    assert gray.getextrema()[0] < 50, "page is blank"
    dark_share = sum(gray.histogram()[:128]) / (gray.width * gray.height)
    assert 0.01 < dark_share < 0.5
    results = zxingcpp.read_barcodes(page)
    scanned = [result.text for result in results if result.format == zxingcpp.BarcodeFormat.QRCode]

    assert scanned == [code]
    assert signer.verify(scanned[0]).application_number == form.application_number


@needs_poppler
def test_r_app_5_qr_of_an_altered_code_fails_verification(form, signer, tmp_path) -> None:
    code = signer.sign_form(form)
    forged = code.replace(form.application_number, "2026110105000999")
    [page] = _page_images(render_pdf(form, forged), tmp_path)
    [scanned] = zxingcpp.read_barcodes(page)

    assert scanned.text == forged
    with pytest.raises(FormCodeRejected):
        signer.verify(scanned.text)


@needs_poppler
def test_r_app_5_registry_photo_is_printed_in_the_photo_box(form, photo, signer, tmp_path) -> None:
    with_photo = dataclasses.replace(form, photo=photo)
    pdf = render_pdf(with_photo, signer.sign_form(with_photo))
    [page] = _page_images(pdf, tmp_path)

    images = pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images
    assert len(images) == 1
    # The photo is a flat (30, 120, 200) blue: some of the page must be that colour.
    raw = page.convert("RGB").tobytes()
    blue = sum(1 for i in range(0, len(raw), 3) if abs(raw[i] - 30) < 20 and abs(raw[i + 2] - 200) < 20)
    assert blue > 2000
    assert PHOTO_PLACEHOLDER not in _text(pdf)


def test_r_app_5_photo_box_placeholder_without_registry_photo(form, signer) -> None:
    pdf = render_pdf(form, signer.sign_form(form))
    assert PHOTO_PLACEHOLDER in _text(pdf)
    assert len(pypdf.PdfReader(io.BytesIO(pdf)).pages[0].images) == 0


def test_r_app_5_unreadable_photo_falls_back_to_the_placeholder(form, signer) -> None:
    broken = dataclasses.replace(form, photo=b"not an image")
    assert PHOTO_PLACEHOLDER in _text(render_pdf(broken, signer.sign_form(broken)))


def test_r_app_5_long_work_history_continues_on_a_second_page(signer) -> None:
    form = demo_form(7, history_rows=30)
    pdf = render_pdf(form, signer.sign_form(form))
    reader = pypdf.PdfReader(io.BytesIO(pdf))

    assert len(reader.pages) == 2
    second = reader.pages[1].extract_text()
    assert form.application_number in second
    text = _text(pdf)
    for entry in form.work_history:
        assert format_date(entry.start) in text


def test_r_app_5_short_form_is_one_page(form, signer) -> None:
    assert len(pypdf.PdfReader(io.BytesIO(render_pdf(form, signer.sign_form(form)))).pages) == 1


def test_r_app_5_long_values_are_kept_inside_their_cells(form, signer) -> None:
    long_address = "北京市朝阳区" + "光华路甲十四号院教育服务中心东侧三层大厅" * 3
    arrangement = dataclasses.replace(form.arrangement, point_address=long_address)
    changed = dataclasses.replace(form, arrangement=arrangement)
    text = _text(render_pdf(changed, signer.sign_form(changed))).replace("\n", "")
    assert long_address[:20] in text


def test_r_app_5_same_form_renders_the_same_bytes(form, signer) -> None:
    code = signer.sign_form(form)
    assert render_pdf(form, code) == render_pdf(form, code)


def test_r_app_5_concurrent_renders_do_not_mix_documents(signer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    forms = [demo_form(seed) for seed in range(8)]
    codes = [signer.sign_form(form) for form in forms]
    serial = [render_pdf(form, code) for form, code in zip(forms, codes, strict=True)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(render_pdf, forms, codes))

    assert parallel == serial


def test_r_app_5_qr_codes_with_the_fixed_mask_scan_at_the_printed_size(signer) -> None:
    """The QR is drawn with one fixed mask pattern (no search for the best): hundreds of different
    codes must still scan when reduced to about three pixels a module, as a 100 dpi scan of the
    printed 28 mm code gives."""
    unread = []
    for seed in range(300):
        code = signer.sign_form(demo_form(seed))
        image = Image.open(io.BytesIO(qr_png(code)))
        modules = image.width // 8
        small = image.resize((modules * 3, modules * 3), Image.Resampling.NEAREST)
        scanned = [result.text for result in zxingcpp.read_barcodes(small)]
        if scanned != [code]:
            unread.append(code)
    assert unread == []
