"""Reading and writing reference data and the certificate registry."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from tqr_application.adapters import orm
from tqr_application.adapters.personal_data import DocumentNumberCipher
from tqr_application.adapters.reference_cache import reference_changed, remembered
from tqr_application.domain.reference import (
    Authority,
    CertificateType,
    ConfirmationPoint,
    Region,
    RegionLevel,
    RegistryCertificate,
    Subject,
    TeachingStage,
)
from tqr_application.reference_data import ExistingReferenceData, ReferenceBatch


async def existing_reference_data(session: AsyncSession) -> ExistingReferenceData:
    """What an import must refer to and must not duplicate."""

    async def codes(column: object) -> frozenset[str]:
        return frozenset((await session.scalars(select(column))).all())  # type: ignore[call-overload]

    region_rows = (await session.execute(select(orm.regions.c.code, orm.regions.c.level))).all()
    return ExistingReferenceData(
        regions={row.code: RegionLevel(row.level) for row in region_rows},
        authority_codes=await codes(orm.authorities.c.code),
        point_codes=await codes(orm.confirmation_points.c.code),
        teaching_stage_codes=await codes(orm.teaching_stages.c.code),
        subject_codes=await codes(orm.subjects.c.code),
        certificate_type_codes=await codes(orm.certificate_types.c.code),
        certificate_numbers=await codes(orm.registry_certificates.c.certificate_number),
    )


async def write_batch(session: AsyncSession, batch: ReferenceBatch, cipher: DocumentNumberCipher) -> None:
    """Insert a validated batch inside the caller's transaction (the caller commits once)."""
    await reference_changed(session)
    if batch.regions:
        await session.execute(insert(orm.regions), [
            {"code": r.code, "name": r.name, "level": r.level.value, "parent_code": r.parent_code}
            for r in batch.regions
        ])
    if batch.authorities:
        await session.execute(insert(orm.authorities), [
            {"code": a.code, "name": a.name, "region_code": a.region_code, "address": a.address, "phone": a.phone}
            for a in batch.authorities
        ])
    if batch.confirmation_points:
        await session.execute(insert(orm.confirmation_points), [
            {"code": p.code, "authority_code": p.authority_code, "name": p.name, "address": p.address,
             "phone": p.phone, "scope": p.scope, "onsite_notes": ""}
            for p in batch.confirmation_points
        ])
    for table, items in ((orm.teaching_stages, batch.teaching_stages), (orm.subjects, batch.subjects),
                         (orm.certificate_types, batch.certificate_types)):
        if items:
            # The file's order is the list's order; a later import adds its rows after the stored ones.
            last = await session.scalar(select(func.coalesce(func.max(table.c.position), 0)))
            await session.execute(insert(table), [
                {"code": i.code, "name": i.name, "position": last + n} for n, i in enumerate(items, start=1)
            ])
    if batch.registry_certificates:
        await session.execute(insert(orm.registry_certificates), [
            _registry_row(c, cipher) for c in batch.registry_certificates
        ])


def _registry_row(c: RegistryCertificate, cipher: DocumentNumberCipher) -> dict[str, object]:
    return {
        "certificate_number": c.certificate_number, "holder_name": c.holder_name,
        "document_type": c.document_type, "document_number_sealed": cipher.seal(c.document_number),
        "document_index": cipher.index(c.document_number),
        "certificate_type_code": c.certificate_type_code, "subject_code": c.subject_code,
        "issuing_body": c.issuing_body, "issue_date": c.issue_date, "gender": c.gender,
        "birth_date": c.birth_date, "province_code": c.province_code, "photo": c.photo,
    }


async def registry_holder_matches(
    session: AsyncSession, cipher: DocumentNumberCipher, certificate_number: str, document_number: str
) -> bool | None:
    """R-WIZ-10: None when the registry does not hold the number (for whichever holder); else
    whether its holder has this document number."""
    t = orm.registry_certificates
    index = await session.scalar(select(t.c.document_index).where(t.c.certificate_number == certificate_number))
    return None if index is None else index == cipher.index(document_number)


async def find_registry_certificate(
    session: AsyncSession, cipher: DocumentNumberCipher, certificate_number: str, document_number: str
) -> RegistryCertificate | None:
    """The registry record matching both numbers, or None (R-WIZ-3, R-APP-3)."""
    t = orm.registry_certificates
    row = (await session.execute(select(t).where(
        t.c.certificate_number == certificate_number.strip(),
        t.c.document_index == cipher.index(document_number),
    ))).first()
    if row is None:
        return None
    return RegistryCertificate(
        certificate_number=row.certificate_number, holder_name=row.holder_name,
        document_type=row.document_type, document_number=cipher.open(row.document_number_sealed),
        certificate_type_code=row.certificate_type_code, subject_code=row.subject_code,
        issuing_body=row.issuing_body, issue_date=row.issue_date, gender=row.gender,
        birth_date=row.birth_date, province_code=row.province_code, photo=row.photo,
    )


async def list_regions(session: AsyncSession, parent_code: str) -> list[Region]:
    return list(await remembered(session, ("regions", parent_code), lambda s: _regions(s, parent_code)))


async def _regions(session: AsyncSession, parent_code: str) -> tuple[Region, ...]:
    t = orm.regions
    where = t.c.parent_code == parent_code if parent_code else t.c.parent_code.is_(None)
    rows = (await session.execute(select(t).where(where).order_by(t.c.code))).all()
    return tuple(Region(r.code, r.name, RegionLevel(r.level), r.parent_code) for r in rows)


async def region_places(session: AsyncSession) -> tuple[tuple[str, str], ...]:
    """(code, "province city county") of every county, and of every city that has none, in code
    order: what step 4's search looks through, remembered with the reference data."""
    return await remembered(session, "region places", _region_places)


async def _region_places(session: AsyncSession) -> tuple[tuple[str, str], ...]:
    rows = (await session.execute(select(orm.regions).order_by(orm.regions.c.code))).all()
    children: dict[str | None, list[Any]] = defaultdict(list)
    for row in rows:
        children[row.parent_code].append(row)
    places = []
    for province in children[None]:
        for city in children[province.code]:
            counties = children[city.code]
            places += [(county.code, f"{province.name} {city.name} {county.name}") for county in counties] or [
                (city.code, f"{province.name} {city.name}")]
    return tuple(places)


async def list_authorities(session: AsyncSession, region_code: str) -> list[Authority]:
    """Authorities in a region or below it (a province's code covers its cities and counties)."""
    return list(await remembered(session, ("authorities", region_code), lambda s: _authorities(s, region_code)))


async def _authorities(session: AsyncSession, region_code: str) -> tuple[Authority, ...]:
    t = orm.authorities
    query = select(t).order_by(t.c.code)
    if region_code:
        prefix = region_code.rstrip("0")
        prefix = region_code[: max(2, len(prefix) + len(prefix) % 2)]
        query = query.where(t.c.region_code.startswith(prefix))
    rows = (await session.execute(query)).all()
    return tuple(Authority(r.code, r.name, r.region_code, r.address, r.phone) for r in rows)


async def get_authority(session: AsyncSession, code: str) -> Authority | None:
    return await remembered(session, ("authority", code), lambda s: _authority(s, code))


async def _authority(session: AsyncSession, code: str) -> Authority | None:
    t = orm.authorities
    r = (await session.execute(select(t).where(t.c.code == code))).first()
    return Authority(r.code, r.name, r.region_code, r.address, r.phone) if r else None


async def get_point(session: AsyncSession, code: str) -> tuple[ConfirmationPoint, str] | None:
    """The point and its on-site notes."""
    return await remembered(session, ("point", code), lambda s: _point(s, code))


async def _point(session: AsyncSession, code: str) -> tuple[ConfirmationPoint, str] | None:
    t = orm.confirmation_points
    r = (await session.execute(select(t).where(t.c.code == code))).first()
    if r is None:
        return None
    return ConfirmationPoint(r.code, r.authority_code, r.name, r.address, r.phone, r.scope), r.onsite_notes


async def list_points(session: AsyncSession, authority_code: str) -> list[ConfirmationPoint]:
    return list(await remembered(session, ("points", authority_code), lambda s: _points(s, authority_code)))


async def _points(session: AsyncSession, authority_code: str) -> tuple[ConfirmationPoint, ...]:
    t = orm.confirmation_points
    rows = (await session.execute(select(t).where(t.c.authority_code == authority_code).order_by(t.c.code))).all()
    return tuple(ConfirmationPoint(r.code, r.authority_code, r.name, r.address, r.phone, r.scope) for r in rows)


async def code_names(session: AsyncSession) -> dict[str, dict[str, str]]:
    """code → name of stages, subjects and certificate types (small tables, read whole), each in
    the list's own order (dicts keep it)."""
    names = await remembered(session, "code names", _code_names)
    return {kind: dict(by_code) for kind, by_code in names.items()}


async def _code_names(session: AsyncSession) -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    for key, table in (("stages", orm.teaching_stages), ("subjects", orm.subjects),
                       ("certificate_types", orm.certificate_types)):
        query = select(table.c.code, table.c.name).order_by(table.c.position, table.c.code)
        rows = (await session.execute(query)).all()
        out[key] = {r.code: r.name for r in rows}
    return out


async def list_code_table(session: AsyncSession, kind: str) -> list[TeachingStage | Subject | CertificateType]:
    return list(await remembered(session, ("code table", kind), lambda s: _code_table(s, kind)))


async def _code_table(session: AsyncSession, kind: str) -> tuple[TeachingStage | Subject | CertificateType, ...]:
    table, cls = {
        "stages": (orm.teaching_stages, TeachingStage), "subjects": (orm.subjects, Subject),
        "certificate_types": (orm.certificate_types, CertificateType),
    }[kind]
    query = select(table.c.code, table.c.name).order_by(table.c.position, table.c.code)
    rows = (await session.execute(query)).all()
    return tuple(cls(r.code, r.name) for r in rows)  # type: ignore[operator]


# --- one record at a time (R-REF-2) ----------------------------------------------------------------

CODE_TABLES = {"teaching_stages": orm.teaching_stages, "subjects": orm.subjects,
               "certificate_types": orm.certificate_types}


async def write_authority(session: AsyncSession, authority: Authority) -> None:
    await reference_changed(session)
    t = orm.authorities
    await session.execute(update(t).where(t.c.code == authority.code).values(
        name=authority.name, address=authority.address, phone=authority.phone))


async def write_point(session: AsyncSession, point: ConfirmationPoint) -> None:
    await reference_changed(session)
    t = orm.confirmation_points
    await session.execute(update(t).where(t.c.code == point.code).values(
        address=point.address, phone=point.phone, scope=point.scope))


async def code_name(session: AsyncSession, kind: str, code: str) -> str | None:
    t = CODE_TABLES[kind]
    return await session.scalar(select(t.c.name).where(t.c.code == code))  # type: ignore[no-any-return]


async def name_taken(session: AsyncSession, kind: str, code: str, name: str) -> bool:
    t = CODE_TABLES[kind]
    return await session.scalar(select(t.c.code).where(t.c.name == name, t.c.code != code)) is not None


async def write_code_name(session: AsyncSession, kind: str, code: str, name: str) -> None:
    await reference_changed(session)
    t = CODE_TABLES[kind]
    await session.execute(update(t).where(t.c.code == code).values(name=name))
