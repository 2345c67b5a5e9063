"""Typed calls to the application service."""

from __future__ import annotations

from dataclasses import dataclass

import grpc
from tqr.application.v1 import application_pb2 as pb
from tqr.application.v1 import application_pb2_grpc as rpc


@dataclass(frozen=True)
class AuthorityView:
    code: str
    name: str
    region_code: str
    address: str
    phone: str


class ApplicationClient:
    def __init__(self, channel: grpc.aio.Channel) -> None:
        self._reference = rpc.ReferenceDataServiceStub(channel)

    async def list_authorities(self, region_code: str = "") -> list[AuthorityView]:
        reply = await self._reference.ListAuthorities(pb.ListAuthoritiesRequest(region_code=region_code))
        return [AuthorityView(a.code, a.name, a.region_code, a.address, a.phone) for a in reply.authorities]
