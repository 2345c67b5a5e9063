"""The capacity derivation of deploy/CAPACITY.md, recomputed: from the measured CPU per submission
and the stated peak (deploy/capacity.yaml) to each service's CPU request, autoscaler target,
maximum and peak-window minimum, checked against the rendered overlays and the document's table.
Also the benchmark's CPU figures themselves (tools/loadtest/cpu.py) on real processes."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import testkit
import yaml

from tests.cluster.manifests import of_kind, render
from tools.loadtest.cpu import per_service, per_unit_ms, postgres_processes, reaped_children_seconds

ROOT = Path(__file__).resolve().parents[2]
INPUTS = ROOT / "deploy" / "capacity.yaml"
DOCUMENT = ROOT / "deploy" / "CAPACITY.md"
SERVICES = ["gateway", "identity", "application", "notification", "documents"]


@dataclass(frozen=True)
class Need:
    cores: float  # at the stated peak
    pods: int  # at the autoscalers' target
    maximum: int


def inputs() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(INPUTS.read_text(encoding="utf-8"))
    return loaded


def need(service: str) -> Need:
    data = inputs()
    sizing = data["sizing"]
    cores = data["peak"]["submissions_per_second"] * data["measured"]["cpu_ms_per_application"][service] / 1000
    pods = max(math.ceil(cores / (sizing["cpu_request_cores"] * sizing["target_utilisation"]) - 1e-9),
               sizing["floor_replicas"])
    return Need(cores, pods, sizing["headroom"] * pods)


def cpu_cores(quantity: str) -> float:
    return float(quantity[:-1]) / 1000 if str(quantity).endswith("m") else float(quantity)


def autoscaling(overlay: str, service: str) -> tuple[int, int, int]:
    """(minimum, maximum, CPU target %) of the service's autoscaler in the rendered overlay."""
    resources = render(overlay)
    for hpa in of_kind(resources, "HorizontalPodAutoscaler").values():
        if hpa["spec"]["scaleTargetRef"]["name"] == service:
            (cpu,) = [m for m in hpa["spec"]["metrics"] if m["resource"]["name"] == "cpu"]
            return hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"], cpu["resource"]["target"]["averageUtilization"]
    scaled = of_kind(resources, "ScaledObject")[service]["spec"]
    (cpu,) = [t for t in scaled["triggers"] if t["type"] == "cpu"]
    return scaled["minReplicaCount"], scaled["maxReplicaCount"], int(cpu["metadata"]["value"])


@pytest.mark.parametrize("service", SERVICES)
def test_requests_and_targets_are_the_derivations(service):
    sizing = inputs()["sizing"]
    for overlay in ("prod", "peak"):
        (container,) = of_kind(render(overlay), "Deployment")[service]["spec"]["template"]["spec"]["containers"]
        assert cpu_cores(container["resources"]["requests"]["cpu"]) == sizing["cpu_request_cores"], overlay
        # A limit above the request: the target is a share of the request, bursts are not throttled.
        assert cpu_cores(container["resources"]["limits"]["cpu"]) > sizing["cpu_request_cores"], overlay
        assert autoscaling(overlay, service)[2] == round(100 * sizing["target_utilisation"]), overlay


@pytest.mark.parametrize("service", SERVICES)
def test_the_peak_window_starts_with_what_the_peak_needs_and_may_double_it(service):
    needed = need(service)
    peak_min, peak_max, _ = autoscaling("peak", service)
    prod_min, prod_max, _ = autoscaling("prod", service)
    assert peak_min == needed.pods, f"{service}: the peak needs {needed.pods} pods ({needed.cores:.2f} cores)"
    assert peak_max == prod_max == needed.maximum
    assert prod_min == inputs()["sizing"]["floor_replicas"]


def test_postgresql_requests_twice_what_the_peak_needs():
    data = inputs()
    cores = data["peak"]["submissions_per_second"] * data["measured"]["cpu_ms_per_application"]["postgres"] / 1000
    for overlay in ("prod", "peak"):
        (cluster,) = of_kind(render(overlay), "Cluster").values()
        requested = cpu_cores(cluster["spec"]["resources"]["requests"]["cpu"])
        assert requested >= data["sizing"]["headroom"] * cores
        assert cpu_cores(cluster["spec"]["resources"]["limits"]["cpu"]) >= requested


def test_the_documents_table_is_the_derivation():
    """deploy/CAPACITY.md's table, row by row, against the computation."""
    text = DOCUMENT.read_text(encoding="utf-8")
    floor = inputs()["sizing"]["floor_replicas"]
    for service in SERVICES:
        needed = need(service)
        row = f"| {service} | {needed.cores:.2f} | {needed.pods} | {needed.pods} | {needed.maximum} | {floor} |"
        assert row in text, f"CAPACITY.md should read: {row}"
    measured = inputs()["measured"]["cpu_ms_per_application"]
    for service, milliseconds in measured.items():
        assert re.search(rf"\| (PostgreSQL \(the run's backends\)|{service}) \|[^\n]*\| {milliseconds} \|", text), service
    peak = inputs()["peak"]
    assert f"**{peak['submissions_per_second']} submissions a second**" in text
    assert f"**{peak['submissions_per_second'] * peak['requests_per_submission']} requests a second**" in text


# --- the benchmark's CPU figures (tools/loadtest/cpu.py) ----------------------------------------

def test_a_reaped_childs_cpu_time_is_counted_by_its_parent():
    """PostgreSQL's backends come and go: an exited one's time is found in the postmaster's
    cutime/cstime. The same holds for this process and a child it waited for."""
    before = reaped_children_seconds(os.getpid())
    burn = "import time\nend = time.process_time() + 0.3\nwhile time.process_time() < end: pass\nprint(time.process_time())"
    child = subprocess.run([sys.executable, "-c", burn], capture_output=True, text=True, check=True)
    used_by_child = float(child.stdout)
    tick = 1 / os.sysconf("SC_CLK_TCK")
    assert reaped_children_seconds(os.getpid()) - before >= used_by_child - 2 * tick


def test_replicas_add_up_to_their_service_and_divide_by_the_units():
    used = {"identity-1": 3.0, "identity-2": 1.0, "gateway-1": 2.0, "postgres (run's backends)": 0.5, "load generator": 1}
    assert per_service(used) == {"identity": 4.0, "gateway": 2.0, "postgres (run's backends)": 0.5, "load generator": 1}
    assert per_unit_ms(used, 1000) == {"identity": 4.0, "gateway": 2.0, "postgres (run's backends)": 0.5,
                                       "load generator": 1.0}
    assert per_unit_ms(used, 0) == {}


@pytest.mark.postgres
async def test_the_postgresql_server_is_found_when_no_backend_serves_the_run() -> None:
    """The meter's own query is no backend of the run's; the server is found all the same (the
    benchmark left "postgres (server)" out when the meter's own, exiting backend came first)."""
    async with testkit.postgres_database() as url:
        backends, postmaster = await postgres_processes({"identity": url})
    assert backends == []
    assert Path(f"/proc/{postmaster}/comm").read_text().strip() == "postgres"
