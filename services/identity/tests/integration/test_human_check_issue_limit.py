"""R-ID-5 and R-ID-15: human checks are issued within a per-client limit (a solved check is what
stands before any answer about an account), slider and text question counted together."""

from __future__ import annotations

from datetime import timedelta

import pytest
from servicekit.errors import TooManyRequests
from tqr_identity.service_layer.human_check import HumanCheckKind, issue_human_check

pytestmark = pytest.mark.redis


async def test_r_id_5_one_client_is_issued_a_limited_number_of_checks_per_window(make_ctx) -> None:
    ctx = await make_ctx(human_check_issues_per_client=3, human_check_issue_window_seconds=600)
    for kind in (HumanCheckKind.SLIDER, HumanCheckKind.TEXT, HumanCheckKind.SLIDER):
        await issue_human_check(ctx, kind, "198.51.100.40")
    for kind in HumanCheckKind:  # neither kind is a way around the limit
        with pytest.raises(TooManyRequests) as refused:
            await issue_human_check(ctx, kind, "198.51.100.40")
        assert refused.value.code == "R-ID-5" and 0 < refused.value.retry_after <= 600
        assert "分钟后再试" in refused.value.message_zh
    # Another client is not affected; the first is served again once its window has passed.
    assert await issue_human_check(ctx, HumanCheckKind.SLIDER, "198.51.100.41")
    ctx.clock.advance(timedelta(seconds=refused.value.retry_after))
    assert await issue_human_check(ctx, HumanCheckKind.TEXT, "198.51.100.40")


async def test_r_id_5_the_client_address_is_not_kept_in_clear(make_ctx, redis_client) -> None:
    client, prefix = redis_client
    ctx = await make_ctx()
    await issue_human_check(ctx, HumanCheckKind.TEXT, "198.51.100.42")
    keys = [k.decode() async for k in client.scan_iter(match=f"{prefix}:human-check-issues:*")]
    assert len(keys) == 1 and "198.51.100.42" not in keys[0]
