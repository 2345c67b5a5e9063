"""Form fields ↔ the wizard's step messages. The service checks every value; this module only moves
them between the browser's names (dates as year/month/day boxes, rows numbered) and the contract.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wiz

from tqr_gateway import vocabulary

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_HISTORY_ROWS = 10

Form = Mapping[str, Any]


def assessment_years(cycle_years: int, now: datetime | None = None) -> list[int]:
    """The whole calendar years of the cycle before this one (Beijing time), as the service asks for;
    ``cycle_years`` is the service's (WorkflowRules.cycle_years)."""
    year = (now or datetime.now(SHANGHAI)).astimezone(SHANGHAI).year
    return list(range(year - cycle_years, year))


def text(form: Form, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def date_parts(iso: str) -> dict[str, str]:
    """``2021-09-01`` → {year, month, day} for the three boxes (empty strings when not set)."""
    parts = iso.split("-") if iso else []
    if len(parts) != 3:
        return {"year": "", "month": "", "day": ""}
    return {"year": parts[0], "month": parts[1].lstrip("0"), "day": parts[2].lstrip("0")}


def date_from_form(form: Form, name: str) -> tuple[str, dict[str, str]]:
    """(the ISO date the service gets, the boxes as typed). Partly filled or non-numeric boxes are
    passed on as typed so the service names the problem; all empty gives ""."""
    typed = {part: text(form, f"{name}-{part}") for part in ("year", "month", "day")}
    if not any(typed.values()):
        return "", typed
    if all(v.isdigit() for v in typed.values()):
        return f"{int(typed['year']):04d}-{int(typed['month']):02d}-{int(typed['day']):02d}", typed
    return "-".join(typed.values()), typed


# --- step 4 ---------------------------------------------------------------------------------------

DETAIL_TEXTS = ("holder_name", "certificate_type_code", "subject_code", "issuing_body", "authority_code",
                "teaching_stage_code", "teaching_subject_code", "gender")


def details_from_form(form: Form) -> tuple[wiz.CertificateDetailsStep, dict[str, Any]]:
    values: dict[str, Any] = {name: text(form, name) for name in DETAIL_TEXTS}
    issue_date, values["issue_date"] = date_from_form(form, "issue_date")
    birth_date, values["birth_date"] = date_from_form(form, "birth_date")
    for name in ("school_province", "school_city", "school_county", "area_search", "school_match",
                 "suggested_code", "authority_search"):
        values[name] = text(form, name)
    step = wiz.CertificateDetailsStep(
        **{name: values[name] for name in DETAIL_TEXTS if name != "gender"}, issue_date=issue_date,
        birth_date=birth_date, gender=vocabulary.gender_of_letter(values["gender"]))
    return step, values


def details_from_draft(draft: wiz.Draft) -> dict[str, Any]:
    c = draft.certificate
    return {
        "holder_name": c.holder_name or draft.applicant_name, "certificate_type_code": c.certificate_type_code,
        "subject_code": c.subject_code, "issuing_body": c.issuing_body, "issue_date": date_parts(c.issue_date),
        "gender": vocabulary.gender_letter(c.gender), "birth_date": date_parts(c.birth_date),
        "authority_code": draft.authority_code, "teaching_stage_code": draft.teaching_stage_code,
        # Most teachers teach the subject their certificate names: offered until they choose another.
        "teaching_subject_code": draft.teaching_subject_code or c.subject_code,
        "school_province": "", "school_city": "", "school_county": "", "area_search": "", "school_match": "",
        "suggested_code": "", "authority_search": "",
    }


# --- step 7 ---------------------------------------------------------------------------------------


def _history_row(form: Form, index: int) -> tuple[views.WorkHistoryEntry, dict[str, Any]]:
    prefix = f"work_history-{index}"
    start, start_typed = date_from_form(form, f"{prefix}-start")
    end, end_typed = date_from_form(form, f"{prefix}-end")
    school, post = text(form, f"{prefix}-school"), text(form, f"{prefix}-post")
    entry = views.WorkHistoryEntry(start=start, end=end, school=school, post=post)
    return entry, {"start": start_typed, "end": end_typed, "school": school, "post": post}


def row_count(form: Form) -> int:
    raw = text(form, "rows")
    count = int(raw) if raw.isdigit() else 1
    return max(1, min(count, MAX_HISTORY_ROWS))


def materials_from_form(form: Form, years: list[int]) -> tuple[views.Materials, dict[str, Any]]:
    """The whole materials section; empty trailing rows of the history are left out."""
    rows = [_history_row(form, i)[1] for i in range(row_count(form))]
    _, employment_typed = date_from_form(form, "employment_start")
    values: dict[str, Any] = {
        "email": text(form, "email"), "school": text(form, "school"), "post": text(form, "post"),
        "employment_start": employment_typed, "history": rows,
        "assessments": {year: text(form, f"assessment-{year}") for year in years},
        "ethics_assessment": text(form, "ethics_assessment"),
        "continuing_education_hours": text(form, "continuing_education_hours"),
    }
    return materials_message(values, years), values


def _typed_date(typed: Mapping[str, str]) -> str:
    """The boxes as typed → what the service gets (as ``date_from_form`` does)."""
    return date_from_form({f"d-{part}": typed.get(part, "") for part in ("year", "month", "day")}, "d")[0]


def materials_message(values: Mapping[str, Any], years: list[int]) -> views.Materials:
    """The section as the service takes it, from the form's values (typed or from the draft)."""
    entries = [views.WorkHistoryEntry(start=_typed_date(row["start"]), end=_typed_date(row["end"]),
                                      school=row["school"], post=row["post"]) for row in values["history"]]
    while len(entries) > 1 and not any((entries[-1].start, entries[-1].end, entries[-1].school, entries[-1].post)):
        entries.pop()
    hours = str(values["continuing_education_hours"] or "").strip()
    return views.Materials(
        email=values["email"], school=values["school"], post=values["post"],
        employment_start=_typed_date(values["employment_start"]), work_history=entries,
        annual_assessments=[views.AnnualAssessment(year=y, result=values["assessments"].get(y, "")) for y in years],
        ethics_assessment=values["ethics_assessment"],
        continuing_education_hours=int(hours) if hours.isdigit() else -1,
    )


# Step 7 is asked over four pages of one topic each (UI.md); each owns these parts of the values.
MATERIALS_PARTS: dict[str, tuple[str, ...]] = {
    "contact": ("email", "school", "post", "employment_start"),
    "history": ("history",),
    "assessments": ("assessments",),
    "ethics": ("ethics_assessment", "continuing_education_hours"),
}


def part_of_key(key: str) -> str:
    """The page (part) an input's key (as ``common.form_key`` gives it) belongs to; "" for none."""
    if key == "work_history" or key.startswith("work_history-"):
        return "history"
    if key == "annual_assessments" or key.startswith("assessment-"):
        return "assessments"
    for part, names in MATERIALS_PARTS.items():
        if key in names:
            return part
    return ""


def with_part(base: Mapping[str, Any], source: Mapping[str, Any], part: str) -> dict[str, Any]:
    """``base`` with one page's values taken from ``source``."""
    merged = dict(base)
    for name in MATERIALS_PARTS[part]:
        merged[name] = source[name]
    return merged


def materials_from_draft(draft: wiz.Draft, years: list[int], default_email: str = "") -> dict[str, Any]:
    return materials_values(draft.materials, draft.HasField("materials"), years, default_email)


def materials_values(m: views.Materials, saved: bool, years: list[int], default_email: str = "") -> dict[str, Any]:
    """The form's values from saved materials (a draft's or a submitted application's)."""
    history = [{"start": date_parts(w.start), "end": date_parts(w.end), "school": w.school, "post": w.post}
               for w in m.work_history]
    results = {a.year: a.result for a in m.annual_assessments}
    return {
        "email": m.email or default_email, "school": m.school, "post": m.post,
        "employment_start": date_parts(m.employment_start),
        "history": history or [_empty_row()],
        "assessments": {year: results.get(year, "") for year in years},
        "ethics_assessment": m.ethics_assessment,
        "continuing_education_hours": str(m.continuing_education_hours) if saved else "",
    }


def _empty_row() -> dict[str, Any]:
    return {"start": date_parts(""), "end": date_parts(""), "school": "", "post": ""}


def change_rows(values: dict[str, Any], action: str) -> bool:
    """"添加一行" / "删除第 N 行" without JavaScript: change the rows, save nothing. True if handled."""
    history: list[dict[str, Any]] = values["history"]
    if action == "add_row":
        if len(history) < MAX_HISTORY_ROWS:
            history.append(_empty_row())
        return True
    if action.startswith("remove_row_") and action.removeprefix("remove_row_").isdigit():
        index = int(action.removeprefix("remove_row_"))
        if 0 <= index < len(history) and len(history) > 1:
            history.pop(index)
        return True
    return False
