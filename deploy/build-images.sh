#!/usr/bin/env bash
# Builds one image per service from deploy/docker/Dockerfile: each holds only its service, the
# libraries it builds on and its runtime lock (services/<name>/requirements.lock).
#
#   deploy/build-images.sh                         all five: tqr-<service>:<git short sha>
#   deploy/build-images.sh identity gateway        only these
#   REGISTRY=registry.example.org/tqr/ TAG=2025.06.1 PUSH=1 deploy/build-images.sh
#   REGISTRY=… TAG=… PUSH=1 RELEASE=prod deploy/build-images.sh
#                                                  the release step: push all five, then write their
#                                                  digests into deploy/k8s/releases/prod (commit it;
#                                                  overlays/prod and overlays/peak run exactly those)
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

RELEASE="${RELEASE:-}"
if [ -n "$RELEASE" ] && { [ "${PUSH:-0}" != 1 ] || [ ${#wanted[@]} -ne ${#ALL[@]} ]; }; then
  echo "RELEASE=$RELEASE needs PUSH=1 and all five services (a digest exists once pushed)" >&2; exit 64
fi

pushed=()
for service in "${wanted[@]}"; do
  image="${REGISTRY}tqr-${service}:${TAG}"
  run "$DOCKER" build --file "$ROOT/deploy/docker/Dockerfile" --target runtime \
    --build-arg "SERVICE=${service}" \
    --label "org.opencontainers.image.title=tqr-${service}" \
    --label "org.opencontainers.image.revision=${TAG}" \
    --tag "$image" "$ROOT"
  if [ "${PUSH:-0}" = 1 ]; then
    run "$DOCKER" push "$image"
    # The registry's digest of what was just pushed: <registry>/tqr-<service>@sha256:…
    if [ "$DRY_RUN" = 0 ]; then pushed+=("$("$DOCKER" inspect --format '{{index .RepoDigests 0}}' "$image")"); fi
  fi
done

if [ -n "$RELEASE" ] && [ "$DRY_RUN" = 0 ]; then
  python3 "$ROOT/tools/release_images.py" "$RELEASE" "${pushed[@]}"
fi
