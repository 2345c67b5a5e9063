"""The service boundaries that `make lint` enforces (lint-imports, with the contracts of pyproject.toml's
[tool.importlinter]) hold for the tree, and can fail: the same contracts, pointed at a throw-away
tree of the same packages with one crossing each, break and name the import that crosses."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
SERVICES_INDEPENDENT = "No service package imports another service package"
SHARED_KNOWS_NO_SERVICE = "servicekit, the generated contracts and demodata import no service package"


def lint_imports(config_dir: Path, pythonpath: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, COLUMNS="200")  # the report wraps long lines at the terminal's width
    if pythonpath is not None:
        # Ahead of the installed project, so the contracts' packages are found in the throw-away tree.
        env["PYTHONPATH"] = str(pythonpath)
    return subprocess.run([str(LINT_IMPORTS), "--no-cache", "--no-logo", str(config_dir / "pyproject.toml")],
                          cwd=config_dir, env=env, capture_output=True, text=True, timeout=60)


def package_tree(src: Path, modules: dict[str, str]) -> Path:
    """Every root package of the contracts, empty, plus ``modules`` (dotted name → source)."""
    for package in CONTRACTS["root_packages"]:
        (src / package).mkdir(parents=True)
        (src / package / "__init__.py").write_text("")
    for dotted, source in modules.items():
        *packages, name = dotted.split(".")
        folder = src.joinpath(*packages)
        for depth in range(1, len(packages) + 1):
            src.joinpath(*packages[:depth]).mkdir(exist_ok=True)
            init = src.joinpath(*packages[:depth], "__init__.py")
            if not init.exists():
                init.write_text("")
        (folder / f"{name}.py").write_text(source)
    return src


# Modules every crossing below imports, so that each import reaches a module that exists.
TARGETS = {
    "tqr_application.reference_data.demo_data": "def demo_batch():\n    return ()\n",
    "tqr_notification.channels.dev_outbox": "def read_outbox(path):\n    return []\n",
    "tqr_gateway.pages.dev": "ROUTES = []\n",
    # The gateway's own contract (its JSON API and its pages apart) names both packages.
    "tqr_gateway.api.routes": "ROUTES = []\n",
}


def crossing_tree(tmp_path: Path, crossings: dict[str, str]) -> subprocess.CompletedProcess[str]:
    src = package_tree(tmp_path / "src", {**TARGETS, **crossings})
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")  # the real contracts, unchanged
    return lint_imports(tmp_path, pythonpath=src)


def test_the_tree_keeps_the_service_boundaries():
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"{SERVICES_INDEPENDENT} KEPT" in result.stdout
    assert f"{SHARED_KNOWS_NO_SERVICE} KEPT" in result.stdout


def test_a_tree_without_crossings_keeps_the_contracts(tmp_path):
    # The control for the next test: the throw-away tree itself breaks nothing.
    result = crossing_tree(tmp_path, {"tqr_identity.adapters.real_name_dev": "import tqr\nimport demodata\n"})
    assert result.returncode == 0, result.stdout + result.stderr


def test_each_crossing_breaks_the_contract_that_forbids_it_and_is_named(tmp_path):
    result = crossing_tree(tmp_path, {
        # The crossings this contract replaced: a service importing another inside a function, and at the top.
        "tqr_identity.adapters.real_name_dev": (
            "def holders():\n    from tqr_application.reference_data.demo_data import demo_batch\n"
            "    return demo_batch()\n"),
        "tqr_gateway.pages.outbox": "from tqr_notification.channels.dev_outbox import read_outbox\n",
        "servicekit.cli": "import tqr_gateway.pages.dev\n",
        "demodata.people": "from tqr_application.reference_data import demo_data\n",
    })
    out = " ".join(result.stdout.split())
    assert result.returncode != 0, result.stdout
    assert f"{SERVICES_INDEPENDENT} BROKEN" in out and f"{SHARED_KNOWS_NO_SERVICE} BROKEN" in out
    for line in ("tqr_identity.adapters.real_name_dev -> tqr_application.reference_data.demo_data",
                 "tqr_gateway.pages.outbox -> tqr_notification.channels.dev_outbox",
                 "servicekit.cli -> tqr_gateway.pages.dev",
                 "demodata.people -> tqr_application.reference_data.demo_data"):
        assert line in out, result.stdout
