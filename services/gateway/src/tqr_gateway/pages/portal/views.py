"""One application as the applicant sees it: status with meaning, timeline, core facts, all answers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from tqr.application.v1 import views_pb2 as views

from tqr_gateway.clients.workflow_rules import action_name, status_name
from tqr_gateway.pages.wizard.forms import date_parts
from tqr_gateway.pages.wizard.step_context import when
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.language import language_of

EDIT_PATHS = {"CERTIFICATE": "edit/certificate", "MATERIALS": "edit/materials", "CONTACT": "edit/contact",
              "POINT": "edit/point", "TEACHING": "edit/teaching", "AUTHORITY_AND_POINT": "correct-authority"}


def _date(iso: str, lang: str) -> str:
    parts = date_parts(iso)
    if not parts["year"]:
        return ""
    return iso if lang == "en" else f"{parts['year']}年{parts['month']}月{parts['day']}日"


def status_context(request: Request, status: views.StatusView) -> dict[str, Any]:
    """R-APP-2: the tag, what it means and what to do next, in the page's language."""
    en = language_of(request) == "en"
    code = status_name(status.status)
    return {
        "code": code,
        "label": (status.label_en if en else status.label_zh)
        or translate(language_of(request), f"status.{code}"),
        "meaning": status.meaning_en if en else status.meaning_zh,
        "next_step": status.next_step_en if en else status.next_step_zh,
        "missing": list(status.missing_materials),
        # Issue 19 item 19: when the applicant said the missing papers are ready.
        "resubmitted_at": when(status.materials_resubmitted_at),
        "reason": status.reason,
    }


def timeline(request: Request, view: views.ApplicationView) -> list[dict[str, Any]]:
    """Every change, newest first: when, who, what, why."""
    lang = language_of(request)
    events = []
    for entry in view.history:
        at = when(entry.at)
        if at is None:
            continue
        to_status = status_name(entry.to_status)
        what = translate(lang, f"status.{to_status}") if to_status else action_name(entry.action)
        if what.startswith("status."):
            what = to_status
        reason = entry.reason
        if entry.missing_materials:
            reason = "；".join(filter(None, [reason, "、".join(entry.missing_materials)]))
        who = translate(lang, f"portal.role.{entry.actor_role}") if entry.actor_role else ""
        events.append({"at": at, "who": "" if who.startswith("portal.role.") else who, "what": what,
                       "reason": reason})
    return sorted(events, key=lambda e: e["at"], reverse=True)


def core_rows(request: Request, view: views.ApplicationView) -> list[dict[str, Any]]:
    """R-APP-1: authority, confirmation point, its address and confirmation window."""
    lang = language_of(request)
    start, end = when(view.point.confirm_start), when(view.point.confirm_end)
    from tqr_gateway.web.formatting import format_datetime

    window = f"{format_datetime(start, lang)} – {format_datetime(end, lang)}" if start and end else ""
    return [
        {"key": translate(lang, "portal.core.authority"),
         "lines": [v for v in (view.authority_name, view.authority_address, view.authority_phone) if v]},
        {"key": translate(lang, "portal.core.point"), "value": view.point.point_name},
        {"key": translate(lang, "portal.core.address"),
         "lines": [v for v in (view.point.address, view.point.phone) if v]},
        {"key": translate(lang, "portal.core.window"), "value": window},
        *slot_rows(lang, view),
        *edit_deadline_rows(lang, view),
    ]


def slot_rows(lang: str, view: views.ApplicationView) -> list[dict[str, Any]]:
    """R-SLOT-2: the booked appointment slot, and whether the point cancelled it (R-SLOT-3)."""
    from tqr_gateway.pages.wizard.step_context import booking_label

    if not view.HasField("slot"):
        return []
    label = booking_label(view.slot, lang, translate(lang, "wizard.slot.cancelled_short"))
    return [{"key": translate(lang, "portal.core.slot"), "value": label}]


def edit_deadline_rows(lang: str, view: views.ApplicationView) -> list[dict[str, Any]]:
    """R-APP-6: the edit deadline the application service decided, the same one the messages name."""
    from tqr_gateway.web.formatting import format_datetime

    until = when(view.edit_until)
    if until is None:
        return []
    return [{"key": translate(lang, "portal.core.edit_until"), "value": format_datetime(until, lang)}]


def printout(request: Request, status: Any, view: views.ApplicationView) -> dict[str, Any]:
    """R-APP-8: the version printed on the form now, and whether the copy the applicant last
    downloaded is an older one (then the page asks to print again). ``status``: the documents
    service's GetPrintoutStatusResponse, or None when it did not answer (the view's revision)."""
    from tqr_gateway.web.formatting import format_datetime

    lang = language_of(request)
    current = (status.current_revision if status is not None else 0) or view.edit_revision or 1
    last = status.last_applicant_revision if status is not None else 0
    at = when(status.last_applicant_download_at) if status is not None else None
    return {"current": current, "last": last, "out_of_date": 0 < last < current,
            "last_at": format_datetime(at, lang) if at else ""}


def answer_rows(request: Request, view: views.ApplicationView,
                names: dict[str, dict[str, str]] | None = None) -> list[dict[str, Any]]:
    """The whole application; rows of a group the rules let the applicant edit get a "修改" link
    (R-APP-6: the point and the teaching stage and subject too, while SUBMITTED). ``names``: code →
    name of ``stages`` and ``subjects``."""
    lang = language_of(request)
    editable = set(view.editable_groups)
    base = f"/portal/applications/{view.application_id}/"
    stages, subjects = (names or {}).get("stages", {}), (names or {}).get("subjects", {})

    def row(key: str, value: str, *groups: str, lines: list[str] | None = None) -> dict[str, Any]:
        group = next((g for g in groups if g in editable), None)
        href = base + EDIT_PATHS[group] if group else None
        return {"key": translate(lang, f"wizard.field.{key}"), "value": value, "lines": lines, "href": href}

    c, m = view.certificate, view.materials
    until = translate(lang, "wizard.until_now")
    return [
        row("certificate_number", c.certificate_number, "CERTIFICATE"),
        row("holder_name", c.holder_name, "CERTIFICATE"),
        row("certificate_type_code", c.certificate_type_name or c.certificate_type_code, "CERTIFICATE"),
        row("subject_code", c.subject_name or c.subject_code, "CERTIFICATE"),
        row("issuing_body", c.issuing_body, "CERTIFICATE"),
        row("issue_date", _date(c.issue_date, lang), "CERTIFICATE"),
        row("authority_code", view.authority_name, "AUTHORITY_AND_POINT"),
        row("teaching_stage_code", stages.get(view.teaching_stage_code, view.teaching_stage_code), "TEACHING"),
        row("teaching_subject_code", subjects.get(view.teaching_subject_code, view.teaching_subject_code),
            "TEACHING"),
        row("point_code", view.point.point_name, "POINT", "AUTHORITY_AND_POINT"),
        row("email", m.email, "CONTACT"),
        row("school", m.school, "MATERIALS"),
        row("post", m.post, "MATERIALS"),
        row("employment_start", _date(m.employment_start, lang), "MATERIALS"),
        row("work_history", "", "MATERIALS",
            lines=[f"{_date(w.start, lang)} – {_date(w.end, lang) or until} {w.school} {w.post}"
                   for w in m.work_history]),
        row("annual_assessments", "", "MATERIALS", lines=[f"{a.year}：{a.result}" for a in m.annual_assessments]),
        row("ethics_assessment", m.ethics_assessment, "MATERIALS"),
        row("continuing_education_hours", str(m.continuing_education_hours), "MATERIALS"),
    ]
