"""Channels from the tests to the services of the running system, over mutual TLS as the gateway
(the services take only callers with a certificate of `make run`'s CA: servicekit.rpc.tls)."""

from __future__ import annotations

from pathlib import Path

import grpc
from servicekit import devpki
from servicekit.rpc.tls import server_name_of

_folder: list[Path] = []


def use(folder: Path) -> None:
    """The running system's certificate folder (``$TQR_VAR_DIR/tls``), made before it starts."""
    devpki.ensure(folder)
    _folder[:] = [folder]


def to(port: int, service: str, caller: str = "gateway") -> grpc.aio.Channel:
    """``service``: ``identity`` or a full gRPC name (``tqr.identity.v1.IdentityService``);
    ``caller``: whose certificate the channel presents."""
    files = devpki.files_of(_folder[0], caller)
    return grpc.aio.secure_channel(f"127.0.0.1:{port}", files.channel_credentials(),
                                   options=[("grpc.ssl_target_name_override", server_name_of(service))])
