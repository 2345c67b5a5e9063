"""Who reaches the data tier, worked out from the rendered NetworkPolicies the way a CNI applies
them (a connection needs the source's egress and the destination's ingress to allow it): only the
services that use PostgreSQL, RabbitMQ or Redis reach them, nothing in another namespace does
(except Prometheus on the metrics ports and the operators that manage them)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.cluster.manifests import Resource, of_kind, render

NAMESPACE = "tqr"
Labels = dict[str, str]


def _matches(selector: dict[str, Any], labels: Labels) -> bool:
    if any(labels.get(k) != v for k, v in selector.get("matchLabels", {}).items()):
        return False
    for expression in selector.get("matchExpressions", []):
        value, operator = labels.get(expression["key"]), expression["operator"]
        if (operator == "In" and value not in expression["values"]) or (
                operator == "NotIn" and value in expression["values"]) or (
                operator == "Exists" and value is None) or (operator == "DoesNotExist" and value is not None):
            return False
    return True


def _peer_matches(peer: dict[str, Any], labels: Labels, namespace: str) -> bool:
    if "ipBlock" in peer:
        return False  # the data tier is reached by pod, never by address here
    namespaces = peer.get("namespaceSelector")
    if namespaces is None:
        in_namespace = namespace == NAMESPACE
    else:
        in_namespace = _matches(namespaces, {"kubernetes.io/metadata.name": namespace})
    return in_namespace and _matches(peer.get("podSelector", {}), labels)


def _port_matches(rule: dict[str, Any], port: int) -> bool:
    if not rule.get("ports"):
        return True
    return any(isinstance(p.get("port"), int) and p["port"] <= port <= p.get("endPort", p["port"])
               for p in rule["ports"])


def _allowed(policies: list[Resource], direction: str, subject: Labels, peer: Labels, peer_namespace: str,
             port: int) -> bool:
    kind, peers = ("Ingress", "from") if direction == "ingress" else ("Egress", "to")
    selecting = [p for p in policies if kind in p["spec"]["policyTypes"] and _matches(p["spec"]["podSelector"], subject)]
    if not selecting:
        return True  # no policy isolates the pod in this direction
    return any(_port_matches(rule, port) and (not rule.get(peers) or any(
        _peer_matches(candidate, peer, peer_namespace) for candidate in rule[peers]))
        for policy in selecting for rule in policy["spec"].get(direction, []))


def reaches(policies: list[Resource], source: Labels, source_namespace: str, destination: Labels, port: int) -> bool:
    egress = source_namespace != NAMESPACE or _allowed(policies, "egress", source, destination, NAMESPACE, port)
    return egress and _allowed(policies, "ingress", destination, source, source_namespace, port)


@pytest.fixture(scope="module")
def prod() -> tuple[list[Resource], dict[str, Labels]]:
    resources = render("prod")
    policies = list(of_kind(resources, "NetworkPolicy").values())
    workloads = {name: d["spec"]["template"]["metadata"]["labels"] for name, d in of_kind(resources, "Deployment").items()}
    workloads.update({name: j["spec"]["template"]["metadata"]["labels"] for name, j in of_kind(resources, "Job").items()})
    workloads.update({name: c["spec"]["jobTemplate"]["spec"]["template"]["metadata"]["labels"]
                      for name, c in of_kind(resources, "CronJob").items()})
    return policies, workloads


# The data tier's pods, with the labels their operators (or redis.yaml) give them.
POSTGRES = {"cnpg.io/cluster": "tqr-postgres", "cnpg.io/podRole": "instance"}
POOLER = {"cnpg.io/cluster": "tqr-postgres", "cnpg.io/podRole": "pooler", "cnpg.io/poolerName": "tqr-pooler-rw"}
RABBITMQ = {"app.kubernetes.io/name": "tqr-rabbitmq", "app.kubernetes.io/component": "rabbitmq"}
REDIS = {"app.kubernetes.io/name": "redis", "app.kubernetes.io/component": "data"}
MIGRATIONS = {f"{s}-migrate" for s in ("identity", "application", "notification", "documents")}

EXPECTED = {
    "PgBouncer": (POOLER, 5432, {"identity", "application", "notification", "documents", "import-reference",
                              "create-admin"}),
    "PostgreSQL": (POSTGRES, 5432, MIGRATIONS),
    "RabbitMQ": (RABBITMQ, 5672, {"identity", "application", "notification", "documents"}),
    "Redis": (REDIS, 6379, {"gateway", "identity", "notification"}),
}


@pytest.mark.parametrize("target", EXPECTED)
def test_only_the_workloads_that_use_a_data_service_reach_it(prod, target):
    policies, workloads = prod
    labels, port, expected = EXPECTED[target]
    reached_by = {name for name, source in workloads.items() if reaches(policies, source, NAMESPACE, labels, port)}
    assert reached_by == expected


@pytest.mark.parametrize("target", EXPECTED)
def test_no_pod_of_another_namespace_or_of_this_one_reaches_the_data_tier(prod, target):
    policies, _ = prod
    labels, port, _ = EXPECTED[target]
    stranger = {"app": "anything"}
    for namespace in (NAMESPACE, "default", "shop", "monitoring"):
        assert not reaches(policies, stranger, namespace, labels, port), namespace


def test_postgresql_is_reached_by_pgbouncer_its_replicas_and_its_operator_only(prod):
    policies, _ = prod
    assert reaches(policies, POOLER, NAMESPACE, POSTGRES, 5432)
    assert reaches(policies, POSTGRES, NAMESPACE, POSTGRES, 5432)  # streaming replication
    operator = {"app.kubernetes.io/name": "cloudnative-pg"}
    assert reaches(policies, operator, "cnpg-system", POSTGRES, 8000)
    assert reaches(policies, operator, "cnpg-system", POOLER, 8000)
    assert not reaches(policies, operator, "keda", POSTGRES, 5432)


def test_rabbitmq_nodes_cluster_and_keda_and_the_operators_manage_it(prod):
    policies, _ = prod
    assert reaches(policies, RABBITMQ, NAMESPACE, RABBITMQ, 25672)  # Erlang distribution
    assert reaches(policies, {"app": "keda-operator"}, "keda", RABBITMQ, 5672)  # documents' queue length
    assert reaches(policies, {"app": "operator"}, "rabbitmq-system", RABBITMQ, 15672)
    assert not reaches(policies, {"app": "operator"}, "rabbitmq-system", RABBITMQ, 5672)


@pytest.mark.parametrize("target, metrics_port", [("PgBouncer", 9127), ("PostgreSQL", 9187), ("RabbitMQ", 15692),
                                                  ("Redis", 9121)])
def test_prometheus_scrapes_the_data_tier_on_its_metrics_port_only(prod, target, metrics_port):
    policies, _ = prod
    labels, data_port, _ = EXPECTED[target]
    prometheus = {"app.kubernetes.io/name": "prometheus"}
    assert reaches(policies, prometheus, "monitoring", labels, metrics_port)
    assert not reaches(policies, prometheus, "monitoring", labels, data_port)
