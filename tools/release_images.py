"""The release step's last act: write the images an environment runs, by digest, into
``deploy/k8s/releases/<environment>/kustomization.yaml`` (a Kustomize component).

    python3 tools/release_images.py prod registry.example.org/tqr/tqr-identity@sha256:<64 hex> … (all five)

``deploy/build-images.sh`` calls it after pushing (``PUSH=1 RELEASE=prod``); commit the file with
the release. overlays/prod includes releases/prod and overlays/peak includes overlays/prod, so the
two run exactly the same images; overlays/dev includes releases/dev. A digest names one image
for ever, where a tag can be moved to another: what was tested is what runs. Standard library only,
so a build machine without the project's virtualenv can run it.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RELEASES = ROOT / "deploy" / "k8s" / "releases"
SERVICES = ("identity", "application", "notification", "documents", "gateway")
ENVIRONMENTS = ("prod", "dev")
REFERENCE = re.compile(
    r"(?P<name>(?:[\w.-]+(?::\d+)?/)*tqr-(?P<service>[a-z]+))"  # registry/path/tqr-<service>
    r"(?::[\w.-]+)?"  # the tag it was pushed as, if given: the digest decides
    r"@(?P<digest>sha256:[0-9a-f]{64})"
)

HEADER = """\
# Written by tools/release_images.py (the release step: deploy/build-images.sh with PUSH=1 RELEASE={env});
# commit it with the release. The images {users} run, by digest:
# a digest names one image for ever, a tag can be moved. Digests of zeros: nothing released yet.
apiVersion: kustomize.config.k8s.io/v1alpha1
kind: Component

images:
"""


class ReleaseRefused(ValueError):
    """The references do not name each service's image exactly once by digest."""


def parse(references: list[str]) -> dict[str, tuple[str, str]]:
    """service → (image name, digest), from ``<registry>/tqr-<service>[:tag]@sha256:<hex>``."""
    found: dict[str, tuple[str, str]] = {}
    for reference in references:
        match = REFERENCE.fullmatch(reference)
        if match is None:
            raise ReleaseRefused(f"not an image reference by digest (…/tqr-<service>@sha256:<64 hex>): {reference}")
        service = match["service"]
        if service not in SERVICES:
            raise ReleaseRefused(f"no service {service!r} (services: {', '.join(SERVICES)})")
        if service in found:
            raise ReleaseRefused(f"tqr-{service} named twice")
        found[service] = (match["name"], match["digest"])
    missing = [s for s in SERVICES if s not in found]
    if missing:
        raise ReleaseRefused(f"a release names every service's image; missing: {', '.join(missing)}")
    return found


def component(environment: str, images: dict[str, tuple[str, str]]) -> str:
    users = f"overlays/{environment}" + (" and overlays/peak (which includes it)" if environment == "prod" else "")
    lines = [HEADER.format(env=environment, users=users)]
    for service in SERVICES:
        name, digest = images[service]
        lines.append(f"  - name: tqr-{service}\n    newName: {name}\n    digest: {digest}\n")
    return "".join(lines)


def write(environment: str, references: list[str], releases: Path = RELEASES) -> Path:
    if environment not in ENVIRONMENTS:
        raise ReleaseRefused(f"no environment {environment!r} (environments: {', '.join(ENVIRONMENTS)})")
    target = releases / environment / "kustomization.yaml"
    target.write_text(component(environment, parse(references)), encoding="utf-8")
    return target


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 64
    try:
        target = write(argv[0], argv[1:])
    except ReleaseRefused as refused:
        print(f"release_images: {refused}; nothing written", file=sys.stderr)
        return 1
    print(f"wrote {target.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
