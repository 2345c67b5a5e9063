from __future__ import annotations

import random

import pytest
from tqr_notification.domain.delivery import DeliveryResult
from tqr_notification.domain.retry import CODE_POLICY, RetryPolicy, next_delay


class HighestDraw(random.Random):
    """Always draws the top of the range, exposing the ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


class LowestDraw(random.Random):
    def uniform(self, a: float, b: float) -> float:
        return a


def test_ceiling_doubles_per_attempt_until_the_cap():
    ceilings = [next_delay(n, base=2.0, cap=30.0, rng=HighestDraw()) for n in range(1, 7)]
    assert ceilings == [2.0, 4.0, 8.0, 16.0, 30.0, 30.0]


def test_full_jitter_may_draw_zero():
    assert next_delay(5, base=2.0, cap=30.0, rng=LowestDraw()) == 0.0


def test_draws_stay_inside_zero_and_the_ceiling_and_spread_out():
    rng = random.Random(7)
    draws = [next_delay(4, base=1.0, cap=100.0, rng=rng) for _ in range(500)]
    assert all(0.0 <= d <= 8.0 for d in draws)
    # Full jitter, not equal jitter: both halves of the range are used.
    assert min(draws) < 2.0 and max(draws) > 6.0


def test_huge_attempt_numbers_stay_at_the_cap():
    assert next_delay(10_000, base=1.0, cap=60.0, rng=HighestDraw()) == 60.0


@pytest.mark.parametrize(("attempt", "base", "cap"), [(0, 1.0, 1.0), (1, 0.0, 1.0), (1, 1.0, -1.0)])
def test_nonsense_arguments_are_refused(attempt, base, cap):
    with pytest.raises(ValueError):
        next_delay(attempt, base, cap, random.Random())


def test_policy_retries_only_transient_failures_up_to_max_attempts():
    policy = RetryPolicy(max_attempts=3)
    transient = DeliveryResult.failed("451", transient=True)
    permanent = DeliveryResult.failed("550", transient=False)
    assert policy.should_retry(transient, 1) and policy.should_retry(transient, 2)
    assert not policy.should_retry(transient, 3)
    assert not policy.should_retry(permanent, 1)
    assert not policy.should_retry(DeliveryResult.delivered("250"), 1)
    with pytest.raises(ValueError):
        RetryPolicy(max_attempts=0)


def test_r_id_6_code_retries_finish_well_inside_the_code_validity():
    worst_case = sum(CODE_POLICY.delay_after(n, HighestDraw()) for n in range(1, CODE_POLICY.max_attempts))
    assert worst_case < 60

