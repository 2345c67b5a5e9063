from __future__ import annotations

import pytest
from tqr_notification.domain.catalogue import Channel, spec_for
from tqr_notification.domain.delivery import DeliveryStatus
from tqr_notification.domain.recipient_limit import (
    LimitBucket,
    LimitDecision,
    LimitRule,
    RecipientLimitPolicy,
    bucket_for,
    is_limited,
    recipient_digest,
)

KEY = b"k" * 32


def test_digest_hides_the_address_and_depends_on_the_key():
    digest = recipient_digest(KEY, "13812345678")
    assert "13812345678" not in digest and "5678" not in digest
    assert digest != recipient_digest(b"x" * 32, "13812345678")
    assert len(digest) == 64


@pytest.mark.parametrize(
    ("a", "b"),
    [("13812345678", "+86 138 1234 5678"), ("Zhang@Example.com", "zhang@example.com ")],
)
def test_spellings_of_one_destination_share_a_digest(a, b):
    assert recipient_digest(KEY, a) == recipient_digest(KEY, b)


def test_short_hmac_key_is_refused():
    with pytest.raises(ValueError):
        recipient_digest(b"short", "13812345678")


def test_r_id_6_codes_are_counted_apart_from_other_notices():
    assert bucket_for(spec_for("tqr.identity.v1.VerificationCodeRequested")) is LimitBucket.CODES
    assert bucket_for(spec_for("tqr.application.v1.ApplicationStatusChanged")) is LimitBucket.GENERAL
    policy = RecipientLimitPolicy(general=LimitRule(20, 3600), codes=LimitRule(5, 600))
    assert policy.rule_for(LimitBucket.CODES) == LimitRule(5, 600)
    assert policy.rule_for(LimitBucket.GENERAL) == LimitRule(20, 3600)


def test_only_channels_that_push_to_a_person_are_limited():
    assert is_limited(Channel.EMAIL) and is_limited(Channel.SMS) and is_limited(Channel.ALTERNATIVE)
    assert not is_limited(Channel.INAPP)


def test_held_decision_becomes_a_held_delivery_record():
    decision = LimitDecision(False, LimitBucket.GENERAL, 20, 20, 3600, retry_after_seconds=120)
    result = decision.as_held_result()
    assert result.status is DeliveryStatus.HELD and not result.retryable
    assert "120" in result.provider_answer


def test_nonsense_rule_is_refused():
    with pytest.raises(ValueError):
        LimitRule(0, 3600)
