"""`make test` (tools/test_suite.py): the ``beside`` tests in a second pytest process, both runs'
outcomes in its exit code, the second run's output after the first's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

from tools import test_suite

ROOT = Path(__file__).resolve().parents[2]


def _suite(tmp_path: Path, tests: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "pytest.ini").write_text("[pytest]\nmarkers =\n    beside: alongside\n")
    (tmp_path / "test_some.py").write_text(textwrap.dedent(tests))
    return subprocess.run([sys.executable, "-m", "tools.test_suite", "-p", "no:cacheprovider", "--rootdir",
                           str(tmp_path), "-c", str(tmp_path / "pytest.ini"), str(tmp_path)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)


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
