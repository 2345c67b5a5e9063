"""Settings of the gateway (environment prefix ``GATEWAY_``)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import AliasChoices, Field, field_validator
from pydantic_settings import SettingsConfigDict
from servicekit.rpc.actor import DEV_GATEWAY_SIGNING_KEYS, ActorSigner, development_key_ids
from servicekit.rpc.tls import TlsFiles
from servicekit.settings import DEV_SECRET_PREFIX, CheckedSettings, tls_problems

from tqr_gateway.security.client_address import TrustedProxies


class GatewaySettings(CheckedSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore")
    # Production names every service and the shared Redis; the defaults are `make run`'s addresses.
    required_in_production: ClassVar[tuple[str, ...]] = (
        "identity_addresses", "application_addresses", "notification_addresses", "documents_addresses", "redis_url",
    )

    host: str = "127.0.0.1"
    port: int = 8000
    metrics_port: int = 9100
    # How people reach the site (printed by `make run`); TQR_PUBLIC_URL is the one value the
    # notification service's links read too, so a deployment sets the address once.
    public_url: str = Field(default="", validation_alias=AliasChoices("GATEWAY_PUBLIC_URL", "TQR_PUBLIC_URL"))
    identity_addresses: str = "127.0.0.1:50051"
    application_addresses: str = "127.0.0.1:50052"
    notification_addresses: str = "127.0.0.1:50053"
    documents_addresses: str = "127.0.0.1:50054"
    rpc_timeout_seconds: float = 5.0
    # After SIGTERM: this long still serving while /readyz answers 503 (balancers stop sending), then
    # requests in flight get the grace (a sign-in may take the 15 s deadline of password hashing).
    drain_seconds: float = 1.0
    shutdown_grace_seconds: float = 20.0
    redis_url: str = Field(default="redis://127.0.0.1:6379/0", validation_alias=AliasChoices("TQR_REDIS_URL"))
    # Prefix of the gateway's Redis keys (rate-limit counters), like the services' *_REDIS_KEY_PREFIX:
    # two copies of the system on one Redis (a test run beside `make run`) must not share counters.
    redis_key_prefix: str = "tqr:gateway"
    # How long a resolved session is reused before identity is asked again (0: ask on every
    # request). Ended sessions are dropped at once through identity's announcements on Redis
    # pub/sub, so the gateway must use the same Redis server as identity (see session_cache.py).
    session_cache_seconds: float = 30.0
    # Every per-address limit of the routes (sign-in, codes, staff sign-in …) multiplied by this:
    # where many people reach the gateway from one address (an office or a school behind one NAT,
    # or a test run whose browsers all come from 127.0.0.1).
    rate_limit_factor: int = Field(default=1, ge=1)
    secret_key: str = f"{DEV_SECRET_PREFIX}gateway-secret-change-me"
    # Graceful overload (R-PEAK-1, tqr_gateway/overload): the requests one gateway process serves at
    # once (0: no limit and no waiting room). Set from the measured capacity: throughput × the latency
    # to keep ÷ gateway replicas; the default is far above today's load, so it changes nothing there.
    admission_limit: int = Field(default=100, ge=0)
    # How long work under way (a submission, a step, a sign-in) waits for a slot before a 503. Only
    # as many wait as there are slots (overload/limiter.py): under a sustained overload the rest are
    # answered at once, so this smooths bursts without making a refusal slow.
    admission_wait_seconds: float = Field(default=2.0, ge=0)
    # How often the waiting page asks again; a place is given up after three missed asks.
    waiting_room_refresh_seconds: int = Field(default=10, ge=1, le=120)
    # How long a visitor let in stays in (their pass) before a new visit may queue them again.
    waiting_room_pass_seconds: int = Field(default=1800, ge=60)
    log_level: str = Field(default="INFO", validation_alias=AliasChoices("TQR_LOG_LEVEL"))
    log_file: str = Field(default="", validation_alias=AliasChoices("TQR_LOG_FILE"))
    # Secure cookies (__Host-session, __Host-csrf) need https, or http://localhost in a browser.
    # Turn off only for plain-http development from another host; never in production.
    secure_cookies: bool = True
    # Addresses or networks of the proxies in front of the gateway (the ingress controller's pods),
    # comma-separated: only a request from one of them has its X-Forwarded-For believed, so the
    # per-client limits count people, not the ingress (security/client_address.py). Empty: none.
    trusted_proxies: str = ""
    # The interactive API documentation and the OpenAPI document (/api/v1/docs, /api/v1/openapi.json).
    # Unset: served in development and test, not in production (a map of every route for whoever
    # asks); an operator may turn them on.
    api_docs: bool | None = None
    # Ed25519 keys that sign the actor of each call to a service (servicekit.rpc.actor),
    # ``gateway.<label>:<base64url private key>`` comma-separated; the first signs. The services'
    # TQR_ACTOR_VERIFY_KEYS must hold its public half. The default is the development key.
    actor_signing_keys: str = DEV_GATEWAY_SIGNING_KEYS
    # How long a signed actor is believed (seconds).
    actor_lifetime_seconds: int = Field(default=60, ge=1, le=300)

    # Mutual TLS to the services (servicekit.rpc.tls): the gateway's certificate and key (common name
    # ``gateway``) and the CA the services' certificates chain to. Unset: plain gRPC, development only.
    tls_cert: str = ""
    tls_key: str = ""
    tls_ca: str = ""

    @property
    def tls(self) -> TlsFiles:
        return TlsFiles(self.tls_cert, self.tls_key, self.tls_ca)

    @field_validator("actor_signing_keys")
    @classmethod
    def _refuse_bad_signing_keys(cls, value: str) -> str:
        ActorSigner.from_setting(value)  # a malformed entry stops the start, named in the message
        return value

    def actor_signer(self) -> ActorSigner:
        return ActorSigner.from_setting(self.actor_signing_keys, lifetime_seconds=self.actor_lifetime_seconds)

    @field_validator("trusted_proxies")
    @classmethod
    def _refuse_bad_proxy_entries(cls, value: str) -> str:
        TrustedProxies.parse(value)  # a bad entry stops the start, named in the message
        return value

    def production_problems(self) -> list[str]:
        problems = super().production_problems()
        if not self.secure_cookies:
            problems.append("GATEWAY_SECURE_COOKIES must stay on in production")
        if development_key_ids(self.actor_signing_keys):
            problems.append("set GATEWAY_ACTOR_SIGNING_KEYS (still the development key)")
        problems += tls_problems(self.tls, "GATEWAY_TLS_CERT", "GATEWAY_TLS_KEY", "GATEWAY_TLS_CA")
        return problems

    @property
    def development(self) -> bool:
        return self.environment == "development"

    @property
    def serves_api_docs(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.environment != "production"
