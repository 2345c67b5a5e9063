"""GATEWAY_TRUSTED_PROXIES: parsing, the right-most-untrusted walk of X-Forwarded-For, the middleware."""

from __future__ import annotations

import ipaddress

import pytest
from pydantic import ValidationError
from starlette.types import Message, Receive, Scope, Send
from tqr_gateway.config import GatewaySettings
from tqr_gateway.security.client_address import ForwardedClient, TrustedProxies

INGRESS = "10.244.0.0/16, fd00:10:244::/56, 192.0.2.10"


def ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    return ipaddress.ip_address(text)


@pytest.fixture
def trusted() -> TrustedProxies:
    return TrustedProxies.parse(INGRESS)


def test_addresses_and_networks_of_both_families_are_read(trusted: TrustedProxies) -> None:
    assert trusted.trusts(ip("10.244.7.9"))
    assert trusted.trusts(ip("192.0.2.10"))
    assert trusted.trusts(ip("fd00:10:244:a::3"))
    assert not trusted.trusts(ip("10.245.0.1"))
    assert not trusted.trusts(ip("192.0.2.11"))
    assert not trusted.trusts(ip("fd00:10:245::1"))


def test_empty_trusts_nobody() -> None:
    for value in ("", " ", ",", " , "):
        assert not TrustedProxies.parse(value)


@pytest.mark.parametrize("entry", ["ingress-nginx", "10.0.0.0/33", "10.0.0.256", "fd00::/129", "*", "10.0.0.1-10.0.0.9"])
def test_a_bad_entry_is_refused_by_name(entry: str) -> None:
    with pytest.raises(ValueError, match="GATEWAY_TRUSTED_PROXIES") as refused:
        TrustedProxies.parse(f"10.244.0.0/16,{entry}")
    assert repr(entry) in str(refused.value)


def test_a_network_with_host_bits_is_refused_with_the_probable_meaning() -> None:
    with pytest.raises(ValueError, match=r"did you mean 10\.244\.0\.0/16\?"):
        TrustedProxies.parse("10.244.1.0/16")


def test_the_settings_refuse_a_bad_list_at_start() -> None:
    with pytest.raises(ValidationError, match=r"GATEWAY_TRUSTED_PROXIES: 'ingress' is not an IP address"):
        GatewaySettings(trusted_proxies="10.244.0.0/16, ingress")
    assert GatewaySettings(trusted_proxies=INGRESS).trusted_proxies == INGRESS


@pytest.mark.parametrize(("forwarded_for", "client"), [
    ("203.0.113.7", "203.0.113.7"),
    # the client wrote the left part; the ingress appended what it saw
    ("198.51.100.1, 203.0.113.7", "203.0.113.7"),
    ("10.244.3.3, 203.0.113.7", "203.0.113.7"),
    # a chain of trusted proxies: skipped from the right
    ("198.51.100.1, 203.0.113.7, 192.0.2.10, 10.244.3.3", "203.0.113.7"),
    ("2001:db8::7", "2001:db8::7"),
    ("2001:db8::1, 2001:db8::7, fd00:10:244::9", "2001:db8::7"),
    # ports some proxies add; IPv4-mapped IPv6 is the IPv4 client
    ("203.0.113.7:51234", "203.0.113.7"),
    ("[2001:db8::7]:443", "2001:db8::7"),
    ("::ffff:203.0.113.7", "203.0.113.7"),
    # every hop trusted: the left-most is the client
    ("10.244.9.9, 10.244.3.3", "10.244.9.9"),
    # junk ends the walk: the proxy that passed it on is counted, never the junk
    ("203.0.113.7, unknown", "10.244.1.1"),
    ("unknown, 10.244.3.3", "10.244.3.3"),
    ("[2001:db8::7", "10.244.1.1"),
    ("", "10.244.1.1"),
])
def test_the_client_is_the_right_most_address_not_trusted(trusted: TrustedProxies, forwarded_for: str,
                                                          client: str) -> None:
    assert trusted.client_of(ip("10.244.1.1"), forwarded_for) == ip(client)


async def seen_scope(middleware_trusts: str, client: tuple[str, int] | None,
                     headers: list[tuple[bytes, bytes]]) -> Scope:
    seen: dict[str, Scope] = {}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen["scope"] = scope

    async def receive() -> Message:
        return {"type": "http.request", "body": b""}

    async def send(message: Message) -> None:
        pass

    middleware = ForwardedClient(app, trusted=TrustedProxies.parse(middleware_trusts))
    scope = {"type": "http", "scheme": "http", "client": client, "headers": headers}
    await middleware(scope, receive, send)
    return seen["scope"]


async def test_a_trusted_peer_gives_the_client_and_scheme() -> None:
    scope = await seen_scope(INGRESS, ("10.244.1.1", 40000), [
        (b"x-forwarded-for", b"198.51.100.1"), (b"x-forwarded-for", b"203.0.113.7"),
        (b"x-forwarded-proto", b"https"),
    ])
    assert scope["client"] == ("203.0.113.7", 0)
    assert scope["scheme"] == "https"


async def test_a_trusted_peer_on_a_dual_stack_socket_is_recognised() -> None:
    scope = await seen_scope(INGRESS, ("::ffff:10.244.1.1", 40000), [(b"x-forwarded-for", b"203.0.113.7")])
    assert scope["client"] == ("203.0.113.7", 0)


async def test_anyone_else_keeps_its_own_address_whatever_it_sends() -> None:
    headers = [(b"x-forwarded-for", b"203.0.113.7"), (b"x-forwarded-proto", b"https")]
    scope = await seen_scope(INGRESS, ("198.51.100.9", 40000), headers)
    assert scope["client"] == ("198.51.100.9", 40000)
    assert scope["scheme"] == "http"
    scope = await seen_scope("", ("10.244.1.1", 40000), headers)
    assert scope["client"] == ("10.244.1.1", 40000)


async def test_a_trusted_peer_without_the_header_is_the_client() -> None:
    scope = await seen_scope(INGRESS, ("10.244.1.1", 40000), [(b"x-forwarded-proto", b"gopher")])
    assert scope["client"] == ("10.244.1.1", 40000)
    assert scope["scheme"] == "http"


async def test_a_peer_that_is_not_an_address_is_not_trusted() -> None:
    scope = await seen_scope(INGRESS, ("testclient", 50000), [(b"x-forwarded-for", b"203.0.113.7")])
    assert scope["client"] == ("testclient", 50000)
    scope = await seen_scope(INGRESS, None, [(b"x-forwarded-for", b"203.0.113.7")])
    assert scope["client"] is None
