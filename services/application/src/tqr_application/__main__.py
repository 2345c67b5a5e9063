import asyncio
import sys
from pathlib import Path

from servicekit.cli import main
from servicekit.settings import load_or_exit

from tqr_application.bootstrap import SERVICE, build_host
from tqr_application.config import ApplicationSettings
from tqr_application.seed import seed


def run(argv: list[str]) -> int:
    if argv[:1] == ["import-reference"]:
        from tqr_application.cli_import import import_reference, parse

        code, lines = asyncio.run(import_reference(load_or_exit(SERVICE, ApplicationSettings), parse(argv[1:])))
        print("\n".join(lines))
        return code
    return main(
        service=SERVICE,
        load_settings=ApplicationSettings,
        build_host=build_host,  # type: ignore[arg-type]
        migrations_dir=Path(__file__).parent / "migrations",
        seed=seed,  # type: ignore[arg-type]
        argv=argv,
    )


sys.exit(run(sys.argv[1:]))
