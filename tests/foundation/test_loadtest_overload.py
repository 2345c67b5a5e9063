"""The pure pieces of the overload benchmark (tools/loadtest/overload.py, wrk.visitor_script): the
new visitors' Lua run by the real wrk against a small server, the kinds of answers the scripts tell
apart, the gateway's metrics, the waiting room's order check, the audit's arithmetic and the report.
No assertion on a duration or a rate."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.loadtest import overload, wrk
from tools.loadtest.overload import VisitorTrace

WAITING_PAGE = ('<html><div class="banner" id="waiting-place" role="status"><div class="banner__content">'
                '<p class="heading-m">您排在第 7 位 / You are number 7</p></div></div></html>')


class Seen:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []


async def _answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, seen: Seen) -> None:
    """Every third request the page, every third the waiting page, every third 503 SERVER_BUSY."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode().split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if line)}
            body_in = await reader.readexactly(int(headers.get("content-length", "0")))
            seen.requests.append({"method": method, "path": path, "headers": headers, "body": body_in})
            turn = len(seen.requests) % 3
            status, body = "200 OK", "<html>首页 home</html>"
            if turn == 1:
                body = WAITING_PAGE
            elif turn == 2:
                status = "503 Service Unavailable"
                body = '{"code":"SERVER_BUSY"}'
            data = body.encode()
            writer.write(f"HTTP/1.1 {status}\r\ncontent-length: {len(data)}\r\n"
                         f"x-request-id: {headers.get('x-request-id', '')}\r\n\r\n".encode() + data)
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


@pytest.fixture
def server() -> Iterator[tuple[str, Seen]]:
    seen = Seen()
    loop = asyncio.new_event_loop()
    ready = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        holder["server"] = await asyncio.start_server(lambda r, w: _answer(r, w, seen), "127.0.0.1", 0)
        holder["port"] = holder["server"].sockets[0].getsockname()[1]
        ready.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    ready.wait(10)
    try:
        yield f"http://127.0.0.1:{holder['port']}", seen
    finally:
        loop.call_soon_threadsafe(holder["server"].close)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def test_new_visitors_are_each_a_new_person_and_their_answers_are_told_apart(
        server: tuple[str, Seen], tmp_path: Path) -> None:
    url, seen = server
    run = wrk.run(url, lambda report: wrk.visitor_script(report, interval_us=5000, page="/help/apply"), tmp_path,
                  connections=4, seconds=1, name="visitors")
    assert seen.requests, "wrk sent nothing"
    assert {r["method"] for r in seen.requests} == {"GET"}
    assert {r["path"] for r in seen.requests} == {"/help/apply"}
    assert all("cookie" not in r["headers"] and r["headers"]["accept"] == "text/html" for r in seen.requests)
    addresses = [r["headers"]["x-forwarded-for"] for r in seen.requests]
    assert len(set(addresses)) > len(addresses) // 2  # drawn per request, so nearly all differ
    kinds = run.report["latencies_by_kind_ms"]
    assert set(kinds) == {"page", "waiting", "shed"}  # the 503s name SERVER_BUSY: the admission control's
    assert len(kinds["page"]) + len(kinds["waiting"]) + len(kinds["shed"]) == len(run.report["latencies_ms"])
    assert len(kinds["shed"]) == run.report["statuses"]["503"]
    assert overload.server_errors(run) == 0


def test_the_wizard_script_tells_the_admission_controls_503_from_other_refusals(
        server: tuple[str, Seen], tmp_path: Path) -> None:
    url, _ = server
    applicants = [wrk.WizardApplicant(headers={"cookie": "s=1"}, answers={
        "certificate-details": {"a": 1}, "point": {"point_code": "1"}, "materials": {"m": 1}})]
    busy = wrk.run(url, lambda report: wrk.wizard_script(applicants, report), tmp_path, connections=1, seconds=1,
                   name="busy")
    kinds = busy.report["latencies_by_kind_ms"]
    assert kinds.get("shed") and kinds.get("2xx")
    assert overload.server_errors(busy) == 0
    # A 503 that is not SERVER_BUSY, a 500: server errors.
    report = {**busy.report, "statuses": {"200": 3, "503": 4, "500": 1},
              "latencies_by_kind_ms": {"2xx": [1.0] * 3, "shed": [1.0] * 2, "refused": [1.0] * 3}}
    assert overload.server_errors(wrk.WrkRun(report, 0.0, "")) == 3


def test_a_visitor_script_needs_a_rate(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="interval_us"):
        wrk.visitor_script(tmp_path / "r.json", interval_us=0)


def test_the_limit_follows_littles_law_and_the_offer_adds_up_to_the_factor() -> None:
    assert overload.derived_limit(350.0, 0.05) == 18
    assert overload.derived_limit(10.0, 0.05) == 2  # never below two
    steps, pages = overload.offered_rates(300.0, 3.0, 2 / 3)
    assert steps == pytest.approx(600.0) and pages == pytest.approx(300.0)


def test_admissions_are_read_from_the_gateways_metrics_and_differenced() -> None:
    text = ('# HELP tqr_gateway_admissions_total x\n'
            'tqr_gateway_admissions_total{outcome="admitted",standing="wizard_step"} 120.0\n'
            'tqr_gateway_admissions_total{outcome="shed",standing="wizard_step"} 7.0\n'
            'tqr_gateway_admissions_total{outcome="queued",standing="new_visitor"} 3.0\n'
            'tqr_gateway_admissions_created{outcome="queued",standing="new_visitor"} 1.7e9\n')
    after = overload.admissions(text)
    assert after == {"wizard_step": {"admitted": 120.0, "shed": 7.0}, "new_visitor": {"queued": 3.0}}
    before = {"wizard_step": {"admitted": 20.0}}
    assert overload.difference(after, before) == {"wizard_step": {"admitted": 100, "shed": 7},
                                                  "new_visitor": {"queued": 3}}


def test_the_place_is_read_from_the_waiting_page_only() -> None:
    assert overload.position_on(WAITING_PAGE) == 7
    assert overload.position_on("<html>首页</html>") is None


def test_a_browsers_jar_keeps_and_deletes_cookies() -> None:
    jar: dict[str, str] = {"old": "1"}
    overload.keep_cookies(jar, ["__Host-queue=abc; Max-Age=120; Path=/; Secure; HttpOnly",
                                "old=; Max-Age=0; Path=/"])
    assert jar == {"__Host-queue": "abc"}
    overload.keep_cookies(jar, ["__Host-queue=; Max-Age=0; Path=/", "__Host-admitted=9.sig; Max-Age=1800"])
    assert jar == {"__Host-admitted": "9.sig"}


def trace(index: int, joined: float | None, last: float | None, admitted: float | None) -> VisitorTrace:
    return VisitorTrace(index, first_waiting_at=joined, last_waiting_at=last, admitted_at=admitted,
                        came_straight_in=joined is None and admitted is not None,
                        positions=[index + 1] if joined is not None else [])


def test_visitors_let_in_in_the_order_they_queued_pass() -> None:
    order = overload.admission_order([trace(0, 1.0, 9.0, 10.0), trace(1, 2.0, 9.5, 10.5), trace(2, None, None, 3.0)])
    assert order["in_order"] and order["queued"] == 2 and order["came_straight_in"] == 1
    assert order["admitted_after_queueing"] == 2 and order["first_positions"] == [1, 2]


def test_a_visitor_still_waiting_after_a_later_one_was_let_in_was_overtaken() -> None:
    order = overload.admission_order([trace(0, 1.0, 12.0, 13.0), trace(1, 2.0, 9.5, 10.5)])
    assert not order["in_order"] and order["overtaken"] == [[0, 1]]


def test_a_queued_visitor_never_let_in_fails_the_check() -> None:
    order = overload.admission_order([trace(0, 1.0, 30.0, None)])
    assert not order["in_order"] and order["never_admitted"] == [0]


def run_document(label: str, p99: float, *, errors: int = 0, lost: int = 0) -> dict[str, Any]:
    latency = {name: {"answers": 10, "p50_ms": p99 / 2, "p95_ms": p99, "p99_ms": p99}
               for name in overload.ADMITTED_CLASSES}
    latency["wizard step shed (503)"] = {"answers": 0}
    return {"label": label, "offered_per_second": {"wizard steps": 600.0, "new visitors' pages": 300.0},
            "done_per_second": {"wizard steps": 290.0, "new visitors' pages": 280.0}, "latency": latency,
            "statuses": {"wizard steps": {"200": 10}}, "server_errors": {"wizard steps": errors},
            "admissions": {"wizard_step": {"admitted": 10, "shed": 5}},
            "waiting_room": overload.admission_order([trace(0, 1.0, 2.0, 3.0)]),
            "submissions": {"submitters": 2, "accepted": 2, "stored": 2 - lost, "lost": lost, "twice": 0,
                            "attempts": 3, "shed": 1, "errors": []},
            "cpu_seconds": {"gateway": 40.0}}


def test_verdicts_follow_the_measured_figures() -> None:
    good = overload.verdicts(run_document("limiter on", 120.0))
    assert all(met for *_, met in good)
    bad = overload.verdicts(run_document("limiter on", 450.0, errors=2, lost=1))
    assert [met for *_, met in bad] == [False, False, False, False, True, False]


def test_the_report_shows_both_runs_and_the_targets_beside_them(capsys: pytest.CaptureFixture[str]) -> None:
    document = {"capacity": {"steps_per_second": 300.0}, "limit": 15, "wait_seconds": 0.1,
                "arguments": {"factor": 3.0, "seconds": 60.0, "in_system_seconds": 0.05},
                "runs": [run_document("limiter off", 9000.0), run_document("limiter on", 120.0)]}
    overload.print_report(document)
    out = capsys.readouterr().out
    assert "limiter off:" in out and "limiter on:" in out
    assert "capacity 300.0 steps/s" in out and "limit 15" in out
    assert "9,000" in out and "< 300" in out
    assert "gateway /metrics wizard_step" in out and "admitted 10, shed 5" in out


def test_a_stated_offer_is_shown_beside_the_measured_capacity(capsys: pytest.CaptureFixture[str]) -> None:
    document = {"capacity": {"steps_per_second": 300.0}, "offered_for": 450.0, "limit": 23, "wait_seconds": 2.0,
                "arguments": {"factor": 3.0, "seconds": 60.0, "in_system_seconds": 0.05},
                "runs": [run_document("limiter off", 9000.0), run_document("limiter on", 120.0)]}
    overload.print_report(document)
    assert "capacity 300.0 steps/s (busy, 50 applicants) (offered for 450 steps/s)" in capsys.readouterr().out
    assert overload.parse(["--offer-capacity", "450"]).offer_capacity == 450.0
    assert overload.parse([]).offer_capacity == 0  # the measured capacity
