"""Write the demo data set as the CSV files the importer reads.

The shipped copy lives in ``reference_data/demo/``; regenerate it after changing the generator:

    .venv/bin/python -m tqr_application.reference_data
"""

from __future__ import annotations

from pathlib import Path

from tqr_application.reference_data.csv_layout import ReferenceBatch, ReferenceKind, rows_of, to_csv_text
from tqr_application.reference_data.demo_data import demo_batch

SHIPPED_DEMO_DIRECTORY = Path(__file__).with_name("demo")


def demo_csv_texts(batch: ReferenceBatch | None = None) -> dict[ReferenceKind, str]:
    data = batch or demo_batch()
    return {kind: to_csv_text(kind, rows_of(data, kind)) for kind in ReferenceKind}


def write_demo_csv(
    directory: Path = SHIPPED_DEMO_DIRECTORY, batch: ReferenceBatch | None = None
) -> list[Path]:
    """Write one CSV per kind into ``directory`` (created if missing); returns the paths."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, text in demo_csv_texts(batch).items():
        path = directory / kind.file_name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
