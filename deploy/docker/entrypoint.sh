#!/bin/sh
# Runs `python -m tqr_$TQR_SERVICE <command>` as PID 1 (exec), so SIGTERM reaches the service and
# it drains (NOT_SERVING, finish in-flight calls and messages) before it exits. An image holds only
# its own service (TQR_SERVICE is set to it when the image is built).
set -eu
: "${TQR_SERVICE:?set TQR_SERVICE to identity, application, notification, documents or gateway}"
case "$TQR_SERVICE" in
  identity|application|notification|documents|gateway) ;;
  *) echo "unknown TQR_SERVICE: $TQR_SERVICE" >&2; exit 64 ;;
esac
if [ "$#" -eq 0 ]; then set -- serve; fi
exec python -m "tqr_${TQR_SERVICE}" "$@"
