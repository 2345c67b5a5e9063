"""Demo data for ``make run``: staff of every role and a few applicants, with their sign-in details
written to ``demo_accounts_file`` (``make run`` prints it).

The applicants are people of the shared demo world (``demodata``), who hold certificates of the
application service's demo registry, so the wizard matches their certificates, plus the simulated
authority's special people (a name to correct, no record, a Hong Kong permit, an outage).
Idempotent: a second run leaves the database as it is and rewrites the file. Development only: the
passwords and TOTP secrets below are published on purpose.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from pathlib import Path

from servicekit import db
from servicekit.masking import mask_document_number
from sqlalchemy import func, select

from tqr_identity.adapters import orm
from tqr_identity.adapters.real_name_dev import (
    HK_PERMIT_NO_RECORD,
    NAME_CORRECTION,
    NAME_CORRECTION_REGISTERED_AS,
    NO_RECORD,
    OUTAGE,
    DevPerson,
    demo_registry_holders,
)
from tqr_identity.bootstrap import build_context
from tqr_identity.config import IdentitySettings
from tqr_identity.domain.documents import DocumentType, birth_date_of, gender_of
from tqr_identity.service_layer import events
from tqr_identity.service_layer.context import IdentityContext
from tqr_identity.service_layer.model import Account, RealNameStatus, Role, StaffAccount

DEMO_APPLICANT_PASSWORD = "Demo#2026teacher"  # noqa: S105 - published demo credential
DEMO_STAFF_PASSWORD = "Staff#2026demo"  # noqa: S105 - published demo credential


@dataclass(frozen=True)
class DemoStaff:
    username: str
    display_name: str
    role: Role
    organisation_code: str
    totp_secret: str  # base32, published for the demo


DEMO_STAFF = (
    DemoStaff("admin110108", "海淀区注册机构管理员", Role.AUTHORITY_ADMIN, "110108",
              "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXA"),
    DemoStaff("point11010801", "海淀区第一确认点工作人员", Role.POINT_STAFF, "11010801",
              "KRUGKIDROVUWG2ZAMJZG653OEBTG4XZB"),
    DemoStaff("reviewer", "身份审核员", Role.IDENTITY_REVIEWER, "", "MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43C"),
    DemoStaff("sysadmin", "系统管理员", Role.SYSTEM_ADMIN, "", "ONSWG4TFOQQGC3TEEBZWK4TMMVZXIYLD"),
)


@dataclass(frozen=True)
class DemoApplicant:
    person: DevPerson
    registered_name: str
    status: RealNameStatus
    note: str


def demo_applicants() -> list[DemoApplicant]:
    holders = demo_registry_holders()
    id_cards = [h for h in holders if h.document_type is DocumentType.ID_CARD][:3]
    permits = [h for h in holders if h.document_type is not DocumentType.ID_CARD][:1]
    chosen = [
        DemoApplicant(id_cards[0], id_cards[0].name, RealNameStatus.VERIFIED, "已实名，可直接申报 / verified"),
        *(DemoApplicant(h, h.name, RealNameStatus.UNVERIFIED, "实名核验会通过 / verification passes")
          for h in [*id_cards[1:], *permits]),
        DemoApplicant(NAME_CORRECTION, NAME_CORRECTION_REGISTERED_AS, RealNameStatus.UNVERIFIED,
                      f"核验失败；用更正后的姓名“{NAME_CORRECTION.name}”核验会通过 / verify with the corrected name"),
        DemoApplicant(NO_RECORD, NO_RECORD.name, RealNameStatus.UNVERIFIED,
                      "核验总是失败 → 人工审核 / always fails → manual review"),
        DemoApplicant(HK_PERMIT_NO_RECORD, HK_PERMIT_NO_RECORD.name, RealNameStatus.UNVERIFIED,
                      "港澳通行证，核验失败 → 人工审核 / HK permit, fails → manual review"),
        DemoApplicant(OUTAGE, OUTAGE.name, RealNameStatus.UNVERIFIED,
                      "核验服务无响应 → 请稍后再试 / the authority times out"),
    ]
    return chosen


def _mobile(index: int) -> str:
    return f"1390000{index:04d}"


def _email(index: int) -> str:
    return f"demo{index}@example.cn"


async def seed_context(ctx: IdentityContext) -> str:
    applicants = demo_applicants()
    async with ctx.transaction() as session:
        if await session.scalar(select(func.count()).select_from(orm.staff_accounts)):
            summary = "identity: demo accounts already present"
        else:
            now = ctx.now()
            staff_hash = await ctx.hasher.hash_async(DEMO_STAFF_PASSWORD)
            applicant_hash = await ctx.hasher.hash_async(DEMO_APPLICANT_PASSWORD)
            for member in DEMO_STAFF:
                await ctx.staff.add(session, StaffAccount(
                    str(uuid.uuid4()), member.username, member.display_name, staff_hash, member.totp_secret,
                    (member.role.value,), member.organisation_code, True), now)
            for index, demo in enumerate(applicants, start=1):
                p = demo.person
                account = Account(
                    id=str(uuid.uuid4()), document_type=p.document_type, document_number=p.document_number,
                    masked_document_number=mask_document_number(p.document_number), name=demo.registered_name,
                    mobile=_mobile(index), email=_email(index), password_hash=applicant_hash,
                    agreement_version=ctx.settings.agreement_version, agreement_accepted_at=now,
                    real_name_status=demo.status, created_at=now, updated_at=now,
                    real_name_checked_at=now if demo.status is RealNameStatus.VERIFIED else None,
                    gender=gender_of(p.document_type, p.document_number),
                    birth_date=birth_date_of(p.document_type, p.document_number),
                )
                await ctx.accounts.add(session, account)
                await ctx.accounts.save(session, account)  # status and check time
                await events.account_registered(ctx, session, account)
            summary = f"identity: seeded {len(DEMO_STAFF)} staff accounts and {len(applicants)} applicants"
    write_demo_file(Path(ctx.settings.demo_accounts_file), applicants)
    return summary


def write_demo_file(path: Path, applicants: list[DemoApplicant]) -> None:
    lines = [
        "演示账号 / Demo accounts (development only)",
        "",
        f"申请人 / Applicants — 密码 / password: {DEMO_APPLICANT_PASSWORD}",
    ]
    for index, demo in enumerate(applicants, start=1):
        p = demo.person
        lines.append(f"  {p.document_type.label_zh:<12} {p.document_number:<20} {demo.registered_name:<6} "
                     f"手机 {_mobile(index)}  {demo.note}")
    lines += [
        "",
        f"工作人员 / Staff — 密码 / password: {DEMO_STAFF_PASSWORD}; 动态口令 / TOTP: "
        ".venv/bin/python -c \"import pyotp; print(pyotp.TOTP('<secret>').now())\"",
    ]
    for member in DEMO_STAFF:
        organisation = member.organisation_code or "-"
        lines.append(f"  {member.username:<14} {member.role.value:<18} org {organisation:<9} "
                     f"TOTP secret {member.totp_secret}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


async def seed(settings: IdentitySettings) -> str:
    if not settings.seeds_demo_data:  # off by default in production, which refuses it switched on
        return "identity: demo seeding is switched off"
    engine = db.engine_for(settings)
    ctx = build_context(settings, engine)
    try:
        return await seed_context(ctx)
    finally:
        ctx.hasher.close()
        await engine.dispose()
