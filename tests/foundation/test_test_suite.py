"""`make test` (tools/test_suite.py): the ``beside`` tests in a second pytest process, both runs'
outcomes in its exit code, the second run's output after the first's; a deadline that stops a run
still going and says where it was."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from tools import test_suite

ROOT = Path(__file__).resolve().parents[2]


def _suite(tmp_path: Path, tests: str, **environment: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    beside: alongside\n")
    (tmp_path / "test_some.py").write_text(textwrap.dedent(tests))
    return subprocess.run([sys.executable, "-m", "tools.test_suite", "-p", "no:cacheprovider", "--rootdir",
                           str(tmp_path), "-c", str(tmp_path / "pytest.ini"), str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120, env={**os.environ, **environment})


PASSING = """
    import pytest

    def test_main():
        pass

    @pytest.mark.beside
    def test_alongside():
        print("BESIDE RAN")
"""


def test_each_test_runs_once_and_the_beside_output_follows(tmp_path: Path) -> None:
    result = _suite(tmp_path, PASSING)
    assert result.returncode == 0, result.stdout
    out = result.stdout
    main_run, beside_run = out.split("(pytest -m beside) ====")
    assert main_run.count("1 passed, 1 deselected") == 1, out  # the main run's own summary
    assert beside_run.strip().splitlines()[-1].startswith("make test: 2 passed ("), out


def test_the_last_line_adds_up_both_runs(tmp_path: Path) -> None:
    result = _suite(tmp_path, PASSING + "\n    def test_more():\n        pass\n")
    last = result.stdout.strip().splitlines()[-1]
    assert last.startswith("make test: 3 passed ("), last


def test_the_counts_of_failures_and_skips_are_added_too() -> None:
    line = test_suite.both("2924 passed, 1 skipped, 2 deselected in 1655.63s", "1 failed, 1 passed in 300.1s")
    assert line.startswith("make test: 2925 passed, 1 skipped, 1 failed ("), line


def test_a_failure_beside_fails_the_suite(tmp_path: Path) -> None:
    result = _suite(tmp_path, PASSING.replace('print("BESIDE RAN")', "assert False"))
    assert result.returncode == 1, result.stdout


def test_a_failure_in_the_main_run_fails_the_suite(tmp_path: Path) -> None:
    result = _suite(tmp_path, PASSING.replace("def test_main():\n        pass", "def test_main():\n        assert False"))
    assert result.returncode == 1, result.stdout


def test_a_selection_without_beside_tests_is_not_a_failure(tmp_path: Path) -> None:
    result = _suite(tmp_path, PASSING.replace("    @pytest.mark.beside\n", ""))
    assert result.returncode == 0, result.stdout


HANGS_IN_A_COROUTINE = """
    import asyncio

    def test_quick():
        pass

    async def waits_for_nothing():
        await asyncio.sleep(600)

    async def outer():
        await asyncio.gather(waits_for_nothing())

    def test_hangs():
        asyncio.run(outer())
"""


def test_a_run_past_the_deadline_is_stopped_saying_where_it_was_and_on_what(tmp_path: Path) -> None:
    started = time.monotonic()
    result = _suite(tmp_path, HANGS_IN_A_COROUTINE, TQR_TEST_DEADLINE_SECONDS="6", TQR_TEST_GRACE_SECONDS="20")
    out = result.stdout
    assert result.returncode == 1, out
    assert "stopped at its deadline of 6 s (TQR_TEST_DEADLINE_SECONDS)" in out, out
    assert "the main run: 1 of 2 tests finished; running test_some.py::test_hangs for " in out, out
    threads, tasks = out.split("-- the threads of the main run --")[1].split("-- the asyncio tasks of the main run --")
    assert "in test_hangs" in threads, out  # faulthandler's "File ..., line N in test_hangs"
    assert "in waits_for_nothing" in tasks and "in outer" in tasks, out
    assert "KeyboardInterrupt" in out, out  # stopped as Ctrl-C stops it: pytest's own summary printed
    assert time.monotonic() - started < 60, out  # not the 600 s the test would sleep


FINISHES_BUT_DOES_NOT_EXIT = """
    import threading

    def holds_the_process():
        threading.Event().wait()

    def test_leaves_a_thread_behind():
        threading.Thread(target=holds_the_process, name="left-behind").start()
"""


def test_a_run_that_finished_its_tests_but_does_not_exit_is_named_with_the_thread_that_holds_it(
        tmp_path: Path) -> None:
    result = _suite(tmp_path, FINISHES_BUT_DOES_NOT_EXIT, TQR_TEST_DEADLINE_SECONDS="8", TQR_TEST_GRACE_SECONDS="5")
    out = result.stdout
    assert result.returncode == 1, out
    assert "the main run: it had finished its 1 tests " in out and "and had not exited" in out, out
    assert "in holds_the_process" in out.split("-- the threads of the main run --")[1], out
