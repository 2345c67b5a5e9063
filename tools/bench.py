"""``make bench``: every benchmark of the project, one after another, each printing its figures.

Benchmarks compare against a baseline measured in the same run (these machines are noisy), so read
the ratios as much as the absolute figures. ``make bench ARGS="documents"`` runs only the named ones.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# name → command (run from the repository root with this interpreter)
BENCHMARKS: dict[str, list[str]] = {
    "documents": [sys.executable, "-m", "tools.bench_render"],
    "search": [sys.executable, "-m", "tools.bench_search", "--rows", "1000000"],
    # The wizard step driven by wrk against the whole system on PostgreSQL: the wrk ceiling, steps/s,
    # CPU ms per step of every process, new PostgreSQL sessions and the paced p99 (tools/loadtest/README.md).
    "loadtest": [sys.executable, "-m", "tools.loadtest.wrkbench"],
    # 3x the system's capacity for 60 s, the gateway's admission control on and off: admitted p99 by
    # priority, server errors, queued/shed, the waiting room's order, submissions audited (R-PEAK-1).
    "overload": [sys.executable, "-m", "tools.loadtest.overload"],
    # Simulated applicants' whole journeys driven by the Python generator, with the audit of what was
    # stored and sent, base and with identity, application and notification ×2 (deploy/CAPACITY.md).
    "journeys": [sys.executable, "-m", "tools.loadtest.benchmark", "--applicants", "50", "--seconds", "60",
                 "--scaling"],
}


def main(argv: list[str]) -> int:
    wanted = argv or list(BENCHMARKS)
    unknown = [name for name in wanted if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    failed = []
    for name in wanted:
        print(f"\n=== {name} ===", flush=True)
        if subprocess.run(BENCHMARKS[name], cwd=ROOT).returncode != 0:  # noqa: S603
            failed.append(name)
    if failed:
        print(f"benchmarks that failed: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
