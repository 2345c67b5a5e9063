"""Real-name verification (R-ID-9), the name corrected through it (R-ID-10) and provider outages."""

from __future__ import annotations

import pytest
from servicekit.errors import DependencyUnavailable, RuleViolation
from tqr.identity.v1 import events_pb2
from tqr_identity.adapters.real_name_dev import (
    NAME_CORRECTION,
    NAME_CORRECTION_REGISTERED_AS,
    OUTAGE,
    DevRealNameProvider,
    demo_registry_holders,
)
from tqr_identity.service_layer import profile, verification
from tqr_identity.service_layer.model import RealNameStatus

pytestmark = pytest.mark.redis


async def test_r_id_9_a_holder_of_the_demo_registry_verifies(ctx, steps) -> None:
    holder = next(h for h in demo_registry_holders() if h.document_type.value == "ID_CARD")
    account_id, _ = await steps.register(ctx, holder.document_number, name=holder.name)
    outcome = await verification.verify_real_name(ctx, account_id)
    assert outcome.verified and outcome.status is RealNameStatus.VERIFIED
    assert outcome.message_zh == "恭喜您，已通过实名核验"
    [event] = await steps.outbox_events(ctx, events_pb2.RealNameVerified)
    assert event.account_id == account_id


async def test_r_id_9_a_mismatch_fails_with_both_remedies_named(ctx, steps) -> None:
    account_id, _ = await steps.register(ctx)  # a number the authority does not know
    outcome = await verification.verify_real_name(ctx, account_id)
    assert not outcome.verified and outcome.status is RealNameStatus.FAILED
    assert "网证" in outcome.message_zh and "人工审核" in outcome.message_zh
    [event] = await steps.outbox_events(ctx, events_pb2.RealNameVerificationFailed)
    assert event.account_id == account_id and event.reason
    assert (await profile.get_account(ctx, account_id)).account.real_name_status is RealNameStatus.FAILED


async def test_r_id_10_the_name_changes_only_by_verifying_with_the_corrected_name(ctx, steps) -> None:
    account_id, _ = await steps.register(ctx, NAME_CORRECTION.document_number, name=NAME_CORRECTION_REGISTERED_AS)
    assert not (await verification.verify_real_name(ctx, account_id)).verified
    outcome = await verification.verify_real_name(ctx, account_id, corrected_name=NAME_CORRECTION.name)
    assert outcome.verified and outcome.name == NAME_CORRECTION.name
    assert (await profile.get_account(ctx, account_id)).account.name == NAME_CORRECTION.name


async def test_r_id_9_an_outage_records_nothing_and_asks_to_try_again_later(make_ctx, steps) -> None:
    provider = DevRealNameProvider()
    ctx = await make_ctx(real_name=provider, real_name_deadline_seconds=0.2)
    account_id, _ = await steps.register(ctx, OUTAGE.document_number, name=OUTAGE.name)
    events_before = len(await steps.outbox_events(ctx))
    with pytest.raises(DependencyUnavailable) as caught:
        await verification.verify_real_name(ctx, account_id)
    assert caught.value.code == "R-ID-9" and "稍后再试" in caught.value.message_zh
    assert provider.calls == 1
    account = (await profile.get_account(ctx, account_id)).account
    assert account.real_name_status is RealNameStatus.UNVERIFIED and account.real_name_checked_at is None
    assert len(await steps.outbox_events(ctx)) == events_before


async def test_r_id_9_a_provider_error_is_an_outage_too(make_ctx, steps) -> None:
    from tqr_identity.adapters.real_name import RealNameProviderUnavailable

    class Broken:
        async def verify(self, *args):
            raise RealNameProviderUnavailable("connection refused")

    ctx = await make_ctx(real_name=Broken())
    account_id, _ = await steps.register(ctx)
    with pytest.raises(DependencyUnavailable):
        await verification.verify_real_name(ctx, account_id)
    assert (await profile.get_account(ctx, account_id)).account.real_name_status is RealNameStatus.UNVERIFIED


async def test_r_id_9_a_verified_account_stays_verified_when_a_name_correction_fails(ctx, steps) -> None:
    holder = next(h for h in demo_registry_holders() if h.document_type.value == "ID_CARD")
    account_id, _ = await steps.register(ctx, holder.document_number, name=holder.name)
    await verification.verify_real_name(ctx, account_id)
    outcome = await verification.verify_real_name(ctx, account_id, corrected_name="错名字")
    assert not outcome.verified and outcome.status is RealNameStatus.VERIFIED
    assert (await profile.get_account(ctx, account_id)).account.name == holder.name


async def test_r_id_9_manual_review_is_only_for_a_failed_verification(ctx, steps) -> None:
    from tqr_identity.service_layer import attachments, reviews

    account_id, _ = await steps.register(ctx)
    with pytest.raises(RuleViolation) as caught:
        await reviews.request_manual_review(ctx, account_id, [attachments.Upload("id.png", steps.png_bytes())])
    assert caught.value.code == "R-ID-9"
