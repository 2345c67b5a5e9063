"""R-STAFF-2: the applicants of a confirmation point as an Excel workbook, for staff in scope."""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import uuid
from dataclasses import dataclass

from servicekit.errors import FieldProblem, InvalidInput
from sqlalchemy import insert

from tqr_documents.adapters.orm import staff_exports
from tqr_documents.domain.access import Caller, Role, ensure_may_export
from tqr_documents.rendering import render_point_export
from tqr_documents.service_layer.context import DocumentsContext

log = logging.getLogger(__name__)

_UNSAFE_IN_NAMES = re.compile(r"[^A-Za-z0-9_-]")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class ExportFile:
    data: bytes
    rows: int
    filename: str
    display_filename: str
    content_type: str = XLSX_TYPE

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


async def export_point_applicants(ctx: DocumentsContext, caller: Caller, point_code: str) -> ExportFile:
    code = point_code.strip()
    if not code:
        raise InvalidInput([FieldProblem("point_code", "REQUIRED", "请选择确认点", "Choose a confirmation point")])
    points = None
    if caller.role == Role.AUTHORITY_ADMIN:
        points = await ctx.source.authority_points(caller.organisation_code)
    ensure_may_export(caller, code, points)
    rows = await ctx.source.point_applicants(caller, code)
    data = await asyncio.to_thread(render_point_export, rows)
    now = ctx.clock.now()
    # R-STAFF-4: the export is a staff action, recorded with who, which point, how many rows.
    async with ctx.sessions() as session, session.begin():
        await session.execute(
            insert(staff_exports).values(
                export_id=str(uuid.uuid4()), actor_subject_id=caller.subject_id, actor_role=caller.role,
                organisation_code=caller.organisation_code, point_code=code, rows=len(rows), exported_at=now,
            )
        )
    log.info("point applicants exported", extra={"point_code": code, "rows": len(rows), "role": caller.role})
    stamp = f"{now:%Y%m%d%H%M}"
    safe = _UNSAFE_IN_NAMES.sub("_", code)
    return ExportFile(
        data=data, rows=len(rows), filename=f"point-{safe}-applicants-{stamp}.xlsx",
        display_filename=f"现场确认申请人-{safe}-{stamp}.xlsx",
    )
