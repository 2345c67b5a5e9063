"""Builds each service's runtime environment for real, as its image does, and reports its size.

    .venv/bin/python -m tools.runtime_envs [identity gateway …] [--keep DIR]

For each service: a fresh virtualenv without pip, its runtime lock installed without dependencies
(services/<name>/requirements.lock: nothing outside it can arrive), then the service and the
libraries it builds on as regular (not editable) packages, again without dependencies. Then
`uv pip check` (every declared requirement met) and deploy/docker/import_all.py, run isolated from
the repository, imports every module of the service. Packages come from uv's cache that
`make install` filled (offline: a missing one fails instead of being downloaded), so this takes
seconds a service. Prints the size of each environment beside the development .venv's.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tools.runtime_locks import LOCK_NAME, ROOT, closure, members, services

UV = Path(sys.executable).parent / "uv"
IMPORT_ALL = ROOT / "deploy" / "docker" / "import_all.py"
BUILD_LEFTOVERS = ("build", "*.egg-info", "__pycache__", "tests", "requirements.lock")


@dataclass(frozen=True)
class RuntimeEnvironment:
    service: str
    path: Path
    bytes: int
    seconds: float


def _run(*command: str | Path, cwd: Path) -> str:
    # Outside the repository and without PYTHONPATH, so nothing of the development tree is found.
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    result = subprocess.run([str(c) for c in command], cwd=cwd, env=env, capture_output=True, text=True,  # noqa: S603
                            timeout=300)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, command))} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def size_of(path: Path) -> int:
    return sum(f.lstat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def build(service: str, into: Path) -> RuntimeEnvironment:
    """The runtime environment of ``service`` (identity, …) in the new directory ``into``."""
    started = time.perf_counter()
    member = next(m for m in services() if m.path.name == service)
    python = into / "bin" / "python"
    _run(UV, "venv", "--quiet", "--python", sys.executable, into, cwd=into.parent)
    install = (UV, "pip", "install", "--quiet", "--offline", "--no-deps", "--python", python)
    _run(*install, "-r", member.path / LOCK_NAME, cwd=into.parent)
    # From clean copies, as the image's build context is: setuptools builds in the source tree, and
    # a build/ folder left there would put modules deleted since into the wheel.
    workspace = members()
    sources = into.parent / f"{into.name}-sources"
    sources.mkdir()
    shutil.copy(ROOT / "pyproject.toml", sources)  # the workspace root, which the members' uv sources name
    copies = []
    for name in closure(member.name).members:
        copy = sources / workspace[name].path.relative_to(ROOT)
        shutil.copytree(workspace[name].path, copy, ignore=shutil.ignore_patterns(*BUILD_LEFTOVERS))
        copies.append(copy)
    _run(*install, *copies, cwd=into.parent)
    shutil.rmtree(sources)
    _run(UV, "pip", "check", "--quiet", "--python", python, cwd=into.parent)
    package = f"tqr_{service}"
    _run(python, "-I", IMPORT_ALL, package, cwd=into.parent)
    return RuntimeEnvironment(service, into, size_of(into), time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("services", nargs="*", help="default: all five")
    parser.add_argument("--keep", type=Path, help="build into DIR/<service> and leave them there")
    args = parser.parse_args(argv)
    wanted = args.services or [m.path.name for m in services()]
    development = size_of(ROOT / ".venv")
    print(f"{'environment':<24}{'MB':>8}{'share of .venv':>16}{'built in s':>12}")
    print(f"{'development .venv':<24}{development / 1e6:>8.1f}{'100 %':>16}{'':>12}")
    with tempfile.TemporaryDirectory(prefix="tqr-runtime-") as scratch:
        base = args.keep or Path(scratch)
        for service in wanted:
            target = base / service
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            env = build(service, target)
            share = f"{100 * env.bytes / development:.0f} %"
            print(f"{'tqr-' + service:<24}{env.bytes / 1e6:>8.1f}{share:>16}{env.seconds:>12.1f}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
