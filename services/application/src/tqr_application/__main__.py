import sys
from pathlib import Path

from servicekit.cli import main
from tqr_application.bootstrap import SERVICE, build_host
from tqr_application.config import ApplicationSettings

sys.exit(
    main(
        service=SERVICE,
        load_settings=ApplicationSettings,
        build_host=build_host,  # type: ignore[arg-type]
        migrations_dir=Path(__file__).parent / "migrations",
    )
)
