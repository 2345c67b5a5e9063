"""`make test` (tools/test_suite.py): the ``beside`` tests in a second pytest process, both runs'
outcomes in its exit code, the second run's output after the first's."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

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
    assert out.count("1 passed, 1 deselected") == 2, out
    assert out.index("(pytest -m beside)") < out.rindex("1 passed, 1 deselected"), out


def test_a_failure_beside_fails_the_suite(tmp_path: Path) -> None:
    result = _suite(tmp_path, PASSING.replace('print("BESIDE RAN")', "assert False"))
    assert result.returncode == 1, result.stdout


def test_a_failure_in_the_main_run_fails_the_suite(tmp_path: Path) -> None:
    result = _suite(tmp_path, PASSING.replace("def test_main():\n        pass", "def test_main():\n        assert False"))
    assert result.returncode == 1, result.stdout


def test_a_selection_without_beside_tests_is_not_a_failure(tmp_path: Path) -> None:
    result = _suite(tmp_path, PASSING.replace("    @pytest.mark.beside\n", ""))
    assert result.returncode == 0, result.stdout
