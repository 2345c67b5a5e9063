"""A small Kustomize renderer for the subset deploy/k8s uses, so the tests need no kustomize binary.

Supported: ``resources`` (files and directories; in components too), ``components``, ``namespace``, ``labels``
(metadata only: ``includeSelectors``/``includeTemplates`` false), ``images``, ``patches`` (strategic
merge patches from files, one or several documents, without ``target``), ``configMapGenerator``
(``literals``, ``options.labels``, ``behavior: create|merge``) with Kustomize's content-hash name
suffix and the references to it rewritten, ``replacements`` (inline; a source field, optionally one
part of it split by ``options.delimiter``/``index``, into target fields selected by kind and name,
keeping a target's number type; a target's ``options.delimiter``/``index`` replaces one part of
its field). Anything else in a kustomization raises, so a manifest
that starts using a feature this renderer does not know fails loudly instead of rendering wrong.
Where ``kubectl`` is installed, a test checks that this renderer and ``kubectl kustomize`` agree.
"""

from __future__ import annotations

import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

Resource = dict[str, Any]
GENERATED = "__kustomize_lite_generated__"  # marks a generated ConfigMap until its name is hashed
SUPPORTED_KEYS = {"apiVersion", "kind", "resources", "components", "namespace", "labels", "images", "patches",
                  "configMapGenerator", "replacements"}
CLUSTER_SCOPED = {"Namespace", "ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume",
                  "StorageClass", "PriorityClass", "IngressClass"}
# API groups whose types Kustomize knows (their lists merge by key); custom resources merge like
# JSON merge patch (lists replaced).
BUILTIN_GROUPS = {"", "apps", "batch", "policy", "autoscaling", "networking.k8s.io", "rbac.authorization.k8s.io"}
MERGE_KEYS = {"containers": "name", "initContainers": "name", "env": "name", "volumes": "name",
              "volumeMounts": "mountPath", "imagePullSecrets": "name"}


def build(directory: Path) -> list[Resource]:
    """Renders the kustomization in ``directory`` like ``kubectl kustomize directory``."""
    resources = _build(directory)
    _hash_generated_names(resources)
    return resources


def _load_kustomization(directory: Path) -> dict[str, Any]:
    path = directory / "kustomization.yaml"
    body = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    unknown = set(body) - SUPPORTED_KEYS
    if unknown:
        raise NotImplementedError(f"{path}: kustomize_lite does not support {sorted(unknown)}")
    return body


def _build(directory: Path) -> list[Resource]:
    body = _load_kustomization(directory)
    resources: list[Resource] = []
    for entry in body.get("resources", []):
        path = directory / entry
        resources.extend(_build(path) if path.is_dir() else _load_documents(path))
    for entry in body.get("components", []):
        component = directory / entry
        component_body = _load_kustomization(component)
        for resource_entry in component_body.get("resources", []):
            path = component / resource_entry
            resources.extend(_build(path) if path.is_dir() else _load_documents(path))
        resources = _apply(component, component_body, resources)
    return _apply(directory, body, resources)


def _apply(directory: Path, body: dict[str, Any], resources: list[Resource]) -> list[Resource]:
    """Generators then transformers of one kustomization (or component) over ``resources``."""
    for generator in body.get("configMapGenerator", []):
        _generate_config_map(generator, resources)
    for patch in body.get("patches", []):
        if set(patch) != {"path"}:
            raise NotImplementedError(f"only file patches without target are supported: {patch}")
        for document in _load_documents(directory / patch["path"]):
            _patch(resources, document)
    if "namespace" in body:
        for resource in resources:
            if resource["kind"] not in CLUSTER_SCOPED:
                resource["metadata"]["namespace"] = body["namespace"]
    for label_set in body.get("labels", []):
        if label_set.get("includeSelectors") or label_set.get("includeTemplates"):
            raise NotImplementedError("labels on selectors/templates are not supported")
        for resource in resources:
            resource["metadata"].setdefault("labels", {}).update(label_set["pairs"])
    for image in body.get("images", []):
        for resource in resources:
            _retag(resource, image)
    for replacement in body.get("replacements", []):  # Kustomize runs them after every transformer
        _replace(replacement, resources)
    return resources


def _load_documents(path: Path) -> list[Resource]:
    return [doc for doc in yaml.safe_load_all(path.read_text(encoding="utf-8")) if doc]


# --- configMapGenerator ---------------------------------------------------------------------------

def _generate_config_map(generator: dict[str, Any], resources: list[Resource]) -> None:
    unknown = set(generator) - {"name", "literals", "behavior", "options"}
    if unknown or set(generator.get("options", {})) - {"labels"}:
        raise NotImplementedError(f"configMapGenerator: unsupported fields in {generator}")
    data = dict(literal.split("=", 1) for literal in generator.get("literals", []))
    labels = generator.get("options", {}).get("labels", {})
    behavior = generator.get("behavior", "create")
    existing = [r for r in resources if r.get(GENERATED) and r["metadata"]["name"] == generator["name"]]
    if behavior == "create":
        if existing:
            raise ValueError(f"ConfigMap {generator['name']} generated twice")
        config_map: Resource = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": generator["name"]},
                                "data": data, GENERATED: True}
        if labels:
            config_map["metadata"]["labels"] = dict(labels)
        resources.append(config_map)
    elif behavior == "merge" and existing:
        existing[0]["data"].update(data)
        if labels:
            existing[0]["metadata"].setdefault("labels", {}).update(labels)
    else:
        raise NotImplementedError(f"configMapGenerator behavior {behavior!r} for {generator['name']}")


def config_map_hash(config_map: Resource) -> str:
    """Kustomize's name suffix: sha256 of the JSON of kind, name and data, first 10 hex digits with
    some letters swapped so the suffix never spells a word.

    Kustomize looks the name up as one field called "metadata/name", finds nothing and hashes an
    empty name; the suffix therefore depends on the data only, and so does this one.
    """
    encoded = json.dumps({"data": config_map.get("data", {}), "kind": "ConfigMap", "name": ""},
                         sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # Go's encoding/json escapes these three for HTML safety; the hash must see the same bytes.
    encoded = encoded.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    digest = hashlib.sha256(encoded.encode("utf-8")).hexdigest()[:10]
    return digest.translate(str.maketrans("013ae", "ghkmt"))


def _hash_generated_names(resources: list[Resource]) -> None:
    renamed: dict[str, str] = {}
    for resource in resources:
        if resource.pop(GENERATED, False):
            old = resource["metadata"]["name"]
            resource["metadata"]["name"] = renamed[old] = f"{old}-{config_map_hash(resource)}"
    for resource in resources:
        if resource["kind"] != "ConfigMap":
            _rename_config_map_references(resource, renamed)


def _rename_config_map_references(node: Any, renamed: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"configMapRef", "configMapKeyRef", "configMap"} and isinstance(value, dict):
                value["name"] = renamed.get(value.get("name", ""), value.get("name"))
            _rename_config_map_references(value, renamed)
    elif isinstance(node, list):
        for item in node:
            _rename_config_map_references(item, renamed)


# --- replacements ---------------------------------------------------------------------------------

def _replace(replacement: dict[str, Any], resources: list[Resource]) -> None:
    source = replacement["source"]
    options = source.get("options", {})
    if set(replacement) != {"source", "targets"} or set(source) - {"kind", "name", "fieldPath", "options"} or set(
            options) - {"delimiter", "index"}:
        raise NotImplementedError(f"replacements: unsupported fields in {replacement}")
    (origin,) = _selected(resources, source)
    value = str(_field(origin, source["fieldPath"]))
    if "delimiter" in options:
        value = value.split(options["delimiter"])[options.get("index", 0)]
    for target in replacement["targets"]:
        target_options = target.get("options", {})
        if (set(target) - {"options"} != {"select", "fieldPaths"} or set(target["select"]) - {"kind", "name"}
                or set(target_options) - {"delimiter", "index"}):
            raise NotImplementedError(f"replacements: unsupported target {target}")
        for resource in _selected(resources, target["select"]):
            for path in target["fieldPaths"]:
                *parents, last = _path(path)
                holder = _field(resource, parents)
                current = holder[last]
                if "delimiter" in target_options:  # one part of the field, the others kept
                    parts = str(current).split(target_options["delimiter"])
                    parts[target_options.get("index", 0)] = value
                    holder[last] = target_options["delimiter"].join(parts)
                else:
                    holder[last] = int(value) if isinstance(current, int) and not isinstance(current, bool) else value


def _selected(resources: list[Resource], select: dict[str, str]) -> list[Resource]:
    found = [r for r in resources if r["kind"] == select["kind"] and r["metadata"]["name"] == select["name"]]
    if not found:
        raise ValueError(f"replacements: nothing is {select['kind']}/{select['name']}")
    return found


def _path(field_path: str) -> list[str | int]:
    return [int(part) if part.isdigit() else part for part in field_path.split(".")]


def _field(resource: Resource, path: str | list[str | int]) -> Any:
    node: Any = resource
    for part in _path(path) if isinstance(path, str) else path:
        node = node[part]
    return node


# --- patches (strategic merge) --------------------------------------------------------------------

def _group(api_version: str) -> str:
    return api_version.rsplit("/", 1)[0] if "/" in api_version else ""


def _patch(resources: list[Resource], patch: Resource) -> None:
    matches = [r for r in resources if r["kind"] == patch["kind"] and _group(r["apiVersion"]) == _group(
        patch["apiVersion"]) and r["metadata"]["name"] == patch["metadata"]["name"]]
    if len(matches) != 1:
        raise ValueError(f"patch for {patch['kind']}/{patch['metadata']['name']} matches {len(matches)} resources")
    target = matches[0]
    builtin = _group(target["apiVersion"]) in BUILTIN_GROUPS
    merged = _merge(target, patch, builtin)
    target.clear()
    target.update(merged)


def strategic_merge(original: Any, patch: Any) -> Any:
    """``patch`` merged into a copy of ``original`` as into a built-in kind (lists of containers,
    volumes… merged by name): how the operators apply a user's pod template to their own."""
    return _merge(original, patch, True)


def _merge(original: Any, patch: Any, builtin: bool) -> Any:
    if not isinstance(original, dict) or not isinstance(patch, dict):
        return _without_nulls(copy.deepcopy(patch))
    result = copy.deepcopy(original)
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        elif builtin and key in MERGE_KEYS and isinstance(value, list) and isinstance(result.get(key), list):
            result[key] = _merge_list(result[key], value, MERGE_KEYS[key], builtin)
        elif key in result:
            result[key] = _merge(result[key], value, builtin)
        else:
            result[key] = _without_nulls(copy.deepcopy(value))
    return result


def _merge_list(original: list[Any], patch: list[Any], merge_key: str, builtin: bool) -> list[Any]:
    """Kustomize's order: the patch's items first (merged into their originals), then the rest."""
    by_key = {item[merge_key]: item for item in original}
    patched_keys = {item[merge_key] for item in patch}
    merged = [_merge(by_key[item[merge_key]], item, builtin) if item[merge_key] in by_key
              else _without_nulls(copy.deepcopy(item)) for item in patch]
    return merged + [copy.deepcopy(item) for item in original if item[merge_key] not in patched_keys]


def _without_nulls(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_nulls(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_without_nulls(item) for item in node]
    return node


# --- images ---------------------------------------------------------------------------------------

def _retag(node: Any, image: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in {"containers", "initContainers"} and isinstance(value, list):
                for container in value:
                    if isinstance(container, dict) and "image" in container:
                        container["image"] = _new_image(container["image"], image)
            else:
                _retag(value, image)
    elif isinstance(node, list):
        for item in node:
            _retag(item, image)


def _new_image(current: str, image: dict[str, str]) -> str:
    name, _, digest = current.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = name[colon + 1:] if colon > slash else ""
    name = name[:colon] if colon > slash else name
    if name != image["name"]:
        return current
    name = image.get("newName", name)
    if "digest" in image:
        return f"{name}@{image['digest']}"
    tag = str(image.get("newTag", tag))
    return f"{name}:{tag}" if tag else (f"{name}@{digest}" if digest else name)
