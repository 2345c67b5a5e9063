"""One line of the staff export of a confirmation point's applicants (R-STAFF-2, R-STAFF-4).

Staff work from masked numbers; the export never carries a clear document or mobile number.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from servicekit.masking import looks_masked


@dataclass(frozen=True)
class PointExportRow:
    application_number: str
    applicant_name: str
    certificate_number: str
    status_label: str
    submitted_at: datetime  # aware
    document_number_masked: str = field(default="", repr=False)
    mobile_masked: str = field(default="", repr=False)
    email: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not looks_masked(self.document_number_masked) or not looks_masked(self.mobile_masked):
            # The message names the field only: the value itself is personal data.
            raise ValueError("document_number_masked and mobile_masked must be masked")
        if self.submitted_at.tzinfo is None:
            raise ValueError("submitted_at must be timezone-aware")
