"""Service identity: mutual TLS between services, and which service may call which method.

Every server asks its callers for a certificate signed by the deployment's CA and refuses a call
without one (the TLS handshake fails: UNAVAILABLE); the caller's identity is the certificate's
common name (``gateway``, ``documents``…). Each service names, per method, the services that need
it (``Callers``); any other authenticated service is refused PERMISSION_DENIED before the handler.
Clients present their own certificate and check that the server's names the service they meant to
reach (``server_name``), whatever address DNS gave.

Settings: ``<S>_TLS_CERT``, ``<S>_TLS_KEY``, ``<S>_TLS_CA`` (PEM files). Without them a service
serves plain gRPC, which only development allows (production refuses to start).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import grpc

from servicekit import errors

COMMON_NAME = "x509_common_name"


@dataclass(frozen=True)
class TlsFiles:
    """The PEM files of one process: its certificate and key, and the CA its peers' must chain to."""

    cert: str = ""
    key: str = ""
    ca: str = ""

    @property
    def configured(self) -> bool:
        return bool(self.cert and self.key and self.ca)

    @property
    def partly_configured(self) -> bool:
        return any((self.cert, self.key, self.ca)) and not self.configured

    def _read(self) -> tuple[bytes, bytes, bytes]:
        return Path(self.key).read_bytes(), Path(self.cert).read_bytes(), Path(self.ca).read_bytes()

    def server_credentials(self) -> grpc.ServerCredentials:
        key, cert, ca = self._read()
        return grpc.ssl_server_credentials([(key, cert)], root_certificates=ca, require_client_auth=True)

    def channel_credentials(self) -> grpc.ChannelCredentials:
        key, cert, ca = self._read()
        return grpc.ssl_channel_credentials(root_certificates=ca, private_key=key, certificate_chain=cert)


def server_name_of(service: str) -> str:
    """``tqr.application.v1.StaffService`` → ``application``: the name its certificate carries."""
    parts = service.split(".")
    return parts[1] if len(parts) > 2 and parts[0] == "tqr" else service


def peer_service(context: grpc.aio.ServicerContext) -> str | None:
    """The calling service (its certificate's common name); None over plain gRPC."""
    auth = context.auth_context() or {}
    names = list(auth.get(COMMON_NAME) or ())
    return names[0].decode() if names else None


class Callers:
    """Who may call what: ``{"/pkg.Service/Method" or "/pkg.Service/*": {"gateway", …}}``.

    A method not listed is refused to every caller (a new method must be given its callers)."""

    def __init__(self, table: Mapping[str, frozenset[str] | set[str]]) -> None:
        self._table = {method: frozenset(names) for method, names in table.items()}

    def allowed(self, method: str) -> frozenset[str]:
        if method in self._table:
            return self._table[method]
        return self._table.get(method.rsplit("/", 1)[0] + "/*", frozenset())

    def check(self, method: str, context: grpc.aio.ServicerContext) -> None:
        """Raises PermissionDenied unless the peer is allowed; over plain gRPC (development) there is no
        peer identity to check."""
        peer = peer_service(context)
        if peer is None:
            return
        if peer not in self.allowed(method):
            raise errors.PermissionDenied("SERVICE_NOT_ALLOWED", "此服务无权调用该方法",
                                   f"the {peer} service may not call {method.rsplit('/', 1)[-1]}")
