"""``python -m tqr_gateway serve``: the gateway under uvicorn, with its metrics on their own port.
``check-config`` loads the settings as ``serve`` does and prints ``ok`` or the one-line refusal."""

import argparse
import os
import sys

import uvicorn
from servicekit import logs, metrics
from servicekit.gc_tuning import tune_for_service
from servicekit.settings import load_or_exit

from tqr_gateway.app import create_app
from tqr_gateway.config import GatewaySettings
from tqr_gateway.shutdown import Drain, DrainingServer


def main() -> int:
    parser = argparse.ArgumentParser(prog="tqr_gateway")
    parser.add_argument("command", choices=["serve", "check-config"])
    args = parser.parse_args()
    if os.environ.get("GATEWAY_TRUST_PROXY_HEADERS", "").strip().lower() not in ("", "0", "false", "no", "off"):
        # Ignoring it would quietly count the ingress as every client again: say what replaced it.
        return _refuse("GATEWAY_TRUST_PROXY_HEADERS is no longer read: list the proxies in front of the gateway "
                       "(the ingress controller's pod network) in GATEWAY_TRUSTED_PROXIES instead")
    settings = load_or_exit("gateway", GatewaySettings)
    if args.command == "check-config":
        print("ok")
        return 0
    logs.configure("gateway", settings.log_level, settings.log_file)
    if settings.metrics_port >= 0:
        metrics.serve_metrics(settings.metrics_port, settings.host)
    drain = Drain()
    config = uvicorn.Config(
        create_app(settings, drain=drain), host=settings.host, port=settings.port, log_config=None,
        access_log=False, timeout_graceful_shutdown=settings.shutdown_grace_seconds,
        # The app reads X-Forwarded-For itself, only from GATEWAY_TRUSTED_PROXIES
        # (security/client_address.py); uvicorn's own handling is on by default (trusting
        # 127.0.0.1), so it is switched off here.
        proxy_headers=False,
    )
    tune_for_service()
    # SIGTERM/SIGINT: drain (/readyz 503, still serving), stop accepting, finish requests, close.
    DrainingServer(config, drain, settings.drain_seconds).run()
    return 0


def _refuse(reason: str) -> int:
    print(f"gateway: {reason}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
