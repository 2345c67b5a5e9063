"""Who a per-client limit counts, with the ingress and the clients on hosts of their own.

The operator lists the ingress controller's addresses in GATEWAY_TRUSTED_PROXIES (the manifests
carry a pod range to be set per cluster; here the ingress host's address). The limit observed is
the gateway's sign-in rate limit, counted per client before the body is read.
"""

from __future__ import annotations

import subprocess
import sys
import time

import httpx
import pytest

from tests.cluster.system import Cluster

ENOUGH_ATTEMPTS = 200  # far above the sign-in limit; only a bound in case the limit is broken
# Run inside a host's namespace: sign-in attempts until refused with 429; prints how many passed.
ATTEMPTS = """
import sys, httpx
url, forwarded, bound = sys.argv[1], sys.argv[2], int(sys.argv[3])
headers = {"X-Forwarded-For": forwarded} if forwarded else {}
with httpx.Client(timeout=10) as client:
    reply = client.get(url.replace("/sessions", "/csrf-token"), headers=headers)
    headers["Cookie"] = "__Host-csrf=" + reply.cookies["__Host-csrf"]  # a Secure cookie, sent by hand
    headers["X-CSRF-Token"] = reply.json()["csrf_token"]
    for n in range(bound):
        if client.post(url, headers=headers, json={}).status_code == 429:
            break
print(n)
"""

@pytest.fixture(scope="module")
def system(cluster: Cluster) -> Cluster:
    ingress = cluster.network.add_host("ingress")
    # The limit is the gateway's own: no backend is needed, so the gateway is taken as up once it
    # answers its liveness check (ready would mean every backend answers).
    pod = cluster.start_pod("gateway", env={"GATEWAY_TRUSTED_PROXIES": ingress.address}, wait=False)
    deadline = time.monotonic() + 60
    while not _alive(f"http://{pod.address}:{pod.port('GATEWAY_PORT')}/livez"):
        assert pod.process.poll() is None and time.monotonic() < deadline, cluster.log_tail(pod)
        time.sleep(0.3)
    pod.in_service = True
    return cluster


def _alive(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _admitted(system: Cluster, host_name: str, forwarded: str = "") -> int:
    (gateway,) = system.gateway_addresses()
    host = system.network.hosts.get(host_name) or system.network.add_host(host_name)
    result = subprocess.run(host.command(sys.executable, "-c", ATTEMPTS, f"http://{gateway}/api/v1/account/sessions",
                                         forwarded, str(ENOUGH_ATTEMPTS)),
                            capture_output=True, text=True, check=True, timeout=120)
    return int(result.stdout.strip())


def test_clients_behind_the_ingress_are_counted_one_by_one(system: Cluster) -> None:
    first = _admitted(system, "ingress", "203.0.113.10")
    second = _admitted(system, "ingress", "203.0.113.11")
    spoofed = _admitted(system, "ingress", "198.51.100.7, 203.0.113.11")  # a client-written left part
    print(f"\nadmitted before 429: client 1 {first}, client 2 {second}, client 2 with a forged left part {spoofed}")
    assert 0 < first < ENOUGH_ATTEMPTS
    assert second == first, "the second client behind the ingress has a limit of its own"
    assert spoofed == 0, "the forged left part does not make a new client"


def test_a_client_reaching_the_gateway_directly_is_counted_as_itself(system: Cluster) -> None:
    first = _admitted(system, "outsider", "203.0.113.20")
    again = _admitted(system, "outsider", "203.0.113.21")
    assert 0 < first < ENOUGH_ATTEMPTS
    assert again == 0, "its own X-Forwarded-For header is ignored"
