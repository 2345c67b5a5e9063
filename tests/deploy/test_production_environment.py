"""The prod overlay as an operator deploys it: the manifests rendered by ``kubectl kustomize``, the
Secrets filled from ``deploy/k8s/secrets.yaml.example`` as its comments say, and each container's
environment exactly as Kubernetes gives it (tests/cluster/manifests.py). Every process must accept
that environment, and what the processes read must agree with each other and with the Ingress and
the NetworkPolicies."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from unittest import mock
from urllib.parse import urlsplit

import pytest
from servicekit.settings import CheckedSettings, SettingsRefused, load

from tests.cluster.manifests import Container, Resource, containers, fill_secrets, of_kind, operator_fill, render

SETTINGS_CLASSES = {"identity": "IdentitySettings", "application": "ApplicationSettings",
                    "notification": "NotificationSettings", "documents": "DocumentsSettings",
                    "gateway": "GatewaySettings"}
# Keys a service reads that production may leave out, each with its reason.
OPTIONAL = {
    ("notification", "NOTIFICATION_SMTP_USERNAME"): "a relay may take mail without a login",
    ("notification", "NOTIFICATION_SMTP_PASSWORD"): "a relay may take mail without a login",
    ("notification", "NOTIFICATION_SMTP_IMPLICIT_TLS"): "off is the value for STARTTLS on 587",
    ("gateway", "TQR_PUBLIC_URL"): "the gateway only prints its address (make run)",
    **{(service, f"{service.upper()}_MIGRATION_DATABASE_URL"): "read by `migrate` only; without it, migrations use "
       "the service's own URL" for service in ("identity", "application", "notification", "documents")},
}


@pytest.fixture(scope="module")
def prod() -> tuple[list[Resource], dict[str, dict[str, str]], dict[str, list[Container]]]:
    resources = render("prod")
    secrets = fill_secrets(operator_fill())
    return resources, secrets, containers(resources, secrets)


def service_of(container: Container) -> str:
    return container.env["TQR_SERVICE"]  # what the image's entrypoint starts: python -m tqr_$TQR_SERVICE


def settings_class(service: str) -> type[CheckedSettings]:
    cls: type[CheckedSettings] = getattr(importlib.import_module(f"tqr_{service}.config"), SETTINGS_CLASSES[service])
    return cls


@contextmanager
def environment(env: Mapping[str, str]) -> Iterator[None]:
    with mock.patch.dict(os.environ, env, clear=True):
        yield


def loaded(container: Container) -> Any:
    """The container's settings, read in this process from exactly its environment."""
    with environment(container.env):
        return load(service_of(container), settings_class(service_of(container)))


def process_environment(env: Mapping[str, str]) -> dict[str, str]:
    """The container's environment plus what this machine needs to find Python."""
    ours = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME") or k.startswith("PYTHON")}
    return {**env, **ours}


def check_config(service: str, env: Mapping[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", f"tqr_{service}", "check-config"], env=process_environment(env),
                            cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_every_prod_container_accepts_its_environment(prod, tmp_path):
    _, _, workloads = prod
    runs = {f"{c.workload}/{c.name}": check_config(service_of(c), c.env, tmp_path)
            for found in workloads.values() for c in found}
    results = {name: (run.wait(timeout=300), *run.communicate()) for name, run in runs.items()}
    refused = {name: (code, out.strip(), err.strip()[-600:]) for name, (code, out, err) in results.items()
               if (code, out.strip()) != (0, "ok")}
    assert refused == {}
    assert {name.split("/")[0] for name in runs} == {*SETTINGS_CLASSES, *(f"{s}-migrate" for s in SETTINGS_CLASSES
                                                                           if s != "gateway")}


@pytest.mark.parametrize(("service", "key"), [
    ("identity", "IDENTITY_PERSONAL_DATA_KEYS"), ("application", "APPLICATION_BLIND_INDEX_KEY"),
    ("notification", "NOTIFICATION_FIELD_KEYS"), ("documents", "DOCUMENTS_FORM_CODE_KEYS"),
    ("gateway", "GATEWAY_SECRET_KEY"),
])
def test_a_missing_key_stops_the_service_with_one_line_naming_it(prod, tmp_path, service, key):
    _, secrets, workloads = prod
    (container,) = workloads[service]
    env = {k: v for k, v in container.env.items() if k != key}
    out, err = check_config(service, env, tmp_path).communicate(timeout=300)
    lines = err.splitlines()
    assert out == "" and len(lines) == 1, err
    assert lines[0].startswith(f"{service}: ") and key in lines[0]
    secret_values = {v for values in secrets.values() for v in values.values() if len(v) >= 8}
    assert not [v for v in secret_values if v in err], "the refusal shows a secret"


def _read_by(cls: type[CheckedSettings]) -> set[str]:
    return {name for field in cls.model_fields for name in cls.env_name(field).split(" or ")}


def test_production_needs_every_key_an_operator_is_asked_for(prod):
    """Each value of a Secret and of tqr-site that a service reads is needed: without it the service
    refuses (naming it) instead of running on a development default."""
    resources, secrets, workloads = prod
    sites = [cm.get("data", {}) for name, cm in of_kind(resources, "ConfigMap").items() if name.startswith("tqr-site-")]
    assert len(sites) == 1, "no tqr-site ConfigMap (the site's address, mail relay and providers)"
    (site,) = sites
    asked = {key for values in secrets.values() for key in values} | set(site)
    silently_defaulted = []
    for service in SETTINGS_CLASSES:
        container = workloads[service][0]
        for key in sorted((asked & set(container.env) & _read_by(settings_class(service))) - {
                k for s, k in OPTIONAL if s == service}):
            try:
                with environment({k: v for k, v in container.env.items() if k != key}):
                    load(service, settings_class(service))
            except SettingsRefused as refused:
                assert key in str(refused) and "\n" not in str(refused), str(refused)
            else:
                silently_defaulted.append(f"{service}: {key}")
    assert silently_defaulted == []


def test_documents_calls_the_application_service_through_its_headless_service(prod):
    resources, _, workloads = prod
    services = of_kind(resources, "Service")
    application = of_kind(resources, "Deployment")["application"]["spec"]["template"]
    (serving,) = application["spec"]["containers"]
    grpc_port = loaded(workloads["application"][0]).grpc_port
    for container in [*workloads["documents"], *workloads["documents-migrate"]]:
        address = loaded(container).application_addresses
        assert address.startswith("dns:///"), address
        host, port = address.removeprefix("dns:///").rsplit(":", 1)
        service = services[host]
        assert service["spec"]["clusterIP"] == "None"  # DNS answers every pod: calls balance across them
        assert service["spec"]["selector"].items() <= application["metadata"]["labels"].items()
        (target,) = [p["targetPort"] for p in service["spec"]["ports"] if p["port"] == int(port)]
        assert [p["containerPort"] for p in serving["ports"] if p["name"] == target] == [grpc_port]


@pytest.mark.parametrize("overlay", ["prod", "peak", "dev"])
def test_links_in_messages_point_at_the_gateway_people_reach(overlay):
    resources = render(overlay)
    workloads = containers(resources, fill_secrets(operator_fill()))
    site_url = loaded(workloads["notification"][0]).site_url
    assert site_url.rstrip("/") == loaded(workloads["gateway"][0]).public_url.rstrip("/")
    ingress = of_kind(resources, "Ingress")["gateway"]["spec"]
    host = urlsplit(site_url).hostname
    assert [rule["host"] for rule in ingress["rules"]] == [host]
    assert [tls["hosts"] for tls in ingress["tls"]] == [[host]]


def _selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    return all((labels.get(e["key"]) in e["values"]) == (e["operator"] == "In")
               for e in selector.get("matchExpressions", []))


def _egress_ports(resources: list[Resource], deployment: str) -> set[int]:
    labels = of_kind(resources, "Deployment")[deployment]["spec"]["template"]["metadata"]["labels"]
    ports: set[int] = set()
    for policy in of_kind(resources, "NetworkPolicy").values():
        if _selects(policy["spec"]["podSelector"], labels):
            for rule in policy["spec"].get("egress", []):
                for port in rule.get("ports", []):
                    ports.update(range(port["port"], port.get("endPort", port["port"]) + 1))
    return ports


def _inside_ports(resources: list[Resource]) -> set[int]:
    """The ports of the cluster's own parts (DNS, database, broker, Redis, the services' gRPC), as
    the workloads that call nothing outside may reach them."""
    return _egress_ports(resources, "application") | _egress_ports(resources, "gateway")


def test_notification_may_leave_the_cluster_through_exactly_the_ports_it_uses(prod):
    resources, _, workloads = prod
    settings = loaded(workloads["notification"][0])
    providers = {urlsplit(url).port or {"https": 443, "http": 80}[urlsplit(url).scheme]
                 for url in (settings.sms_http_url, settings.alternative_http_url)}
    # What notification may reach beyond the cluster's own ports: its mail relay and its providers.
    assert _egress_ports(resources, "notification") - _inside_ports(resources) == {settings.smtp_port, *providers}


def test_identity_may_leave_the_cluster_through_exactly_the_port_of_its_identity_authority(prod):
    resources, _, workloads = prod
    settings = loaded(workloads["identity"][0])
    assert settings.real_name_provider == "http"
    url = urlsplit(settings.real_name_http_url)
    assert _egress_ports(resources, "identity") - _inside_ports(resources) == {url.port or 443}


def test_the_create_admin_job_accepts_its_environment_and_a_password_filled_as_the_example_says(prod):
    """The one-off create-admin Job (a suspended CronJob's template): identity's production settings
    load from its environment, and a password made as secrets.yaml.example says passes R-ID-3."""
    from tqr_identity.domain.passwords import password_problems

    resources, secrets, _ = prod
    template = of_kind(resources, "CronJob")["create-admin"]
    as_job = {**template, "kind": "Job", "spec": template["spec"]["jobTemplate"]["spec"]}
    (container,) = containers([*resources, as_job], secrets, kinds=("Job",))["create-admin"]
    assert service_of(container) == "identity"
    loaded(container)
    password = container.env["IDENTITY_ADMIN_PASSWORD"]
    assert password_problems(password, password) == []


def test_filling_the_secrets_leaves_no_key_behind(tmp_path, monkeypatch):
    # The operator's mutual-TLS set (a CA's private key among it) was made in a temporary folder
    # that stayed: one in /tmp per filling, eight per make test.
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    secrets = fill_secrets(operator_fill())
    assert "BEGIN" in secrets["tqr-mtls-gateway"]["tls.key"]
    assert list(tmp_path.iterdir()) == []
