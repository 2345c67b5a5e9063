"""R-APP-7: staff of an authority or a point correct an applicant's email: the account's address
(codes, resets, messages) changes, both addresses are told, the change is audited; nobody else may."""

from __future__ import annotations

import pytest
from servicekit.errors import InvalidInput, PermissionDenied
from servicekit.sealing import DEV_KEYS, Sealer
from sqlalchemy import select
from tqr.identity.v1 import events_pb2
from tqr_identity.adapters import orm
from tqr_identity.service_layer import email_correction, profile
from tqr_identity.service_layer.access import Caller

pytestmark = pytest.mark.redis
OLD, NEW = "wrong.address@example.cn", "right.address@example.cn"
ADMIN = Caller("staff-admin-1", "AUTHORITY_ADMIN", "110108")
POINT = Caller("staff-point-1", "POINT_STAFF", "11010801")


def _correction(account_id: str, email: str = NEW, reason: str = "申请人来电，原邮箱填错") -> email_correction.Correction:
    return email_correction.Correction(account_id, email, reason, "2026110800001", "海淀区教育委员会")


async def _audit(ctx, account_id: str) -> list[tuple[str, str, str, str]]:
    async with ctx.reading() as session:
        c = orm.staff_audit.c
        rows = await session.execute(select(c.staff_id, c.action, c.decision, c.reason)
                                     .where(c.target_id == account_id).order_by(c.id))
        return [tuple(r) for r in rows]


async def test_r_app_7_staff_correction_changes_the_account_email_and_tells_both_addresses(ctx, steps) -> None:
    account_id, _ = await steps.register(ctx, email=OLD)
    done = await email_correction.correct_email(ctx, ADMIN, _correction(account_id))
    assert done.changed and done.masked_email == "r***@example.cn"
    assert (await profile.get_account(ctx, account_id)).account.email == NEW
    [contact] = await steps.outbox_events(ctx, events_pb2.ContactDetailsChanged)
    assert Sealer(DEV_KEYS, "recipient-contact").open(contact.email_sealed) == NEW
    notices = await steps.outbox_events(ctx, events_pb2.EmailChanged)
    opened = {Sealer(DEV_KEYS, "code-destination").open(n.destination_sealed): n for n in notices}
    assert set(opened) == {OLD, NEW}
    assert not opened[OLD].to_new_address and opened[NEW].to_new_address
    assert {n.corrected_by for n in notices} == {"海淀区教育委员会"}
    [(staff, action, decision, reason)] = await _audit(ctx, account_id)
    assert (staff, action, decision) == ("staff-admin-1", "applicant-email-correction", "corrected")
    assert "2026110800001" in reason and "原邮箱填错" in reason and OLD not in reason  # masked addresses only

    again = await email_correction.correct_email(ctx, POINT, _correction(account_id))  # a repeat changes nothing
    assert not again.changed
    assert len(await steps.outbox_events(ctx, events_pb2.EmailChanged)) == 2
    assert len(await _audit(ctx, account_id)) == 1


async def test_r_app_7_only_authority_and_point_staff_may_and_bad_input_changes_nothing(ctx, steps) -> None:
    account_id, _ = await steps.register(ctx, email=OLD)
    for caller in (Caller(account_id, "APPLICANT"), Caller("r-1", "IDENTITY_REVIEWER"), Caller("s-1", "SYSTEM_ADMIN")):
        with pytest.raises(PermissionDenied):
            await email_correction.correct_email(ctx, caller, _correction(account_id))
    with pytest.raises(InvalidInput) as refused:
        await email_correction.correct_email(ctx, POINT, _correction(account_id, "not-an-address", " "))
    assert sorted(p.field for p in refused.value.problems) == ["email", "reason"]
    assert refused.value.problems[0].message_zh and refused.value.problems[0].message_en
    assert (await profile.get_account(ctx, account_id)).account.email == OLD
    assert await steps.outbox_events(ctx, events_pb2.EmailChanged) == []
    assert await _audit(ctx, account_id) == []
