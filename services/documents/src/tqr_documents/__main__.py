import sys
from pathlib import Path

from servicekit.cli import main

from tqr_documents.bootstrap import SERVICE, build_host
from tqr_documents.config import DocumentsSettings

sys.exit(
    main(
        service=SERVICE,
        load_settings=DocumentsSettings,
        build_host=build_host,  # type: ignore[arg-type]
        migrations_dir=Path(__file__).parent / "migrations",
    )
)
