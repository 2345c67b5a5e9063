"""Reference data changed from the staff console, one record at a time or as a previewed import.

R-REF-2: the guiding centre (SYSTEM_ADMIN) changes an authority's name, address and phone and the
names in the code lists; a confirmation point's address, phone and scope are changed by the guiding
centre or by the admin of the point's own authority (windows and on-site notes stay with the plans).
Each change is checked by the rules the CSV import applies to the same columns
(``reference_data.row_parsers``), written with the reference version bumped so every replica reads
it with its next request, and audited with the values it replaced. Codes never change: applications
and plans refer to them.

R-REF-3: an import can be checked first (``dry_run``): its errors, or the rows it would add, and
nothing written; the real import checks everything again.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from servicekit.errors import FieldProblem, InvalidInput, NotFound, PermissionDenied

from tqr_application.adapters import reference_repository as ref
from tqr_application.domain.reference import Authority, ConfirmationPoint, Region
from tqr_application.domain.roles import Actor, Role
from tqr_application.reference_data import ImportResult, ReferenceBatch, ReferenceKind, import_reference_data
from tqr_application.reference_data.csv_layout import rows_of
from tqr_application.reference_data.row_parsers import CellProblem, parse_authority, parse_point
from tqr_application.service_layer import audit
from tqr_application.service_layer.access import require_role
from tqr_application.service_layer.context import ServiceContext

RULE = "R-REF-2"
CODE_LISTS = tuple(ref.CODE_TABLES)
MAX_CODE_NAME = 50


async def update_authority(ctx: ServiceContext, actor: Actor, code: str, *, name: str, address: str,
                           phone: str) -> Authority:
    require_role(actor, Role.SYSTEM_ADMIN)
    async with ctx.transaction() as session:
        before = await ref.get_authority(session, code)
        if before is None:
            raise NotFound("AUTHORITY_NOT_FOUND", "找不到该注册机构", "No such registration authority")
        after, problems = parse_authority({"code": code, "name": name, "region_code": before.region_code,
                                           "address": address, "phone": phone})
        _refuse_if(problems)
        assert after is not None
        await ref.write_authority(session, after)
        await audit.record(session, actor, "UPDATE_AUTHORITY", target_type="authority", target_id=code,
                           at=ctx.now(), detail=_changes(before, after, ("name", "address", "phone")))
        return after


async def update_point(ctx: ServiceContext, actor: Actor, code: str, *, address: str, phone: str,
                       scope: str) -> ConfirmationPoint:
    require_role(actor, Role.SYSTEM_ADMIN, Role.AUTHORITY_ADMIN)
    async with ctx.transaction() as session:
        found = await ref.get_point(session, code)
        if found is None:
            raise NotFound("POINT_NOT_FOUND", "找不到该现场确认点", "No such confirmation point")
        before, _notes = found
        if actor.role is Role.AUTHORITY_ADMIN and actor.organisation_code != before.authority_code:
            raise PermissionDenied("R-STAFF-4", "只能修改本注册机构的确认点",
                                   "You can change only your own authority's points")
        after, problems = parse_point({"code": code, "authority_code": before.authority_code, "name": before.name,
                                       "address": address, "phone": phone, "scope": scope})
        _refuse_if(problems)
        assert after is not None
        await ref.write_point(session, after)
        await audit.record(session, actor, "UPDATE_POINT", target_type="point", target_id=code, at=ctx.now(),
                           detail=_changes(before, after, ("address", "phone", "scope")))
        return after


async def rename_code(ctx: ServiceContext, actor: Actor, kind: str, code: str, name: str) -> str:
    """A teaching stage's, subject's or certificate type's name; the code stays."""
    require_role(actor, Role.SYSTEM_ADMIN)
    if kind not in CODE_LISTS:
        raise InvalidInput([FieldProblem("list", RULE, "没有这个代码表", "No such code list")], code=RULE)
    name = name.strip()
    if not name or len(name) > MAX_CODE_NAME:
        raise InvalidInput([FieldProblem("name", RULE, f"名称不能为空，最多 {MAX_CODE_NAME} 个字",
                                         f"The name must be 1 to {MAX_CODE_NAME} characters")], code=RULE)
    async with ctx.transaction() as session:
        before = await ref.code_name(session, kind, code)
        if before is None:
            raise NotFound("CODE_NOT_FOUND", "代码表中没有这个代码", "No such code in the list")
        if await ref.name_taken(session, kind, code, name):
            raise InvalidInput([FieldProblem("name", RULE, "同一代码表中已有这个名称",
                                             "Another entry of the list has this name")], code=RULE)
        await ref.write_code_name(session, kind, code, name)
        await audit.record(session, actor, "RENAME_CODE", target_type=kind, target_id=code, at=ctx.now(),
                           detail={"name": {"from": before, "to": name}})
        return name


@dataclass(frozen=True)
class PreviewRow:
    file: str
    code: str
    name: str
    detail: str


async def preview_import(ctx: ServiceContext, actor: Actor, files: Mapping[str, str]) -> tuple[ImportResult,
                                                                                              list[PreviewRow]]:
    """R-REF-3: the import's errors, or the rows it would add; nothing is written."""
    require_role(actor, Role.SYSTEM_ADMIN)
    by_kind = {kind: files[kind.file_name] for kind in ReferenceKind if kind.file_name in files}
    async with ctx.reading() as session:
        result = import_reference_data(by_kind, await ref.existing_reference_data(session))
    return result, (_preview(result.batch) if result.ok and result.batch is not None else [])


def _preview(batch: ReferenceBatch) -> list[PreviewRow]:
    rows: list[PreviewRow] = []
    for kind in ReferenceKind:
        if kind is ReferenceKind.REGISTRY_CERTIFICATES:
            continue  # they name people: counted, never listed
        for item in rows_of(batch, kind):
            rows.append(PreviewRow(kind.file_name, item.code, item.name, _parent(item)))  # type: ignore[attr-defined]
    return rows


def _parent(item: object) -> str:
    if isinstance(item, Region):
        return item.parent_code or ""
    if isinstance(item, Authority):
        return item.region_code
    if isinstance(item, ConfirmationPoint):
        return item.authority_code
    return ""


def _refuse_if(problems: list[CellProblem]) -> None:
    if problems:
        raise InvalidInput([FieldProblem(p.column, RULE, p.message_zh, p.message_en) for p in problems], code=RULE)


def _changes(before: object, after: object, fields: tuple[str, ...]) -> dict[str, dict[str, str]]:
    """What changed, from → to (organisations' contact data, not personal data)."""
    return {name: {"from": getattr(before, name), "to": getattr(after, name)}
            for name in fields if getattr(before, name) != getattr(after, name)}
