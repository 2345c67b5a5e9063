"""``python -m tqr_application import-reference DIR``: load a CSV directory, all rows or none."""

from __future__ import annotations

import argparse
from pathlib import Path

from servicekit import db

from tqr_application.bootstrap import build_context
from tqr_application.config import ApplicationSettings
from tqr_application.reference_data import ReferenceKind
from tqr_application.service_layer.reference import import_batch


async def import_reference(settings: ApplicationSettings, directory: Path) -> tuple[int, list[str]]:
    """Exit code and the lines to print."""
    files = {kind: (directory / kind.file_name).read_text(encoding="utf-8-sig")
             for kind in ReferenceKind if (directory / kind.file_name).is_file()}
    if not files:
        return 2, [f"no reference CSV files in {directory}"]
    engine = db.engine_for(settings)
    try:
        ctx = build_context(settings, engine)
        async with ctx.transaction() as session:
            result = await import_batch(session, ctx, files)
    finally:
        await engine.dispose()
    if not result.ok or result.batch is None:
        return 1, ["nothing imported; fix these rows and run again:", *(f"  {e}" for e in result.errors)]
    counts = ", ".join(f"{n} {k.value}" for k, n in result.batch.counts().items() if n)
    return 0, [f"application: imported {counts}"]


def parse(argv: list[str]) -> Path:
    parser = argparse.ArgumentParser(prog="tqr_application import-reference")
    parser.add_argument("directory", type=Path, help="folder with regions.csv, authorities.csv, …")
    return parser.parse_args(argv).directory
