"""Sample events, one per catalogued event, written as protobuf JSON (field names as in the proto).

Each value is distinctive so a test can find it in the rendered text. ``make(event_type, **changes)``
decodes a sample, with some fields changed, into the event's protobuf message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from google.protobuf.json_format import ParseDict
from google.protobuf.message import Message
from tqr_notification.domain.catalogue import CATALOGUE

SAMPLES: dict[str, dict[str, Any]] = {
    "tqr.identity.v1.VerificationCodeRequested": {
        "account_hint": "138****5678",
        "purpose": "CODE_PURPOSE_REGISTER",
        "channel": "CODE_CHANNEL_SMS",
        "code": "482913",
        "expires_in_seconds": 300,
        "destination_sealed": "c2VhbGVk",
    },
    "tqr.identity.v1.AccountRegistered": {
        "account_id": "acc-1",
        "name": "张晓红",
        "masked_document_number": "1101**********123X",
    },
    "tqr.identity.v1.RealNameVerified": {"account_id": "acc-1", "name": "张晓红"},
    "tqr.identity.v1.RealNameVerificationFailed": {
        "account_id": "acc-1",
        "name": "张晓红",
        "reason": "姓名与证件号码不一致",
    },
    "tqr.identity.v1.ManualReviewRequested": {
        "account_id": "acc-1",
        "case_id": "MR-20260301-0007",
        "due_date": "2026-03-10",
    },
    "tqr.identity.v1.ManualReviewDecided": {
        "account_id": "acc-1",
        "case_id": "MR-20260301-0007",
        "decision": "REJECTED",
        "reason": "证件照片模糊",
    },
    "tqr.identity.v1.PasswordChanged": {
        "account_id": "acc-1",
        "changed_at": "2026-03-01T01:30:00Z",
        "via": "RESET",
    },
    "tqr.identity.v1.EmailChanged": {
        "account_id": "acc-1",
        "changed_at": "2026-03-01T02:15:00Z",
        "masked_new_email": "n***@example.cn",
        "destination_sealed": "c2VhbGVk",
    },
    "tqr.identity.v1.SupportRequestDecided": {
        "account_id": "acc-1",
        "request_id": "SR-0042",
        "kind": "CHANGE_CONTACT",
        "decision": "APPROVED",
        "reason": "已核实本人身份",
    },
    "tqr.application.v1.ApplicationSubmitted": {
        "application_id": "app-1",
        "application_number": "2026110105000123",
        "applicant_id": "acc-1",
        "applicant_name": "张晓红",
        "authority_name": "北京市东城区教育委员会",
        "point_name": "东城区教师发展中心确认点",
        "point_address": "北京市东城区安定门东大街2号",
        "confirm_start": "2026-03-02T00:00:00Z",
        "confirm_end": "2026-03-13T09:00:00Z",
        "online_end": "2026-03-12T15:59:00Z",
        "edit_until": "2026-03-13T09:00:00Z",
    },
    "tqr.application.v1.ApplicationUpdated": {
        "application_id": "app-1",
        "application_number": "2026110105000123",
        "applicant_id": "acc-1",
        "changed_sections": ["contact", "work"],
    },
    "tqr.application.v1.ApplicationStatusChanged": {
        "application_id": "app-1",
        "application_number": "2026110105000123",
        "applicant_id": "acc-1",
        "from_status": "SUBMITTED",
        "to_status": "MATERIALS_INCOMPLETE",
        "status_label": "经审核材料不全，请向确认机构提交补齐",
        "reason": "申请表未签字",
        "missing_materials": ["近五年师德考核表", "继续教育学时证明"],
        "actor_role": "POINT_STAFF",
    },
    "tqr.application.v1.MessagePosted": {
        "application_id": "app-1",
        "application_number": "2026110105000123",
        "applicant_id": "acc-1",
        "author_org_name": "东城区教师发展中心确认点",
        "author_role": "POINT_STAFF",
        "body": "请于3月5日上午携带原件到二楼203室。",
    },
    "tqr.application.v1.BroadcastPosted": {
        "broadcast_id": "b-1",
        "page": 1,
        "pages": 1,
        "applicant_ids": ["acc-1", "acc-2"],
        "author_org_name": "东城区教育委员会",
        "author_role": "AUTHORITY_ADMIN",
        "subject_zh": "周五确认点暂停服务",
        "body_zh": "本周五确认点暂停服务，请改在周六前来。",
        "subject_en": "Point closed on Friday",
        "body_en": "The point is closed on Friday; please come on Saturday.",
    },
    "tqr.application.v1.AppointmentSlotCancelled": {
        "slot_id": "slot-1",
        "applicant_id": "acc-1",
        "application_id": "app-1",
        "application_number": "2026110105000123",
        "point_code": "11010101",
        "point_name": "东城区教师发展中心确认点",
        "point_address": "北京市东城区安定门东大街2号",
        "slot_date": "2026-03-05",
        "slot_start_time": "09:00",
        "slot_end_time": "10:00",
        "reason": "场地检修",
    },
}


@pytest.fixture
def samples() -> dict[str, dict[str, Any]]:
    return {event: dict(payload) for event, payload in SAMPLES.items()}


@pytest.fixture
def make() -> Callable[..., Message]:
    def build(event_type: str, **changes: Any) -> Message:
        return ParseDict({**SAMPLES[event_type], **changes}, CATALOGUE[event_type].event())

    return build
