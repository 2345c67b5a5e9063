"""Replicas behind one DNS name under steady load: a replica added to the name gets its share of
the calls, and a replica stopped (SIGTERM) or restarted costs no call.

Each replica is a process of its own (tests/foundation/replica.py, the real servicekit host) on its
own loopback address and the same port, as pods behind a headless Service; a real DNS server
(dnsmasq) answers the name; the client is ``servicekit.rpc.client.open_channel``, as the gateway's.
Every reply names the replica that served it, so the test counts the calls each replica served.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import random
import signal
import socket
import subprocess
import sys
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from servicekit.rpc.client import open_channel
from testkit import free_port, wait_for

from tests.foundation.dnsmasq import DNSMASQ, DnsServer
from tests.foundation.replica import SERVICE

# beside: a minute of a slow steady load on replicas, addresses (127.0.0.2, .3) and a DNS server of its own.
pytestmark = [
    pytest.mark.slow,
    pytest.mark.beside,
    pytest.mark.skipif(not Path(DNSMASQ).exists(), reason="dnsmasq is installed by tools/ensure-system-packages.sh"),
]

ROOT = Path(__file__).resolve().parents[2]
NAME = "replicas.tqr.test"
FIRST, SECOND = "127.0.0.2", "127.0.0.3"
# The goal for a replica added at peak: this share of the service's calls within this many seconds
# (two replicas: an even split would be one half).
ADDED_REPLICA_SHARE = 0.30
ADDED_REPLICA_WINDOW_SECONDS = 30
# A replica that stops while its callers know no other: its drain must last until each caller's
# connection reached its maximum age (5 s, ±10 %) and the caller asked DNS again, as the backends'
# drain in deploy/k8s does.
REPLACED_REPLICA_DRAIN_SECONDS = 8


@dataclass
class Replica:
    address: str
    port: int
    work_log: Path
    env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.foundation.replica", self.address, str(self.port), str(self.work_log)],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT), **self.env},
        )

    async def serving(self) -> None:
        await wait_for(lambda: _is_serving(self.address, self.port), timeout=30, what=f"{self.address} serving")

    async def terminate(self) -> int:
        """SIGTERM, as Kubernetes stops a pod; returns the exit status."""
        assert self.process is not None
        self.process.send_signal(signal.SIGTERM)
        status = await asyncio.to_thread(self.process.wait, 60)
        self.process = None
        return status

    def work_done(self) -> list[str]:
        return self.work_log.read_text(encoding="utf-8").split() if self.work_log.exists() else []

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait()


async def _is_serving(address: str, port: int) -> bool:
    try:
        async with grpc.aio.insecure_channel(f"{address}:{port}") as channel:
            answer = await health_pb2_grpc.HealthStub(channel).Check(health_pb2.HealthCheckRequest(), timeout=1)
    except grpc.aio.AioRpcError:
        return False
    return answer.status == health_pb2.HealthCheckResponse.SERVING


def port_free_on(*addresses: str) -> int:
    """One port that every address can bind (the replicas share it, as pods share a container port)."""
    while True:
        port = free_port()
        try:
            for address in addresses:
                with socket.socket() as probe:
                    probe.bind((address, port))
        except OSError:
            continue
        return port


@dataclass
class SteadyLoad:
    """Callers that each make a call, pause, and make the next, until stopped.

    When ``writes`` is on, half the calls, at random, are ``Write`` (not idempotent: never retried
    by the channel); the others are ``Read`` (idempotent)."""

    channel: grpc.aio.Channel
    callers: int = 4
    pause: float = 0.02
    writes: bool = False
    write_seconds: float = 0.2
    served: Counter[str] = field(default_factory=Counter)
    failures: list[str] = field(default_factory=list)
    writes_done: list[str] = field(default_factory=list)
    _ids: Iterator[int] = field(default_factory=itertools.count)
    # Not every other call: with round-robin that could send every write to one replica.
    _coin: random.Random = field(default_factory=lambda: random.Random(16))
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _running: bool = True
    phase: str = "start"

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._caller()) for _ in range(self.callers)]

    async def stop(self) -> None:
        self._running = False
        await asyncio.gather(*self._tasks)

    async def _caller(self) -> None:
        read = self.channel.unary_unary(f"/{SERVICE}/Read")
        write = self.channel.unary_unary(f"/{SERVICE}/Write")
        while self._running:
            call = next(self._ids)
            try:
                if self.writes and self._coin.random() < 0.5:
                    replica = await write(f"{call}:{self.write_seconds}".encode())
                    self.writes_done.append(str(call))
                else:
                    replica = await read(b"")
                self.served[replica.decode()] += 1
            except grpc.aio.AioRpcError as error:
                self.failures.append(f"call {call} ({self.phase}): {error.code().name} {error.details()}")
            await asyncio.sleep(self.pause)


@pytest.fixture
def dns(tmp_path: Path) -> Iterator[DnsServer]:
    server = DnsServer(tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def replicas(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[dict[str, Replica]]:
    """Both replicas, serving (settings for them, ``REPLICA_…``, as the test's parameter)."""
    port = port_free_on(FIRST, SECOND)
    env = getattr(request, "param", {})
    started = {a: Replica(a, port, tmp_path / f"work-{a}.log", env) for a in (FIRST, SECOND)}
    for replica in started.values():
        replica.start()
    try:
        for replica in started.values():
            await replica.serving()
        yield started
    finally:
        for replica in started.values():
            replica.kill()


async def published(dns: DnsServer, addresses: list[str]) -> None:
    dns.publish(NAME, addresses)
    await wait_for(lambda: dns.answers(NAME) == sorted(addresses), what=f"DNS to answer {addresses}")


def client(dns: DnsServer, port: int) -> grpc.aio.Channel:
    return open_channel(dns.target(NAME, port), SERVICE, idempotent_methods=["Read"])


async def test_a_replica_added_to_the_name_under_load_serves_its_share_of_calls(dns, replicas):
    await published(dns, [FIRST])
    async with client(dns, replicas[FIRST].port) as channel:
        load = SteadyLoad(channel)
        load.start()
        await wait_for(lambda: load.served[FIRST] >= 50, what="the load to run on the first replica")
        assert load.served[SECOND] == 0  # not in DNS yet

        await published(dns, [FIRST, SECOND])
        before = Counter(load.served)
        await asyncio.sleep(ADDED_REPLICA_WINDOW_SECONDS)
        during = Counter(load.served)
        during.subtract(before)
        await load.stop()

    total = sum(during.values())
    print(f"in the {ADDED_REPLICA_WINDOW_SECONDS} s after the second replica was added to DNS: {dict(during)}, "
          f"its share {during[SECOND] / total:.1%}")
    assert total >= 200  # the load really ran
    assert during[SECOND] / total >= ADDED_REPLICA_SHARE, dict(during)
    assert load.failures == []


async def test_replicas_stopped_and_restarted_under_load_fail_no_call_and_lose_no_write(dns, replicas):
    await published(dns, [FIRST, SECOND])
    async with client(dns, replicas[FIRST].port) as channel:
        load = SteadyLoad(channel, callers=8, writes=True)
        load.start()
        await wait_for(lambda: min(load.served[FIRST], load.served[SECOND]) >= 20, what="calls on both replicas")

        # Each replica in turn stops (still in DNS, as a pod's address lingers in caches) and comes back.
        for leaving, staying in ((FIRST, SECOND), (SECOND, FIRST), (FIRST, SECOND)):
            await stop_with_a_write_in_flight(replicas[leaving], load)
            served = load.served[staying]
            await wait_for(lambda: load.served[staying] >= served + 30, what=f"calls on {staying}")
            load.phase = f"{leaving} restarting"
            replicas[leaving].start()
            await replicas[leaving].serving()
            served = load.served[leaving]
            await wait_for(lambda: load.served[leaving] >= served + 20, timeout=30,
                           what=f"the restarted {leaving} to serve calls again")

        # The second replica leaves for good: removed from DNS, then stopped.
        load.phase = "second leaving"
        await published(dns, [FIRST])
        await stop_with_a_write_in_flight(replicas[SECOND], load)
        served = load.served[FIRST]
        await wait_for(lambda: load.served[FIRST] >= served + 50, what="calls after the second stopped")
        await load.stop()

    assert load.failures == []
    # Every write the client was told succeeded was done, and done once; so were the ones in flight.
    assert sorted(replicas[FIRST].work_done() + replicas[SECOND].work_done()) == sorted(load.writes_done)
    assert len(load.writes_done) >= 100


@pytest.mark.parametrize("replicas", [{"REPLICA_DRAIN_SECONDS": str(REPLACED_REPLICA_DRAIN_SECONDS)}],
                         indirect=True)
async def test_a_replica_replaced_under_load_by_one_its_callers_do_not_know_yet_fails_no_call(dns, replicas):
    """A rollout of a one-replica service: the new replica enters DNS and the old one gets SIGTERM
    at once, before any caller asked DNS again; a moment later DNS drops the old one."""
    await published(dns, [FIRST])
    async with client(dns, replicas[FIRST].port) as channel:
        load = SteadyLoad(channel, callers=8, writes=True)
        load.start()
        await wait_for(lambda: load.served[FIRST] >= 50, what="the load to run on the first replica")

        await published(dns, [FIRST, SECOND])
        load.phase = "first stopping"
        stopping = asyncio.create_task(replicas[FIRST].terminate())
        await asyncio.sleep(1)  # Kubernetes removes a stopping pod from DNS shortly after SIGTERM
        await published(dns, [SECOND])
        assert await stopping == 0
        load.phase = "first stopped"
        served = load.served[SECOND]
        await wait_for(lambda: load.served[SECOND] >= served + 50, what="calls on the new replica")
        await load.stop()

    assert load.failures == []
    assert sorted(replicas[FIRST].work_done() + replicas[SECOND].work_done()) == sorted(load.writes_done)
    assert load.writes_done


async def stop_with_a_write_in_flight(replica: Replica, load: SteadyLoad) -> None:
    """SIGTERM while the replica works on a write (sent to it directly): the write is finished, not cut."""
    async with grpc.aio.insecure_channel(f"{replica.address}:{replica.port}") as direct:
        write_id = f"in-flight-{len(load.writes_done)}"
        in_flight = direct.unary_unary(f"/{SERVICE}/Write")(f"{write_id}:2".encode(), timeout=30)
        await in_flight.initial_metadata()
        load.phase = f"{replica.address} stopping"
        assert await replica.terminate() == 0
        load.phase = f"{replica.address} stopped"
        assert await in_flight == replica.address.encode()
        load.writes_done.append(write_id)
