"""The applicant's draft, for the wizard's pages and the API alike: the first visit starts one."""

from __future__ import annotations

import grpc
from tqr.application.v1 import wizard_pb2 as wiz

from tqr_gateway.clients.application import ApplicationClient, applicant_identity
from tqr_gateway.clients.identity import IdentityClient
from tqr_gateway.deps import actor_metadata
from tqr_gateway.session import SessionInfo


async def draft_of(applications: ApplicationClient, identity: IdentityClient,
                   session: SessionInfo, *, with_photo: bool = False) -> wiz.DraftResponse:
    """The applicant's draft; the first visit starts one (refused unless real-name verified). The
    registry photo only ``with_photo``: the page that shows it asks (a new draft has none)."""
    md = actor_metadata(session)
    try:
        return await applications.get_draft(md, with_photo=with_photo)
    except grpc.aio.AioRpcError as exc:
        if exc.code() != grpc.StatusCode.NOT_FOUND:
            raise
    return await applications.start(await applicant_identity(identity, md), md)
