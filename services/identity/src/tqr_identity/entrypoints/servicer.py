"""The gRPC servicer of tqr.identity.v1.IdentityService: each RPC maps its request to one handler."""

from __future__ import annotations

from tqr.identity.v1 import identity_pb2_grpc

from tqr_identity.entrypoints.account_rpcs import AccountRpcs
from tqr_identity.entrypoints.public_rpcs import PublicRpcs
from tqr_identity.entrypoints.staff_rpcs import StaffRpcs
from tqr_identity.service_layer.context import IdentityContext


class IdentityServicer(PublicRpcs, AccountRpcs, StaffRpcs, identity_pb2_grpc.IdentityServiceServicer):
    def __init__(self, ctx: IdentityContext) -> None:
        self.ctx = ctx
