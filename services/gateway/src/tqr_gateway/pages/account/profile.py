"""The account home, the profile (R-ID-10) and support requests to staff (R-ID-10, R-ID-11)."""

from __future__ import annotations

from typing import Any

import grpc
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from tqr_gateway import vocabulary
from tqr_gateway.deps import Applicant, Identity, actor_metadata, optional_session
from tqr_gateway.pages.account import support_anonymous
from tqr_gateway.pages.account.common import FormErrors, form_errors, refusal_of, t
from tqr_gateway.pages.account.real_name import read_photos
from tqr_gateway.web.templating import render

router = APIRouter()

LONG_TERM = "LONG_TERM"
SUPPORT_KINDS = ("CHANGE_CONTACT", "CORRECT_GENDER", "CORRECT_NAME")
# The 56 officially recognised ethnic groups, as the document shows them (R-ID-10).
ETHNICITIES = (
    "汉族 蒙古族 回族 藏族 维吾尔族 苗族 彝族 壮族 布依族 朝鲜族 满族 侗族 瑶族 白族 土家族 哈尼族 哈萨克族 傣族 "
    "黎族 傈僳族 佤族 畲族 高山族 拉祜族 水族 东乡族 纳西族 景颇族 柯尔克孜族 土族 达斡尔族 仫佬族 羌族 布朗族 "
    "撒拉族 毛南族 仡佬族 锡伯族 阿昌族 普米族 塔吉克族 怒族 乌孜别克族 俄罗斯族 鄂温克族 德昂族 保安族 裕固族 "
    "京族 塔塔尔族 独龙族 鄂伦春族 赫哲族 门巴族 珞巴族 基诺族"
).split()


@router.get("/account")
async def home(request: Request, identity: Identity, session: Applicant) -> Response:
    account = await identity.get_account(actor_metadata(session))
    return render(request, "account/home.html", {"account": account})


@router.get("/account/profile")
async def profile_page(request: Request, identity: Identity, session: Applicant) -> Response:
    account = await identity.get_account(actor_metadata(session))
    return render(request, "account/profile.html", {"account": account, "saved": request.query_params.get("saved")})


def _edit_context(account: Any, values: dict[str, str] | None = None) -> dict[str, Any]:
    current = values or {
        "ethnicity": account.ethnicity, "document_valid_from": account.document_valid_from,
        "document_valid_until": "" if account.document_valid_until == LONG_TERM else account.document_valid_until,
        "long_term": "1" if account.document_valid_until == LONG_TERM else "",
        "gender": vocabulary.gender_code(account.gender), "birth_date": account.birth_date,
    }
    return {"account": account, "values": current, "ethnicities": [{"value": e, "text": e} for e in ETHNICITIES]}


@router.get("/account/profile/edit")
async def edit_page(request: Request, identity: Identity, session: Applicant) -> Response:
    account = await identity.get_account(actor_metadata(session))
    return render(request, "account/profile_edit.html", _edit_context(account))


@router.post("/account/profile/edit")
async def save_profile(request: Request, identity: Identity, session: Applicant) -> Response:
    form = await request.form()
    # The email is not on this page: a new one needs the password and a code (R-ID-14, email.py).
    names = ("ethnicity", "document_valid_from", "document_valid_until", "long_term", "gender", "birth_date")
    values = {name: str(form.get(name) or "").strip() for name in names}
    metadata = actor_metadata(session)
    account = await identity.get_account(metadata)
    changes = {name: values[name] for name in ("ethnicity", "document_valid_from")
               if values[name] or getattr(account, name)}
    if values["long_term"] == "1":
        changes["document_valid_until"] = LONG_TERM
    elif values["document_valid_until"] or account.document_valid_until:
        changes["document_valid_until"] = values["document_valid_until"]
    if account.may_edit_gender_and_birth_date:
        changes.update({name: values[name] for name in ("gender", "birth_date")})
    try:
        await identity.update_profile(metadata, changes)
    except grpc.aio.AioRpcError as exc:
        found = form_errors(request, refusal_of(exc), fallback_field="ethnicity")
        return render(request, "account/profile_edit.html", {**_edit_context(account, values), **found.context()},
                      status_code=422)
    return RedirectResponse("/account/profile?saved=1", status_code=303)


def _support_context(request: Request, values: dict[str, str] | None = None) -> dict[str, Any]:
    kinds = [{"value": k, "text": t(request, f"account.support.kind_{k}"),
              "hint": t(request, f"account.support.kind_{k}_hint")} for k in SUPPORT_KINDS]
    codes = [vocabulary.gender_code(g) for g in vocabulary.GENDERS]
    genders = [{"value": code, "text": t(request, f"gender.{code}")} for code in codes]
    return {"values": values or {"kind": request.query_params.get("kind", "")}, "kinds": kinds, "genders": genders}


@router.get("/account/support")
async def support_page(request: Request, identity: Identity) -> Response:
    session = optional_session(request)
    if session is None or session.kind != "applicant":  # R-ID-11: people who cannot sign in ask here too
        return await support_anonymous.support_form(request, identity)
    return render(request, "account/support.html", _support_context(request))


@router.post("/account/support")
async def create_support_request(request: Request, identity: Identity, session: Applicant) -> Response:
    form = await request.form()
    names = ("kind", "requested_name", "requested_gender", "requested_email", "requested_mobile", "explanation")
    values = {name: str(form.get(name) or "").strip() for name in names}
    found = FormErrors()
    if values["kind"] not in SUPPORT_KINDS:
        found.add("kind", t(request, "account.support.choose_kind"))
    photos = await read_photos(request, form, ("photo",), ("photo",), found)
    if not found:
        try:
            created = await identity.create_support_request(
                actor_metadata(session), photos=photos, **values)
        except grpc.aio.AioRpcError as exc:
            found = form_errors(request, refusal_of(exc), fields={"photos": "photo"}, fallback_field="kind")
        else:
            return render(request, "account/support_sent.html", {"created": created})
    return render(request, "account/support.html", {**_support_context(request, values), **found.context()},
                  status_code=422)
