"""The generated code in libs/contracts matches protos/, and events follow the conventions."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from google.protobuf import descriptor_pool

ROOT = Path(__file__).resolve().parents[2]


def test_generated_code_is_not_stale():
    result = subprocess.run([sys.executable, str(ROOT / "tools" / "genprotos.py"), "--check"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_service_has_a_versioned_package():
    for service in ("identity", "application", "notification", "documents"):
        assert list((ROOT / "protos" / "tqr" / service / "v1").glob("*.proto")), service


def test_envelope_carries_the_agreed_fields():
    from tqr.common.v1 import envelope_pb2  # noqa: F401  (registers the descriptor)

    fields = {f.name for f in descriptor_pool.Default().FindMessageTypeByName("tqr.common.v1.EventEnvelope").fields}
    assert {"event_id", "type", "occurred_at", "producer", "aggregate_id", "correlation_id",
            "schema_version", "payload"} <= fields
