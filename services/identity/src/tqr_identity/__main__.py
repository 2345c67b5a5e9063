import sys
from pathlib import Path

from servicekit.cli import main

from tqr_identity.bootstrap import SERVICE, build_host
from tqr_identity.config import IdentitySettings
from tqr_identity.seed import seed

sys.exit(
    main(
        service=SERVICE,
        load_settings=IdentitySettings,
        build_host=build_host,  # type: ignore[arg-type]
        migrations_dir=Path(__file__).parent / "migrations",
        seed=seed,  # type: ignore[arg-type]
    )
)
