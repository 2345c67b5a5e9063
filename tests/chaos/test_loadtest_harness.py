"""The load-test harness of `make bench ARGS="journeys"`, small, so it keeps working (no timing assertions).

Same code path as the benchmark (tools.loadtest.benchmark.measure_system) with a handful of
applicants: the ceiling, the busy and the paced wizard-step phases, the paced and the unpaused journeys
with their audits, the table and the JSON.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.loadtest import quiet
from tools.loadtest.benchmark import Sizes, measure_system, print_report, verdicts
from tools.loadtest.stats import write_json
from tools.loadtest.system import Service, System, stop_system

pytestmark = [pytest.mark.beside, pytest.mark.slow, pytest.mark.postgres, pytest.mark.broker, pytest.mark.redis]

STEPS = ["csrf-token", "human-check", "human-check-answer", "sign-in", "draft", "step:must-read", "step:terms",
         "step:certificate-lookup", "step:certificate-details", "step:point", "step:notes", "step:materials",
         "submit", "status", "form"]


async def test_small_benchmark_run_reports_every_figure(chaos_system: System, tmp_path: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    sizes = Sizes(applicants=4, seconds=8, accounts=10, steps_seconds=3, ceiling_seconds=2, warm_seconds=8,
                  think_seconds=0.2, settle_seconds=3)
    run = {"configuration": "small", "replicas": {}, **await measure_system(chaos_system, sizes, ceiling_rps=None)}
    document = {"arguments": {"applicants": sizes.applicants, "seconds": sizes.seconds}, "runs": [run],
                "verdicts": verdicts(run)}

    assert run["ceiling"]["requests_per_second"] > 0 and run["ceiling"]["errors"] == 0
    ceiling_cpu = run["ceiling"]["cpu_seconds"]
    assert ceiling_cpu["bare server"] > 0 and ceiling_cpu["load generator"] > 0  # which side sets it
    assert run["wizard_step_phase"]["requests_per_second"] > 0
    assert run["wizard_step_phase"]["errors"] == 0, run["wizard_step_phase"]["error_kinds"]
    paced = run["paced_phase"]
    assert paced["offered_per_second"] > 0 and paced["latency"]["count"] > 0
    assert paced["errors"] == 0, paced["error_kinds"]
    assert run["errors"] == 0, (run["error_kinds"], run["error_examples"])
    journeys = run["paced_journeys"]
    assert journeys["errors"] == 0, (journeys["error_kinds"], journeys["error_examples"])
    assert journeys["applications_completed"] == journeys["applicants_started"] > 0
    assert journeys["audit"]["lost"] == journeys["audit"]["messages_sent_twice"] == 0
    assert journeys["audit"]["submit_to_notification_sent"]["count"] == journeys["audit"]["accepted"]
    assert run["applications_completed"] == run["applicants_started"] > 0
    assert list(run["steps"]) == STEPS  # every step of the journey was timed, in order
    audit = run["audit"]
    assert audit["accepted"] == audit["stored"] == run["applications_accepted"]
    assert audit["lost"] == audit["duplicated_applications"] == audit["messages_sent_twice"] == 0
    assert audit["deliveries_missing"] == 0 and audit["submit_to_notification_sent"]["count"] == audit["accepted"]
    assert run["outbox"]["publish_lag"]["unpublished"] == 0
    assert set(run["cpu_seconds"]) >= {"gateway-1", "application-1", "identity-1", "load generator"}
    # The capacity figures (deploy/CAPACITY.md): CPU per request and per application, per service.
    for costs in (journeys["cpu_ms_per_request"], journeys["cpu_ms_per_application"], run["cpu_ms_per_application"]):
        assert {"gateway", "identity", "application", "notification", "documents", "postgres (server)"} <= set(costs)
        assert costs["application"] > 0 and costs["postgres (server)"] > 0
    assert journeys["requests"] >= journeys["applications_completed"] * 15  # a whole journey each
    assert list(run["settled_before"]) == ["ceiling", "wizard_step_phase", "paced_phase", "paced_journeys", "journeys"]
    assert all(0 <= s["idle_share"] <= 1 and s["seconds"] >= quiet.WINDOW_SECONDS for s in run["settled_before"].values())

    print_report(document)
    printed = capsys.readouterr().out
    assert "wizard steps (all 7)" in printed and "bare FastAPI ceiling" in printed and "targets:" in printed
    assert "paced phase" in printed and "paced journeys" in printed
    assert "ceiling: CPU seconds" in printed and "before each phase" in printed
    write_json(tmp_path / "loadtest.json", document)
    again = json.loads((tmp_path / "loadtest.json").read_text(encoding="utf-8"))
    assert set(again["verdicts"]) == set(document["verdicts"])


def _system_without_processes(var: Path, like: System, *, removes_var: bool) -> System:
    sink = Service("smtp-sink", [], {}, var / "log" / "smtp-sink.log")  # never started
    return System(like.url, var, like.ports, {}, {}, [], sink, vhost=f"tqr-no-such-vhost-{var.name}",
                  rabbit_node=like.rabbit_node, removes_var=removes_var)


async def test_a_runs_own_folder_is_removed_when_it_stops_and_a_given_one_is_kept(chaos_system: System,
                                                                                  tmp_path: Path) -> None:
    # The folder holds the run's passwords, the session cookies of the wrk scripts and the emails
    # sent; one was left in /tmp by every benchmark and every make test.
    assert chaos_system.removes_var  # the fixture gave no folder: the run made its own
    for removes_var in (True, False):
        var = tmp_path / f"run-{removes_var}"
        (var / "wrk").mkdir(parents=True)
        (var / "wrk" / "busy-0.lua").write_text("-- session cookies")
        await stop_system(_system_without_processes(var, chaos_system, removes_var=removes_var))
        assert var.exists() is not removes_var
