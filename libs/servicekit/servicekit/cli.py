"""The command line every service shares: ``python -m tqr_<service> migrate|serve|seed|check-config``.

Every command loads the settings the same way; settings that cannot run (in production: a
development value left, a required setting unset) end the process with one line on stderr naming
the variables, status 1. ``check-config`` stops there and prints ``ok``: an operator runs it in the
pod's environment before a roll-out (deploy/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import uvloop

from servicekit import logs, migrations
from servicekit.gc_tuning import tune_for_service
from servicekit.host import ServiceHost, run_until_signalled
from servicekit.service_settings import ServiceSettings
from servicekit.settings import load_or_exit

COMMANDS = ["migrate", "serve", "check-config"]


def main(
    *,
    service: str,
    load_settings: type[ServiceSettings],
    build_host: Callable[[ServiceSettings], ServiceHost],
    migrations_dir: Path,
    seed: Callable[[ServiceSettings], Coroutine[Any, Any, str]] | None = None,
    argv: list[str] | None = None,
) -> int:
    parser = argparse.ArgumentParser(prog=f"tqr_{service}")
    parser.add_argument("command", choices=[*COMMANDS, "seed"] if seed else COMMANDS)
    args = parser.parse_args(argv)
    settings = load_or_exit(service, load_settings)
    if args.command == "check-config":
        print("ok")
        return 0
    logs.configure(service, settings.log_level, settings.log_file)
    if args.command == "migrate":
        migrations.upgrade(migrations_dir, settings.migration_database_url or settings.database_url)
        print(f"{service}: database migrated")
        return 0
    if args.command == "seed" and seed is not None:
        print(asyncio.run(seed(settings)))
        return 0

    async def serve() -> None:
        # Built inside the running loop: a gRPC channel the host opens binds to the loop it is created in.
        await run_until_signalled(build_host(settings))

    tune_for_service()
    try:
        # uvloop, as the gateway's uvicorn already runs: the services' own share of a wizard step
        # (the event loop's callbacks and socket writes around gRPC and asyncpg) is smaller on it
        # (tools/loadtest/README.md, "The services' event loop").
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(serve())
    except KeyboardInterrupt:  # a second Ctrl-C while stopping: leave at once
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit("run a service instead: python -m tqr_identity serve")
