"""Photos outlive the replica that took them (R-ID-9): two identity processes on one PostgreSQL
database, each in a working directory of its own (as two pods each have their own /tmp). A photo
uploaded through replica A is read and its case decided through replica B after A was SIGKILLed."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import aio_pika
import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from testkit import free_port, wait_for
from testkit.actors import metadata_for
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import ROLE_APPLICANT, ROLE_IDENTITY_REVIEWER
from tqr.identity.v1 import identity_pb2, identity_pb2_grpc
from tqr_identity.service_layer import verification

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.broker, pytest.mark.slow]


async def _serving(port: int) -> bool:
    try:
        async with grpc.aio.insecure_channel(f"127.0.0.1:{port}") as channel:
            reply = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
        return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)
    except grpc.aio.AioRpcError:
        return False


@contextmanager
def replica(name: str, env: dict[str, str], tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """``python -m tqr_identity serve`` in a folder of its own; stopped (if still alive) on the way out."""
    pod = tmp_path / name
    pod.mkdir()
    port = free_port()
    log = (pod / "service.log").open("ab")
    process = subprocess.Popen([sys.executable, "-m", "tqr_identity", "serve"], cwd=pod, stdout=log, stderr=log,
                               env={**env, "IDENTITY_GRPC_PORT": str(port)})
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
        log.close()


async def test_r_id_9_a_photo_taken_by_a_killed_replica_is_reviewed_through_another(
        make_ctx, steps, pg_url, amqp_url, queue_prefix, redis_client, tmp_path) -> None:
    # The applicant is prepared in-process on the same database and Redis keys.
    ctx = await make_ctx(pg_url)
    account_id, _ = await steps.register(ctx)
    assert not (await verification.verify_real_name(ctx, account_id)).verified
    applicant = metadata_for(Actor(subject_id=account_id, role=ROLE_APPLICANT))
    reviewer = metadata_for(Actor(subject_id="staff-reviewer-9", role=ROLE_IDENTITY_REVIEWER))
    photo = steps.png_bytes((64, 48))

    # A queue for the events the replicas publish (publishes are mandatory).
    exchange_name = f"{queue_prefix}events"
    connection = await aio_pika.connect_robust(amqp_url)
    channel = await connection.channel()
    exchange = await channel.declare_exchange(exchange_name, aio_pika.ExchangeType.TOPIC, durable=True)
    listener = await channel.declare_queue(f"{queue_prefix}listener", auto_delete=True)
    await listener.bind(exchange, "#")

    _, prefix = redis_client
    env = {
        **os.environ,
        "TQR_ENVIRONMENT": "test", "TQR_LOG_LEVEL": "WARNING", "TQR_AMQP_URL": amqp_url,
        "TQR_EXCHANGE": exchange_name, "TQR_QUEUE_PREFIX": queue_prefix,
        "IDENTITY_DATABASE_URL": pg_url, "IDENTITY_METRICS_PORT": "-1", "IDENTITY_DRAIN_SECONDS": "0",
        "IDENTITY_REDIS_KEY_PREFIX": prefix,
    }
    try:
        with replica("pod-a", env, tmp_path) as (a, port_a), replica("pod-b", env, tmp_path) as (b, port_b):
            await wait_for(lambda: _serving(port_a), timeout=90, what="replica A to serve")
            await wait_for(lambda: _serving(port_b), timeout=90, what="replica B to serve")

            async with grpc.aio.insecure_channel(f"127.0.0.1:{port_a}") as to_a:
                case = await identity_pb2_grpc.IdentityServiceStub(to_a).RequestManualReview(
                    identity_pb2.RequestManualReviewRequest(
                        photos=[identity_pb2.UploadedPhoto(file_name="front.png", content=photo)]),
                    metadata=applicant)
            assert case.status == identity_pb2.REVIEW_STATUS_PENDING and len(case.photo_ids) == 1

            a.send_signal(signal.SIGKILL)
            a.wait(timeout=10)

            async with grpc.aio.insecure_channel(f"127.0.0.1:{port_b}") as to_b:
                stub = identity_pb2_grpc.IdentityServiceStub(to_b)
                listed = await stub.ListManualReviews(identity_pb2.ListManualReviewsRequest(), metadata=reviewer)
                assert [c.case_id for c in listed.cases] == [case.case_id]
                shown = await stub.GetCasePhoto(identity_pb2.GetCasePhotoRequest(photo_id=case.photo_ids[0]),
                                                metadata=reviewer)
                assert (shown.content_type, shown.content) == ("image/png", photo)
                own = await stub.GetCasePhoto(identity_pb2.GetCasePhotoRequest(photo_id=case.photo_ids[0]),
                                              metadata=applicant)
                assert own.content == photo
                decided = await stub.DecideManualReview(identity_pb2.DecideManualReviewRequest(
                    case_id=case.case_id, decision=identity_pb2.REVIEW_STATUS_APPROVED), metadata=reviewer)
                assert decided.status == identity_pb2.REVIEW_STATUS_APPROVED
            assert b.poll() is None, "replica B kept running"
    finally:
        await connection.close()
