"""R-STAFF-2: is a scanned form code genuine, which application does it name, is the printout current?"""

from __future__ import annotations

from dataclasses import dataclass

from servicekit.errors import NotFound

from tqr_documents.domain.access import STAFF_ROLES, Caller, Role, refuse_role
from tqr_documents.domain.form_code import FormCodeRejected, form_version_of
from tqr_documents.service_layer.context import DocumentsContext

MAY_VERIFY = STAFF_ROLES | {Role.SYSTEM}


@dataclass(frozen=True)
class FormCodeCheck:
    genuine: bool
    application_number: str = ""
    form_version: str = ""
    application_id: str = ""
    current: bool = False


async def verify_form_code(ctx: DocumentsContext, caller: Caller, code: str) -> FormCodeCheck:
    """An altered or forged code is an answer (genuine = False), not an error: staff then search by
    application or document number instead."""
    if caller.role not in MAY_VERIFY:
        raise refuse_role()
    try:
        verified = ctx.signer.verify(code)
    except FormCodeRejected:
        return FormCodeCheck(genuine=False)
    try:
        snapshot = await ctx.source.form_data(application_number=verified.application_number)
    except NotFound:
        return FormCodeCheck(True, verified.application_number, verified.form_version)
    return FormCodeCheck(
        genuine=True,
        application_number=verified.application_number,
        form_version=verified.form_version,
        application_id=snapshot.application_id,
        current=form_version_of(snapshot.form) == verified.form_version,
    )
