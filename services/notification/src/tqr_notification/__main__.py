import sys
from pathlib import Path

from servicekit.cli import main

from tqr_notification.bootstrap import SERVICE, build_host
from tqr_notification.config import NotificationSettings

sys.exit(
    main(
        service=SERVICE,
        load_settings=NotificationSettings,
        build_host=build_host,  # type: ignore[arg-type]
        migrations_dir=Path(__file__).parent / "migrations",
    )
)
