#!/usr/bin/env bash
# Builds one image per service from deploy/docker/Dockerfile (shared layers, so the second to fifth
# builds take seconds).
#
#   deploy/build-images.sh                         all five: tqr-<service>:<git short sha>
#   deploy/build-images.sh identity gateway        only these
#   REGISTRY=registry.example.org/tqr/ TAG=2025.06.1 PUSH=1 deploy/build-images.sh
#   deploy/build-images.sh --dry-run               print the commands, build nothing
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ALL=(identity application notification documents gateway)
DRY_RUN=0
wanted=()
for arg in "$@"; do
  case "$arg" in
    --dry-run) DRY_RUN=1 ;;
    identity|application|notification|documents|gateway) wanted+=("$arg") ;;
    *) echo "unknown service or option: $arg (services: ${ALL[*]})" >&2; exit 64 ;;
  esac
done
[ ${#wanted[@]} -gt 0 ] || wanted=("${ALL[@]}")

REGISTRY="${REGISTRY:-}"
TAG="${TAG:-$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo dev)}"
DOCKER="${DOCKER:-docker}"

run() {
  echo "+ $*"
  if [ "$DRY_RUN" = 0 ]; then "$@"; fi
}

for service in "${wanted[@]}"; do
  image="${REGISTRY}tqr-${service}:${TAG}"
  run "$DOCKER" build --file "$ROOT/deploy/docker/Dockerfile" --target runtime \
    --build-arg "SERVICE=${service}" \
    --label "org.opencontainers.image.title=tqr-${service}" \
    --label "org.opencontainers.image.revision=${TAG}" \
    --tag "$image" "$ROOT"
  if [ "${PUSH:-0}" = 1 ]; then run "$DOCKER" push "$image"; fi
done
