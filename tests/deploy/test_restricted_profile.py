"""Every pod of every overlay, as ``kubectl kustomize`` renders it, meets the "restricted" Pod
Security Standard its namespace enforces (tests/deploy/pod_security.py, written from the standard).

Pods an operator builds are checked as the operator builds them: its pod template (modelled below
from its source, for the release named) with our override merged the way the operator merges it
(a strategic merge patch, containers by name). Without the override, the RabbitMQ operator's pods
before 2.17 are refused; the test shows that too.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.cluster.manifests import Resource, of_kind, render
from tests.deploy import kustomize_lite
from tests.deploy.pod_security import violations

OVERLAYS = ["dev", "prod", "peak"]


def _restricted_container(name: str) -> dict[str, Any]:
    return {"name": name, "securityContext": {
        "allowPrivilegeEscalation": False, "privileged": False, "readOnlyRootFilesystem": True, "runAsNonRoot": True,
        "capabilities": {"drop": ["ALL"]}, "seccompProfile": {"type": "RuntimeDefault"}}}


# The RabbitMQ Cluster Operator 2.16.0's pod (internal/resource/statefulset.go): user 999, no
# runAsNonRoot, no seccomp profile; neither container sets a security context.
RABBITMQ_OPERATOR_POD: dict[str, Any] = {
    "securityContext": {"fsGroup": 0, "runAsUser": 999},
    "automountServiceAccountToken": True,
    "initContainers": [{"name": "setup-container", "image": "rabbitmq"}],
    "containers": [{"name": "rabbitmq", "image": "rabbitmq",
                    "ports": [{"name": "epmd", "containerPort": 4369}, {"name": "amqp", "containerPort": 5672}]}],
    "volumes": [
        {"name": "plugins-conf", "configMap": {"name": "tqr-rabbitmq-plugins-conf"}},
        {"name": "rabbitmq-confd", "projected": {"sources": []}},
        {"name": "rabbitmq-erlang-cookie", "emptyDir": {}},
        {"name": "erlang-cookie-secret", "secret": {"secretName": "tqr-rabbitmq-erlang-cookie"}},
        {"name": "rabbitmq-plugins", "emptyDir": {}},
        {"name": "pod-info", "downwardAPI": {"items": []}},
    ],
}
# CloudNativePG's PgBouncer pod (pkg/specs/pgbouncer/deployments.go) and instance pod
# (pkg/specs/pods.go): non-root users, every container with GetSecurityContext(); the seccomp
# profile is the Cluster's spec.seccompProfile (RuntimeDefault when unset).
CNPG_POOLER_POD: dict[str, Any] = {
    "securityContext": {"runAsNonRoot": True, "runAsUser": 998, "runAsGroup": 996, "fsGroup": 996},
    "initContainers": [_restricted_container("bootstrap-controller")],
    "containers": [_restricted_container("pgbouncer")],
    "volumes": [{"name": "ca", "secret": {"secretName": "ca"}}, {"name": "server-tls", "secret": {"secretName": "tls"}},
                {"name": "scratch-data", "emptyDir": {}}],
}
CNPG_INSTANCE_POD: dict[str, Any] = {
    "securityContext": {"runAsNonRoot": True, "runAsUser": 26, "runAsGroup": 26, "fsGroup": 26},
    "initContainers": [_restricted_container("bootstrap-controller")],
    "containers": [_restricted_container("postgres")],
    "volumes": [{"name": "pgdata", "persistentVolumeClaim": {"claimName": "tqr-postgres-1"}},
                {"name": "scratch-data", "emptyDir": {}}, {"name": "shm", "emptyDir": {"medium": "Memory"}}],
}
# Kinds whose objects make pods; anything else that would is a failure until it is checked here.
POD_MAKERS = {"Deployment", "StatefulSet", "Job", "CronJob", "RabbitmqCluster", "Pooler", "Cluster"}
OTHER_POD_KINDS = {"Pod", "ReplicaSet", "DaemonSet", "ReplicationController"}


def operator_merge(default: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """A strategic merge patch of a pod spec, as the operators apply their users' templates."""
    merged: dict[str, Any] = kustomize_lite.strategic_merge(default, override)
    return merged


def pods(resources: list[Resource]) -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    """Every pod spec an overlay makes (with its annotations): "<Kind>/<name>" → (spec, annotations)."""
    found: dict[str, tuple[dict[str, Any], dict[str, str]]] = {}
    for resource in resources:
        kind, name, spec = resource["kind"], resource["metadata"]["name"], resource.get("spec", {})
        key = f"{kind}/{name}"
        if kind in ("Deployment", "StatefulSet", "Job"):
            template = spec["template"]
        elif kind == "CronJob":
            template = spec["jobTemplate"]["spec"]["template"]
        elif kind == "RabbitmqCluster":
            override = spec.get("override", {}).get("statefulSet", {}).get("spec", {}).get("template", {})
            template = {"metadata": override.get("metadata", {}),
                        "spec": operator_merge(RABBITMQ_OPERATOR_POD, override.get("spec", {}))}
        elif kind == "Pooler":
            template = {"metadata": spec.get("template", {}).get("metadata", {}),
                        "spec": operator_merge(CNPG_POOLER_POD, spec.get("template", {}).get("spec", {}))}
        elif kind == "Cluster":
            profile = spec.get("seccompProfile") or {"type": "RuntimeDefault"}
            merged = operator_merge(CNPG_INSTANCE_POD, {"securityContext": {"seccompProfile": profile}})
            for container in [*merged["initContainers"], *merged["containers"]]:
                container["securityContext"]["seccompProfile"] = profile
            template = {"metadata": {}, "spec": merged}
        else:
            continue
        found[key] = (template["spec"], template.get("metadata", {}).get("annotations", {}))
    return found


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_namespace_enforces_the_restricted_standard(overlay):
    (namespace,) = of_kind(render(overlay), "Namespace").values()
    assert namespace["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] == "restricted"


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_of_the_overlay_meets_the_restricted_standard(overlay):
    resources = render(overlay)
    assert not [r for r in resources if r["kind"] in OTHER_POD_KINDS], "a pod maker this test does not check"
    found = pods(resources)
    assert {key.split("/")[0] for key in found} == POD_MAKERS
    refused = {key: problems for key, (spec, annotations) in found.items() if (problems := violations(spec, annotations))}
    assert refused == {}


def test_the_rabbitmq_operators_own_pod_is_refused_and_the_override_admits_it():
    """Why rabbitmq.yaml carries an override: without it install step 2 waits for ever."""
    problems = violations(RABBITMQ_OPERATOR_POD)
    assert any("setup-container" in p and "privilege escalation" in p for p in problems)
    assert any("containers[rabbitmq]" in p and "does not drop ALL" in p for p in problems)
    assert any("running as non-root" in p for p in problems) and any("seccomp" in p for p in problems)
    (rabbit,) = of_kind(render("prod"), "RabbitmqCluster").values()
    assert violations(pods([rabbit])["RabbitmqCluster/tqr-rabbitmq"][0]) == []


def test_the_check_names_each_control_it_enforces():
    """The check itself: a pod breaking one control at a time is refused for that control."""
    good = {"securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [_restricted_container("app")], "volumes": [{"name": "tmp", "emptyDir": {}}]}
    assert violations(good) == []

    def broken(change: dict[str, Any], in_container: bool = False) -> list[str]:
        spec = copy.deepcopy(good)
        target = spec["containers"][0] if in_container else spec
        merged = kustomize_lite.strategic_merge(target, change)
        if in_container:
            spec["containers"][0] = merged
        else:
            spec = merged
        return violations(spec)

    cases = {
        "host namespaces": ({"hostNetwork": True}, False),
        "HostPath volumes": ({"volumes": [{"name": "root", "hostPath": {"path": "/"}}]}, False),
        "privileged containers": ({"securityContext": {"privileged": True}}, True),
        "host ports": ({"ports": [{"containerPort": 80, "hostPort": 80}]}, True),
        "privilege escalation": ({"securityContext": {"allowPrivilegeEscalation": True}}, True),
        "capabilities": ({"securityContext": {"capabilities": {"drop": ["ALL"], "add": ["SYS_ADMIN"]}}}, True),
        "running as non-root": ({"securityContext": {"runAsNonRoot": False}}, True),
        "running as non-root user": ({"securityContext": {"runAsUser": 0}}, False),
        "seccomp": ({"securityContext": {"seccompProfile": {"type": "Unconfined"}}}, True),
        "sysctls": ({"securityContext": {"sysctls": [{"name": "kernel.msgmax", "value": "1"}]}}, False),
        "/proc mount type": ({"securityContext": {"procMount": "Unmasked"}}, True),
        "volume types": ({"volumes": [{"name": "nfs", "nfs": {"server": "x", "path": "/"}}]}, False),
        "SELinux": ({"securityContext": {"seLinuxOptions": {"type": "spc_t"}}}, True),
    }
    for control, (change, in_container) in cases.items():
        problems = broken(change, in_container)
        assert any(p.startswith(control) for p in problems), (control, problems)
