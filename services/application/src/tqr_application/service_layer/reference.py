"""Reference data: reading for the wizard, and loading a CSV batch all-or-nothing (R-REF-1)."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import reference_repository as ref
from tqr_application.domain.reference import Authority, ConfirmationPoint, Region
from tqr_application.domain.roles import Actor, Role
from tqr_application.reference_data import ImportResult, ReferenceKind, import_reference_data
from tqr_application.service_layer import audit
from tqr_application.service_layer.access import require_role
from tqr_application.service_layer.context import ServiceContext

MISSING_SUBJECT_HINT = (
    "列表中没有您的学科时，请联系省级教师资格指导中心添加",
    "If your subject is not in the list, ask the provincial guiding centre to add it",
)


async def regions(ctx: ServiceContext, parent_code: str) -> list[Region]:
    async with ctx.reading() as session:
        return await ref.list_regions(session, parent_code)


DEFAULT_REGION_MATCHES = 12  # what step 4 shows
MAX_REGION_MATCHES = 50


async def search_regions(ctx: ServiceContext, text: str, limit: int) -> list[tuple[str, str]]:
    """(code, path) of the places whose path holds ``text`` (step 4), at most ``limit`` (0: the
    default)."""
    wanted = text.strip()
    if not wanted:
        return []
    async with ctx.reading() as session:
        places = await ref.region_places(session)
    shown = min(limit, MAX_REGION_MATCHES) if limit > 0 else DEFAULT_REGION_MATCHES
    return [place for place in places if wanted in place[1]][:shown]


async def authorities(ctx: ServiceContext, region_code: str) -> list[Authority]:
    """Authorities in a region or below it (a province's code covers its cities and counties)."""
    async with ctx.reading() as session:
        return await ref.list_authorities(session, region_code)


async def points_with_notes(ctx: ServiceContext, authority_code: str,
                            point_code: str = "") -> list[tuple[ConfirmationPoint, str]]:
    """An authority's confirmation points, or the one point ``point_code`` whichever its authority,
    each with its on-site notes (R-APP-4)."""
    async with ctx.reading() as session:
        if point_code:
            found = await ref.get_point(session, point_code)
            return [found] if found else []
        points = await ref.list_points(session, authority_code)
        return [(p, (await ref.get_point(session, p.code) or (p, ""))[1]) for p in points]


async def code_names(ctx: ServiceContext) -> dict[str, dict[str, str]]:
    async with ctx.reading() as session:
        return await ref.code_names(session)


async def import_batch(session: AsyncSession, ctx: ServiceContext, files: Mapping[ReferenceKind, str]) -> ImportResult:
    """Check every row against the stored data, then write all of it in the caller's transaction."""
    result = import_reference_data(files, await ref.existing_reference_data(session))
    if result.ok and result.batch is not None:
        await ref.write_batch(session, result.batch, ctx.cipher)
    return result


async def import_files(ctx: ServiceContext, actor: Actor, files: Mapping[str, str]) -> ImportResult:
    """R-REF-1: guiding-centre staff add subjects, authorities… (role SYSTEM_ADMIN)."""
    require_role(actor, Role.SYSTEM_ADMIN)
    by_kind = {kind: files[kind.file_name] for kind in ReferenceKind if kind.file_name in files}
    async with ctx.transaction() as session:
        result = await import_batch(session, ctx, by_kind)
        if result.ok and result.batch is not None:
            counts = {k.value: v for k, v in result.batch.counts().items()}
            await audit.record(session, actor, "IMPORT_REFERENCE_DATA", target_type="reference_data",
                               target_id="batch", at=ctx.now(), detail=counts)
    return result
