"""R-APP-7: staff correct an applicant's email, the account's and the application's copy.

Three calls, in an order where a refusal changes nothing: the application service finds the
application in the caller's scope (an application outside it is refused there); the identity
service, which believes only the signed actor and lets only authority and point staff, changes the
account's address, tells both addresses and audits; then the application's copy (the printed form)
follows, audited by the application service. No service calls another: the gateway carries the
applicant's account id from the first answer to the second call.
"""

from __future__ import annotations

from collections.abc import Sequence

from tqr.application.v1 import views_pb2 as views

from tqr_gateway.clients.staff_application import StaffApplicationClient
from tqr_gateway.clients.staff_identity import StaffIdentityClient
from tqr_gateway.flows.staff_rules import AUTHORITY_ADMIN, Problem
from tqr_gateway.vocabulary import Role

Metadata = Sequence[tuple[str, str | bytes]]
REASON_MAX = 500


def check_input(email: str, reason: str) -> list[Problem]:
    problems: list[Problem] = []
    if "@" not in email or len(email) > 254:
        problems.append(Problem("email", "请输入正确的电子邮箱，例如 name@example.cn",
                                "Enter a valid email address, like name@example.cn"))
    if not reason or len(reason) > REASON_MAX:
        problems.append(Problem("reason", f"请填写更正原因（不超过 {REASON_MAX} 个字）",
                                f"Give the reason for the correction (at most {REASON_MAX} characters)"))
    return problems


async def correct_email(applications: StaffApplicationClient, identity: StaffIdentityClient, application_id: str,
                        email: str, reason: str, *, role: Role, metadata: Metadata) -> views.ApplicationView:
    view = await applications.get(application_id, metadata=metadata)
    organisation = view.authority_name if role == AUTHORITY_ADMIN else (view.point.point_name or view.authority_name)
    await identity.correct_account_email(view.applicant_id, email, reason, application_number=view.application_number,
                                         organisation_name=organisation, metadata=metadata)
    return await applications.correct_email(application_id, email, reason, metadata=metadata)
