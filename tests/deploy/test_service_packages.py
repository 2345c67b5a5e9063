"""Each service is its own package with only its runtime dependencies, checked without a container engine.

The packages are the workspace members (libs/*/pyproject.toml, services/*/pyproject.toml). For each:
the distributions its code imports are the ones its pyproject.toml declares; a service declares and
imports no other service; a service's runtime lock (what its image installs, written by
tools/runtime_locks.py) is current and holds no test tool. One service's runtime environment is
also built for real, as its image builds it (`make runtime-envs` builds all five and prints sizes).
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools import runtime_envs, runtime_locks
from tools.runtime_locks import Member, closure, members, services

ROOT = Path(__file__).resolve().parents[2]
TEST_SUPPORT = "tqr-testkit"
SERVICE_NAMES = {m.name for m in services()}


def production_members() -> list[Member]:
    return [m for m in members().values() if m.name != TEST_SUPPORT]


def package_of(member: Member) -> Path:
    """The one top-level package a member ships (its setuptools include)."""
    text = (member.path / "pyproject.toml").read_text()
    where = re.search(r'^where = \["([^"]+)"\]', text, re.MULTILINE)
    include = re.search(r'^include = \["([^"]+)"', text, re.MULTILINE)
    assert where and include, member.name
    return member.path / where.group(1) / include.group(1)


def imported_top_levels(package: Path) -> set[str]:
    """Every top-level module an absolute import in the package names, also imports inside functions."""
    found = set()
    for source in package.rglob("*.py"):
        for node in ast.walk(ast.parse(source.read_text(), str(source))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                found.add(node.module.split(".")[0])
    return found - set(sys.stdlib_module_names)


def declared(member: Member) -> set[str]:
    """What the member names, with every extra's (servicekit's ``backend``)."""
    return {canonicalize_name(r.name) for r in member.needs(frozenset(member.extras))}


def requirements_in_sections() -> tuple[list[Requirement], list[Requirement]]:
    """requirements.in's two sections: what runs in production, and the build and test tools."""
    runtime, tools = (ROOT / "requirements.in").read_text().split("# Build and test", 1)

    def parse(section: str) -> list[Requirement]:
        lines = (line.split("#", 1)[0].strip() for line in section.splitlines())
        return [Requirement(line) for line in lines if line]

    return parse(runtime), parse(tools)


def test_the_test_tools_are_the_build_and_test_entries_no_runtime_entry_needs():
    # What the checks below call a test tool: requirements.in's build-and-test entries that nothing
    # of its runtime section needs (uvicorn[standard] brings websockets, which the browser tests also name).
    tools = tools_only_tests_use()
    assert {"pytest", "mypy", "playwright", "ruff", "hypothesis", "schemathesis", "grpcio-tools"} <= tools
    assert "websockets" not in tools


def tools_only_tests_use() -> set[str]:
    runtime, tools = requirements_in_sections()
    everything_of_runtime = Member("runtime-section", ROOT, tuple(runtime))
    needed = set(closure(everything_of_runtime.name, {everything_of_runtime.name: everything_of_runtime}).pins)
    return {canonicalize_name(r.name) for r in tools} - needed


@pytest.mark.parametrize("member", production_members(), ids=lambda m: m.name)
def test_a_package_declares_every_distribution_its_code_imports(member):
    provided_by = packages_distributions()
    own = canonicalize_name(member.name)
    missing = {}
    for module in sorted(imported_top_levels(package_of(member))):
        distributions = {canonicalize_name(d) for d in provided_by.get(module, ())} - {own}
        if module == package_of(member).name:
            continue
        assert distributions, f"{member.name} imports {module}, which no installed distribution provides"
        if not distributions & declared(member):
            missing[module] = sorted(distributions)
    assert not missing, f"{member.name} imports these without declaring them in its pyproject.toml: {missing}"


@pytest.mark.parametrize("member", production_members(), ids=lambda m: m.name)
def test_no_package_imports_or_declares_a_service_other_than_itself(member):
    others = {canonicalize_name(s) for s in SERVICE_NAMES} - {canonicalize_name(member.name)}
    assert not declared(member) & others
    other_packages = {package_of(m).name for m in services() if canonicalize_name(m.name) in others}
    assert not imported_top_levels(package_of(member)) & other_packages
    assert TEST_SUPPORT not in declared(member)


def test_services_build_only_on_the_contracts_the_kit_and_the_demo_world():
    libraries = {"tqr-contracts", "tqr-servicekit", "tqr-demodata"}
    for service in services():
        built_on = set(closure(service.name).members) - {canonicalize_name(service.name)}
        assert {"tqr-contracts", "tqr-servicekit"} <= built_on <= libraries, service.name


def test_every_runtime_entry_of_requirements_in_is_declared_by_a_package_and_nothing_else_is_pinned_for_them():
    # requirements.in's runtime section and the packages' declarations say the same thing: a package
    # declaring a test tool, or a runtime entry no package uses, fails here.
    runtime, _ = requirements_in_sections()
    declared_anywhere = set().union(*(declared(m) for m in production_members()))
    assert {canonicalize_name(r.name) for r in runtime} <= declared_anywhere
    assert not declared_anywhere & tools_only_tests_use()


def runtime_lock_problems(service: Member, every_member: dict[str, Member]) -> list[str]:
    pins = closure(service.name, every_member).pins
    return sorted(set(pins) & tools_only_tests_use())


# The database, migration and broker drivers and the gRPC server's reflection: only the backends
# need them (servicekit's [backend] extra); the internet-facing gateway keeps no database or broker
# connection and serves no gRPC (the import contract "gateway-without-database-or-broker" too).
BACKEND_ONLY = {"sqlalchemy", "asyncpg", "alembic", "aiosqlite", "aio-pika", "grpcio-reflection"}
GATEWAY_NEVER_IMPORTS = ("sqlalchemy", "asyncpg", "alembic", "aiosqlite", "aio_pika", "grpc_reflection")


def test_the_gateway_image_carries_no_database_or_broker_driver_and_every_backend_image_does():
    assert not set(closure("tqr-gateway").pins) & BACKEND_ONLY
    for service in services():
        if service.name != "tqr-gateway":
            assert set(closure(service.name).pins) >= BACKEND_ONLY, service.name


def test_a_member_asking_for_an_extra_of_another_gets_its_dependencies():
    # The control of the test above: the gateway asking for servicekit's backend extra.
    every = members()
    gateway = every["tqr-gateway"]
    asks = tuple(Requirement("tqr-servicekit[backend]") if r.name == "tqr-servicekit" else r
                 for r in gateway.dependencies)
    every["tqr-gateway"] = Member(gateway.name, gateway.path, asks)
    assert set(closure("tqr-gateway", every).pins) >= BACKEND_ONLY


@pytest.mark.parametrize("service", services(), ids=lambda m: m.name)
def test_a_runtime_lock_holds_no_test_tool(service):
    assert runtime_lock_problems(service, members()) == []
    lock = (service.path / runtime_locks.LOCK_NAME).read_text()
    assert not re.search(r"^(pytest|mypy|playwright|ruff|hypothesis)==", lock, re.MULTILINE)


def test_a_service_declaring_a_test_tool_is_caught():
    # The control of the test above: the gateway with pytest among its dependencies.
    every = members()
    gateway = every["tqr-gateway"]
    every["tqr-gateway"] = Member(gateway.name, gateway.path, (*gateway.dependencies, Requirement("pytest")))
    assert "pytest" in runtime_lock_problems(every["tqr-gateway"], every)


def test_the_runtime_locks_are_current():
    result = subprocess.run([sys.executable, "-m", "tools.runtime_locks", "--check"], cwd=ROOT,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr


def test_a_runtime_lock_pins_the_versions_of_the_one_lock():
    pinned = runtime_locks.locked_versions()
    for service in services():
        for line in (service.path / runtime_locks.LOCK_NAME).read_text().splitlines():
            if line and not line.startswith("#"):
                name, version = line.split("==")
                assert pinned[canonicalize_name(name)] == version, (service.name, line)


@pytest.mark.slow
def test_a_service_runtime_environment_builds_and_imports_without_the_development_tree(tmp_path):
    # For real, as the image builds it: its runtime lock, its wheels, pip check, every module imported.
    environment = runtime_envs.build("gateway", tmp_path / "gateway")
    python = environment.path / "bin" / "python"
    assert subprocess.run([python, "-I", "-c", "import tqr_gateway.app"], cwd=tmp_path, timeout=60).returncode == 0
    for absent in ("pytest", "mypy", "playwright", "testkit", "tqr_identity", *GATEWAY_NEVER_IMPORTS):
        imported = subprocess.run([python, "-I", "-c", f"import {absent}"], cwd=tmp_path, capture_output=True,
                                  timeout=60)
        assert imported.returncode != 0, absent
    assert environment.bytes < runtime_envs.size_of(ROOT / ".venv") / 3
