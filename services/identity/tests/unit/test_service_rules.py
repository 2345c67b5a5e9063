"""Pure rules of the service layer: profile changes (R-ID-10), names, decisions, photos (R-ID-9)."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime

import pytest
from PIL import Image
from servicekit.errors import InvalidInput, RuleViolation
from tqr_identity.adapters.photo_storage import check_photo
from tqr_identity.domain.documents import DocumentType, Gender
from tqr_identity.service_layer.model import Account, Decision, RealNameStatus
from tqr_identity.service_layer.names import normalise_name, validate_name
from tqr_identity.service_layer.passwords import _hint as reset_hint
from tqr_identity.service_layer.profile import ProfileChanges, apply_changes
from tqr_identity.service_layer.reviews import page_bounds, parse_decision

NOW = datetime(2026, 3, 1, tzinfo=UTC)
TODAY = date(2026, 3, 1)


def account(document_type: DocumentType = DocumentType.ID_CARD, **changes) -> Account:
    values = dict(
        id="a1", document_type=document_type, document_number="11010519491231002X",
        masked_document_number="1101**********002X", name="张三", mobile="13812345678", email="z@example.cn",
        password_hash="$argon2id$…", agreement_version="2026-01", agreement_accepted_at=NOW,
        real_name_status=RealNameStatus.UNVERIFIED, created_at=NOW, updated_at=NOW, gender=Gender.FEMALE,
    )
    values.update(changes)
    return Account(**values)


def image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (30, 20), (10, 20, 30)).save(out, format=kind)
    return out.getvalue()


def test_r_id_10_unchanged_fields_stay() -> None:
    same = apply_changes(account(), ProfileChanges(ethnicity="汉族"), TODAY)
    assert same.ethnicity == "汉族" and same.name == "张三" and same.gender is Gender.FEMALE


def test_r_id_14_the_profile_takes_the_current_email_only() -> None:
    current = account()
    assert apply_changes(current, ProfileChanges(email=f" {current.email} "), TODAY).email == current.email
    with pytest.raises(RuleViolation) as refused:
        apply_changes(current, ProfileChanges(email="new@example.cn"), TODAY)
    assert refused.value.code == "R-ID-14"


def test_r_id_10_every_problem_is_listed_at_once() -> None:
    with pytest.raises(InvalidInput) as caught:
        apply_changes(account(), ProfileChanges(ethnicity="", document_valid_from="2020-13-01", email="nope",
                                                gender="MALE"), TODAY)
    assert {p.field for p in caught.value.problems} == {"ethnicity", "document_valid_from", "email", "gender"}
    assert {p.code for p in caught.value.problems} <= {"R-ID-10", "R-ID-4"}


def test_r_id_10_a_taiwan_permit_holder_supplies_gender_and_birth_date_but_not_a_future_one() -> None:
    holder = account(DocumentType.TW_PERMIT, gender=None)
    changed = apply_changes(holder, ProfileChanges(gender="MALE", birth_date="1975-05-05"), TODAY)
    assert changed.gender is Gender.MALE and changed.birth_date == date(1975, 5, 5)
    with pytest.raises(InvalidInput):
        apply_changes(holder, ProfileChanges(birth_date="2027-01-01"), TODAY)


def test_names_are_normalised_and_checked() -> None:
    assert normalise_name(" 阿卜杜 · 热合曼 ") == "阿卜杜·热合曼"
    assert validate_name("ＬＩ Ｍｉｎｇ") == "LI Ming"
    for bad in ("", "张三3", "<script>"):
        with pytest.raises(InvalidInput):
            validate_name(bad)


def test_r_staff_3_a_decision_is_approved_or_rejected_and_a_rejection_has_a_reason() -> None:
    assert parse_decision(" approved ", "", "R-ID-9") == (Decision.APPROVED, "")
    with pytest.raises(InvalidInput):
        parse_decision("REJECTED", "", "R-ID-9")
    with pytest.raises(InvalidInput):
        parse_decision("MAYBE", "why", "R-ID-9")
    assert page_bounds(0, 2) == (20, 40) and page_bounds(10_000, 0) == (200, 0)


@pytest.mark.parametrize("kind, content_type", [("PNG", "image/png"), ("JPEG", "image/jpeg")])
def test_r_id_9_photo_type_comes_from_the_content(kind, content_type) -> None:
    assert check_photo(image(kind), 10_000).content_type == content_type


def test_r_id_9_other_content_and_oversized_photos_are_refused() -> None:
    gif = io.BytesIO()
    Image.new("P", (5, 5)).save(gif, format="GIF")
    for content in (b"", b"GIF89a not really", gif.getvalue(), image("PNG")[:40]):
        with pytest.raises(InvalidInput):
            check_photo(content, 10_000)
    with pytest.raises(InvalidInput) as caught:
        check_photo(image("PNG"), 50)
    assert "MB" in caught.value.problems[0].message_zh


def test_r_id_11_the_reset_hint_is_masked_by_the_one_rule() -> None:
    holder = account(email="zhangsan@example.cn")
    assert reset_hint(holder, "EMAIL") == "z***@example.cn"  # one character: the stars hide the length
    assert reset_hint(holder, "SMS") == "138****5678"
