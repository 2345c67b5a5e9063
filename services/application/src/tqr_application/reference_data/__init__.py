"""Reference data of the application service: the CSV importer and the demo data set."""

from tqr_application.reference_data.csv_layout import HEADERS, ReferenceBatch, ReferenceKind, to_csv_text
from tqr_application.reference_data.demo_csv import SHIPPED_DEMO_DIRECTORY, demo_csv_texts, write_demo_csv
from tqr_application.reference_data.demo_data import demo_batch
from tqr_application.reference_data.importer import (
    ExistingReferenceData,
    ImportResult,
    RowError,
    import_directory,
    import_reference_data,
)
from tqr_application.reference_data.plan_scenarios import (
    DemoPlanScenario,
    DemoPointWindow,
    PlanState,
    demo_plan_scenarios,
)

__all__ = [
    "HEADERS",
    "SHIPPED_DEMO_DIRECTORY",
    "DemoPlanScenario",
    "DemoPointWindow",
    "ExistingReferenceData",
    "ImportResult",
    "PlanState",
    "ReferenceBatch",
    "ReferenceKind",
    "RowError",
    "demo_batch",
    "demo_csv_texts",
    "demo_plan_scenarios",
    "import_directory",
    "import_reference_data",
    "to_csv_text",
    "write_demo_csv",
]
