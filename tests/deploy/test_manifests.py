"""The Kubernetes manifests: every overlay renders, every resource is valid against the Kubernetes
1.30 schemas (custom resources against the small schemas in crd_schemas.py), and the properties the
operators rely on hold: hardening, probes, autoscaling, network isolation, no committed secrets."""

from __future__ import annotations

import re
import shutil
import subprocess
import urllib.parse
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml
from servicekit import broker_users
from servicekit.bus.access import grants, role
from servicekit.bus.topology import Topology
from servicekit.host import CALLERS_LEAVE_SECONDS
from servicekit.rpc.server import LIVENESS
from servicekit.service_settings import ServiceSettings
from servicekit.settings import CheckedSettings
from tqr_gateway.app import create_app
from tqr_gateway.config import GatewaySettings
from tqr_gateway.security.client_address import TrustedProxies

from tests.deploy import kustomize_lite
from tests.deploy.crd_schemas import SCHEMAS
from tests.deploy.settings_catalogue import IMAGE_SETTINGS, documented_settings

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
OVERLAYS = ["dev", "prod", "peak"]
KUBERNETES_VERSION = "1.30"
BACKENDS = {"identity": 50051, "application": 50052, "notification": 50053, "documents": 50054}
HPA_SCALED = {"gateway", "identity", "application"}
KEDA_SCALED = {"notification", "documents"}


@cache
def _rendered(overlay: str) -> tuple[dict[str, Any], ...]:
    return tuple(kustomize_lite.build(K8S / "overlays" / overlay))


def rendered(overlay: str) -> list[dict[str, Any]]:
    return list(_rendered(overlay))


def of_kind(overlay: str, kind: str) -> dict[str, dict[str, Any]]:
    return {r["metadata"]["name"]: r for r in rendered(overlay) if r["kind"] == kind}


def pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    return workload["spec"]["template"]["spec"]


def _key(resource: dict[str, Any]) -> tuple[str, str, str]:
    return resource["kind"], resource["metadata"].get("namespace", ""), resource["metadata"]["name"]


# --- rendering and schemas ------------------------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_overlay_renders_every_part_into_its_namespace(overlay):
    resources = rendered(overlay)
    namespace = of_kind(overlay, "Namespace")
    assert len(namespace) == 1
    (name,) = namespace
    assert all(r["metadata"].get("namespace") == name for r in resources if r["kind"] != "Namespace")
    kinds = {r["kind"] for r in resources}
    assert {"Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "ScaledObject",
            "TriggerAuthentication", "Ingress", "NetworkPolicy", "Job", "RabbitmqCluster", "Cluster", "Pooler",
            "ServiceMonitor", "PrometheusRule", "ConfigMap"} <= kinds
    assert len({_key(r) for r in resources}) == len(resources), "two resources share kind and name"


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not installed; kustomize_lite is checked "
                    "against it only where it is")
@pytest.mark.parametrize("overlay", OVERLAYS)
def test_kustomize_lite_renders_what_kubectl_kustomize_renders(overlay):
    output = subprocess.run(["kubectl", "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True,
                            check=True, timeout=120).stdout
    theirs = {_key(r): r for r in yaml.safe_load_all(output) if r}
    ours = {_key(r): r for r in rendered(overlay)}
    assert ours.keys() == theirs.keys()
    for key, resource in ours.items():
        assert resource == theirs[key], key


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_builtin_resource_is_valid_against_the_kubernetes_schema(overlay):
    problems = []
    for resource in rendered(overlay):
        if resource["kind"] in SCHEMAS:
            continue
        try:  # strict: an unknown (misspelt) field is an error too
            kubernetes_validate.validate(resource, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:
            problems.append(f"{_key(resource)}: {'.'.join(map(str, error.path))}: {error.message}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_custom_resource_has_the_fields_its_operator_requires(overlay):
    custom = [r for r in rendered(overlay) if r["kind"] in SCHEMAS]
    # Every kind a schema is kept for is used somewhere (prod has them all; dev keeps no backup).
    assert {r["kind"] for r in custom} == set(SCHEMAS) - ({"ScheduledBackup"} if overlay == "dev" else set())
    for resource in custom:
        jsonschema.validate(resource, SCHEMAS[resource["kind"]])


def test_validation_catches_a_broken_resource():
    """The two checks above can fail: a probe without its port and a ScaledObject without triggers."""
    deployment = of_kind("prod", "Deployment")["identity"]
    broken = yaml.safe_load(yaml.safe_dump(deployment))
    del pod_spec(broken)["containers"][0]["readinessProbe"]["grpc"]["port"]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_VERSION, strict=True)
    scaled = yaml.safe_load(yaml.safe_dump(of_kind("prod", "ScaledObject")["documents"]))
    del scaled["spec"]["triggers"]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(scaled, SCHEMAS["ScaledObject"])


# --- workloads ------------------------------------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_is_hardened(overlay):
    workloads = [*of_kind(overlay, "Deployment").values(), *of_kind(overlay, "Job").values()]
    assert len(workloads) == 9
    for workload in workloads:
        spec = pod_spec(workload)
        name = workload["metadata"]["name"]
        assert spec["securityContext"]["runAsNonRoot"] is True, name
        assert spec["securityContext"]["seccompProfile"]["type"] == "RuntimeDefault", name
        assert spec["automountServiceAccountToken"] is False, name
        tmp_volumes = {v["name"] for v in spec["volumes"] if "emptyDir" in v}
        for container in spec["containers"]:
            context = container["securityContext"]
            assert context["allowPrivilegeEscalation"] is False, name
            assert context["readOnlyRootFilesystem"] is True, name
            assert context["capabilities"]["drop"] == ["ALL"], name
            assert context["seccompProfile"]["type"] == "RuntimeDefault", name
            assert {"cpu", "memory"} <= set(container["resources"]["requests"]), name
            assert {"cpu", "memory"} <= set(container["resources"]["limits"]), name
            mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
            assert mounts.get("/tmp") in tmp_volumes, f"{name}: /tmp is not an emptyDir"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_backends_use_native_grpc_probes_on_their_plain_health_port(overlay):
    """The grpc port takes only mutual TLS, which the kubelet's gRPC probes do not speak: they ask
    the health-only port (<S>_HEALTH_PORT)."""
    deployments = of_kind(overlay, "Deployment")
    for service, port in BACKENDS.items():
        (container,) = pod_spec(deployments[service])["containers"]
        assert {"name": "grpc", "containerPort": port} in container["ports"]
        env = {e["name"]: e.get("value") for e in container["env"]}
        health_port = int(env[f"{service.upper()}_HEALTH_PORT"])
        assert {"name": "health", "containerPort": health_port} in container["ports"]
        for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
            assert container[probe]["grpc"]["port"] == health_port, (service, probe)
        # Startup and readiness ask the default name, which follows the database and the broker;
        # liveness asks the name that stays SERVING through their outages (no restart storm).
        for probe in ("startupProbe", "readinessProbe"):
            assert "service" not in container[probe]["grpc"], (service, probe)
        assert container["livenessProbe"]["grpc"]["service"] == LIVENESS, service
        assert env[f"{service.upper()}_GRPC_PORT"] == str(port)
        assert env[f"{service.upper()}_GRPC_HOST"] == "0.0.0.0"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_service_and_job_mounts_its_own_mtls_secret_where_its_tls_settings_point(overlay):
    resources = {**of_kind(overlay, "Deployment"), **of_kind(overlay, "Job")}
    for name, resource in resources.items():
        pod = pod_spec(resource)
        for container in pod["containers"]:
            env = {e["name"]: e.get("value") for e in container.get("env", [])}
            service = env.get("TQR_SERVICE")
            if service is None:
                continue
            volumes = {v["name"]: v.get("secret", {}).get("secretName") for v in pod.get("volumes", [])}
            mounts = {m["mountPath"]: volumes.get(m["name"]) for m in container.get("volumeMounts", [])}
            for setting, file in (("TLS_CERT", "tls.crt"), ("TLS_KEY", "tls.key"), ("TLS_CA", "ca.crt")):
                path = env[f"{service.upper()}_{setting}"]
                folder, _, leaf = path.rpartition("/")
                assert leaf == file and mounts.get(folder) == f"tqr-mtls-{service}", (name, setting)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_probes_ask_paths_the_gateway_serves_and_liveness_asks_no_dependency(overlay):
    (container,) = pod_spec(of_kind(overlay, "Deployment")["gateway"])["containers"]
    paths = {probe: container[probe]["httpGet"]["path"] for probe in ("startupProbe", "readinessProbe", "livenessProbe")}
    served = {getattr(route, "path", None) for route in create_app(GatewaySettings(environment="test")).routes}
    assert set(paths.values()) <= served, paths
    # The startup probe waits for every service; liveness must not ask about any of them.
    assert paths["startupProbe"] == "/readyz"
    assert paths["livenessProbe"] not in (paths["startupProbe"], paths["readinessProbe"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_reaches_every_backend_through_its_headless_service(overlay):
    services = of_kind(overlay, "Service")
    (gateway,) = pod_spec(of_kind(overlay, "Deployment")["gateway"])["containers"]
    env = {e["name"]: e.get("value") for e in gateway["env"]}
    for service, port in BACKENDS.items():
        headless = services[f"{service}-headless"]
        assert headless["spec"]["clusterIP"] == "None"
        assert headless["spec"]["selector"] == {"app.kubernetes.io/name": service}
        assert {p["name"]: p["port"] for p in headless["spec"]["ports"]}["grpc"] == port
        assert env[f"GATEWAY_{service.upper()}_ADDRESSES"] == f"dns:///{service}-headless:{port}"
    assert services["gateway"]["spec"]["type"] == "ClusterIP"
    (rule,) = of_kind(overlay, "Ingress")["gateway"]["spec"]["rules"]
    assert rule["http"]["paths"][0]["backend"]["service"]["name"] == "gateway"


def _seconds(env: dict[str, str | None], name: str, settings_class: type[CheckedSettings], field: str) -> float:
    """A setting as the pod gets it: from the manifest, else the settings class's default."""
    value = env.get(name)
    return float(value) if value is not None else float(settings_class.model_fields[field].default)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_stops_within_its_termination_grace_period(overlay):
    """Kubernetes kills a pod this long after deciding to stop it: the preStop sleep, the drain and
    the grace for work in flight must all fit, or a rolling restart cuts calls. A backend's drain
    must also outlast the maximum connection age, so that every caller asks DNS again and learns
    the pods that stay before this one stops taking calls (servicekit.host.ServiceHost.stop)."""
    for name, deployment in of_kind(overlay, "Deployment").items():
        spec = pod_spec(deployment)
        (container,) = spec["containers"]
        env = {e["name"]: e.get("value") for e in container.get("env", [])}
        pre_stop = container.get("lifecycle", {}).get("preStop", {}).get("sleep", {}).get("seconds", 0)
        if name == "gateway":
            drain = _seconds(env, "GATEWAY_DRAIN_SECONDS", GatewaySettings, "drain_seconds")
            grace = _seconds(env, "GATEWAY_SHUTDOWN_GRACE_SECONDS", GatewaySettings, "shutdown_grace_seconds")
            assert pre_stop > 0, "the ingress needs a moment to hear the endpoint is gone"
            needed = pre_stop + drain + grace
        else:
            prefix = name.upper()
            drain = _seconds(env, f"{prefix}_DRAIN_SECONDS", ServiceSettings, "drain_seconds")
            grace = _seconds(env, f"{prefix}_SHUTDOWN_GRACE_SECONDS", ServiceSettings, "shutdown_grace_seconds")
            age = _seconds(env, f"{prefix}_MAX_CONNECTION_AGE_SECONDS", ServiceSettings, "max_connection_age_seconds")
            assert 0 < age * 1.1 < drain, (name, "a drain shorter than the connection age leaves callers behind")
            needed = pre_stop + drain + CALLERS_LEAVE_SECONDS + grace
        assert needed <= spec["terminationGracePeriodSeconds"], (name, needed)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_gateway_takes_the_client_address_only_from_proxies_inside_the_cluster(overlay):
    (gateway,) = pod_spec(of_kind(overlay, "Deployment")["gateway"])["containers"]
    env = {e["name"]: e.get("value") for e in gateway["env"]}
    # What the gateway would refuse at start is refused here; an empty list would count the ingress
    # pod as every client, and a public range would let outsiders name their own address.
    trusted = TrustedProxies.parse(env["GATEWAY_TRUSTED_PROXIES"])
    assert trusted
    assert all(network.is_private for network in trusted.networks)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_a_disruption_budget_and_one_autoscaler(overlay):
    deployments = of_kind(overlay, "Deployment")
    budgets = {b["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for b in of_kind(overlay, "PodDisruptionBudget").values()}
    assert budgets == set(deployments)
    hpas = of_kind(overlay, "HorizontalPodAutoscaler")
    assert {h["spec"]["scaleTargetRef"]["name"] for h in hpas.values()} == HPA_SCALED
    for hpa in hpas.values():
        assert hpa["apiVersion"] == "autoscaling/v2"
        assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
    scaled = of_kind(overlay, "ScaledObject")
    authentications = of_kind(overlay, "TriggerAuthentication")
    assert {s["spec"]["scaleTargetRef"]["name"] for s in scaled.values()} == KEDA_SCALED
    # documents renders what its queue brings: it scales on the queue's length.
    (queue,) = [t for t in scaled["documents"]["spec"]["triggers"] if t["type"] == "rabbitmq"]
    assert queue["metadata"]["queueName"] == "documents.events"
    assert queue["authenticationRef"]["name"] in authentications
    # notification sends what its database owes (an event is consumed at once, its deliveries stay
    # behind): it scales on the due deliveries and those in flight, in its own namespace, not on a queue.
    triggers = scaled["notification"]["spec"]["triggers"]
    assert not [t for t in triggers if t["type"] == "rabbitmq"]
    (owed,) = [t for t in triggers if t["type"] == "prometheus"]
    namespace = scaled["notification"]["metadata"]["namespace"]
    assert {"tqr_notification_deliveries_due", "tqr_notification_deliveries_in_flight"} <= set(
        re.findall(r"tqr_\w+", owed["metadata"]["query"]))
    assert re.findall(r'namespace="([^"]*)"', owed["metadata"]["query"]) == [namespace, namespace]
    assert float(owed["metadata"]["threshold"]) > 0
    # An autoscaler owns the replica count; a Deployment that set one would fight it on every apply.
    assert all("replicas" not in d["spec"] for d in deployments.values())


def test_peak_window_raises_every_minimum_above_prod():
    for kind, field in (("HorizontalPodAutoscaler", "minReplicas"), ("ScaledObject", "minReplicaCount")):
        prod, peak = of_kind("prod", kind), of_kind("peak", kind)
        assert prod.keys() == peak.keys()
        for name in prod:
            assert peak[name]["spec"][field] > prod[name]["spec"][field], (kind, name)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_one_migration_job_per_service_with_the_services_settings(overlay):
    jobs = of_kind(overlay, "Job")
    deployments = of_kind(overlay, "Deployment")
    assert set(jobs) == {f"{service}-migrate" for service in BACKENDS}
    for service in BACKENDS:
        (migrate,) = pod_spec(jobs[f"{service}-migrate"])["containers"]
        (serve,) = pod_spec(deployments[service])["containers"]
        assert migrate["args"] == ["migrate"] and serve["args"] == ["serve"]
        assert migrate["image"] == serve["image"]
        assert migrate["envFrom"] == serve["envFrom"]
        assert pod_spec(jobs[f"{service}-migrate"])["restartPolicy"] == "Never"


def test_images_come_from_the_registry_by_digest_in_prod():
    for workload in [*of_kind("prod", "Deployment").values(), *of_kind("prod", "Job").values()]:
        for container in pod_spec(workload)["containers"]:
            assert re.fullmatch(r"registry\.example\.org/tqr/tqr-\w+@sha256:[0-9a-f]{64}", container["image"]), \
                container["image"]


# --- data services --------------------------------------------------------------------------------

def test_prod_broker_and_database_are_replicated_and_backed_up():
    (rabbit,) = of_kind("prod", "RabbitmqCluster").values()
    assert rabbit["spec"]["replicas"] == 3
    assert "default_queue_type = quorum" in rabbit["spec"]["rabbitmq"]["additionalConfig"]
    (postgres,) = of_kind("prod", "Cluster").values()
    assert postgres["spec"]["instances"] == 3
    credentials = postgres["spec"]["backup"]["barmanObjectStore"]["s3Credentials"]
    assert credentials["accessKeyId"]["name"] == credentials["secretAccessKey"]["name"] == "tqr-postgres-backup"
    created = postgres["spec"]["bootstrap"]["initdb"]
    databases = {created["database"], *(re.findall(r"CREATE DATABASE (\w+)", " ".join(created["postInitSQL"])))}
    assert databases == set(BACKENDS)
    (backup,) = of_kind("prod", "ScheduledBackup").values()
    assert backup["spec"]["cluster"]["name"] == postgres["metadata"]["name"]


# --- network policies -----------------------------------------------------------------------------

def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value = labels.get(expression["key"])
        if expression["operator"] == "In" and value not in expression["values"]:
            return False
        if expression["operator"] == "NotIn" and value in expression["values"]:
            return False
    return True


def _policies_for(labels: dict[str, str]) -> list[dict[str, Any]]:
    return [p for p in of_kind("prod", "NetworkPolicy").values() if _selects(p["spec"]["podSelector"], labels)]


def _pod_labels(kind: str, name: str) -> dict[str, str]:
    return of_kind("prod", kind)[name]["spec"]["template"]["metadata"]["labels"]


def test_every_tqr_pod_is_isolated_by_a_default_deny_policy():
    for kind, names in (("Deployment", [*BACKENDS, "gateway"]), ("Job", [f"{s}-migrate" for s in BACKENDS])):
        for name in names:
            policies = _policies_for(_pod_labels(kind, name))
            assert any(set(p["spec"]["policyTypes"]) == {"Ingress", "Egress"} and not p["spec"].get("ingress")
                       and not p["spec"].get("egress") for p in policies), name


def test_only_the_gateway_is_reachable_from_the_ingress_controller():
    def sources(labels: dict[str, str]) -> list[dict[str, Any]]:
        return [peer for p in _policies_for(labels) for rule in p["spec"].get("ingress", []) for peer in rule["from"]]

    gateway_sources = sources(_pod_labels("Deployment", "gateway"))
    assert {"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress-nginx"}}} in gateway_sources
    gateway_labels = _pod_labels("Deployment", "gateway")
    for service in BACKENDS:
        peers = sources(_pod_labels("Deployment", service))
        pod_peers = [p["podSelector"] for p in peers if "podSelector" in p]
        namespace_peers = [p["namespaceSelector"] for p in peers if "namespaceSelector" in p]
        assert any(_selects(s, gateway_labels) for s in pod_peers), service
        assert any(_selects(s, _pod_labels("Deployment", other)) for s in pod_peers for other in BACKENDS), service
        # Other namespaces (Prometheus) may reach the metrics port only, never gRPC.
        assert {"kubernetes.io/metadata.name": "monitoring"} in [n["matchLabels"] for n in namespace_peers]
        for policy in _policies_for(_pod_labels("Deployment", service)):
            for rule in policy["spec"].get("ingress", []):
                if any("namespaceSelector" in peer for peer in rule["from"]):
                    assert [p["port"] for p in rule["ports"]] == ["metrics"], service


def test_egress_is_limited_to_dns_database_broker_redis_mail_and_the_outside_providers():
    def ports(labels: dict[str, str]) -> set[int]:
        found: set[int] = set()
        for policy in _policies_for(labels):
            for rule in policy["spec"].get("egress", []):
                for port in rule.get("ports", []):
                    found.update(range(port["port"], port.get("endPort", port["port"]) + 1))
        return found

    grpc = set(BACKENDS.values())
    assert ports(_pod_labels("Deployment", "gateway")) == {53, 6379} | grpc
    # HTTPS for the national identity authority (real-name verification, R-ID-9)
    assert ports(_pod_labels("Deployment", "identity")) == {53, 5432, 5672, 6379, 443} | grpc
    (site,) = [cm["data"] for name, cm in of_kind("prod", "ConfigMap").items() if name.startswith("tqr-site-")]
    mail = int(site["NOTIFICATION_SMTP_PORT"])  # the configured relay's port only, and HTTPS for SMS
    assert ports(_pod_labels("Deployment", "notification")) == {53, 5432, 5672, 6379, mail, 443} | grpc
    assert ports(_pod_labels("Job", "identity-migrate")) == {53, 5432}


# --- broker users ---------------------------------------------------------------------------------

def _shared_settings(overlay: str) -> dict[str, str]:
    (shared,) = [cm["data"] for name, cm in of_kind(overlay, "ConfigMap").items() if name.startswith("tqr-shared-")]
    return dict(shared)


def test_broker_users_are_what_the_bus_table_makes_for_the_services_exchange():
    """base/broker-users.yaml is `python -m servicekit.broker_users --kubernetes` (regenerate it after
    changing servicekit/bus/access.py), for the exchange and queue prefix the services are given."""
    shared = _shared_settings("prod")
    topology = Topology(shared["TQR_EXCHANGE"], shared.get("TQR_QUEUE_PREFIX", ""))
    assert (K8S / "base" / "broker-users.yaml").read_text(encoding="utf-8") == broker_users.kubernetes_manifest(topology)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_service_connects_as_the_broker_user_with_only_its_own_rights(overlay):
    """Deployment and migration Job → their Secret's URL → the User made from that Secret → its
    Permission and TopicPermission: the table's grants for that service, on the URL's vhost. The
    gateway holds no broker login at all."""
    shared = _shared_settings(overlay)
    topology = Topology(shared["TQR_EXCHANGE"], shared.get("TQR_QUEUE_PREFIX", ""))
    example = {d["metadata"]["name"]: d["stringData"] for d in yaml.safe_load_all((K8S / "secrets.yaml.example").read_text()) if d}
    users = {u["spec"]["importCredentialsSecret"]["name"]: u["metadata"]["name"] for u in of_kind(overlay, "User").values()}
    rights = {(r["kind"], r["spec"]["userReference"]["name"]): r["spec"] for r in rendered(overlay)
              if r["kind"] in ("Permission", "TopicPermission")}
    workloads = [*of_kind(overlay, "Deployment").values(), *of_kind(overlay, "Job").values()]
    for workload in workloads:
        (container,) = pod_spec(workload)["containers"]
        logins = [e for e in container.get("env", []) if e["name"].endswith("AMQP_URL")]
        from_secrets = [s["secretRef"]["name"] for s in container.get("envFrom", []) if "secretRef" in s]
        assert not [name for name in from_secrets if any(k.endswith("AMQP_URL") for k in example[name])], workload["metadata"]["name"]
        service = workload["metadata"]["name"].removesuffix("-migrate")
        if service == "gateway":
            assert logins == []
            continue
        (login,) = logins
        assert login["name"] == f"{service.upper()}_AMQP_URL"
        secret = login["valueFrom"]["secretKeyRef"]["name"]
        url = urllib.parse.urlsplit(example[secret][login["valueFrom"]["secretKeyRef"]["key"]])
        assert url.username == example[secret]["username"]
        user = users[secret]
        granted = grants(role(service), topology)
        permission, topic = rights[("Permission", user)], rights[("TopicPermission", user)]
        assert permission["vhost"] == topic["vhost"] == (url.path[1:] or "/")
        assert permission["permissions"] == {"configure": granted.configure, "write": granted.write, "read": granted.read}
        assert topic["permissions"] == {"exchange": topology.exchange, "write": granted.topic_write, "read": granted.topic_read}


# --- secrets and settings -------------------------------------------------------------------------

def _referenced_secrets(resources: list[dict[str, Any]]) -> set[str]:
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"secretRef", "secretKeyRef"} and isinstance(value, dict):
                    found.add(value["name"])
                elif key in {"secretTargetRef"}:
                    found.update(item["name"] for item in value)
                elif key in {"accessKeyId", "secretAccessKey", "secret"} and isinstance(value, dict) and "name" in value:
                    found.add(value["name"])
                elif key == "secretName":
                    found.add(value)
                elif key == "importCredentialsSecret":  # a broker user's name and password
                    found.add(value["name"])
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(resources)
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_secrets_are_referenced_never_committed(overlay):
    resources = rendered(overlay)
    assert not [r for r in resources if r["kind"] == "Secret"]
    example = [d for d in yaml.safe_load_all((K8S / "secrets.yaml.example").read_text()) if d]
    documented = {d["metadata"]["name"] for d in example}
    # Every Secret referenced is in the example; production references all of them (dev keeps no
    # database backup, so it needs no object-storage credentials).
    assert _referenced_secrets(resources) <= documented
    assert _referenced_secrets(resources) == documented - ({"tqr-postgres-backup"} if overlay == "dev" else set())
    for secret in example:
        for key, value in secret.get("stringData", {}).items():
            if key in ("username", "ADMIN_USERNAME", "ADMIN_DISPLAY_NAME"):  # names, not secrets
                continue
            assert "CHANGE-ME" in value, f"{secret['metadata']['name']}.{key} holds a value, not a placeholder"


def test_manifests_set_only_documented_settings():
    set_in_manifests = {
        (env["name"], workload["metadata"]["name"])
        for overlay in OVERLAYS
        for workload in [*of_kind(overlay, "Deployment").values(), *of_kind(overlay, "Job").values()]
        for container in pod_spec(workload)["containers"]
        for env in container.get("env", [])
    } | {(key, name) for name, cm in of_kind("prod", "ConfigMap").items() for key in cm["data"]
         if "grafana_dashboard" not in cm["metadata"].get("labels", {})}  # dashboards are not settings
    documented = documented_settings() | IMAGE_SETTINGS
    assert {f"{name} ({where})" for name, where in set_in_manifests if name not in documented} == set()
