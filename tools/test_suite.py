"""`make test`: the whole suite, the tests marked ``beside`` in a second pytest process alongside.

A ``beside`` test spends minutes waiting (a dependency kept away for two minutes, as an outage
lasts; replicas added and removed under a slow steady load) on a system of its own, with names,
databases and ports no other test uses. Run one after
another they added four minutes of idling to the suite; run alongside the rest they cost what their
processes use. The second process's output is printed after the main run's, then one line with
both runs' counts; the suite fails if either run does.

Arguments go to both runs (``make test ARGS="-x"``); a selection that leaves one of them nothing to
run is not a failure of that run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from typing import IO

NO_TESTS_COLLECTED = 5  # pytest's exit code when the selection is empty
BESIDE = "beside"
COUNTED = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)\b")
SUMMARY = re.compile(r"\d+ (passed|failed|skipped|errors?|xfailed|xpassed|deselected)\b.* in [\d.]+s|no tests ran")


def run_pytest(marker_expression: str, args: list[str], output: IO[bytes] | int) -> subprocess.Popen[bytes]:
    """A pytest run of the tests the marker expression selects, its output to ``output``."""
    command = [sys.executable, "-m", "pytest", "-q", "-m", marker_expression, *args]
    return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,  # noqa: S603 (the developer's own arguments)
                            stdin=subprocess.DEVNULL)


def outcome(code: int) -> int:
    return 0 if code == NO_TESTS_COLLECTED else code


def summary_of(output: str) -> str:
    """pytest's last line of counts ("12 passed, 1 skipped in 3.21s"), or ''."""
    lines = [line.strip(" =") for line in output.splitlines() if SUMMARY.search(line)]
    return lines[-1] if lines else ""


def both(rest: str, beside: str) -> str:
    """One line of the two runs' counts added up (what a reader of the last line wants)."""
    counts: Counter[str] = Counter()
    for summary in (rest, beside):
        for number, kind in COUNTED.findall(summary):
            counts["error" if kind.startswith("error") else kind] += int(number)
    added = ", ".join(f"{n} {kind}" for kind, n in counts.items()) or "no tests ran"
    return f"make test: {added} (the main run: {rest or 'no summary'}; beside it: {beside or 'no summary'})"


def _pass_through(process: subprocess.Popen[bytes]) -> str:
    """Everything the process writes, copied to our output as it comes; returns its last 8 KiB."""
    assert process.stdout is not None
    tail = b""
    while chunk := os.read(process.stdout.fileno(), 65536):
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        tail = (tail + chunk)[-8192:]
    return tail.decode(errors="replace")


def main(args: list[str]) -> int:
    with tempfile.TemporaryFile() as beside_output:
        beside = run_pytest(BESIDE, args, beside_output)
        rest = run_pytest(f"not {BESIDE}", args, subprocess.PIPE)
        try:
            rest_tail = _pass_through(rest)
            rest_code, beside_code = rest.wait(), beside.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached both runs (one process group): each tears its fixtures down first.
            rest.wait()
            beside.wait()
            raise
        beside_output.seek(0)
        beside_text = beside_output.read().decode(errors="replace")
    print(f"\n==== the tests run beside the rest (pytest -m {BESIDE}) ====", flush=True)
    sys.stdout.write(beside_text)
    print(f"\n{both(summary_of(rest_tail), summary_of(beside_text))}", flush=True)
    return outcome(rest_code) or outcome(beside_code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
