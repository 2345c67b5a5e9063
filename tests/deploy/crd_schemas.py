"""Minimal JSON schemas for the custom resources deploy/k8s uses (kubernetes-validate knows only
the built-in kinds): the fields each operator requires, and the types of the ones we rely on.
Unknown fields are allowed, since these are not the operators' full schemas."""

from __future__ import annotations

from typing import Any

_METADATA = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "minLength": 1}}}
_SECRET_KEY = {"type": "object", "required": ["name", "key"],
               "properties": {"name": {"type": "string"}, "key": {"type": "string"}}}
_LABEL_SELECTOR = {"type": "object", "minProperties": 1}


# The PgBouncer parameters a CloudNativePG Pooler may set (docs/src/connection_pooling.md); the
# operator manages every other one (listen port, authentication, TLS).
POOLER_PARAMETERS = [
    "application_name_add_host", "autodb_idle_timeout", "client_idle_timeout", "client_login_timeout",
    "default_pool_size", "disable_pqexec", "idle_transaction_timeout", "ignore_startup_parameters",
    "log_connections", "log_disconnections", "log_pooler_errors", "log_stats", "max_client_conn",
    "max_db_connections", "max_user_connections", "min_pool_size", "query_timeout", "query_wait_timeout",
    "reserve_pool_size", "reserve_pool_timeout", "server_check_delay", "server_check_query",
    "server_connect_timeout", "server_fast_close", "server_idle_timeout", "server_lifetime", "server_login_retry",
    "server_reset_query", "server_reset_query_always", "server_round_robin", "stats_period", "verbose",
]


def _resource(api_version: str, kind: str, spec: dict[str, Any]) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {"apiVersion": {"const": api_version}, "kind": {"const": kind}, "metadata": _METADATA,
                       "spec": spec},
    }


# A RabbitmqCluster by name, or a Secret with the management URI; one of the two.
_CLUSTER_REFERENCE = {"type": "object", "properties": {
    "name": {"type": "string"}, "namespace": {"type": "string"},
    "connectionSecret": {"type": "object", "properties": {"name": {"type": "string"}}}},
    "oneOf": [{"required": ["name"]}, {"required": ["connectionSecret"]}]}


def _user_permission(permissions: dict[str, Any]) -> dict[str, Any]:
    """A Permission's or TopicPermission's spec: the cluster, the vhost, the user, the rights."""
    return {
        "type": "object", "required": ["permissions", "rabbitmqClusterReference", "vhost"],
        "properties": {"permissions": permissions, "rabbitmqClusterReference": _CLUSTER_REFERENCE,
                       "vhost": {"type": "string", "minLength": 1}, "user": {"type": "string"},
                       "userReference": {"type": "object", "required": ["name"],
                                         "properties": {"name": {"type": "string", "minLength": 1}}}},
        # "must provide user or userReference, else create/update will fail"
        "oneOf": [{"required": ["user"]}, {"required": ["userReference"]}],
    }


SCHEMAS: dict[str, dict[str, Any]] = {
    "ScaledObject": _resource("keda.sh/v1alpha1", "ScaledObject", {
        "type": "object", "required": ["scaleTargetRef", "triggers"],
        "properties": {
            "scaleTargetRef": {"type": "object", "required": ["name"]},
            "minReplicaCount": {"type": "integer", "minimum": 0},
            "maxReplicaCount": {"type": "integer", "minimum": 1},
            "pollingInterval": {"type": "integer"}, "cooldownPeriod": {"type": "integer"},
            "triggers": {"type": "array", "minItems": 1, "items": {
                "type": "object", "required": ["type", "metadata"],
                "properties": {"type": {"type": "string"},
                               "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                               "authenticationRef": {"type": "object", "required": ["name"]}},
                "if": {"properties": {"type": {"const": "rabbitmq"}}},
                "then": {"required": ["authenticationRef"], "properties": {"metadata": {
                    "required": ["queueName", "mode", "value"],
                    "properties": {"mode": {"enum": ["QueueLength", "MessageRate"]},
                                   "protocol": {"enum": ["amqp", "http", "auto"]}}}}},
            }},
        },
    }),
    "TriggerAuthentication": _resource("keda.sh/v1alpha1", "TriggerAuthentication", {
        "type": "object", "required": ["secretTargetRef"],
        "properties": {"secretTargetRef": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["parameter", "name", "key"]}}},
    }),
    "RabbitmqCluster": _resource("rabbitmq.com/v1beta1", "RabbitmqCluster", {
        "type": "object", "required": ["replicas"],
        "properties": {"replicas": {"type": "integer", "minimum": 1}, "image": {"type": "string"},
                       "persistence": {"type": "object", "properties": {"storage": {"type": "string"}}},
                       "rabbitmq": {"type": "object", "properties": {
                           "additionalConfig": {"type": "string"},
                           "additionalPlugins": {"type": "array", "items": {"type": "string"}}}}},
    }),
    # The Messaging Topology Operator's users and their rights (rabbitmq.com_users.yaml,
    # rabbitmq.com_permissions.yaml, rabbitmq.com_topicpermissions.yaml): a user is made from a
    # Secret's username and password; a permission names the user (name or reference) and the vhost.
    "User": _resource("rabbitmq.com/v1beta1", "User", {
        "type": "object", "required": ["rabbitmqClusterReference"],
        "properties": {"rabbitmqClusterReference": _CLUSTER_REFERENCE,
                       "importCredentialsSecret": {"type": "object", "required": ["name"],
                                                   "properties": {"name": {"type": "string", "minLength": 1}}},
                       "tags": {"type": "array", "items": {"enum": ["management", "policymaker", "monitoring",
                                                                    "administrator"]}}},
    }),
    "Permission": _resource("rabbitmq.com/v1beta1", "Permission", _user_permission({
        "type": "object", "properties": {"configure": {"type": "string"}, "write": {"type": "string"},
                                         "read": {"type": "string"}}})),
    "TopicPermission": _resource("rabbitmq.com/v1beta1", "TopicPermission", _user_permission({
        "type": "object", "required": ["exchange"],
        "properties": {"exchange": {"type": "string", "minLength": 1}, "write": {"type": "string"},
                       "read": {"type": "string"}}})),
    "Cluster": _resource("postgresql.cnpg.io/v1", "Cluster", {
        "type": "object", "required": ["instances", "storage"],
        "properties": {
            "instances": {"type": "integer", "minimum": 1},
            "storage": {"type": "object", "required": ["size"]},
            "bootstrap": {"type": "object"},
            "backup": {"type": "object", "required": ["barmanObjectStore"], "properties": {"barmanObjectStore": {
                "type": "object", "required": ["destinationPath", "s3Credentials"],
                "properties": {"s3Credentials": {"type": "object", "required": ["accessKeyId", "secretAccessKey"],
                                                 "properties": {"accessKeyId": _SECRET_KEY,
                                                                "secretAccessKey": _SECRET_KEY}}}}}},
        },
    }),
    # CloudNativePG's PgBouncer (postgresql.cnpg.io_poolers.yaml): cluster and pgbouncer required; the
    # operator's webhook refuses a PgBouncer parameter it does not manage (its documented list).
    "Pooler": _resource("postgresql.cnpg.io/v1", "Pooler", {
        "type": "object", "required": ["cluster", "pgbouncer"],
        "properties": {
            "cluster": {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
            "instances": {"type": "integer", "minimum": 0},
            "type": {"enum": ["rw", "ro", "r"]},
            "pgbouncer": {"type": "object", "properties": {
                "poolMode": {"enum": ["session", "transaction"]},
                "paused": {"type": "boolean"},
                "pg_hba": {"type": "array", "items": {"type": "string"}},
                "parameters": {"type": "object", "additionalProperties": {"type": "string"},
                               "propertyNames": {"enum": POOLER_PARAMETERS}}}},
            "template": {"type": "object", "properties": {"spec": {"type": "object", "required": ["containers"]}}},
        },
    }),
    "ScheduledBackup": _resource("postgresql.cnpg.io/v1", "ScheduledBackup", {
        "type": "object", "required": ["schedule", "cluster"],
        # CloudNativePG's cron format has six fields: seconds first.
        "properties": {"schedule": {"type": "string", "pattern": r"^\S+( \S+){5}$"},
                       "cluster": {"type": "object", "required": ["name"]}},
    }),
    "ServiceMonitor": _resource("monitoring.coreos.com/v1", "ServiceMonitor", {
        "type": "object", "required": ["selector", "endpoints"],
        "properties": {"selector": _LABEL_SELECTOR, "endpoints": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["port"], "properties": {"port": {"type": "string"},
                                                                   "path": {"type": "string"}}}}},
    }),
    "PodMonitor": _resource("monitoring.coreos.com/v1", "PodMonitor", {
        "type": "object", "required": ["selector", "podMetricsEndpoints"],
        "properties": {"selector": _LABEL_SELECTOR, "podMetricsEndpoints": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["port"], "properties": {"port": {"type": "string"},
                                                                   "path": {"type": "string"}}}}},
    }),
    "PrometheusRule": _resource("monitoring.coreos.com/v1", "PrometheusRule", {
        "type": "object", "required": ["groups"],
        "properties": {"groups": {"type": "array", "minItems": 1, "items": {
            "type": "object", "required": ["name", "rules"],
            "properties": {"rules": {"type": "array", "items": {
                "type": "object", "required": ["expr"],
                "oneOf": [{"required": ["alert"]}, {"required": ["record"]}]}}}}}},
    }),
}
