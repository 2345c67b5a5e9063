"""Pages of the account area: registration, sign-in and sign-out (applicants and staff), passwords,
real-name verification, the profile, the email change and support requests."""

from fastapi import APIRouter

from tqr_gateway.pages.account import (
    email,
    password,
    profile,
    real_name,
    register,
    session_time,
    sign_in,
    staff_enrol,
    support_anonymous,
)

router = APIRouter(include_in_schema=False)
for part in (register.router, sign_in.router, password.router, real_name.router, profile.router, email.router,
             support_anonymous.router, session_time.router, staff_enrol.router):
    router.include_router(part)

__all__ = ["router"]
