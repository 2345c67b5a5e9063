"""R-APP-8 for staff: which version of the form the applicant's data is at, and which one the
applicant last downloaded (the paper they bring); the console's case page and the staff API alike."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from tqr.application.v1 import views_pb2 as views
from tqr.documents.v1 import documents_pb2 as docs

from tqr_gateway.flows.timestamps import instant


@dataclass(frozen=True)
class PrintoutVersions:
    current: int  # printed on the form as 申请表版本
    last_downloaded: int  # 0: the applicant has not downloaded the form
    last_downloaded_at: datetime | None

    @property
    def out_of_date(self) -> bool:
        """A paper form of an older version than the data's is out of date."""
        return 0 < self.last_downloaded < self.current

    @classmethod
    def of(cls, status: docs.GetPrintoutStatusResponse | None, view: views.ApplicationView) -> PrintoutVersions:
        """``status``: the documents service's answer, or None when it did not answer (the version
        then comes from the application, and no download is known)."""
        if status is None:
            return cls(view.edit_revision or 1, 0, None)
        last = status.last_applicant_revision
        return cls(status.current_revision or view.edit_revision or 1, last,
                   instant(status.last_applicant_download_at) if last else None)
