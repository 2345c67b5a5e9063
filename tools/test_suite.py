"""`make test`: the whole suite, the tests marked ``beside`` in a second pytest process alongside.

A ``beside`` test spends minutes waiting (a dependency kept away for two minutes, as an outage
lasts; replicas added and removed under a slow steady load), or loads and breaks a copy of the
system (tests/chaos), on a system of its own, with names, databases and ports no other test uses.
Run one after another they added minutes, mostly of idling, to the suite; run alongside the rest
they cost what their processes use. The second process's output is printed after the main run's,
then one line with both runs' counts; the suite fails if either run does.

Arguments go to both runs (``make test ARGS="-x"``); a selection that leaves one of them nothing to
run is not a failure of that run.

The suite has a deadline (``TQR_TEST_DEADLINE_SECONDS``, 80 minutes unless set: CI stops at 90).
A run still going then is stopped the way Ctrl-C stops it, fixtures torn down, after the suite has
printed where it was (tests finished, the test running and for how long, or that it had finished
and was not exiting) and the stacks of its threads and asyncio tasks (tools/suite_progress.py); what
is left of it after ``TQR_TEST_GRACE_SECONDS`` (90) is killed. The suite then fails saying so: a
run that hangs or crawls ends as a failure with its reason on record, not as CI's silent timeout.
"""

from __future__ import annotations

import os
import re
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import IO

from tools import suite_progress

NO_TESTS_COLLECTED = 5  # pytest's exit code when the selection is empty
DEADLINE = "TQR_TEST_DEADLINE_SECONDS"
GRACE = "TQR_TEST_GRACE_SECONDS"
DEFAULT_DEADLINE = 80 * 60
DEFAULT_GRACE = 90
BESIDE = "beside"
COUNTED = re.compile(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)\b")
SUMMARY = re.compile(r"\d+ (passed|failed|skipped|errors?|xfailed|xpassed|deselected)\b.* in [\d.]+s|no tests ran")


class Run:
    """One pytest process of the suite and the files it tells where it is in."""

    def __init__(self, name: str, marker_expression: str, args: list[str], output: IO[bytes] | int,
                 work: Path) -> None:
        self.name = name
        self.progress = work / f"{name}.progress"
        self.stacks = work / f"{name}.stacks"
        command = [sys.executable, "-m", "pytest", "-q", "-p", "tools.suite_progress", "-m", marker_expression,
                   *args]
        environment = {**os.environ, suite_progress.PROGRESS: str(self.progress),
                       suite_progress.STACKS: str(self.stacks)}
        self.process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT,  # noqa: S603 (the developer's own arguments)
                                        stdin=subprocess.DEVNULL, env=environment)

    def whereabouts(self, now: float) -> str:
        try:
            done, collected, since, current = self.progress.read_text().split(" ", 3)
        except (OSError, ValueError):
            return "it had not collected its tests"
        waited = f"{now - float(since):.0f} s"
        if current == suite_progress.FINISHED:
            return f"it had finished its {done} tests {waited} before and had not exited"
        return f"{done} of {collected} tests finished; running {current} for {waited}"

    def stack_dumps(self) -> str:
        """Asks the run for its threads' and tasks' stacks and returns what it wrote."""
        for sent in (signal.SIGUSR2, signal.SIGUSR1):
            if self.process.poll() is None:
                self.process.send_signal(sent)
                time.sleep(2)
        parts = []
        for path, what in ((self.stacks, "threads"), (Path(f"{self.stacks}.tasks"), "asyncio tasks")):
            text = path.read_text(errors="replace").strip() if path.exists() else ""
            parts.append(f"-- the {what} of the {self.name} run --\n{text or '(nothing written)'}")
        return "\n".join(parts)

    def stop(self, grace: float) -> None:
        """Ctrl-C's way (fixtures torn down); after ``grace`` seconds, the run and what it started killed."""
        if self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(grace)
        except subprocess.TimeoutExpired:
            for pid in [*_descendants(self.process.pid), self.process.pid]:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            self.process.wait()


def _descendants(root: int) -> list[int]:
    """The processes below ``root`` (read now: once it is killed, they are handed to init)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, waiting = [], [root]
    while waiting:
        for child in children.get(waiting.pop(), []):
            found.append(child)
            waiting.append(child)
    return found


class Deadline:
    """Stops the runs still going when the suite's time is up, and keeps what it said for the end."""

    def __init__(self, runs: list[Run], seconds: float, grace: float) -> None:
        self.runs, self.seconds, self.grace = runs, seconds, grace
        self.report: list[str] = []
        self.reached = threading.Event()
        self._timer = threading.Timer(seconds, self._stop_the_runs)
        self._timer.daemon = True

    def __enter__(self) -> Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _stop_the_runs(self) -> None:
        now = time.time()
        late = [run for run in self.runs if run.process.poll() is None]
        for run in late:
            self.report.append(f"the {run.name} run: {run.whereabouts(now)}")
            self.report.append(run.stack_dumps())
        self.reached.set()
        for run in late:
            run.stop(self.grace)

    def verdict(self) -> str:
        return (f"make test: stopped at its deadline of {self.seconds:.0f} s ({DEADLINE})\n"
                + "\n".join(self.report))


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


def _pass_through(process: subprocess.Popen[bytes], deadline: Deadline) -> str:
    """Everything the process writes, copied to our output as it comes; returns its last 8 KiB.

    Past the deadline it stops once the process has gone, without waiting for the end of its output:
    a child the run started and could not stop may hold that open."""
    assert process.stdout is not None
    descriptor = process.stdout.fileno()
    tail = b""
    while True:
        if not select.select([descriptor], [], [], 1.0)[0]:
            if deadline.reached.is_set() and process.poll() is not None:
                break
            continue
        chunk = os.read(descriptor, 65536)
        if not chunk:
            break
        sys.stdout.buffer.write(chunk)
        sys.stdout.flush()
        tail = (tail + chunk)[-8192:]
    return tail.decode(errors="replace")


def main(args: list[str]) -> int:
    seconds = float(os.environ.get(DEADLINE, DEFAULT_DEADLINE))
    grace = float(os.environ.get(GRACE, DEFAULT_GRACE))
    with tempfile.TemporaryDirectory(prefix="tqr-suite-") as work, tempfile.TemporaryFile() as beside_output:
        beside = Run("beside", BESIDE, args, beside_output, Path(work))
        rest = Run("main", f"not {BESIDE}", args, subprocess.PIPE, Path(work))
        with Deadline([rest, beside], seconds, grace) as deadline:
            try:
                rest_tail = _pass_through(rest.process, deadline)
                rest_code, beside_code = rest.process.wait(), beside.process.wait()
            except KeyboardInterrupt:
                # Ctrl-C reached both runs (one process group): each tears its fixtures down first.
                rest.process.wait()
                beside.process.wait()
                raise
        beside_output.seek(0)
        beside_text = beside_output.read().decode(errors="replace")
    print(f"\n==== the tests run beside the rest (pytest -m {BESIDE}) ====", flush=True)
    sys.stdout.write(beside_text)
    print(f"\n{both(summary_of(rest_tail), summary_of(beside_text))}", flush=True)
    if deadline.reached.is_set():
        print(deadline.verdict(), flush=True)
        return 1
    return outcome(rest_code) or outcome(beside_code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
