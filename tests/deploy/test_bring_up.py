"""What an operator bringing the system up relies on, checked on every overlay as ``kubectl
kustomize`` renders it (tests/cluster/manifests.py): images that cannot change under them, and the
same in the peak overlay as in prod; Deployments with requests, limits, probes, a disruption budget
and a spread over hosts and zones; every Secret key a workload reads listed in secrets.yaml.example;
no object storage in dev; the one-off Jobs; TLS from cert-manager; monitoring that
kube-prometheus-stack selects; and a README that names each operator with its version."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.cluster.manifests import (
    MissingReference,
    Resource,
    containers,
    fill_secrets,
    kubectl,
    of_kind,
    operator_fill,
    render,
)
from tools import release_images

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
README = ROOT / "deploy" / "README.md"
OVERLAYS = ["dev", "prod", "peak"]
SERVICES = ["gateway", "identity", "application", "notification", "documents"]
OURS = re.compile(r"registry\.example\.org/tqr/tqr-(?P<service>[a-z]+)@sha256:[0-9a-f]{64}")
# Someone else's image: an exact release (x.y.z, with a variant suffix), or PostgreSQL's x.y.
PINNED = re.compile(r"[\w./-]+:v?\d+\.\d+\.\d+(-[\w.]+)?|ghcr\.io/cloudnative-pg/postgresql:\d+\.\d+")


def pod_templates(resources: list[Resource]) -> dict[str, dict[str, Any]]:
    """Every pod template the overlay writes out itself: "<Kind>/<name>" → template."""
    found = {}
    for resource in resources:
        kind, spec = resource["kind"], resource.get("spec", {})
        if kind in ("Deployment", "StatefulSet", "Job"):
            found[f"{kind}/{resource['metadata']['name']}"] = spec["template"]
        elif kind == "CronJob":
            found[f"{kind}/{resource['metadata']['name']}"] = spec["jobTemplate"]["spec"]["template"]
    return found


def images(resources: list[Resource]) -> dict[str, str]:
    """Where → image, for every container and every operator-run image."""
    found = {}
    for where, template in pod_templates(resources).items():
        for container in [*template["spec"].get("initContainers", []), *template["spec"]["containers"]]:
            found[f"{where}/{container['name']}"] = container["image"]
    for resource in resources:
        for field in ("image", "imageName"):
            if isinstance(resource.get("spec", {}).get(field), str):
                found[f"{resource['kind']}/{resource['metadata']['name']}"] = resource["spec"][field]
    return found


# --- images -----------------------------------------------------------------------------------------

@pytest.mark.parametrize("overlay", OVERLAYS)
def test_no_image_can_change_under_a_running_overlay(overlay):
    """Ours by digest (the release step writes them), everyone else's at an exact release."""
    found = images(render(overlay))
    assert {m["service"] for m in map(OURS.fullmatch, found.values()) if m} == set(SERVICES)
    movable = {where: image for where, image in found.items() if not (OURS.fullmatch(image) or PINNED.fullmatch(image))}
    assert movable == {}


def test_the_peak_overlay_runs_exactly_what_prod_runs():
    assert images(render("peak")) == images(render("prod"))


def _digest(character: str) -> str:
    return "sha256:" + character * 64


def test_the_release_step_sets_the_images_of_prod_and_peak_alike(tmp_path):
    """tools/release_images.py writes releases/prod; both overlays then run those digests."""
    copy = tmp_path / "k8s"
    shutil.copytree(K8S, copy)
    references = [f"registry.example.org/tqr/tqr-{s}:1.4.0@{_digest(str(i + 1))}" for i, s in enumerate(SERVICES)]
    release_images.write("prod", references, releases=copy / "releases")
    expected = {f"registry.example.org/tqr/tqr-{s}@{_digest(str(i + 1))}" for i, s in enumerate(SERVICES)}
    for overlay in ("prod", "peak"):
        output = subprocess.run([kubectl(), "kustomize", str(copy / "overlays" / overlay)], capture_output=True,
                                text=True, check=True, timeout=120).stdout
        ours = {i for i in images([d for d in yaml.safe_load_all(output) if d]).values() if OURS.fullmatch(i)}
        assert ours == expected, overlay


@pytest.mark.parametrize("references, reason", [
    ([f"registry.example.org/tqr/tqr-{s}:1.4.0" for s in SERVICES], "by digest"),
    ([f"registry.example.org/tqr/tqr-{s}@{_digest('a')}" for s in SERVICES[:4]], "missing: documents"),
    ([f"registry.example.org/tqr/tqr-{s}@{_digest('a')}" for s in [*SERVICES, "gateway"]], "named twice"),
])
def test_the_release_step_refuses_an_incomplete_release_and_writes_nothing(tmp_path, references, reason):
    (tmp_path / "prod").mkdir()
    target = tmp_path / "prod" / "kustomization.yaml"
    target.write_text("unchanged", encoding="utf-8")
    with pytest.raises(release_images.ReleaseRefused, match=reason):
        release_images.write("prod", references, releases=tmp_path)
    assert target.read_text(encoding="utf-8") == "unchanged"
    refused = subprocess.run([sys.executable, str(ROOT / "tools" / "release_images.py"), "prod", *references],
                             capture_output=True, text=True, cwd=tmp_path)
    assert refused.returncode == 1 and "nothing written" in refused.stderr


# --- workloads ----------------------------------------------------------------------------------------

def _selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and selector.items() <= labels.items()


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_deployment_has_requests_limits_probes_a_budget_and_a_spread_over_hosts_and_zones(overlay):
    resources = render(overlay)
    budgets = of_kind(resources, "PodDisruptionBudget").values()
    deployments = of_kind(resources, "Deployment")
    assert set(deployments) == set(SERVICES)
    for name, deployment in deployments.items():
        pod = deployment["spec"]["template"]
        labels = pod["metadata"]["labels"]
        for container in pod["spec"]["containers"]:
            for kind in ("requests", "limits"):
                assert {"cpu", "memory"} <= set(container["resources"][kind]), (name, kind)
            assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(container), name
        assert [b for b in budgets if _selects(b["spec"]["selector"]["matchLabels"], labels)], f"{name}: no PDB"
        spread = {c["topologyKey"] for c in pod["spec"]["topologySpreadConstraints"]
                  if _selects(c["labelSelector"]["matchLabels"], labels)}
        assert spread >= {"kubernetes.io/hostname", "topology.kubernetes.io/zone"}, name


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_data_tier_spreads_over_zones(overlay):
    resources = render(overlay)
    (rabbit,) = of_kind(resources, "RabbitmqCluster").values()
    pod = rabbit["spec"]["override"]["statefulSet"]["spec"]["template"]["spec"]
    assert "topology.kubernetes.io/zone" in {c["topologyKey"] for c in pod["topologySpreadConstraints"]}
    (cluster,) = of_kind(resources, "Cluster").values()
    assert "topology.kubernetes.io/zone" in {c["topologyKey"] for c in cluster["spec"]["topologySpreadConstraints"]}
    (pooler,) = of_kind(resources, "Pooler").values()
    assert {"kubernetes.io/hostname", "topology.kubernetes.io/zone"} <= {
        c["topologyKey"] for c in pooler["spec"]["template"]["spec"]["topologySpreadConstraints"]}


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_secret_key_a_workload_reads_is_in_the_example(overlay):
    """Filled as secrets.yaml.example tells an operator, every envFrom and secretKeyRef resolves
    (Deployments, Jobs, the task templates, Redis)."""
    resources = render(overlay)
    as_jobs = [{**r, "kind": "Job", "spec": r["spec"]["jobTemplate"]["spec"]} for r in resources if r["kind"] == "CronJob"]
    try:
        found = containers([*resources, *as_jobs], fill_secrets(operator_fill()), kinds=("Deployment", "Job", "StatefulSet"))
    except MissingReference as missing:
        pytest.fail(str(missing))
    assert {"import-reference", "create-admin", "redis", *SERVICES} <= set(found)


# --- dev without object storage --------------------------------------------------------------------

def test_dev_keeps_no_backup_and_names_no_object_store():
    dev = render("dev")
    (cluster,) = of_kind(dev, "Cluster").values()
    assert "backup" not in cluster["spec"] and not of_kind(dev, "ScheduledBackup")
    assert "s3.example.org" not in yaml.safe_dump_all(dev)
    (production,) = of_kind(render("prod"), "Cluster").values()
    assert production["spec"]["backup"]["barmanObjectStore"]["destinationPath"].startswith("s3://")


# --- one-off Jobs ---------------------------------------------------------------------------------

def test_import_reference_runs_as_jobs_made_from_a_template_that_never_runs_itself():
    resources = render("prod")
    template = of_kind(resources, "CronJob")["import-reference"]
    assert template["spec"]["suspend"] is True
    assert template["spec"]["schedule"].split()[2:4] == ["31", "2"]  # 31 February: never
    job = template["spec"]["jobTemplate"]["spec"]
    pod = job["template"]["spec"]
    (container,) = pod["containers"]
    script = "\n".join(container["args"])
    assert "exec python -m tqr_application import-reference /reference" in script
    assert "READY" in script and job["activeDeadlineSeconds"] > 3600
    assert pod["restartPolicy"] == "Never" and job["backoffLimit"] == 0
    volumes = {v["name"]: v for v in pod["volumes"]}
    assert "emptyDir" in volumes[{m["mountPath"]: m["name"] for m in container["volumeMounts"]}["/reference"]]
    # The application's own settings, as its migration Job has them.
    (migrate,) = of_kind(resources, "Job")["application-migrate"]["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == migrate["envFrom"]
    assert {e["name"]: e.get("value") for e in container["env"]}["TQR_SERVICE"] == "application"


def test_create_admin_runs_as_jobs_from_a_template_with_identitys_settings_and_its_own_secret():
    """The first administrator: identity's command, its settings as its migration Job has them, the
    password from the Secret tqr-first-admin in the environment (never an argument)."""
    resources = render("prod")
    template = of_kind(resources, "CronJob")["create-admin"]
    assert template["spec"]["suspend"] is True
    assert template["spec"]["schedule"].split()[2:4] == ["31", "2"]  # 31 February: never
    job = template["spec"]["jobTemplate"]["spec"]
    pod = job["template"]["spec"]
    (container,) = pod["containers"]
    assert pod["restartPolicy"] == "Never" and job["backoffLimit"] == 0
    assert container["args"][0] == "create-admin" and "--another" not in container["args"]
    env = {e["name"]: e for e in container["env"]}
    assert env["TQR_SERVICE"]["value"] == "identity"
    assert env["IDENTITY_AMQP_URL"]["valueFrom"]["secretKeyRef"]["name"] == "tqr-amqp-identity"
    assert env["IDENTITY_ADMIN_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "tqr-first-admin"
    assert not any("PASSWORD" in arg for arg in container["args"])
    for argument in [a for a in container["args"] if a.startswith("$(")]:
        assert argument[2:-1] in env  # Kubernetes expands $(NAME) only from the container's env
    (migrate,) = of_kind(resources, "Job")["identity-migrate"]["spec"]["template"]["spec"]["containers"]
    assert container["envFrom"] == migrate["envFrom"]
    result = subprocess.run([sys.executable, "-m", "tqr_identity", "create-admin", "--help"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0 and "--display-name" in result.stdout
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### The first administrator"):text.index("### What runs")]
    assert "**Pending:**" not in section
    assert "kubectl -n tqr create job create-admin-1 --from=cronjob/create-admin" in section.replace("$NS", "tqr")


# --- TLS, monitoring, operators ------------------------------------------------------------------

def test_the_ingress_serves_tls_with_a_certificate_from_cert_manager():
    issuer = yaml.safe_load((K8S / "cluster" / "cluster-issuer.yaml").read_text(encoding="utf-8"))
    for overlay in OVERLAYS:
        ingress = of_kind(render(overlay), "Ingress")["gateway"]
        assert ingress["metadata"]["annotations"]["cert-manager.io/cluster-issuer"] == issuer["metadata"]["name"]
        (tls,) = ingress["spec"]["tls"]
        assert tls["secretName"] and tls["hosts"] == [rule["host"] for rule in ingress["spec"]["rules"]]
        assert ingress["metadata"]["annotations"]["nginx.ingress.kubernetes.io/force-ssl-redirect"] == "true"
    (solver,) = issuer["spec"]["acme"]["solvers"]
    assert solver["http01"]["ingress"]["ingressClassName"] == ingress["spec"]["ingressClassName"]


def test_kube_prometheus_stack_selects_the_monitors_and_rules_and_loads_the_dashboards():
    monitoring = yaml.safe_load((K8S / "base" / "monitoring" / "kustomization.yaml").read_text(encoding="utf-8"))
    (release,) = [p["pairs"]["release"] for p in monitoring["labels"]]
    values_file = (K8S / "cluster" / "kube-prometheus-stack-values.yaml").read_text(encoding="utf-8")
    assert f"helm upgrade --install {release} prometheus-community/kube-prometheus-stack" in values_file
    assert f"helm upgrade --install {release} prometheus-community/kube-prometheus-stack" in README.read_text(
        encoding="utf-8")
    values = yaml.safe_load(values_file)["grafana"]["sidecar"]["dashboards"]
    for overlay in OVERLAYS:
        resources = render(overlay)
        for kind in ("ServiceMonitor", "PodMonitor", "PrometheusRule"):
            for resource in of_kind(resources, kind).values():
                assert resource["metadata"]["labels"]["release"] == release, (overlay, kind)
        dashboards = [cm for cm in of_kind(resources, "ConfigMap").values()
                      if cm["metadata"].get("labels", {}).get(values["label"]) == values["labelValue"]]
        shipped = {key for cm in dashboards for key in cm["data"]}
        assert shipped == {p.name for p in (ROOT / "deploy" / "grafana" / "dashboards").glob("*.json")}
        assert all(cm["metadata"]["annotations"][values["folderAnnotation"]] == "TQR" for cm in dashboards)
        # KEDA asks that release's Prometheus for notification's signal.
        (owed,) = [t for t in of_kind(resources, "ScaledObject")["notification"]["spec"]["triggers"]
                   if t["type"] == "prometheus"]
        assert owed["metadata"]["serverAddress"].startswith(f"http://{release}-prometheus.monitoring.svc:")


# What provides each kind the overlays use, as deploy/README.md's table names it.
PROVIDERS = {
    "rabbitmq.com": "RabbitMQ Cluster Operator",
    "postgresql.cnpg.io": "CloudNativePG",
    "keda.sh": "KEDA",
    "monitoring.coreos.com": "kube-prometheus-stack",
    "cert-manager.io": "cert-manager",
    "networking.k8s.io/Ingress": "ingress-nginx",
    "autoscaling/HorizontalPodAutoscaler": "metrics-server",
}


def test_the_readme_names_every_operator_the_overlays_need_with_its_version():
    text = README.read_text(encoding="utf-8")
    section = text[text.index("### Bringing up a cluster"):]
    rows = {line.split("|")[1].strip(): line for line in section.splitlines() if line.startswith("| ")}
    used = set()
    for resource in render("prod"):
        group = resource["apiVersion"].rsplit("/", 1)[0] if "/" in resource["apiVersion"] else ""
        for key in (group, f"{group}/{resource['kind']}"):
            if key in PROVIDERS:
                used.add(PROVIDERS[key])
    used.add(PROVIDERS["cert-manager.io"])  # the Ingress's issuer annotation
    assert used == set(PROVIDERS.values())
    for provider in used:
        row = rows.get(provider)
        assert row is not None, f"deploy/README.md's table has no row for {provider}"
        assert re.search(r"\d+\.\d+", row), f"{provider}: no version"
