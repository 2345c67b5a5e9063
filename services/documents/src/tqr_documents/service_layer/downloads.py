"""R-APP-5: download of the application form, always of the application's current data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from servicekit.errors import FieldProblem, InvalidInput
from sqlalchemy import insert, select

from tqr_documents.adapters.orm import form_downloads
from tqr_documents.domain.access import Caller, Role, ensure_owner, refuse_role
from tqr_documents.domain.form_code import form_version_of
from tqr_documents.service_layer.context import DocumentsContext
from tqr_documents.service_layer.ports import FormRevision, FormSnapshot
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
    rendered = await ctx.forms.get_or_render(snapshot.application_id, snapshot.form, fmt, "on_demand")
    # R-APP-8: which version this download was, so that an older printout can be told apart.
    async with ctx.sessions() as session, session.begin():
        await session.execute(insert(form_downloads).values(
            application_id=snapshot.application_id, edit_revision=snapshot.form.edit_revision,
            form_version=form_version_of(snapshot.form), format=fmt, actor_role=caller.role,
            actor_subject_id=caller.subject_id, downloaded_at=ctx.clock.now(),
        ))
    return rendered


@dataclass(frozen=True)
class PrintoutStatus:
    """R-APP-8: the form's version now and the one the applicant last downloaded (0: never)."""

    current_revision: int
    last_revision: int = 0
    last_downloaded_at: datetime | None = None

    @property
    def out_of_date(self) -> bool:
        return 0 < self.last_revision < self.current_revision


async def printout_status(ctx: DocumentsContext, caller: Caller, application_id: str) -> PrintoutStatus:
    """The applicant who owns the application, or staff in its scope (checked by the application
    service, as for a download)."""
    if not application_id.strip():
        raise InvalidInput([FieldProblem("application_id", "REQUIRED", "请指明申请", "Name the application")])
    if not (caller.is_applicant or caller.is_staff):
        raise refuse_role()
    found = await ctx.source.form_revision(application_id.strip())  # not the form's data: asked every view
    await ensure_may_read(ctx, caller, found)
    t = form_downloads
    async with ctx.sessions() as session:
        last = (await session.execute(
            select(t.c.edit_revision, t.c.downloaded_at)
            .where(t.c.application_id == found.application_id, t.c.actor_role == Role.APPLICANT.value)
            .order_by(t.c.id.desc()).limit(1)
        )).first()
    current = found.edit_revision
    if last is None:
        return PrintoutStatus(current)
    return PrintoutStatus(current, int(last.edit_revision), last.downloaded_at)


async def ensure_may_read(ctx: DocumentsContext, caller: Caller, found: FormSnapshot | FormRevision) -> None:
    if caller.is_applicant:
        ensure_owner(caller, found.applicant_id)
    elif caller.is_staff:
        # The application service owns the staff scopes (R-STAFF-4) and audits the access.
        await ctx.source.ensure_staff_access(caller, found.application_id)
    else:
        raise refuse_role()


def filenames(application_number: str, fmt: str) -> tuple[str, str]:
    """(ASCII file name for any header, Chinese display name)."""
    return f"form-{application_number}.{fmt}", f"{DISPLAY_TITLE}-{application_number}.{fmt}"


def chunks(data: bytes, size: int = CHUNK_BYTES) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]
