import asyncio
import sys
from pathlib import Path

from servicekit.cli import main
from servicekit.settings import load_or_exit

from tqr_identity.bootstrap import SERVICE, build_host
from tqr_identity.config import IdentitySettings
from tqr_identity.seed import seed


def run(argv: list[str]) -> int:
    if argv[:1] == ["create-admin"]:
        from tqr_identity.cli_admin import create_admin, parse, password_from_environment

        request = parse(argv[1:])  # --help and bad arguments end here, before the settings load
        code, lines = asyncio.run(create_admin(load_or_exit(SERVICE, IdentitySettings), request,
                                               password_from_environment()))
        print("\n".join(lines), file=sys.stdout if code == 0 else sys.stderr)
        return code
    return main(
        service=SERVICE,
        load_settings=IdentitySettings,
        build_host=build_host,  # type: ignore[arg-type]
        migrations_dir=Path(__file__).parent / "migrations",
        seed=seed,  # type: ignore[arg-type]
        argv=argv,
    )


sys.exit(run(sys.argv[1:]))
