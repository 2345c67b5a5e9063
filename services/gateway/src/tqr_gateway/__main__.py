"""``python -m tqr_gateway serve``: the gateway under uvicorn, with its metrics on their own port.
``check-config`` loads the settings as ``serve`` does and prints ``ok`` or the one-line refusal."""

import argparse
import sys

import uvicorn
from servicekit import logs, metrics
from servicekit.gc_tuning import tune_for_service
from servicekit.settings import load_or_exit

from tqr_gateway.app import create_app
from tqr_gateway.config import GatewaySettings


def main() -> int:
    parser = argparse.ArgumentParser(prog="tqr_gateway")
    parser.add_argument("command", choices=["serve", "check-config"])
    args = parser.parse_args()
    settings = load_or_exit("gateway", GatewaySettings)
    if args.command == "check-config":
        print("ok")
        return 0
    logs.configure("gateway", settings.log_level, settings.log_file)
    if settings.metrics_port >= 0:
        metrics.serve_metrics(settings.metrics_port, settings.host)
    config = uvicorn.Config(
        create_app(settings), host=settings.host, port=settings.port, log_config=None,
        access_log=False, timeout_graceful_shutdown=10,
        # Behind an ingress the client address comes from X-Forwarded-For (rate limits count people,
        # not the ingress); never trust it when the gateway is reached directly.
        proxy_headers=settings.trust_proxy_headers,
        forwarded_allow_ips="*" if settings.trust_proxy_headers else None,
    )
    tune_for_service()
    uvicorn.Server(config).run()  # handles SIGTERM/SIGINT: stops accepting, finishes requests
    return 0


if __name__ == "__main__":
    sys.exit(main())
