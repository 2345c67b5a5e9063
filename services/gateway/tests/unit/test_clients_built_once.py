"""The gateway builds its gRPC stubs once, at start-up, not on every request: building three stubs
per request was ≈ 6 % of its CPU under load. A stub's constructor asks the channel for one callable
per method (``unary_unary`` …); after start-up no request may ask again."""

from __future__ import annotations

from typing import Any

import pytest
from grpc.aio import _channel

from services.gateway.tests.unit.staff_fakes import APP_ID
from services.gateway.tests.unit.staff_wire_fakes import console

FACTORIES = ("unary_unary", "unary_stream", "stream_unary", "stream_stream")


def test_requests_reuse_the_stubs_built_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[str] = []
    for name in FACTORIES:
        original = getattr(_channel.Channel, name)

        def counting(self: Any, method: str, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            asked.append(method)
            return _original(self, method, *args, **kwargs)

        monkeypatch.setattr(_channel.Channel, name, counting)
    with console() as running:
        built_at_start = len(asked)
        assert built_at_start  # the counting above sees stubs being built at all
        running.sign_in("tok-admin")  # the session middleware resolves the token with identity
        assert running.client.get(f"/staff/applications/{APP_ID}").status_code == 200
        assert running.client.get(f"/api/v1/staff/applications/{APP_ID}").status_code == 200
        assert running.client.get("/api/v1/authorities").status_code == 200
        running.sign_in("tok-reviewer")
        assert running.client.get("/staff/reviews").status_code == 200
        assert asked[built_at_start:] == []
