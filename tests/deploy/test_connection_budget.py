"""The PostgreSQL connection budget of each overlay, computed from the rendered manifests.

Every pod of a service keeps a pool of ``<S>_DB_POOL_SIZE`` (+ ``<S>_DB_MAX_OVERFLOW``) connections
(servicekit.db). They go to PgBouncer (the CloudNativePG Pooler, k8s/base/pooler.yaml), which
lends PostgreSQL backends per transaction. Two sums must hold with every autoscaler at its maximum:

- clients: Σ over services of maxReplicas × (pool size + overflow) ≤ max_client_conn of one pooler
  instance. Clients stay on the instance they connected to; after a pooler pod restarts (a rolling
  update) its clients reconnect to the others and never move back, so most can end up on one.
- servers: (default_pool_size + reserve_pool_size) × pools × pooler instances ≤ PostgreSQL's
  max_connections minus what other clients need.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from typing import Any

import pytest
import yaml
from servicekit.service_settings import ServiceSettings
from sqlalchemy.engine import make_url

from tests.deploy.test_manifests import K8S, OVERLAYS, of_kind, pod_spec

BACKENDS = ["identity", "application", "notification", "documents"]  # the services with a database
# What PgBouncer and the operators use for a value the manifests leave out.
PGBOUNCER_DEFAULTS = {"max_client_conn": 100, "default_pool_size": 20, "reserve_pool_size": 0}
POOLER_INSTANCES_DEFAULT = 1  # the Pooler CRD's default
KEDA_MAX_REPLICAS_DEFAULT = 100  # a ScaledObject without maxReplicaCount
POSTGRES_DEFAULTS = {"max_connections": 100, "superuser_reserved_connections": 3}
# Connections to PostgreSQL that do not go through the pooler, besides the migration Jobs (one
# connection each, counted from the manifests): CloudNativePG's instance manager and metrics
# exporter, a person with psql, a pg_dump.
OTHER_DIRECT_CLIENTS = 20


@dataclass(frozen=True)
class Budget:
    clients: int  # connections the services' pods may open to the pooler, all at their maximums
    max_client_conn: int  # what one pooler instance accepts
    servers: int  # backends the pooler may open, every pool of every instance full
    server_room: int  # max_connections minus superuser reserve, migration Jobs and other clients
    per_service: dict[str, tuple[int, int]]  # service: (maximum replicas, connections per pod)


def _settings_class(service: str) -> type[ServiceSettings]:
    module = importlib.import_module(f"tqr_{service}.config")
    (found,) = {v for v in vars(module).values()
                if isinstance(v, type) and issubclass(v, ServiceSettings) and v is not ServiceSettings}
    return found


def _env(overlay: str, deployment: dict[str, Any]) -> dict[str, str]:
    """What the container reads from the manifests: its ConfigMaps, then its own env (Secrets aside)."""
    (container,) = pod_spec(deployment)["containers"]
    config_maps = of_kind(overlay, "ConfigMap")
    env: dict[str, str] = {}
    for source in container.get("envFrom", []):
        if "configMapRef" in source:
            env.update(config_maps[source["configMapRef"]["name"]]["data"])
    env.update({e["name"]: e["value"] for e in container.get("env", []) if "value" in e})
    return env


def _setting(env: dict[str, str], service: str, name: str) -> str:
    default = _settings_class(service).model_fields[name].default
    return env.get(f"{service.upper()}_{name.upper()}", str(default))


def _max_replicas(overlay: str, service: str) -> int:
    for hpa in of_kind(overlay, "HorizontalPodAutoscaler").values():
        if hpa["spec"]["scaleTargetRef"]["name"] == service:
            return int(hpa["spec"]["maxReplicas"])
    for scaled in of_kind(overlay, "ScaledObject").values():
        if scaled["spec"]["scaleTargetRef"]["name"] == service:
            return int(scaled["spec"].get("maxReplicaCount", KEDA_MAX_REPLICAS_DEFAULT))
    raise AssertionError(f"no autoscaler for {service}")


def _cluster(overlay: str) -> dict[str, Any]:
    (cluster,) = of_kind(overlay, "Cluster").values()
    return cluster


def _pooler(overlay: str) -> dict[str, Any]:
    cluster = _cluster(overlay)["metadata"]["name"]
    poolers = [p for p in of_kind(overlay, "Pooler").values() if p["spec"]["cluster"]["name"] == cluster]
    assert len(poolers) == 1, f"{overlay}: no PgBouncer (CloudNativePG Pooler) in front of {cluster}"
    return poolers[0]


def _databases(cluster: dict[str, Any]) -> set[str]:
    created = cluster["spec"]["bootstrap"]["initdb"]
    return {created["database"], *re.findall(r"CREATE DATABASE (\w+)", " ".join(created.get("postInitSQL", [])))}


def budget(overlay: str) -> Budget:
    deployments = of_kind(overlay, "Deployment")
    per_service = {}
    for service in BACKENDS:
        env = _env(overlay, deployments[service])
        per_pod = int(_setting(env, service, "db_pool_size")) + int(_setting(env, service, "db_max_overflow"))
        per_service[service] = (_max_replicas(overlay, service), per_pod)

    pooler = _pooler(overlay)
    parameters = {**PGBOUNCER_DEFAULTS, **{k: int(v) for k, v in pooler["spec"]["pgbouncer"].get("parameters", {}).items()
                                          if k in PGBOUNCER_DEFAULTS}}
    cluster = _cluster(overlay)
    postgres = {**POSTGRES_DEFAULTS, **{k: int(v) for k, v in cluster["spec"].get("postgresql", {}).get(
        "parameters", {}).items() if k in POSTGRES_DEFAULTS}}
    # A pool per database and user: the services' databases (user tqr), and "postgres", where
    # PgBouncer runs its password look-ups (auth_query) as the operator's cnpg_pooler_pgbouncer.
    pools = len(_databases(cluster)) + 1
    instances = int(pooler["spec"].get("instances", POOLER_INSTANCES_DEFAULT))
    migration_jobs = len(of_kind(overlay, "Job"))  # one connection each (servicekit.migrations: NullPool)
    return Budget(
        clients=sum(replicas * per_pod for replicas, per_pod in per_service.values()),
        max_client_conn=parameters["max_client_conn"],
        servers=(parameters["default_pool_size"] + parameters["reserve_pool_size"]) * pools * instances,
        server_room=(postgres["max_connections"] - postgres["superuser_reserved_connections"] - migration_jobs
                     - OTHER_DIRECT_CLIENTS),
        per_service=per_service,
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_pod_at_the_maximums_finds_room_in_one_pooler_instance(overlay):
    found = budget(overlay)
    assert found.clients <= found.max_client_conn, (
        f"{overlay}: {found.clients} client connections at the maximums ({found.per_service}: replicas, per pod) "
        f"> max_client_conn {found.max_client_conn}")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_poolers_server_connections_fit_in_postgresql(overlay):
    found = budget(overlay)
    assert found.servers <= found.server_room, (
        f"{overlay}: PgBouncer may open {found.servers} server connections; PostgreSQL has room for {found.server_room}")


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_services_reach_postgresql_through_the_pooler_and_migrations_directly(overlay):
    """The budget above holds only if the URLs go where it assumes, with the pooler's mode set."""
    pooler = _pooler(overlay)
    primary = f"{pooler['spec']['cluster']['name']}-rw"
    secrets = {d["metadata"]["name"]: d.get("stringData", {})
               for d in yaml.safe_load_all((K8S / "secrets.yaml.example").read_text()) if d}
    deployments = of_kind(overlay, "Deployment")
    for service in BACKENDS:
        keys = secrets[f"tqr-{service}"]
        served = make_url(keys[f"{service.upper()}_DATABASE_URL"])
        migrated = make_url(keys[f"{service.upper()}_MIGRATION_DATABASE_URL"])
        assert (served.host, served.port, served.database) == (pooler["metadata"]["name"], 5432, service)
        assert (migrated.host, migrated.database) == (primary, service)
        if pooler["spec"]["pgbouncer"]["poolMode"] == "transaction":
            assert _setting(_env(overlay, deployments[service]), service, "db_pooler") == "transaction", service
