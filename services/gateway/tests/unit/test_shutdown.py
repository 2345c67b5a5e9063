"""The gateway's stop signals (shutdown.py): the first starts the drain, a second ends it."""

import asyncio
import signal

import uvicorn
from tqr_gateway.shutdown import Drain, DrainingServer


def server(drain_seconds: float) -> tuple[DrainingServer, Drain]:
    drain = Drain()
    return DrainingServer(uvicorn.Config(app=None), drain, drain_seconds), drain


def test_the_first_sigterm_drains_and_serving_goes_on_until_the_drain_ends() -> None:
    stopping, drain = server(drain_seconds=60)
    stopping.handle_exit(signal.SIGTERM, None)
    assert drain.active and not stopping.should_exit
    assert asyncio.run(stopping.on_tick(1)) is False  # still serving


def test_serving_ends_when_the_drain_is_over() -> None:
    stopping, _ = server(drain_seconds=0)
    stopping.handle_exit(signal.SIGTERM, None)
    assert asyncio.run(stopping.on_tick(1)) is True


def test_a_second_signal_skips_the_rest_of_the_drain_and_a_third_sigint_forces() -> None:
    stopping, _ = server(drain_seconds=60)
    stopping.handle_exit(signal.SIGTERM, None)
    stopping.handle_exit(signal.SIGTERM, None)
    assert stopping.should_exit and not stopping.force_exit
    stopping.handle_exit(signal.SIGINT, None)
    assert stopping.force_exit
