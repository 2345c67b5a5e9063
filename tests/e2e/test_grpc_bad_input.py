"""Every RPC of every service refuses malformed, oversized and empty requests cleanly.

Garbage bytes and oversized bodies get INVALID_ARGUMENT; an empty (all-default) request, with or
without a caller, gets a refusal — never INTERNAL or UNKNOWN, which would mean a fault reached the
caller.
"""

from __future__ import annotations

import importlib
import pkgutil

import grpc
import pytest
import tqr
from testkit.actors import metadata_for
from tqr.common.v1.actor_pb2 import Actor
from tqr.common.v1.vocabulary_pb2 import ROLE_APPLICANT, ROLE_AUTHORITY_ADMIN

from tests.e2e import grpc_channel
from tools.devrun import grpc_port

SERVICE_OF_PACKAGE = {"identity": "identity", "application": "application",
                      "notification": "notification", "documents": "documents"}
FAULT_CODES = {grpc.StatusCode.INTERNAL, grpc.StatusCode.UNKNOWN}


def all_methods() -> list[tuple[str, str, bool]]:
    """(service package, /full.Service/Method, server-streaming) for every RPC in the contracts."""
    found = []
    for package in SERVICE_OF_PACKAGE:
        module_path = f"tqr.{package}.v1"
        module = importlib.import_module(module_path)
        for info in pkgutil.iter_modules(module.__path__):
            if not info.name.endswith("_pb2"):
                continue
            descriptor = importlib.import_module(f"{module_path}.{info.name}").DESCRIPTOR
            for service in descriptor.services_by_name.values():
                for method in service.methods:
                    found.append((package, f"/{service.full_name}/{method.name}", method.server_streaming))
    return sorted(found)


METHODS = all_methods()
assert tqr  # the contracts package is importable


async def _call(port: int, path: str, streaming: bool, body: bytes, metadata=()) -> grpc.StatusCode:
    # Form data is the documents service's to read (application's CALLERS); everything else the gateway's.
    caller = "documents" if "/tqr.application.v1.FormDataService/" in path else "gateway"
    async with grpc_channel.to(port, path.split("/")[1], caller) as channel:
        try:
            if streaming:
                call = channel.unary_stream(path)(body, timeout=10, metadata=metadata)
                async for _ in call:
                    pass
            else:
                await channel.unary_unary(path)(body, timeout=10, metadata=metadata)
        except grpc.aio.AioRpcError as exc:
            return exc.code()
    return grpc.StatusCode.OK


def test_the_contracts_list_every_service():
    assert {package for package, _, _ in METHODS} == set(SERVICE_OF_PACKAGE)
    assert len(METHODS) > 40


@pytest.mark.parametrize(("package", "path", "streaming"), METHODS, ids=[m[1] for m in METHODS])
async def test_malformed_oversized_and_empty_requests_are_refused_cleanly(running_system, package, path, streaming):
    port = grpc_port(SERVICE_OF_PACKAGE[package], offset=running_system.port_offset)
    assert await _call(port, path, streaming, b"\x0a\xff\xff\xff\xff\x0f") == grpc.StatusCode.INVALID_ARGUMENT
    oversized = b"\x0a" + b"\xff\xff\xff\x0f" + b"x" * (30 * 1024 * 1024)
    assert await _call(port, path, streaming, oversized) in {grpc.StatusCode.INVALID_ARGUMENT,
                                                             grpc.StatusCode.RESOURCE_EXHAUSTED}
    assert await _call(port, path, streaming, b"") not in FAULT_CODES
    applicant = metadata_for(Actor(subject_id="no-such-account", role=ROLE_APPLICANT))
    assert await _call(port, path, streaming, b"", applicant) not in FAULT_CODES
    admin = metadata_for(Actor(subject_id="no-such-staff", role=ROLE_AUTHORITY_ADMIN, organisation_code="110108"))
    assert await _call(port, path, streaming, b"", admin) not in FAULT_CODES
