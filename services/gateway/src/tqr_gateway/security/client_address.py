"""The client's address when the gateway sits behind proxies it trusts (``GATEWAY_TRUSTED_PROXIES``).

Every per-client limit (the gateway's rate limits, identity's failed sign-ins and codes per client,
which get the address over gRPC) counts ``request.client.host``. Behind an ingress that address is
the ingress pod, so one bad actor would lock out everybody behind it; believing ``X-Forwarded-For``
from anyone would let every client pick a new address per request. So the header is read only when
the TCP peer is a trusted proxy, and then walked from the right: each proxy appends the address it
received the request from, so the right-most entry that is not itself a trusted proxy is the client.
Anything left of it was written by the client and is not believed.

This is a small pure-ASGI middleware of our own rather than uvicorn's ``ProxyHeadersMiddleware``
(``forwarded_allow_ips``), because:

- uvicorn turns an entry it cannot parse into a literal host name without a word, so a typo in the
  list silently trusts nothing; here a bad entry stops the gateway at start, naming the entry;
- uvicorn hands any text of the header to the app as the client (``"foo"`` becomes the address);
  here only an IP address is ever taken, and a junk entry ends the walk (the proxy that passed it on
  is counted instead);
- it belongs to the app (``create_app``), so whatever serves the app — the uvicorn of ``__main__``,
  a test's server — gives the same answer. ``__main__`` turns uvicorn's own header handling off
  (it is on by default and trusts 127.0.0.1).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Receive, Scope, Send

Address = ipaddress.IPv4Address | ipaddress.IPv6Address
Network = ipaddress.IPv4Network | ipaddress.IPv6Network
SETTING = "GATEWAY_TRUSTED_PROXIES"
FORWARDED_SCHEMES = {"http", "https"}


def _address(text: str) -> Address | None:
    """An IP address (IPv4-mapped IPv6 as IPv4, so one client is one key), else ``None``."""
    try:
        address = ipaddress.ip_address(text.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _hop_address(hop: str) -> Address | None:
    """One entry of X-Forwarded-For: ``1.2.3.4``, ``2001:db8::1``, or with a port (``1.2.3.4:80``, ``[::1]:80``)."""
    hop = hop.strip()
    if hop.startswith("["):
        host, bracket, rest = hop[1:].partition("]")
        if bracket and (not rest or (rest[0] == ":" and rest[1:].isdigit())):
            return _address(host)
        return None
    if hop.count(":") == 1:
        host, _, port = hop.partition(":")
        return _address(host) if port.isdigit() else None
    return _address(hop)


def _network(entry: str) -> Network:
    if entry == "*":
        raise ValueError(f"{SETTING}: '*' is refused: trusting every peer lets any client choose its own address; "
                         "list the proxies' addresses or networks")
    try:
        return ipaddress.ip_network(entry)
    except ValueError as error:
        reason = str(error)
    try:  # host bits set (10.244.1.0/16): name the network that was probably meant
        reason += f"; did you mean {ipaddress.ip_network(entry, strict=False)}?"
    except ValueError:
        pass
    raise ValueError(f"{SETTING}: {entry!r} is not an IP address or network ({reason}); "
                     "write addresses or CIDRs separated by commas, e.g. 10.0.0.7, 10.244.0.0/16, fd00::/8")


@dataclass(frozen=True)
class TrustedProxies:
    networks: tuple[Network, ...] = ()

    @classmethod
    def parse(cls, value: str) -> TrustedProxies:
        """``"10.244.0.0/16, fd00::/8, 10.0.0.7"``; empty: no proxy is trusted. Raises ValueError."""
        return cls(tuple(_network(entry.strip()) for entry in value.split(",") if entry.strip()))

    def __bool__(self) -> bool:
        return bool(self.networks)

    def trusts(self, address: Address) -> bool:
        return any(address in network for network in self.networks)

    def client_of(self, peer: Address, forwarded_for: str) -> Address:
        """The right-most address of ``forwarded_for`` that is not a trusted proxy (peer must be trusted).

        The walk stops at an entry that is not an address (the proxy that passed it on is the
        client then); if every entry is a trusted proxy, the left-most one is the client.
        """
        client = peer
        for hop in reversed([hop for hop in forwarded_for.split(",") if hop.strip()]):
            address = _hop_address(hop)
            if address is None:
                break
            client = address
            if not self.trusts(address):
                break
        return client


class ForwardedClient:
    """Pure ASGI: for a request from a trusted proxy, ``scope["client"]`` becomes the real client
    (from X-Forwarded-For) and ``scope["scheme"]`` the scheme the client used (X-Forwarded-Proto:
    an ingress ends TLS, so the request it passes on is plain http). Other requests are untouched."""

    def __init__(self, app: ASGIApp, *, trusted: TrustedProxies) -> None:
        self.app = app
        self.trusted = trusted

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.trusted and scope["type"] in ("http", "websocket"):
            self._rewrite(scope)
        await self.app(scope, receive, send)

    def _rewrite(self, scope: Scope) -> None:
        client = scope.get("client")
        peer = _address(client[0]) if client else None
        if peer is None or not self.trusted.trusts(peer):
            return
        forwarded_for = _joined(scope, b"x-forwarded-for")
        if forwarded_for.strip(", "):
            scope["client"] = (str(self.trusted.client_of(peer, forwarded_for)), 0)
        # The right-most scheme is the one the nearest proxy (the trusted peer) saw.
        proto = _joined(scope, b"x-forwarded-proto").rsplit(",", 1)[-1].strip().lower()
        if proto in FORWARDED_SCHEMES and scope["type"] == "http":
            scope["scheme"] = proto


def _joined(scope: Scope, name: bytes) -> str:
    """Every line of a header, in order, as one comma-separated list (HTTP's rule for repeated fields)."""
    return ",".join(value.decode("latin-1") for key, value in scope["headers"] if key == name)


def client_address(connection: HTTPConnection) -> str:
    """The caller's address, the same for every per-client limit (ForwardedClient has set it)."""
    return connection.client.host if connection.client else "unknown"
