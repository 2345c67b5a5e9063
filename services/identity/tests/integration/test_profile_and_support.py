"""The profile (R-ID-10) and support requests decided by staff (R-ID-10, R-ID-11)."""

from __future__ import annotations

import pytest
from servicekit.errors import InvalidInput
from servicekit.sealing import DEV_KEYS, Sealer
from tqr.identity.v1 import events_pb2
from tqr_identity.service_layer import attachments, passwords, profile, support
from tqr_identity.service_layer.access import Caller
from tqr_identity.service_layer.model import CaseStatus

pytestmark = pytest.mark.redis
REVIEWER = Caller("staff-reviewer-1", "IDENTITY_REVIEWER", "")


async def test_r_id_10_ethnicity_and_validity_are_editable(ctx, steps) -> None:
    account_id, _ = await steps.register(ctx)
    changed = await profile.update_profile(ctx, account_id, profile.ProfileChanges(
        ethnicity="回族", document_valid_from="2015-06-01", document_valid_until="LONG_TERM"))
    account = (await profile.get_account(ctx, account_id)).account
    assert (account.ethnicity, str(account.document_valid_from), account.document_valid_until) == (
        "回族", "2015-06-01", "LONG_TERM")
    assert changed.account == account


async def test_r_id_10_validity_must_end_after_it_starts(ctx, steps) -> None:
    account_id, _ = await steps.register(ctx)
    with pytest.raises(InvalidInput) as caught:
        await profile.update_profile(ctx, account_id, profile.ProfileChanges(
            document_valid_from="2020-01-01", document_valid_until="2019-12-31"))
    assert caught.value.problems[0].field == "document_valid_until"


async def test_r_id_10_gender_and_birth_date_only_for_hong_kong_macao_taiwan_documents(ctx, steps) -> None:
    id_card_account, _ = await steps.register(ctx)
    with pytest.raises(InvalidInput) as caught:
        await profile.update_profile(ctx, id_card_account, profile.ProfileChanges(gender="FEMALE"))
    assert caught.value.code == "R-ID-10"
    permit_account, _ = await steps.register(ctx, "H87654321", document_type="HKMO_PERMIT")
    await profile.update_profile(ctx, permit_account, profile.ProfileChanges(gender="FEMALE", birth_date="1980-02-29"))
    account = (await profile.get_account(ctx, permit_account)).account
    assert account.gender.value == "FEMALE" and str(account.birth_date) == "1980-02-29"


async def test_r_id_11_an_approved_contact_change_is_applied_and_announced_sealed(ctx, steps) -> None:
    account_id, number = await steps.register(ctx)
    new_mobile = steps.new_mobile()
    with pytest.raises(InvalidInput):  # a document photo is required
        await support.create_support_request(ctx, account_id, support.NewSupportRequest(
            "CHANGE_CONTACT", requested_mobile=new_mobile), [])
    request = await support.create_support_request(ctx, account_id, support.NewSupportRequest(
        "CHANGE_CONTACT", requested_mobile=new_mobile, explanation="原手机号已停用"),
        [attachments.Upload("id.png", steps.png_bytes())])
    listed, _ = await support.list_support_requests(ctx, REVIEWER, "PENDING", 20, 0)
    assert [r.id for r in listed] == [request.id] and listed[0].requested_mobile == new_mobile
    decided = await support.decide_support_request(ctx, REVIEWER, request.id, "APPROVED", "")
    assert decided.status is CaseStatus.APPROVED
    assert (await profile.get_account(ctx, account_id)).account.mobile == new_mobile
    [changed] = await steps.outbox_events(ctx, events_pb2.ContactDetailsChanged)
    assert Sealer(DEV_KEYS, "recipient-contact").open(changed.mobile_sealed) == new_mobile
    [decision] = await steps.outbox_events(ctx, events_pb2.SupportRequestDecided)
    assert (decision.kind, decision.decision) == ("CHANGE_CONTACT", "APPROVED")
    await passwords.request_password_reset(ctx, document_type="ID_CARD", document_number=number, channel="SMS",
                                           pass_token=await steps.human_pass(ctx), client_id="c")
    reset_code = (await steps.outbox_events(ctx, events_pb2.VerificationCodeRequested))[-1]
    assert Sealer(DEV_KEYS, "code-destination").open(reset_code.destination_sealed) == new_mobile  # codes go there


async def test_r_id_10_a_gender_correction_goes_to_staff_and_a_rejection_changes_nothing(ctx, steps) -> None:
    account_id, _ = await steps.register(ctx)
    before = (await profile.get_account(ctx, account_id)).account.gender
    wanted = "FEMALE" if before.value == "MALE" else "MALE"
    request = await support.create_support_request(ctx, account_id, support.NewSupportRequest(
        "CORRECT_GENDER", requested_gender=wanted), [attachments.Upload("id.png", steps.png_bytes())])
    await support.decide_support_request(ctx, REVIEWER, request.id, "REJECTED", "照片与证件不符")
    assert (await profile.get_account(ctx, account_id)).account.gender == before
    second = await support.create_support_request(ctx, account_id, support.NewSupportRequest(
        "CORRECT_GENDER", requested_gender=wanted), [attachments.Upload("id.png", steps.png_bytes())])
    await support.decide_support_request(ctx, REVIEWER, second.id, "APPROVED", "")
    assert (await profile.get_account(ctx, account_id)).account.gender.value == wanted
