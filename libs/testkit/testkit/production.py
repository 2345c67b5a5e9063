"""What a production process needs for its calls to be trusted, for tests that build production
settings: mutual-TLS files (real ones from ``devpki`` when the test gives a folder; paths only
otherwise, which settings never open), actor keys that are not the development ones, and the outside
providers production refuses to simulate (identity's national identity authority, R-ID-9)."""

from __future__ import annotations

from pathlib import Path

from servicekit import devpki
from servicekit.rpc.actor import new_key_pair

# Services that sign actors of their own (rpc.actor): the gateway for people, documents for itself.
SIGNERS = ("gateway", "documents")

# Outside providers as an operator configures them (a service's production check refuses the
# simulated ones); addresses only: nothing is called.
PROVIDERS = {
    "identity": {"IDENTITY_REAL_NAME_PROVIDER": "http",
                 "IDENTITY_REAL_NAME_HTTP_URL": "https://authority.test/v1/verifications",
                 "IDENTITY_REAL_NAME_HTTP_API_KEY": "a-test-authority-api-key"},
}


def trust_env(service: str, folder: Path | None = None) -> dict[str, str]:
    """``<S>_TLS_*``, ``TQR_ACTOR_VERIFY_KEYS``, for a signing service ``<S>_ACTOR_SIGNING_KEYS`` and
    the service's outside providers (``PROVIDERS``), as an operator sets them."""
    prefix = service.upper()
    if folder is None:
        tls = {f"{prefix}_TLS_CERT": f"/etc/tqr/tls/{service}.crt", f"{prefix}_TLS_KEY": f"/etc/tqr/tls/{service}.key",
               f"{prefix}_TLS_CA": "/etc/tqr/tls/ca.crt"}
    else:
        tls = devpki.tls_env(service, devpki.ensure(folder, [service])[service])
    signing, verify = new_key_pair(f"{service if service in SIGNERS else 'gateway'}.test")
    keys = {f"{prefix}_ACTOR_SIGNING_KEYS": signing} if service in SIGNERS else {}
    return {**tls, **keys, "TQR_ACTOR_VERIFY_KEYS": verify, **PROVIDERS.get(service, {})}


def trust_fields(service: str, folder: Path | None = None) -> dict[str, str]:
    """The same as settings keyword arguments (``tls_cert=…``)."""
    prefix = f"{service.upper()}_"
    return {name.removeprefix(prefix).removeprefix("TQR_").lower(): value
            for name, value in trust_env(service, folder).items()}
