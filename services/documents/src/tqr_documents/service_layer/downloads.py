"""R-APP-5: download of the application form, always of the application's current data."""

from __future__ import annotations

from servicekit.errors import FieldProblem, InvalidInput

from tqr_documents.domain.access import Caller, ensure_owner, refuse_role
from tqr_documents.service_layer.context import DocumentsContext
from tqr_documents.service_layer.ports import FormSnapshot
from tqr_documents.service_layer.rendered_forms import FORMATS, RenderedForm

CHUNK_BYTES = 64 * 1024
DISPLAY_TITLE = "教师资格定期注册申请表"


async def download_form(ctx: DocumentsContext, caller: Caller, application_id: str, fmt: str) -> RenderedForm:
    """Reads the data now (never trusting an event to have arrived), then serves or renders it."""
    if not application_id.strip():
        raise InvalidInput([FieldProblem("application_id", "REQUIRED", "请指明申请", "Name the application")])
    if fmt not in FORMATS:
        raise InvalidInput([FieldProblem("format", "R-APP-5", "请选择 PDF 或 Word 格式", "Choose PDF or Word")])
    if not (caller.is_applicant or caller.is_staff):
        raise refuse_role()
    snapshot = await ctx.source.form_data(application_id=application_id.strip())
    await ensure_may_read(ctx, caller, snapshot)
    return await ctx.forms.get_or_render(snapshot.application_id, snapshot.form, fmt, "on_demand")


async def ensure_may_read(ctx: DocumentsContext, caller: Caller, snapshot: FormSnapshot) -> None:
    if caller.is_applicant:
        ensure_owner(caller, snapshot.applicant_id)
    elif caller.is_staff:
        # The application service owns the staff scopes (R-STAFF-4) and audits the access.
        await ctx.source.ensure_staff_access(caller, snapshot.application_id)
    else:
        raise refuse_role()


def filenames(application_number: str, fmt: str) -> tuple[str, str]:
    """(ASCII file name for any header, Chinese display name)."""
    return f"form-{application_number}.{fmt}", f"{DISPLAY_TITLE}-{application_number}.{fmt}"


def chunks(data: bytes, size: int = CHUNK_BYTES) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]
