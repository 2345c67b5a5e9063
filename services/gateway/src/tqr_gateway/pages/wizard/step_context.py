"""What each step's page shows besides the answers: code lists, authorities, points, the photo."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import grpc
from fastapi import Request
from google.protobuf.timestamp_pb2 import Timestamp
from tqr.application.v1 import views_pb2 as views
from tqr.application.v1 import wizard_pb2 as wiz

from tqr_gateway.clients.application import ApplicationClient
from tqr_gateway.clients.reference_memory import ReferenceAt
from tqr_gateway.clients.workflow_rules import WorkflowRules
from tqr_gateway.flows.school_area import covering, school_area
from tqr_gateway.pages.wizard import forms
from tqr_gateway.web.catalogue import translate
from tqr_gateway.web.formatting import format_datetime
from tqr_gateway.web.language import language_of


def when(ts: Timestamp) -> datetime | None:
    """A proto Timestamp as an aware datetime; None when unset."""
    if ts.seconds == 0 and ts.nanos == 0:
        return None
    return ts.ToDatetime(tzinfo=UTC)


def photo_data_uri(photo: bytes) -> str:
    """The registry photo inline (CSP allows data: images); JPEG unless it says PNG."""
    if not photo:
        return ""
    kind = "image/png" if photo.startswith(b"\x89PNG") else "image/jpeg"
    return f"data:{kind};base64,{base64.b64encode(photo).decode()}"


def options(pairs: Any) -> list[dict[str, str]]:
    return [{"value": p.code, "text": p.name} for p in pairs]


def online_window(plans: list[views.Plan], now: datetime) -> views.Plan | None:
    """The plan whose online window an applicant of this authority meets next: the open one, else
    the soonest to open, else the last one that closed (its confirmation may still be running)."""
    if not plans:
        return None
    open_or_coming = [p for p in plans if (when(p.online_end) or now) >= now]
    if open_or_coming:
        return min(open_or_coming, key=lambda p: when(p.online_start) or now)
    return max(plans, key=lambda p: when(p.online_end) or now)


def window_text(lang: str, plan: views.Plan | None, now: datetime) -> str:
    """``网上申报：2026年3月1日 09:00 至 …`` in China time, as the home page promises it."""
    if plan is None:
        return translate(lang, "wizard.certificate.window_none")
    start, end = when(plan.online_start), when(plan.online_end)
    key = "wizard.certificate.window_closed" if end is not None and end < now else "wizard.certificate.window"
    return translate(lang, key, start=format_datetime(start, lang), end=format_datetime(end, lang))


@dataclass(frozen=True)
class _WindowTexts:
    """Window texts worked out from one list of plans, in one language, and how long they hold."""

    plans: list[views.Plan]  # the list remembered at a reference version (compared by identity)
    until: datetime | None  # the first online window to end after they were worked out; None: none ends
    texts: dict[str, str]

    def hold(self, plans: list[views.Plan], now: datetime) -> bool:
        return plans is self.plans and (self.until is None or now < self.until)


# By language. Which plan an authority's applicants meet next, and whether its window is over,
# change only when a window ends; the texts are the same for every page until then.
_window_texts: dict[str, _WindowTexts] = {}


async def authority_windows(request: Request, reference: ReferenceAt, now: datetime) -> dict[str, str]:
    """authority code → its online window's text; the page still works when plans cannot be read.
    Worked out again only when the remembered plans or the language change, or a window ends."""
    try:
        plans = await reference.current_plans()
    except grpc.aio.AioRpcError:
        return {}
    lang = language_of(request)
    found = _window_texts.get(lang)
    if found is not None and found.hold(plans, now):
        return found.texts
    by_authority: dict[str, list[views.Plan]] = {}
    for plan in plans:
        by_authority.setdefault(plan.authority_code, []).append(plan)
    texts = {code: window_text(lang, online_window(of, now), now) for code, of in by_authority.items()}
    ends = [end for end in (when(p.online_end) for p in plans) if end is not None and end >= now]
    _window_texts[lang] = _WindowTexts(plans, min(ends, default=None), texts)
    return texts


async def certificate_context(request: Request, client: ApplicationClient, draft: wiz.Draft,
                              values: dict[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """Step 4: code lists in the reference data's order; where the school is (province → city →
    county, or a search) and the authority covering it, suggested and preselected (issue 19 item
    18); authorities (filtered by name) each with its online window; the photo. Reference answers
    come from what the gateway remembers at the draft's reference version, where it does."""
    reference = client.reference_at(draft.reference_version)
    codes = await reference.code_lists()
    if values.get("school_match"):
        values["area_search"] = ""  # a match was chosen: the search is done
    area = await school_area(reference, province=values.get("school_province", ""), city=values.get("school_city", ""),
                             county=values.get("school_county", ""), search=values.get("area_search", ""),
                             match=values.get("school_match", ""))
    values.update(school_province=area.province, school_city=area.city, school_county=area.county,
                  school_match="")
    authorities = await reference.list_authorities("")
    # A place is chosen down to its county (or to a city that has none, like 东莞市).
    area_chosen = bool(area.county) or (bool(area.city) and not area.counties)
    suggested = covering(authorities, area.region) if area_chosen else []
    if suggested and values.get("authority_code", "") in ("", values.get("suggested_code", "")):
        # Offered, never forced: preselected unless the person chose another; the list stays open.
        values["authority_code"] = suggested[0].code
    values["suggested_code"] = suggested[0].code if suggested else ""
    search = values.get("authority_search", "")
    chosen = values.get("authority_code", "")
    keep = {chosen} | {a.code for a in suggested}
    shown = [a for a in authorities if not search or search in a.name or search in a.code or a.code in keep]
    windows = await authority_windows(request, reference, now or datetime.now(UTC))
    no_plan = translate(language_of(request), "wizard.certificate.window_none")
    if values.get("teaching_subject_code") not in {s.code for s in codes.subjects}:
        values["teaching_subject_code"] = ""  # a certificate subject the list lacks preselects nothing
    return {
        "certificate_types": options(codes.certificate_types),
        "subjects": options(codes.subjects),
        "stages": options(codes.teaching_stages),
        "missing_subject_hint": codes.missing_subject_hint_en if _en(request) else codes.missing_subject_hint_zh,
        **area.context(),
        "area_chosen": area_chosen,
        "suggested": [{"name": a.name, "window": windows.get(a.code, no_plan)} for a in suggested],
        "authorities": [{"value": a.code, "text": f"{a.name}（{windows.get(a.code, no_plan)}）"} for a in shown],
        "authority_windows": [{"name": a.name, "window": windows.get(a.code, no_plan)} for a in shown],
        "locked": draft.certificate.locked,
        "certificate": draft.certificate,
        "photo": photo_data_uri(draft.registry_photo) if draft.certificate.has_photo or draft.registry_photo else "",
        "needs_gender": not draft.certificate.locked or not draft.certificate.gender,
        "needs_birth_date": not draft.certificate.locked or not draft.certificate.birth_date,
    }


def point_items(plan: views.Plan, now: datetime | None = None, slots: Any = (),
                lang: str = "zh") -> list[dict[str, Any]]:
    """Step 5: every point of the plan with its confirmation window and scope (R-WIZ-5), and the
    appointment slots of the points that publish them (R-SLOT-1).

    ``closed`` marks a point whose confirmation window has ended: the page lists it apart, not as a
    choice, because an application tied to it could never be confirmed (the service refuses it too).
    """
    now = now or datetime.now(UTC)
    items = []
    for p in plan.points:
        end = when(p.confirm_end)
        items.append({
            "value": p.point_code, "name": p.point_name, "address": p.address, "phone": p.phone, "scope": p.scope,
            "start": when(p.confirm_start), "end": end, "closed": end is not None and end < now,
            "slots": [slot_item(s, lang) for s in slots if s.point_code == p.point_code],
        })
    return items


def slot_label(slot: Any, lang: str) -> str:
    """``3月12日 星期四 09:00–10:00`` / ``Thu 12 Mar 2026, 09:00–10:00`` (Beijing time, as published)."""
    try:
        day = datetime.fromisoformat(slot.date)
    except ValueError:
        return f"{slot.date} {slot.start_time}–{slot.end_time}"
    if lang == "en":
        return f"{day:%a} {day.day} {day:%b %Y}, {slot.start_time}–{slot.end_time}"
    weekday = "一二三四五六日"[day.weekday()]
    return f"{day.year}年{day.month}月{day.day}日 星期{weekday} {slot.start_time}–{slot.end_time}"


def booking_label(booking: Any, lang: str, cancelled_note: str) -> str:
    """A booked slot's label; ``cancelled_note`` in brackets after it when the point cancelled the
    slot (R-SLOT-3). ``booking``: a SlotBooking."""
    label = slot_label(booking.slot, lang)
    if not booking.needs_rebooking:
        return label
    return f"{label} ({cancelled_note})" if lang == "en" else f"{label}（{cancelled_note}）"


def slot_item(slot: Any, lang: str) -> dict[str, Any]:
    """One slot as a choice: its label, places left, and why it cannot be chosen (full, closed)."""
    left = max(0, int(slot.capacity) - int(slot.booked))
    state = "" if slot.bookable else ("full" if left == 0 else "closed")
    return {"value": slot.slot_id, "label": slot_label(slot, lang), "left": left, "state": state,
            "cutoff": when(slot.cutoff_at)}


def assessment_years_of(rules: WorkflowRules) -> list[int]:
    return forms.assessment_years(rules.cycle_years)


def materials_context(years: list[int], rules: WorkflowRules) -> dict[str, Any]:
    return {
        "years": years,
        "annual_results": [{"value": r, "text": r} for r in rules.annual_assessment_results],
        "ethics_results": [{"value": r, "text": r} for r in rules.ethics_assessment_results],
    }


def _en(request: Request) -> bool:
    return language_of(request) == "en"
