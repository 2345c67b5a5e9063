"""Regenerate the shipped demo CSV files: ``python -m tqr_application.reference_data``."""

from tqr_application.reference_data.demo_csv import write_demo_csv

for path in write_demo_csv():
    print(path)
