"""R-ID-13: real-name verification (R-ID-9) goes to a real identity authority through the HTTP
contract documented in services/identity/README.md. Against a server speaking that contract over
real HTTP on loopback: the four answers (match / no match / no record / try later), retries with one
idempotency key, deadlines, slow and failing answers, the circuit breaker, metrics, mutual TLS, the
documented request and answers themselves, and the service's outcomes (manual review path
unchanged)."""

from __future__ import annotations

import json
import logging
import re
import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from prometheus_client import REGISTRY
from servicekit import devpki
from servicekit.clock import ManualClock
from servicekit.errors import DependencyUnavailable
from tqr_identity.adapters.circuit_breaker import BreakerState, CircuitBreaker
from tqr_identity.adapters.real_name import (
    NO_MATCH_ANSWER,
    NO_RECORD_ANSWER,
    RealNameProviderUnavailable,
    verify_with_deadline,
)
from tqr_identity.adapters.real_name_http import ClientCertificate, HttpRealNameProvider, RetryPolicy
from tqr_identity.bootstrap import build_real_name
from tqr_identity.config import IdentitySettings
from tqr_identity.domain.documents import DocumentType
from tqr_identity.service_layer import attachments, profile, reviews, verification
from tqr_identity.service_layer.model import RealNameStatus

from services.identity.tests.integration.authority_server import API_KEY, Authority, Reply

NUMBER = "11010519491231002X"
NAME = "张老师"
README = Path(__file__).resolve().parents[2] / "README.md"


def provider_for(authority: Authority, clock: ManualClock | None = None, **settings: Any) -> HttpRealNameProvider:
    """The provider as the service builds it from its settings (breaker, metrics, retries)."""
    values: dict[str, Any] = {
        "real_name_provider": "http", "real_name_http_url": authority.url, "real_name_http_api_key": API_KEY,
        "real_name_http_backoff_seconds": 0, "real_name_http_attempt_seconds": 5, **settings,
    }
    built = build_real_name(IdentitySettings(**values), clock or ManualClock())
    assert isinstance(built, HttpRealNameProvider)
    return built


async def verify(provider: HttpRealNameProvider, number: str = NUMBER, name: str = NAME) -> Any:
    return await provider.verify(DocumentType.ID_CARD, number, name)


def requests_counted(outcome: str) -> float:
    return REGISTRY.get_sample_value("tqr_identity_real_name_requests_total", {"outcome": outcome}) or 0.0


def breaker_state() -> float | None:
    return REGISTRY.get_sample_value("tqr_identity_real_name_breaker_state")


@pytest.mark.parametrize(("result", "expected"), [
    ("match", None), ("no_match", NO_MATCH_ANSWER), ("no_record", NO_RECORD_ANSWER)])
async def test_r_id_13_the_authoritys_answers_map_to_the_services_outcomes(result, expected) -> None:
    with Authority(default=Reply(200, {"result": result})) as authority:
        provider = provider_for(authority)
        before = requests_counted(result)
        answer = await verify(provider)
        await provider.aclose()
    assert answer.matched is (expected is None)
    if expected is not None:
        assert answer == expected
    [request] = authority.received
    assert request.body == {"name": NAME, "document_type": "ID_CARD", "document_number": NUMBER}
    assert request.api_key == API_KEY and request.content_type == "application/json"
    assert request.idempotency_key
    assert requests_counted(result) == before + 1


def documented_contract() -> tuple[dict[str, Any], list[str], list[str], dict[str, str]]:
    """What services/identity/README.md says the contract is: the example request body, the request's
    header names, the document types, and each 200 answer's result with the row's meaning."""
    text = README.read_text(encoding="utf-8")
    request = text[text.index("### Request"):text.index("### Answers")]
    block = request[request.index("```"):request.index("```", request.index("```") + 3)]
    body = json.loads(next(line for line in block.splitlines() if line.startswith("{")))
    headers = re.findall(r"^([A-Z][A-Za-z-]+):", block, re.M)
    types = re.findall(r"`([A-Z_]+)`", request[request.index("`document_type` is one of"):].splitlines()[0])
    answers = text[text.index("### Answers"):text.index("### Deadlines")]
    results = {m.group(1): m.group(2) for m in re.finditer(
        r'^\| 200[^|]*\| `\{"result": "([a-z_]+)"\}` \| ([^|]+)\|', answers, re.M)}
    return body, headers, types, results


async def test_r_id_13_the_provider_speaks_the_contract_the_readme_documents() -> None:
    body, headers, types, results = documented_contract()
    assert set(headers) >= {"Content-Type", "Accept", "X-Api-Key", "Idempotency-Key"}
    assert sorted(types) == sorted(t.value for t in DocumentType)
    assert set(results) == {"match", "no_match", "no_record", "try_later"}
    for document_type in DocumentType:
        with Authority() as authority:
            provider = provider_for(authority)
            await provider.verify(document_type, NUMBER, NAME)
            await provider.aclose()
        [request] = authority.received
        assert set(request.body) == set(body) and request.body["document_type"] == document_type.value
        assert request.content_type == "application/json" and request.api_key == API_KEY
        assert re.fullmatch(r"[0-9a-f]{32}", request.idempotency_key or "")
    # Each documented answer means what its row says: verified, failed (two remedies), or retried.
    outcomes = {}
    for result in results:
        with Authority(default=Reply(200, {"result": result})) as authority:
            provider = provider_for(authority, real_name_http_max_attempts=2)
            try:
                outcomes[result] = (await verify(provider)).matched
            except RealNameProviderUnavailable:
                outcomes[result] = f"retried {len(authority.received)} times"
            await provider.aclose()
    assert outcomes == {"match": True, "no_match": False, "no_record": False, "try_later": "retried 2 times"}


async def test_r_id_13_server_errors_are_retried_with_the_same_idempotency_key() -> None:
    script = [Reply(502, "bad gateway"), Reply(503, {"result": "try_later"}), Reply(200, {"result": "match"})]
    with Authority(script) as authority:
        provider = provider_for(authority)
        before = requests_counted("server_error"), requests_counted("try_later")
        assert (await verify(provider)).matched
        assert (await verify(provider)).matched  # the next verification: a key of its own
        await provider.aclose()
    first, second, third, other = (r.idempotency_key for r in authority.received)
    assert first == second == third and other != first
    assert (requests_counted("server_error"), requests_counted("try_later")) == (before[0] + 1, before[1] + 1)


async def test_r_id_13_a_try_later_answer_is_retried_and_then_is_an_outage() -> None:
    with Authority(default=Reply(200, {"result": "try_later"})) as authority:
        provider = provider_for(authority, real_name_http_max_attempts=2)
        with pytest.raises(RealNameProviderUnavailable):
            await verify(provider)
        await provider.aclose()
    assert len(authority.received) == 2


@pytest.mark.parametrize("reply", [Reply(400, {"error": "document_type"}), Reply(200, {"result": "maybe"}),
                                   Reply(200, "<html>proxy login</html>")])
async def test_r_id_13_a_refused_request_or_an_answer_outside_the_contract_is_not_retried(reply) -> None:
    with Authority(default=reply) as authority:
        provider = provider_for(authority)
        with pytest.raises(RealNameProviderUnavailable):
            await verify(provider)
        await provider.aclose()
    assert len(authority.received) == 1


async def test_r_id_13_a_wrong_api_key_is_refused_by_the_authority_and_not_retried() -> None:
    with Authority() as authority:
        provider = provider_for(authority, real_name_http_api_key="not-the-key")
        before = requests_counted("rejected")
        with pytest.raises(RealNameProviderUnavailable):
            await verify(provider)
        await provider.aclose()
    assert [r.api_key for r in authority.received] == ["not-the-key"]
    assert requests_counted("rejected") == before + 1


async def test_r_id_13_the_api_key_travels_in_the_header_the_settings_name() -> None:
    with Authority() as authority:
        provider = provider_for(authority, real_name_http_api_key_header="X-Authority-Key")
        with pytest.raises(RealNameProviderUnavailable):  # the authority looks for X-Api-Key
            await verify(provider)
        await provider.aclose()
    assert authority.received[0].api_key is None


async def test_r_id_13_a_slow_answer_ends_the_attempt_at_its_deadline_and_the_retry_answers() -> None:
    held = threading.Event()
    with Authority([Reply(200, {"result": "match"}, wait=held)]) as authority:
        provider = provider_for(authority, real_name_http_attempt_seconds=0.2)
        before = requests_counted("timeout")
        answer = await verify(provider)
        await provider.aclose()
    assert answer.matched
    first, second = authority.received
    assert first.idempotency_key == second.idempotency_key
    assert requests_counted("timeout") == before + 1


async def test_r_id_13_an_authority_that_never_answers_ends_in_try_again_later() -> None:
    with Authority(default=Reply(200, {"result": "match"}, wait=threading.Event())) as authority:
        provider = provider_for(authority, real_name_http_attempt_seconds=5)
        with pytest.raises(DependencyUnavailable) as caught:
            await verify_with_deadline(provider, DocumentType.ID_CARD, NUMBER, NAME, deadline_seconds=0.2)
        await provider.aclose()
    assert caught.value.code == "R-ID-9" and "稍后再试" in caught.value.message_zh


async def test_r_id_13_the_breaker_opens_after_failures_and_a_half_open_probe_recovers() -> None:
    clock = ManualClock()
    with Authority([Reply(500, "down")] * 3) as authority:
        provider = provider_for(authority, clock, real_name_http_max_attempts=1, real_name_breaker_failures=2,
                                real_name_breaker_cool_down_seconds=60)
        for _ in range(2):
            with pytest.raises(RealNameProviderUnavailable):
                await verify(provider)
        assert breaker_state() == BreakerState.OPEN
        refused_before = requests_counted("breaker_open")
        with pytest.raises(RealNameProviderUnavailable):
            await verify(provider)
        assert len(authority.received) == 2  # the open breaker sent nothing
        assert requests_counted("breaker_open") == refused_before + 1

        clock.advance(timedelta(seconds=60))
        with pytest.raises(RealNameProviderUnavailable):
            await verify(provider)  # the probe meets the third 500: open for another cool-down
        assert len(authority.received) == 3 and breaker_state() == BreakerState.OPEN
        with pytest.raises(RealNameProviderUnavailable):
            await verify(provider)
        assert len(authority.received) == 3

        clock.advance(timedelta(seconds=60))
        assert (await verify(provider)).matched  # the probe succeeds: closed again
        assert breaker_state() == BreakerState.CLOSED
        assert (await verify(provider)).matched
        await provider.aclose()
    assert len(authority.received) == 5


async def test_r_id_13_retries_stop_when_the_breaker_opens() -> None:
    with Authority(default=Reply(503, "busy")) as authority:
        provider = provider_for(authority, real_name_http_max_attempts=5, real_name_breaker_failures=2)
        with pytest.raises(RealNameProviderUnavailable):
            await verify(provider)
        await provider.aclose()
    assert len(authority.received) == 2


async def test_r_id_13_document_numbers_never_reach_the_logs(caplog) -> None:
    caplog.set_level(logging.DEBUG)
    script = [Reply(503, "busy"), Reply(200, {"result": "match"}, wait=threading.Event())]
    with Authority(script, default=Reply(400, {"error": "bad"})) as authority:
        provider = provider_for(authority, real_name_http_attempt_seconds=0.2)
        with pytest.raises(RealNameProviderUnavailable):
            await verify(provider)
        await provider.aclose()
    assert len(authority.received) == 3 and caplog.records
    for record in caplog.records:
        assert NUMBER not in str(record.__dict__)
    assert any(getattr(r, "document", "") == "1101**********002X" for r in caplog.records)


async def test_r_id_13_mutual_tls_presents_the_client_certificate(tmp_path) -> None:
    files = devpki.ensure(tmp_path, ["authority", "identity"])
    server, client = files["authority"], files["identity"]
    with Authority(tls=server) as authority:
        provider = provider_for(authority, real_name_http_client_cert=client.cert,
                                real_name_http_client_key=client.key, real_name_http_ca=client.ca)
        assert (await verify(provider)).matched
        await provider.aclose()
        breaker = CircuitBreaker(ManualClock(), failure_threshold=5, cool_down=timedelta(seconds=30))
        without = HttpRealNameProvider(authority.url, API_KEY, breaker, retry=RetryPolicy(backoff_seconds=0),
                                       client_certificate=ClientCertificate(ca=client.ca))
        with pytest.raises(RealNameProviderUnavailable):
            await verify(without)
        await without.aclose()
    [request] = authority.received  # the call without a certificate never got past the handshake
    assert request.client_certificate is not None
    assert dict(pair[0] for pair in request.client_certificate["subject"])["commonName"] == "identity"


@pytest.mark.redis
async def test_r_id_13_r_id_9_no_record_fails_the_account_and_the_manual_review_path_stays_open(make_ctx, steps) -> None:
    with Authority(default=Reply(200, {"result": "no_record"})) as authority:
        provider = provider_for(authority)
        ctx = await make_ctx(real_name=provider)
        account_id, number = await steps.register(ctx)
        outcome = await verification.verify_real_name(ctx, account_id)
        await provider.aclose()
    assert not outcome.verified and outcome.status is RealNameStatus.FAILED
    assert NO_RECORD_ANSWER.reason_zh in outcome.message_zh and "人工审核" in outcome.message_zh
    assert authority.received[0].body["document_number"] == number
    case = await reviews.request_manual_review(ctx, account_id, [attachments.Upload("id.png", steps.png_bytes())])
    assert case.id
    assert (await profile.get_account(ctx, account_id)).account.real_name_status is RealNameStatus.PENDING_REVIEW


@pytest.mark.redis
async def test_r_id_13_r_id_9_a_match_verifies_the_account(make_ctx, steps) -> None:
    with Authority(default=Reply(200, {"result": "match"})) as authority:
        provider = provider_for(authority)
        ctx = await make_ctx(real_name=provider)
        account_id, _ = await steps.register(ctx, name=NAME)
        outcome = await verification.verify_real_name(ctx, account_id)
        await provider.aclose()
    assert outcome.verified and outcome.status is RealNameStatus.VERIFIED
    assert authority.received[0].body["name"] == NAME
