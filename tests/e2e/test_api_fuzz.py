"""Schemathesis against the gateway's OpenAPI document (/api/v1/openapi.json), on the whole system.

Every operation gets generated valid and invalid input (hypothesis), sent as a signed-in, verified
applicant with a valid CSRF token, so requests get past the door and reach the services. Checks:
no server error (5xx), every answer's status and body are the ones the document declares, and
input that breaks the schema is rejected.

The fuzzer's requests come from a loopback address of their own (127.0.x.y), so the gateway's
per-client limits it trips (sign-in, codes) do not slow down the other tests, which run from
127.0.0.1. Signing out is left out: it would end the session the other operations run in.
"""

from __future__ import annotations

import json
import random
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from requests.adapters import HTTPAdapter
from schemathesis import checks

from tools.loadtest.journey import answer_of

pytestmark = [pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
# A loopback address of this run's own: the limits the fuzzer trips stay with it (and a second run
# within the limits' window starts fresh).
FUZZ_SOURCE = f"127.0.{random.randint(1, 250)}.{random.randint(2, 250)}"
CHECKS = [checks.not_a_server_error, checks.status_code_conformance, checks.content_type_conformance,
          checks.response_schema_conformance, checks.negative_data_rejection]


class SourceAddressAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["source_address"] = (FUZZ_SOURCE, 0)
        super().init_poolmanager(*args, **kwargs)


def fuzz_session() -> requests.Session:
    session = requests.Session()
    session.mount("http://", SourceAddressAdapter())
    return session


def verified_account(var: Path) -> dict[str, str]:
    """A verified applicant of the fuzzer's own (the bench set-up writes it into the system's identity
    database), so nothing the fuzzer changes touches the demo accounts other tests use."""
    out = var / "fuzz-account.json"
    env = {"IDENTITY_DATABASE_URL": f"sqlite:///{var / 'data' / 'identity.sqlite3'}",
           "TQR_REDIS_URL": "redis://127.0.0.1:6379/2", "PATH": "/usr/bin:/bin"}
    subprocess.run([sys.executable, "-m", "tools.loadtest.accounts", "1", str(out), "150000"], cwd=ROOT, env=env,
                   check=True, capture_output=True)
    return json.loads(out.read_text(encoding="utf-8"))[0]


class SignedIn:
    """Cookies kept by hand: the gateway's cookies are __Host- and Secure (a jar would not send them over http)."""

    def __init__(self, url: str, account: dict[str, str]) -> None:
        self.http = fuzz_session()
        self.cookies: dict[str, str] = {}
        self.url = url
        self._refresh_csrf()
        check = self.post("/api/v1/account/human-checks", {"kind": "text"})
        passed = self.post(f"/api/v1/account/human-checks/{check['challenge_id']}/answer",
                           {"kind": "text", "answer": answer_of(check["question"])})
        self.post("/api/v1/account/sessions", {"document_type": "ID_CARD", "document_number": account["document_number"],
                                               "password": account["password"], "pass_token": passed["pass_token"]})
        self._refresh_csrf()  # the token is bound to the session cookie

    def _keep(self, response: requests.Response) -> None:
        for name, value in response.cookies.items():
            self.cookies[name] = value

    def _refresh_csrf(self) -> None:
        response = self.http.get(f"{self.url}/api/v1/account/csrf-token", headers=self.headers(), timeout=10)
        self._keep(response)
        self.cookies["__Host-csrf"] = response.json()["csrf_token"]

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        response = self.http.post(f"{self.url}{path}", json=body, headers=self.headers(), timeout=10)
        assert response.status_code in (200, 201), (path, response.status_code, response.text)
        self._keep(response)
        return response.json()  # type: ignore[no-any-return]

    def headers(self) -> dict[str, str]:
        return {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
                "X-CSRF-Token": self.cookies.get("__Host-csrf", "")}


@pytest.fixture(scope="module")
def signed_in(running_system: Any) -> SignedIn:
    return SignedIn(running_system.url, verified_account(running_system.var))


EXCLUDED = {("DELETE", "/api/v1/account/sessions/current")}
EXAMPLES = 10  # per operation and generation mode


def fuzz_operation(operation: Any, mode: schemathesis.GenerationMode, signed_in: SignedIn) -> None:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=EXAMPLES, deadline=None, phases=[Phase.explicit, Phase.generate],
              suppress_health_check=list(HealthCheck), database=None)
    def run(case: schemathesis.Case) -> None:
        response = case.call(base_url=signed_in.url, session=signed_in.http, headers=signed_in.headers(), timeout=15)
        case.validate_response(response, checks=CHECKS)

    run()


def brief(exc: BaseException) -> str:
    """The failure's summary lines and its reproduction, without the whole schema."""
    lines = str(exc).splitlines()
    keep = [line for line in lines if line.lstrip().startswith(("- ST", "curl ", "[", "Received", "Documented"))]
    return "\n".join(keep or lines[:6])[:1200]


@dataclass
class Findings:
    operations: int = 0
    failures: dict[str, str] = field(default_factory=dict)  # "METHOD path [mode]" → summary

    def with_codes(self, *codes: str) -> dict[str, str]:
        return {label: text for label, text in self.failures.items() if any(f"- {c}" in text for c in codes)}

    @staticmethod
    def report(found: dict[str, str]) -> str:
        return "\n\n".join(f"{label}:\n{text}" for label, text in found.items())


@pytest.fixture(scope="module")
def findings(running_system: Any) -> Findings:
    """Every operation fuzzed once, valid and invalid input (schemathesis' own pytest loader does
    not run on this pytest, so the operations are walked here and the failures collected)."""
    signed_in = SignedIn(running_system.url, verified_account(running_system.var))
    schema = schemathesis.openapi.from_url(f"{running_system.url}/api/v1/openapi.json")
    found = Findings()
    for result in schema.get_all_operations():
        operation = result.ok()
        if (operation.method.upper(), operation.path) in EXCLUDED:
            continue
        found.operations += 1
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            try:
                fuzz_operation(operation, mode, signed_in)
            except Unsatisfiable:  # nothing to make invalid (an operation without input)
                continue
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # schemathesis raises failure groups; keep going, report all
                found.failures[f"{operation.label} [{mode.value}]"] = brief(exc)
    return found


def test_no_generated_request_gets_a_server_error(findings: Findings) -> None:
    assert findings.operations > 50
    assert findings.with_codes("ST101") == {}, Findings.report(findings.with_codes("ST101"))


def test_input_that_breaks_the_schema_is_rejected(findings: Findings) -> None:
    assert findings.with_codes("ST201") == {}, Findings.report(findings.with_codes("ST201"))


def test_every_answer_is_one_the_openapi_document_declares(findings: Findings) -> None:
    """Status codes, media types and bodies as documented (ST103-ST110)."""
    wrong = findings.with_codes(*(f"ST1{n:02d}" for n in range(3, 11)))
    assert wrong == {}, f"{len(wrong)} operation/mode pairs answer off the document:\n" + Findings.report(wrong)


def test_nothing_else_went_wrong_while_fuzzing(findings: Findings) -> None:
    known = {label for code in ["ST101", "ST201", *(f"ST1{n:02d}" for n in range(3, 11))]
             for label in findings.with_codes(code)}
    other = {label: text for label, text in findings.failures.items() if label not in known}
    assert other == {}, Findings.report(other)
