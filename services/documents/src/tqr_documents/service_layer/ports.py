"""What the service layer needs from the outside, as protocols the adapters (and test fakes) fill."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from tqr_documents.domain.access import Caller
from tqr_documents.domain.form import ApplicationForm
from tqr_documents.domain.point_export import PointExportRow


@dataclass(frozen=True)
class FormSnapshot:
    """The application's data as it is now, with what the access rules need."""

    application_id: str
    applicant_id: str
    version: int
    form: ApplicationForm


@dataclass(frozen=True)
class FormRevision:
    """Whose application it is and its content's version (R-APP-8), without the form's data."""

    application_id: str
    applicant_id: str
    edit_revision: int


class ApplicationSource(Protocol):
    """The application service, which owns application data and the staff scopes."""

    async def form_data(self, application_id: str = "", application_number: str = "") -> FormSnapshot:
        """Every value printed on the form, read as SYSTEM; raises NotFound for no such application."""
        ...

    async def form_revision(self, application_id: str) -> FormRevision:
        """Owner and content version, read as SYSTEM; raises NotFound for no such application."""
        ...

    async def ensure_staff_access(self, caller: Caller, application_id: str) -> None:
        """Raises unless the staff member's organisation holds the application (the caller is forwarded)."""
        ...

    async def authority_points(self, authority_code: str) -> frozenset[str]:
        """Codes of the confirmation points of an authority."""
        ...

    async def point_applicants(self, caller: Caller, point_code: str) -> Sequence[PointExportRow]:
        """The applications of a point, as the caller may see them (the caller is forwarded)."""
        ...
