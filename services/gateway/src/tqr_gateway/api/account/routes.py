"""The account API: human checks, codes, registration, sessions, profile, passwords, real-name
verification, manual review and support requests. Refusals from the identity service become
problem documents with the rule id (the app's AioRpcError handler); input the gateway itself checks
(photos) is refused the same way."""

from __future__ import annotations

from typing import Literal

from fastapi import Depends, File, Form, Request, Response, UploadFile
from fastapi.responses import JSONResponse
from servicekit.errors import FieldProblem

from tqr_gateway import vocabulary
from tqr_gateway.api.account import models as m
from tqr_gateway.api.problems import IDENTITY_REFUSALS, api_router
from tqr_gateway.clients.identity import IdentityClient, Photo, registration
from tqr_gateway.deps import (
    Applicant,
    Identity,
    Settings,
    actor_metadata,
    clear_session_cookie,
    optional_session,
    set_session_cookie,
)
from tqr_gateway.flows.photos import MAX_PHOTO_BYTES, photo_type
from tqr_gateway.security.client_address import client_address
from tqr_gateway.security.csrf import csrf_token_of
from tqr_gateway.security.ratelimit import RateLimit
from tqr_gateway.security.refusals import Refusal, problem_response
from tqr_gateway.session import SessionInfo
from tqr_gateway.web.language import language_of

router = api_router("/api/v1/account", "account", IDENTITY_REFUSALS)



def client_id(request: Request) -> str:
    return client_address(request)


def _problem(request: Request, code: str, field: str, zh: str, en: str) -> JSONResponse:
    """A field the gateway itself refuses (a photo), in the shape of a service's InvalidInput."""
    return problem_response(request, Refusal(422, code, zh, en), [FieldProblem(field, code, zh, en)])


@router.get("/csrf-token", response_model=m.CsrfToken)
async def csrf_token(request: Request) -> m.CsrfToken:
    """The token to send as X-CSRF-Token; it is bound to the session cookie, so fetch it again after sign-in."""
    return m.CsrfToken(csrf_token=csrf_token_of(request))


@router.post("/human-checks", response_model=m.HumanCheck)
async def issue_human_check(request: Request, identity: Identity, body: m.HumanCheckRequest) -> m.HumanCheck:
    """R-ID-5: a slider puzzle, or for people who cannot drag, a short word problem; limited per client."""
    reply = await identity.issue_human_check(body.kind, language_of(request), client_id(request))
    return m.HumanCheck.of(body.kind, reply)


@router.post("/human-checks/{challenge_id}/answer", response_model=m.HumanPass)
async def answer_human_check(request: Request, identity: Identity, challenge_id: str,
                             body: m.HumanCheckAnswer) -> m.HumanPass:
    token = await identity.answer_human_check(challenge_id, body.answer, body.kind)
    return m.HumanPass(passed=bool(token), pass_token=token)


@router.get("/registration-options", response_model=m.RegistrationOptions)
async def registration_options(request: Request, identity: Identity) -> m.RegistrationOptions:
    reply = await identity.registration_options()
    return m.RegistrationOptions(
        document_types=[m.DocumentTypeOption(code=vocabulary.document_type_code(o.code),
                                             label_zh=o.label_zh, label_en=o.label_en,
                                             format_hint_zh=o.format_hint_zh, format_hint_en=o.format_hint_en)
                        for o in reply.document_types],
        agreement_version=reply.agreement_version, password_special_characters=reply.password_special_characters)


@router.post("/verification-codes", response_model=m.CodeSent,
             dependencies=[Depends(RateLimit("verification-code", limit=10, window_seconds=600))])
async def request_code(request: Request, identity: Identity, body: m.CodeRequest) -> m.CodeSent:
    """R-ID-6: a registration code to the mobile, after a human check."""
    reply = await identity.request_registration_code(
        pass_token=body.pass_token, mobile=body.mobile, channel=body.channel, client_id=client_id(request))
    return m.CodeSent.of(reply)


@router.post("/registrations", response_model=m.Registered, status_code=201,
             dependencies=[Depends(RateLimit("register", limit=30, window_seconds=600))])
async def register(request: Request, identity: Identity, response: Response, body: m.Registration,
                   settings: Settings) -> m.Registered:
    """R-ID-1..7. Signed in at once when the identity service returns a session with the account."""
    reply = await identity.register(registration(body.model_dump()))
    token = getattr(reply, "session_token", "")
    if token:
        set_session_cookie(response, token, settings)
    return m.Registered(account_id=reply.account_id, masked_document_number=reply.masked_document_number,
                        signed_in=bool(token))


async def _rotate(identity: IdentityClient, session: SessionInfo | None) -> None:
    if session is not None:
        await identity.sign_out(session.token)


@router.post("/sessions", response_model=m.SignedIn, status_code=201,
             dependencies=[Depends(RateLimit("login", limit=20, window_seconds=300))])
async def sign_in(request: Request, identity: Identity, response: Response, body: m.SignInRequest,
                  settings: Settings) -> m.SignedIn:
    """R-ID-8: the session cookie is set on the response; a failure says only "登录失败"."""
    signed = await identity.sign_in(document_type=body.document_type, document_number=body.document_number,
                                             password=body.password, pass_token=body.pass_token,
                                             client_id=client_id(request))
    await _rotate(identity, optional_session(request))
    set_session_cookie(response, signed.session_token, settings)
    return m.SignedIn(subject_id=signed.subject_id, kind=signed.kind,
                      roles=[vocabulary.role_code(r) for r in signed.roles])


@router.post("/staff-sessions", response_model=m.SignedIn, status_code=201,
             dependencies=[Depends(RateLimit("staff-login", limit=20, window_seconds=300))])
async def staff_sign_in(request: Request, identity: Identity, response: Response, body: m.StaffSignInRequest,
                        settings: Settings) -> m.SignedIn:
    signed = await identity.staff_sign_in(username=body.username, password=body.password,
                                                   totp_code=body.totp_code, client_id=client_id(request))
    await _rotate(identity, optional_session(request))
    set_session_cookie(response, signed.session_token, settings)
    return m.SignedIn(subject_id=signed.subject_id, kind=signed.kind,
                      roles=[vocabulary.role_code(r) for r in signed.roles])


@router.delete("/sessions/current", status_code=204)
async def sign_out(request: Request, identity: Identity, settings: Settings) -> Response:
    """R-ID-12: the session ends on the server, and the cookie is removed."""
    session = optional_session(request)
    if session is not None:
        await identity.sign_out(session.token)
    response = Response(status_code=204)
    clear_session_cookie(response, settings)
    return response


@router.get("/me", response_model=m.Account)
async def me(request: Request, session: Applicant, identity: Identity) -> m.Account:
    return m.Account.of(await identity.get_account(actor_metadata(session)))


@router.patch("/profile", response_model=m.Account)
async def update_profile(request: Request, session: Applicant, identity: Identity, body: m.ProfileChanges) -> m.Account:
    """R-ID-10: only the fields given change; the name changes only through real-name verification."""
    changes = body.model_dump(exclude_none=True)
    return m.Account.of(await identity.update_profile(actor_metadata(session), changes))


@router.post("/email-changes", response_model=m.CodeSent, status_code=202,
             dependencies=[Depends(RateLimit("email-change", limit=10, window_seconds=600))])
async def request_email_change(request: Request, session: Applicant, identity: Identity,
                               body: m.EmailChangeRequest) -> Response:
    """R-ID-14: the current password, then a code to the new address (confirm it below)."""
    reply = await identity.request_email_change(
        actor_metadata(session), new_email=body.new_email, current_password=body.current_password,
        client_id=client_id(request))
    return JSONResponse(m.CodeSent.of(reply).model_dump(), status_code=202)


@router.post("/email-changes/confirm", response_model=m.Account,
             dependencies=[Depends(RateLimit("email-change", limit=10, window_seconds=600))])
async def confirm_email_change(request: Request, session: Applicant, identity: Identity,
                               body: m.EmailChangeConfirmation) -> m.Account:
    """R-ID-14: the code makes the new address the account's; the old address is told."""
    return m.Account.of(await identity.confirm_email_change(
        actor_metadata(session), new_email=body.new_email, code=body.code))


@router.post("/password", response_model=m.SessionsEnded)
async def change_password(request: Request, session: Applicant, identity: Identity,
                          body: m.PasswordChange) -> m.SessionsEnded:
    """R-ID-3, R-ID-12: every other session ends; this one stays."""
    ended = await identity.change_password(
        actor_metadata(session), current_password=body.current_password, password=body.password,
        password_confirm=body.password_confirm, session_token=session.token)
    return m.SessionsEnded(sessions_ended=ended)


@router.post("/password-resets", response_model=m.CodeSent,
             dependencies=[Depends(RateLimit("password-reset", limit=10, window_seconds=600))])
async def request_password_reset(request: Request, identity: Identity, body: m.PasswordResetRequest) -> m.CodeSent:
    """R-ID-11: a code to the registered mobile or email, after a human check. R-ID-15: the answer is the
    same whether or not the document is registered, and names no contact."""
    reply = await identity.request_password_reset(
        document_type=body.document_type, document_number=body.document_number, channel=body.channel,
        pass_token=body.pass_token, client_id=client_id(request))
    return m.CodeSent.of(reply)


@router.post("/password-resets/confirm", response_model=m.SessionsEnded,
             dependencies=[Depends(RateLimit("password-reset", limit=10, window_seconds=600))])
async def reset_password(request: Request, identity: Identity, body: m.PasswordReset, settings: Settings) -> Response:
    ended = await identity.reset_password(
        document_type=body.document_type, document_number=body.document_number, channel=body.channel,
        code=body.code, password=body.password, password_confirm=body.password_confirm,
        client_id=client_id(request))
    response = JSONResponse(m.SessionsEnded(sessions_ended=ended).model_dump())
    clear_session_cookie(response, settings)
    return response


@router.post("/real-name", response_model=m.RealNameOutcome)
async def verify_real_name(request: Request, session: Applicant, identity: Identity,
                           body: m.RealNameRequest) -> m.RealNameOutcome:
    """R-ID-9: check type, number and name with the identity authority (optionally a corrected name)."""
    reply = await identity.verify_real_name(actor_metadata(session), body.corrected_name.strip())
    return m.RealNameOutcome(verified=reply.verified, real_name_status=reply.real_name_status,
                             message_zh=reply.message_zh, message_en=reply.message_en, name=reply.name)


async def _photos(request: Request, uploads: dict[str, UploadFile | None]) -> list[Photo] | JSONResponse:
    photos: list[Photo] = []
    for side, upload in uploads.items():
        if upload is None:
            continue
        content = await upload.read(MAX_PHOTO_BYTES + 1)
        if len(content) > MAX_PHOTO_BYTES or not photo_type(content):
            return _problem(request, "PHOTO_INVALID", side, "照片须为 JPG 或 PNG 格式，且不超过 3 MB",
                            "A photo must be a JPG or PNG of at most 3 MB")
        photos.append(Photo(f"{side}.{'png' if photo_type(content) == 'image/png' else 'jpg'}", content))
    return photos


@router.post("/manual-review", response_model=m.ManualReviewCase, status_code=201)
async def request_manual_review(request: Request, session: Applicant, identity: Identity,
                                photo_front: UploadFile = File(...),
                                photo_back: UploadFile = File(...), note: str = Form("")) -> Response:
    """R-ID-9: photos of both sides of the document (JPEG/PNG, 3 MB each); answers the expected date."""
    photos = await _photos(request, {"photo_front": photo_front, "photo_back": photo_back})
    if isinstance(photos, JSONResponse):
        return photos
    case = await identity.request_manual_review(actor_metadata(session), photos, note.strip()[:500])
    body = m.ManualReviewCase(case_id=case.case_id, status=vocabulary.review_status_code(case.status),
                              submitted_at=case.submitted_at,
                              due_date=case.due_date, decision_reason=case.decision_reason)
    return JSONResponse(body.model_dump(), status_code=201)


@router.post("/support-requests", response_model=m.SupportRequestCreated, status_code=201)
async def create_support_request(
    request: Request, session: Applicant, identity: Identity, kind: Literal["CHANGE_CONTACT", "CORRECT_NAME",
                                                                            "CORRECT_GENDER"] = Form(...),
    photo: UploadFile = File(...), requested_name: str = Form(""), requested_gender: str = Form(""),
    requested_email: str = Form(""), requested_mobile: str = Form(""), explanation: str = Form(""),
) -> Response:
    """R-ID-10, R-ID-11: lost mobile/email, wrong gender, garbled name, with a photo of the document."""
    photos = await _photos(request, {"photo": photo})
    if isinstance(photos, JSONResponse):
        return photos
    created = await identity.create_support_request(
        actor_metadata(session), kind=kind, photos=photos, requested_name=requested_name,
        requested_gender=requested_gender, requested_email=requested_email, requested_mobile=requested_mobile,
        explanation=explanation)
    body = m.SupportRequestCreated(request_id=created.request_id, kind=created.kind,
                                   status=vocabulary.review_status_code(created.status),
                                   created_at=created.created_at)
    return JSONResponse(body.model_dump(), status_code=201)


@router.post("/support-requests/anonymous", response_model=m.SupportRequestReceived, status_code=202,
             dependencies=[Depends(RateLimit("support-without-sign-in", limit=10, window_seconds=3600))])
async def create_support_request_without_sign_in(
    request: Request, identity: Identity, document_type: str = Form(...), document_number: str = Form(...),
    name: str = Form(...),
    pass_token: str = Form(...), photo: UploadFile = File(...), requested_mobile: str = Form(""),
    requested_email: str = Form(""), explanation: str = Form(""),
) -> Response:
    """R-ID-11, for people who cannot sign in: new mobile and/or email with a photo of the document, after a
    human check. The answer is the same whether or not the document is registered."""
    photos = await _photos(request, {"photo": photo})
    if isinstance(photos, JSONResponse):
        return photos
    receipt = await identity.create_support_request_without_sign_in(
        document_type=document_type, document_number=document_number, name=name, pass_token=pass_token,
        client_id=client_id(request), photos=photos, requested_mobile=requested_mobile,
        requested_email=requested_email, explanation=explanation)
    body = m.SupportRequestReceived(received=receipt.received, working_days=receipt.working_days,
                                    answer_by=receipt.answer_by, message_zh=receipt.message_zh,
                                    message_en=receipt.message_en)
    return JSONResponse(body.model_dump(), status_code=202)
