"""The gateway's graceful stop: drain first, then uvicorn's own shutdown.

On the first SIGTERM (or SIGINT) the gateway keeps serving for ``GATEWAY_DRAIN_SECONDS`` while
/readyz answers 503, so whatever balances requests over the gateways (an ingress, a load balancer
polling readiness) stops sending new ones; each response meanwhile closes its connection, so no
client is left holding an idle keep-alive connection that is about to close under it. Then uvicorn
stops accepting, lets requests in flight finish (up to ``GATEWAY_SHUTDOWN_GRACE_SECONDS``), runs the
lifespan's end (which closes the channels to the services), and the process exits with 0.
A second signal skips what is left of the drain.
"""

from __future__ import annotations

import logging
import signal
import time
from types import FrameType

import uvicorn

log = logging.getLogger(__name__)


class Drain:
    """Whether the gateway is draining; read by /readyz and by every response."""

    def __init__(self) -> None:
        self.active = False

    def begin(self) -> None:
        self.active = True


class DrainingServer(uvicorn.Server):
    def __init__(self, config: uvicorn.Config, drain: Drain, drain_seconds: float) -> None:
        super().__init__(config)
        self.drain = drain
        self.drain_seconds = drain_seconds
        self._drain_ends_at: float | None = None
        self._drain_told = False

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        # Runs as a signal handler: it only sets flags, which the serving loop reads every 0.1 s.
        # uvicorn's own handler also records the signal to raise it again after shutting down,
        # which would end the process by that signal instead of with 0; this one does not.
        if self._drain_ends_at is None and not self.should_exit:
            self._drain_ends_at = time.monotonic() + self.drain_seconds
            self.drain.begin()
        elif self.should_exit and sig == signal.SIGINT:
            self.force_exit = True
        else:
            self.should_exit = True

    async def on_tick(self, counter: int) -> bool:
        if self._drain_ends_at is not None:
            if not self._drain_told:
                self._drain_told = True
                log.info("draining: /readyz answers 503, requests are still served",
                         extra={"seconds": self.drain_seconds})
            if time.monotonic() >= self._drain_ends_at:
                self.should_exit = True
        return await super().on_tick(counter)
