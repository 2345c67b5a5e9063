"""Every setting a service reads is documented in the README's Settings tables."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from servicekit.service_settings import ServiceSettings
from tqr_gateway.config import GatewaySettings

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
SETTINGS = README[README.index("## Settings"):README.index("## Observability")]
DOCUMENTED = set(re.findall(r"`([A-Z<][A-Z0-9_<>]*)`", SETTINGS))
SHARED = {"environment", "amqp_url", "exchange", "queue_prefix", "redis_url", "log_level", "log_file",
          "actor_verify_keys"}


@pytest.mark.parametrize(("service", "class_name"), [
    ("identity", "IdentitySettings"), ("application", "ApplicationSettings"),
    ("notification", "NotificationSettings"), ("documents", "DocumentsSettings"),
])
def test_every_service_setting_is_in_the_readme(service, class_name):
    settings_class = getattr(importlib.import_module(f"tqr_{service}.config"), class_name)
    missing = []
    for name in settings_class.model_fields:
        if name in SHARED:
            candidates = {f"TQR_{name.upper()}"}
        else:
            candidates = {f"{service.upper()}_{name.upper()}", f"<S>_{name.upper()}"}
        if not candidates & DOCUMENTED:
            missing.append(name)
    assert not missing, f"{service}: document these settings in README.md: {missing}"


def test_every_gateway_setting_is_in_the_readme():
    missing = [name for name in GatewaySettings.model_fields
               if f"GATEWAY_{name.upper()}" not in DOCUMENTED and f"TQR_{name.upper()}" not in DOCUMENTED
               and not name.endswith("_addresses")]
    assert not missing, f"gateway: document these settings in README.md: {missing}"


def test_shared_settings_are_in_the_readme():
    for name in SHARED:
        assert f"TQR_{name.upper()}" in DOCUMENTED, name
    assert set(ServiceSettings.model_fields) >= SHARED
