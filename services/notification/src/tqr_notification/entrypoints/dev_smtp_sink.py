"""Development outbox as part of the service: start the local SMTP sink with the service.

With ``NOTIFICATION_DEV_SMTP_SINK`` on (the default in development) the service starts
``channels.dev_outbox.SmtpSink`` on its own SMTP host and port, so that ``make run`` needs no mail
server and every email lands in the outbox directory. With several replicas only one can bind the
port; the others log that and send to the sink that is already there.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from tqr_notification.channels.dev_outbox import SmtpSink

log = logging.getLogger(__name__)


class DevSmtpSinkHook:
    def __init__(self, host: str, port: int, outbox_dir: Path | str) -> None:
        self.host = host
        self.port = port
        self.outbox_dir = Path(outbox_dir)
        self.sink: SmtpSink | None = None

    async def start(self) -> None:
        # aiosmtpd logs four lines per connection at INFO; the outbox file is the record here.
        logging.getLogger("mail.log").setLevel(logging.WARNING)
        sink = SmtpSink(self.host, self.port, self.outbox_dir)
        try:
            await asyncio.to_thread(sink.start)
        except OSError as error:
            log.info("development SMTP sink not started here; using the one already on the port",
                     extra={"smtp_port": self.port, "error": str(error)})
            return
        self.sink = sink
        log.info("development SMTP sink listening",
                 extra={"smtp_port": sink.port, "outbox_dir": str(self.outbox_dir)})

    async def stop(self) -> None:
        if self.sink is not None:
            await asyncio.to_thread(self.sink.stop)
            self.sink = None
