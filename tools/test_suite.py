"""`make test`: the whole suite, the tests marked ``beside`` in a second pytest process alongside.

A ``beside`` test spends minutes waiting (a dependency kept away for two minutes, as an outage
lasts) on a system of its own, with names, databases and ports no other test uses. Run one after
another they added four minutes of idling to the suite; run alongside the rest they cost what their
processes use. The second process's output is printed after the main run's, and the suite fails if
either does.

Arguments go to both runs (``make test ARGS="-x"``); a selection that leaves one of them nothing to
run is not a failure of that run.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from typing import IO

NO_TESTS_COLLECTED = 5  # pytest's exit code when the selection is empty
BESIDE = "beside"


def run_pytest(marker_expression: str, args: list[str], output: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    """A pytest run of the tests the marker expression selects; its output to ``output`` or ours."""
    command = [sys.executable, "-m", "pytest", "-q", "-m", marker_expression, *args]
    if output is None:
        return subprocess.Popen(command)  # noqa: S603 (the developer's own arguments)
    return subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)  # noqa: S603


def outcome(code: int) -> int:
    return 0 if code == NO_TESTS_COLLECTED else code


def main(args: list[str]) -> int:
    with tempfile.TemporaryFile() as beside_output:
        beside = run_pytest(BESIDE, args, beside_output)
        rest = run_pytest(f"not {BESIDE}", args)
        try:
            rest_code, beside_code = rest.wait(), beside.wait()
        except KeyboardInterrupt:
            # Ctrl-C reached both runs (one process group): each tears its fixtures down first.
            rest.wait()
            beside.wait()
            raise
        beside_output.seek(0)
        print(f"\n==== the tests run beside the rest (pytest -m {BESIDE}) ====", flush=True)
        sys.stdout.buffer.write(beside_output.read())
    sys.stdout.flush()
    return outcome(rest_code) or outcome(beside_code)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
