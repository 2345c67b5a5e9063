"""Service messages turned into what the console's templates show, in the person's language."""

from __future__ import annotations

from datetime import date
from typing import Any

from tqr.application.v1 import staff_pb2 as staff_pb
from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wizard

from tqr_gateway.clients.workflow_rules import WorkflowRules, action_name, action_names, status_name
from tqr_gateway.flows.printout_versions import PrintoutVersions
from tqr_gateway.flows.timestamps import instant
from tqr_gateway.pages.wizard.step_context import booking_label
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.formatting import CHINA_TZ, format_date, format_datetime

ADVERSE = frozenset({"MARK_MATERIALS_INCOMPLETE", "MARK_WRONG_AUTHORITY", "MARK_NOT_ELIGIBLE", "DEFER", "REJECT"})


def summary_columns(lang: str) -> list[dict[str, Any]]:
    def label(key: str) -> str:
        return translate(lang, f"staff.col.{key}")

    return [
        {"key": "number", "label": label("number"), "link_key": "href"},
        {"key": "name", "label": label("name")},
        {"key": "document", "label": label("document")},
        {"key": "status", "label": label("status")},
        {"key": "point", "label": label("point")},
        {"key": "submitted", "label": label("submitted")},
    ]


def claim_text(claim: staff_pb.WorkClaim | None, lang: str) -> str:
    """R-STAFF-6: "由 X 处理中（至 10:30）" / "claimed by X (until 10:30)"; "" when unclaimed."""
    if claim is None:
        return ""
    until = instant(claim.expires_at)
    when = until.astimezone(CHINA_TZ).strftime("%H:%M") if until else ""
    key = "staff.claim.mine" if claim.mine else "staff.claim.other"
    return translate(lang, key, name=claim.staff_name, until=when)


def summary_row(row: views.ApplicationSummary, lang: str, claim: staff_pb.WorkClaim | None = None) -> dict[str, Any]:
    code = status_name(row.status)
    status = translate(lang, f"staff.status.{code}") if lang == "en" else row.status_label
    status = status if status != f"staff.status.{code}" else row.status_label
    if row.certificate_claimed_by_another:  # R-WIZ-10: the point checks the paper certificate
        status = f"{status}（{translate(lang, 'staff.list.conflict_tag')}）"
    if row.also_in_other_plan:  # R-STAFF-8: both authorities see it
        status = f"{status}（{translate(lang, 'staff.list.other_plan_tag')}）"
    return {
        "href": f"/staff/applications/{row.application_id}",
        "number": row.application_number,
        "name": row.applicant_name,
        "document": row.document_number_masked,
        "status": status,
        "point": row.point_code,
        "submitted": format_datetime(instant(row.submitted_at), lang),
        "id": row.application_id,
        "claim": claim_text(claim, lang),
        "claimed_by_other": claim is not None and not claim.mine,
    }


def action_links(view: views.ApplicationView, lang: str, rules: WorkflowRules) -> list[dict[str, Any]]:
    """Only the staff actions the service says the caller may take now, in the workflow's order."""
    allowed = set(action_names(view.allowed_actions))
    return [
        {"action": a, "label": translate(lang, f"staff.action.{a}"), "primary": a not in ADVERSE,
         "href": f"/staff/applications/{view.application_id}/actions/{a}", "reason_required": rules.needs_reason(a)}
        for a in rules.staff_actions if a in allowed
    ]


def application(view: views.ApplicationView, lang: str) -> dict[str, Any]:
    en = lang == "en"
    return {
        "id": view.application_id,
        "number": view.application_number,
        "version": view.version,
        "status": status_name(view.status.status),
        "status_label": view.status.label_en if en else view.status.label_zh,
        "status_meaning": view.status.meaning_en if en else view.status.meaning_zh,
        "missing_materials": list(view.status.missing_materials),
        # Issue 19 item 19: the applicant said the listed papers are ready; the point checks each.
        "resubmitted_at": format_datetime(instant(view.status.materials_resubmitted_at), lang)
        if view.status.HasField("materials_resubmitted_at") else "",
        "email": view.materials.email,
        "point_code": view.point.point_code,
        "claimed_by_another": view.certificate_claimed_by_another,  # R-WIZ-10
        # R-STAFF-8: the other authorities with a live application for this certificate number.
        "other_plans": [f"{o.authority_name}（{o.authority_code}）" if o.authority_name else o.authority_code
                        for o in view.also_in_other_plans],
    }


def detail_rows(view: views.ApplicationView, lang: str) -> list[dict[str, Any]]:
    def key(name: str) -> str:
        return translate(lang, f"staff.field.{name}")

    cert, point, work = view.certificate, view.point, view.materials
    window = ""
    start, end = instant(point.confirm_start), instant(point.confirm_end)
    if start and end:
        window = f"{format_datetime(start, lang)} – {format_datetime(end, lang)}"
    assessments = "，".join(f"{a.year} {a.result}" for a in work.annual_assessments)
    rows = [
        ("applicant", view.applicant_name),
        ("document", view.document_number_masked),
        ("certificate_number", cert.certificate_number),
        ("certificate_type", cert.certificate_type_name or cert.certificate_type_code),
        ("subject", cert.subject_name or cert.subject_code),
        ("issuing_body", cert.issuing_body),
        ("issue_date", cert.issue_date),
        ("from_registry", translate(lang, "staff.yes" if cert.locked else "staff.no")),
        ("authority", view.authority_name),
        ("point", f"{point.point_name}（{point.point_code}）" if point.point_code else ""),
        ("window", window),
        ("slot", booked_slot(view, lang)),
        ("email", work.email),
        ("school", work.school),
        ("post", work.post),
        ("employment_start", work.employment_start),
        ("assessments", assessments),
        ("ethics", work.ethics_assessment),
        ("hours", str(work.continuing_education_hours)),
        ("submitted", format_datetime(instant(view.submitted_at), lang)),
    ]
    # No appointment row where none was booked (most points publish no slots).
    return [{"key": key(name), "value": value} for name, value in rows if value or name != "slot"]


def booked_slot(view: views.ApplicationView, lang: str) -> str:
    """R-SLOT-2: the appointment the applicant booked at the point, which the point's staff receive
    them by; R-SLOT-3: said when the point cancelled it and the applicant has to book another."""
    if not view.HasField("slot"):
        return ""
    return booking_label(view.slot, lang, translate(lang, "staff.slot.cancelled"))


def printout(status: Any, view: views.ApplicationView, lang: str) -> dict[str, Any]:
    """R-APP-8 (flows.printout_versions): the form's version now and, when the applicant's last
    download is older, which one they printed. ``status``: the documents service's answer or None."""
    versions = PrintoutVersions.of(status, view)
    at = versions.last_downloaded_at
    return {"current": versions.current, "last": versions.last_downloaded, "out_of_date": versions.out_of_date,
            "last_at": format_datetime(at, lang) if at else ""}


def history(view: views.ApplicationView, lang: str) -> list[dict[str, Any]]:
    """Newest first: date, who (role), what (the new status) and why."""
    events = []
    for entry in view.history:
        at = instant(entry.at)
        if at is None:
            continue
        action = action_name(entry.action)
        what = translate(lang, f"staff.action.{action}")
        if what == f"staff.action.{action}":
            what = translate(lang, f"staff.status.{status_name(entry.to_status)}")
        reason = entry.reason
        if entry.missing_materials:
            listed = "、".join(entry.missing_materials)
            reason = f"{reason}（{translate(lang, 'staff.app.missing_materials')}：{listed}）" if reason else listed
        events.append({"at": at, "who": translate(lang, f"staff.role.{entry.actor_role}"), "what": what,
                       "reason": reason})
    return sorted(events, key=lambda e: e["at"], reverse=True)


def eligibility(report: wizard.EligibilityReport | None, lang: str) -> dict[str, Any] | None:
    if report is None:
        return None
    return {
        "eligible": report.eligible,
        "findings": [{"blocking": f.blocking, "outcome": f.outcome,
                      "outcome_label": translate(lang, f"staff.status.{f.outcome}") if f.outcome else "",
                      "message": f.message_en if lang == "en" else f.message_zh} for f in report.findings],
    }


def date_of(text: str, lang: str) -> str:
    """An ISO date string from the identity service, for people."""
    try:
        return format_date(date.fromisoformat(text[:10]), lang)
    except ValueError:
        return text
