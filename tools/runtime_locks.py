"""Each service's runtime lock, derived from the one lock of the repository.

    .venv/bin/python -m tools.runtime_locks           write services/<name>/requirements.lock
    .venv/bin/python -m tools.runtime_locks --check   exit 1 if any is missing or out of date (make lint)

A service's runtime lock is the closure of the dependencies its pyproject.toml declares: the
workspace members it names (libs/*; built into wheels beside it, so not pinned here) and, through
them and itself, every third-party distribution with the version requirements.lock pins. The
closure follows the requirements the installed distributions declare (the development environment
holds exactly the lock's versions; a difference is an error), with extras and environment markers
evaluated for the images' Python 3.11 on Linux. So an image installs the versions `make test` ran
with, never a second resolution, and none of the test tools.
"""

from __future__ import annotations

import argparse
import difflib
import sys
import tomllib
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements.lock"
LOCK_NAME = "requirements.lock"
HEADER = """\
# The runtime lock of {name}: what its image installs besides the wheels of {members}.
# Written by tools/runtime_locks.py from the repository's requirements.lock (`make runtime-locks`);
# `make lint` fails when it is out of date. Do not edit.
"""


@dataclass(frozen=True)
class Member:
    """One package of the workspace (a library under libs/ or a service under services/)."""

    name: str
    path: Path
    dependencies: tuple[Requirement, ...]
    # Its optional dependencies by extra (servicekit's ``backend``: what only the backends need).
    extras: dict[str, tuple[Requirement, ...]] = field(default_factory=dict)

    def needs(self, extras: frozenset[str]) -> tuple[Requirement, ...]:
        """Its dependencies, and those of ``extras``."""
        return self.dependencies + tuple(r for extra in sorted(extras) for r in self.extras.get(extra, ()))

    @property
    def is_service(self) -> bool:
        return self.path.parent.name == "services"


def members() -> dict[str, Member]:
    """The workspace members of the root pyproject.toml, by canonical distribution name."""
    globs = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["uv"]["workspace"]["members"]
    found: dict[str, Member] = {}
    for pattern in globs:
        for project in sorted(ROOT.glob(f"{pattern}/pyproject.toml")):
            table = tomllib.loads(project.read_text())["project"]
            extras = {str(canonicalize_name(extra)): tuple(Requirement(d) for d in needs)
                      for extra, needs in table.get("optional-dependencies", {}).items()}
            found[canonicalize_name(table["name"])] = Member(
                table["name"], project.parent, tuple(Requirement(d) for d in table.get("dependencies", ())), extras)
    return found


def locked_versions() -> dict[str, str]:
    """requirements.lock's pins, by canonical name."""
    pins: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, version = line.split("==", 1)
            pins[canonicalize_name(name)] = version.strip()
    return pins


def _requires(name: str, extras: frozenset[str]) -> list[Requirement]:
    """What the installed distribution ``name`` needs with ``extras``, markers evaluated for this Python."""
    needed = []
    for text in metadata.requires(name) or ():
        requirement = Requirement(text)
        if requirement.marker is None or any(
                requirement.marker.evaluate({"extra": extra}) for extra in {"", *extras}):
            needed.append(requirement)
    return needed


def _applies(requirement: Requirement) -> bool:
    return requirement.marker is None or Marker(str(requirement.marker)).evaluate({"extra": ""})


@dataclass(frozen=True)
class Closure:
    """A member's runtime needs: the workspace members it builds on, the pinned third-party distributions."""

    members: tuple[str, ...]
    pins: dict[str, str]


def closure(member_name: str, every_member: dict[str, Member] | None = None) -> Closure:
    """``member_name``'s closure; ``every_member`` stands in for the workspace's members (tests)."""
    every_member = every_member if every_member is not None else members()
    pins = locked_versions()
    seen_members: list[str] = []
    member_extras: dict[str, frozenset[str]] = {}
    extras_of: dict[str, set[str]] = {}
    pending: list[Requirement] = []

    def add_member(name: str, extras: frozenset[str] = frozenset()) -> None:
        known = member_extras.get(name)
        if known is not None and extras <= known:
            return
        if known is None:
            seen_members.append(name)
        member_extras[name] = (known or frozenset()) | extras
        pending.extend(r for r in every_member[name].needs(member_extras[name]) if _applies(r))

    add_member(canonicalize_name(member_name))
    while pending:
        requirement = pending.pop()
        name = canonicalize_name(requirement.name)
        if name in every_member:
            add_member(name, frozenset(str(canonicalize_name(e)) for e in requirement.extras))
            continue
        if name not in pins:
            raise SystemExit(f"{member_name} needs {requirement}, which requirements.lock does not pin: add it to "
                             "requirements.in and lock again")
        known = extras_of.get(name)
        wanted = {canonicalize_name(e) for e in requirement.extras}
        if known is not None and wanted <= known:
            continue
        extras_of[name] = (known or set()) | wanted
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            raise SystemExit(f"{name} is pinned but not installed: run make install") from None
        if installed != pins[name]:
            raise SystemExit(f"{name} {installed} is installed but requirements.lock pins {pins[name]}: "
                             "run make install")
        pending.extend(_requires(name, frozenset(extras_of[name])))
    third_party = {name: pins[name] for name in extras_of}
    return Closure(tuple(seen_members), dict(sorted(third_party.items())))


def lock_text(member: Member) -> str:
    needs = closure(member.name)
    spelled = _lock_spellings()
    built_on = ", ".join(members()[m].name for m in needs.members)
    lines = [f"{spelled.get(name, name)}=={version}" for name, version in needs.pins.items()]
    return HEADER.format(name=member.name, members=built_on) + "\n".join(lines) + "\n"


def _lock_spellings() -> dict[str, str]:
    spellings: dict[str, str] = {}
    for line in LOCK.read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name = line.split("==", 1)[0].strip()
            spellings[canonicalize_name(name)] = name
    return spellings


def services() -> list[Member]:
    return [m for m in members().values() if m.is_service]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="change nothing; fail if a runtime lock is stale")
    args = parser.parse_args(argv)
    stale = []
    for service in services():
        target = service.path / LOCK_NAME
        wanted = lock_text(service)
        current = target.read_text() if target.exists() else ""
        if current == wanted:
            continue
        if args.check:
            stale.append(target)
            sys.stdout.writelines(difflib.unified_diff(current.splitlines(True), wanted.splitlines(True),
                                                       str(target.relative_to(ROOT)), "expected"))
        else:
            target.write_text(wanted)
            print(f"wrote {target.relative_to(ROOT)}")
    if stale:
        print(f"{len(stale)} runtime lock(s) out of date: run make runtime-locks", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
