"""The printable application form snapshot and its content hash (the render cache key, R-APP-5)."""

from __future__ import annotations

import dataclasses

import pytest
from tqr_documents.domain.form import WorkHistoryEntry


def test_r_app_5_content_hash_is_stable_for_equal_forms(form) -> None:
    assert form.content_hash() == dataclasses.replace(form).content_hash()


@pytest.mark.parametrize(
    "change",
    [
        {"applicant_name": "欧阳淼"},
        {"document_number": "110105198604231256"},
        {"continuing_education_hours": 373},
        {"status_label": "信息已确认，待审批"},
        {"photo": b"\xff\xd8 another photo"},
    ],
)
def test_r_app_5_content_hash_changes_with_any_printed_value(form, change) -> None:
    assert dataclasses.replace(form, **change).content_hash() != form.content_hash()


def test_r_app_5_content_hash_covers_the_work_history(form) -> None:
    longer = (*form.work_history, WorkHistoryEntry(form.work_history[-1].start, None, "另一所学校", "教师"))
    assert dataclasses.replace(form, work_history=longer).content_hash() != form.content_hash()


def test_r_app_5_content_hash_covers_the_photo_bytes(form, photo) -> None:
    with_photo = dataclasses.replace(form, photo=photo)
    other = dataclasses.replace(form, photo=photo[:-1] + bytes([photo[-1] ^ 1]))
    assert len({form.content_hash(), with_photo.content_hash(), other.content_hash()}) == 3


def test_repr_leaves_out_personal_numbers(form) -> None:
    shown = repr(form)
    assert form.document_number not in shown
    assert form.mobile_masked not in shown
    assert form.email not in shown


def test_clear_mobile_number_is_refused_without_echoing_it(form) -> None:
    with pytest.raises(ValueError) as caught:
        dataclasses.replace(form, mobile_masked="13912340721")
    assert "13912340721" not in str(caught.value)


def test_naive_times_and_odd_application_numbers_are_refused(form) -> None:
    with pytest.raises(ValueError):
        dataclasses.replace(form, submitted_at=form.submitted_at.replace(tzinfo=None))
    with pytest.raises(ValueError):
        dataclasses.replace(form, application_number="2026.0001")
