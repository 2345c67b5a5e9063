"""A burst of 1,000 events, the service process SIGKILLed in the middle and restarted: every email
reaches the SMTP sink once. The only duplicates allowed are of deliveries whose send ended without
a clear answer: in flight at the kill (the provider had accepted but the row was not yet marked),
or tried more than once because an attempt timed out (on a loaded machine the sink may accept a
message and answer after the sender stopped waiting); each of those at most twice.
"""

from __future__ import annotations

import asyncio
import collections
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from testkit import free_port, wait_for
from tqr.identity.v1 import events_pb2 as idn
from tqr_notification.channels.dev_outbox import SmtpSink

pytestmark = pytest.mark.slow

ACCOUNTS = [f"acc-{i}" for i in range(10)]
BURST = 1000


def _received(outbox: Path) -> collections.Counter[str]:
    path = outbox / "emails.jsonl"
    if not path.exists():
        return collections.Counter()
    ids = []
    # The sink may be writing the last line right now, cut inside a multi-byte character.
    for line in path.read_bytes().decode("utf-8", errors="replace").splitlines():
        try:
            ids.append(json.loads(line)["message_id"])
        except (ValueError, KeyError):
            continue
    return collections.Counter(ids)


async def _serving(port: int) -> bool:
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.aio.AioRpcError:
        return False


async def test_burst_with_the_service_killed_midway_sends_every_email_exactly_once(
        pg_url, rig_factory, tmp_path, redis_prefix):
    rig = rig_factory(pg_url)
    outbox = tmp_path / "sink"
    sink = SmtpSink("127.0.0.1", free_port(), outbox)
    sink.start()
    grpc_port = free_port()
    env = {
        **os.environ,
        "TQR_ENVIRONMENT": "test", "TQR_LOG_LEVEL": "WARNING", "TQR_AMQP_URL": rig.amqp_url,
        "TQR_EXCHANGE": rig.exchange, "TQR_QUEUE_PREFIX": rig.queue_prefix,
        "NOTIFICATION_DATABASE_URL": pg_url, "NOTIFICATION_GRPC_PORT": str(grpc_port),
        "NOTIFICATION_METRICS_PORT": "-1", "NOTIFICATION_DRAIN_SECONDS": "0",
        "NOTIFICATION_SMTP_PORT": str(sink.port), "NOTIFICATION_DEV_SMTP_SINK": "false",
        "NOTIFICATION_OUTBOX_DIR": str(tmp_path / "dev-outbox"),
        "NOTIFICATION_REDIS_KEY_PREFIX": redis_prefix.rstrip(":"),
        "NOTIFICATION_RECIPIENT_LIMIT_MAX_MESSAGES": "100000",
        # A claim of the killed process is taken over this soon after the restart. Not shorter: on
        # an overloaded machine a send can outlast a 2 s lease, and the live process would then
        # take over its own claim (a repeat the test rightly counts, but not the one it is about).
        "NOTIFICATION_DISPATCH_LEASE_SECONDS": "10", "NOTIFICATION_DISPATCH_POLL_SECONDS": "0.2",
    }
    log = (tmp_path / "service.log").open("ab")

    def launch() -> subprocess.Popen[bytes]:
        return subprocess.Popen([sys.executable, "-m", "tqr_notification", "serve"],
                                env=env, stdout=log, stderr=log)

    process = launch()
    try:
        await wait_for(lambda: _serving(grpc_port), timeout=90, what="the service to serve")
        for account in ACCOUNTS:
            await rig.register(account, f"{account}@example.com", "13812345678")

        async def burst() -> None:
            for start in range(0, BURST, 50):
                await asyncio.gather(*(
                    rig.publish(idn.RealNameVerified(account_id=ACCOUNTS[i % len(ACCOUNTS)], name=f"第{i}号"))
                    for i in range(start, start + 50)
                ))

        publishing = asyncio.create_task(burst())
        await wait_for(lambda: sum(_received(outbox).values()) >= 300, timeout=90, interval=0.01,
                       what="a third of the emails")
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)
        at_kill = sum(_received(outbox).values())
        in_flight = {f"<{row.delivery_id}@tqr.example.cn>" for row in await rig.rows(channel="email")
                     if row.status == "QUEUED" and row.claim_token is not None}
        await publishing

        process = launch()
        expected = len(ACCOUNTS) + BURST

        async def all_sent() -> bool:
            rows = await rig.rows(channel="email")
            return len(rows) == expected and all(row.status == "SENT" for row in rows)

        await wait_for(all_sent, timeout=150, interval=0.2, what="every email row SENT after the restart")
        await asyncio.sleep(0.5)
        received = _received(outbox)
        rows = await rig.rows(channel="email")
        wanted = {f"<{row.delivery_id}@tqr.example.cn>" for row in rows}
        retried = {f"<{row.delivery_id}@tqr.example.cn>" for row in rows if row.attempts > 1}
        duplicates = {message_id for message_id, count in received.items() if count > 1}
        print(f"\nkilled after {at_kill} emails; {len(in_flight)} in flight; {len(retried)} retried; "
              f"{len(duplicates)} sent twice")
        assert at_kill < expected, "the kill came after everything was sent; the test proved nothing"
        assert set(received) == wanted
        assert duplicates <= in_flight | retried, "a delivery sent once without doubt was sent twice"
        assert all(received[message_id] == 2 for message_id in duplicates)
        assert len(await rig.rows(channel="inapp")) == expected
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()
        sink.stop()
