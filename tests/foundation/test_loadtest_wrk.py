"""The pieces of the wrk benchmark (tools/loadtest: wrk.py, machine.py, wrkbench.py) that can be
checked without timing anything: the generated Lua scripts (run by the real wrk against a small
recording server), the /proc parsing, the CPU arithmetic and the report. No assertion on a duration
or a rate."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import threading
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tools.loadtest import machine, wrk, wrkbench

# --- a recording HTTP/1.1 server (keep-alive, echoes X-Request-ID as the gateway does) ------------


class Recording:
    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.in_flight: set[str] = set()
        self.overlaps = 0  # a request of an applicant arrived while its last one was unanswered
        self.refuse: set[str] = set()  # paths answered 409


async def _serve_connection(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, rec: Recording) -> None:
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.decode("utf-8").split("\r\n")
            method, path, _ = lines[0].split(" ", 2)
            headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines[1:] if line)}
            body = await reader.readexactly(int(headers.get("content-length", "0")))
            request_id = headers.get("x-request-id", "")
            applicant = request_id.split("-")[1] if request_id.startswith("wrk-") else ""
            if applicant in rec.in_flight:
                rec.overlaps += 1
            rec.in_flight.add(applicant)
            rec.requests.append({"method": method, "path": path, "headers": headers, "body": body.decode("utf-8"),
                                 "applicant": applicant})
            await asyncio.sleep(0.002)  # answers overlap across connections
            rec.in_flight.discard(applicant)
            status = "409 Conflict" if path in rec.refuse else "200 OK"
            writer.write(f"HTTP/1.1 {status}\r\ncontent-length: 2\r\ncontent-type: application/json\r\n"
                         f"x-request-id: {request_id}\r\n\r\n{{}}".encode())
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError):
        pass
    finally:
        writer.close()


@pytest.fixture
def recording_server() -> Iterator[tuple[str, Recording]]:
    rec = Recording()
    loop = asyncio.new_event_loop()
    started = threading.Event()
    holder: dict[str, Any] = {}

    async def start() -> None:
        server = await asyncio.start_server(lambda r, w: _serve_connection(r, w, rec), "127.0.0.1", 0)
        holder["server"] = server
        holder["port"] = server.sockets[0].getsockname()[1]
        started.set()

    thread = threading.Thread(target=lambda: (loop.run_until_complete(start()), loop.run_forever()), daemon=True)
    thread.start()
    started.wait(10)
    async def stop() -> None:
        # Connections wrk left mid-answer end here, not when their coroutines are collected later.
        holder["server"].close()
        serving = [task for task in asyncio.all_tasks() if task is not asyncio.current_task()]
        for task in serving:
            task.cancel()
        await asyncio.gather(*serving, return_exceptions=True)

    try:
        yield f"http://127.0.0.1:{holder['port']}", rec
    finally:
        asyncio.run_coroutine_threadsafe(stop(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


def applicant(n: int) -> wrk.WizardApplicant:
    return wrk.WizardApplicant(
        headers={"cookie": f"__Host-session=s{n}; __Host-csrf=c{n}", "x-csrf-token": f"c{n}",
                 "accept-language": "zh-CN"},
        answers={"certificate-details": {"holder_name": f"王{n}", "note": 'a "quoted" \\ line\nbreak'},
                 "point": {"point_code": f"1101080{n}"}, "materials": {"school": "实验小学", "n": n}})


def test_wizard_script_replays_each_applicant_in_order_one_request_at_a_time(
        recording_server: tuple[str, Recording], tmp_path: Path) -> None:
    url, rec = recording_server
    people = [applicant(n) for n in range(1, 5)]
    run = wrk.run(url, lambda report: wrk.wizard_script(people, report), tmp_path, connections=4, seconds=1,
                  name="wizard")
    assert rec.requests and rec.overlaps == 0
    assert run.answered_2xx == run.report["statuses"]["200"] and run.report["unmatched"] == 0 and run.errors == 0
    expected_paths = [path for _, _, path in wrk.ROUND]
    by_applicant: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for request in rec.requests:
        by_applicant[request["applicant"]].append(request)
    assert set(by_applicant) == {"1", "2", "3", "4"}
    for number, requests in by_applicant.items():
        assert [r["path"] for r in requests] == [expected_paths[i % len(expected_paths)] for i in range(len(requests))]
        for request in requests:
            assert request["headers"]["cookie"] == f"__Host-session=s{number}; __Host-csrf=c{number}"
            assert request["headers"]["x-csrf-token"] == f"c{number}"
            body = json.loads(request["body"])
            name = request["path"].rsplit("/", 1)[1]
            if name == "certificate-lookup":
                assert len(body["certificate_number"]) == 17 and body["certificate_number"].isdigit()
            elif name in ("certificate-details", "point", "materials"):
                assert body == people[int(number) - 1].answers[name]  # UTF-8, quotes, backslash, newline intact
            else:
                assert body == wrk.FIXED_BODIES[name]
            assert request["method"] == ("POST" if name == "go-back" else "PUT")


def test_a_refused_step_sends_the_applicant_back_to_step_two(recording_server: tuple[str, Recording],
                                                             tmp_path: Path) -> None:
    url, rec = recording_server
    rec.refuse.add("/api/v1/applications/draft/steps/point")
    run = wrk.run(url, lambda report: wrk.wizard_script([applicant(1)], report), tmp_path, connections=1,
                  seconds=1, name="refused")
    paths = [r["path"].rsplit("/", 1)[1] for r in rec.requests]
    after_refusal = [paths[i + 1] for i, p in enumerate(paths[:-1]) if p == "point"]
    assert after_refusal and set(after_refusal) == {"go-back"}
    assert run.errors == run.report["statuses"]["409"] > 0


def test_paced_script_sends_from_a_schedule_and_times_from_it(recording_server: tuple[str, Recording],
                                                               tmp_path: Path) -> None:
    url, rec = recording_server
    text = wrk.wizard_script([applicant(1), applicant(2)], tmp_path / "r.json", interval_us=20_000)
    assert "function delay()" in text and "INTERVAL_US = 20000.000" in text
    run = wrk.run(url, lambda report: wrk.wizard_script([applicant(1), applicant(2)], report, interval_us=20_000),
                  tmp_path, connections=2, seconds=1, name="paced")
    assert rec.overlaps == 0 and run.errors == 0
    assert len(run.report["latencies_ms"]) == run.answered_2xx > 0


def test_every_paced_request_is_timed_from_its_own_slot_with_many_connections_waiting(
        recording_server: tuple[str, Recording], tmp_path: Path) -> None:
    """Forty connections and answers far faster than the offer: most connections wait for a slot
    at any moment, and the slots are taken and given out in thousands. A request timed from a slot
    that is not its own shows as an answer before its slot (a negative latency) or as one measured
    from when it was sent (the wait before it lost): the FIFO of slots once lost its order this way
    (Lua's length of a table whose first entries were taken)."""
    url, _ = recording_server
    people = [applicant(n) for n in range(1, 41)]
    run = wrk.run(url, lambda report: wrk.wizard_script(people, report, interval_us=2_000), tmp_path,
                  connections=40, seconds=2, name="many")
    latencies = run.report["latencies_ms"]
    assert run.errors == 0 and len(latencies) == run.answered_2xx > 500
    # wrk's timer rounds to whole milliseconds: a request may leave up to 1 ms after its slot, never before.
    assert min(latencies) > -1.0
    assert sorted(latencies)[len(latencies) // 2] >= 2.0  # every answer takes the server's 2 ms at least


def test_every_new_visitor_is_timed_from_its_own_slot(recording_server: tuple[str, Recording],
                                                      tmp_path: Path) -> None:
    url, _ = recording_server
    run = wrk.run(url, lambda report: wrk.visitor_script(report, interval_us=2_000), tmp_path, connections=40,
                  seconds=2, name="visitors")
    latencies = run.report["latencies_ms"]
    assert run.errors == 0 and len(latencies) == run.answered_2xx > 500
    assert min(latencies) > -1.0


def test_the_page_script_asks_for_the_page_as_a_new_visitor(recording_server: tuple[str, Recording],
                                                             tmp_path: Path) -> None:
    url, rec = recording_server
    run = wrk.run(url, lambda report: wrk.page_script(report, "/help/faq"), tmp_path, connections=4, seconds=1,
                  name="page")
    assert run.errors == 0 and run.answered_2xx > 50  # the server also saw those in flight when wrk stopped
    assert {(r["method"], r["path"]) for r in rec.requests} == {("GET", "/help/faq")}
    assert not any("cookie" in r["headers"] for r in rec.requests)


def test_the_browser_script_sends_each_applicants_session_in_turn_with_the_form(
        recording_server: tuple[str, Recording], tmp_path: Path) -> None:
    url, rec = recording_server
    asked = wrk.BrowserRequest("POST", "/apply/step/4", "action=filter&school_province=110000")
    run = wrk.run(url, lambda report: wrk.browser_script([applicant(1), applicant(2), applicant(3)], report, asked),
                  tmp_path, connections=3, seconds=1, name="browser")
    assert run.errors == 0 and run.answered_2xx > 30
    assert {(r["method"], r["path"], r["body"]) for r in rec.requests} == {("POST", asked.path, asked.form)}
    first = rec.requests[:3]
    assert sorted(r["headers"]["cookie"] for r in first) == [f"__Host-session=s{n}; __Host-csrf=c{n}" for n in (1, 2, 3)]
    assert all(r["headers"]["x-csrf-token"] == r["headers"]["cookie"][-2:] for r in rec.requests)
    assert {(r["headers"]["accept"], r["headers"]["content-type"]) for r in rec.requests} == {
        ("text/html", "application/x-www-form-urlencoded")}


def test_the_browser_script_asks_for_a_page_without_a_body(recording_server: tuple[str, Recording],
                                                           tmp_path: Path) -> None:
    url, rec = recording_server
    run = wrk.run(url, lambda report: wrk.browser_script([applicant(1)], report, wrk.BrowserRequest("GET", "/portal")),
                  tmp_path, connections=1, seconds=1, name="browser")
    assert run.errors == 0 and run.answered_2xx > 10
    assert {(r["method"], r["path"], r["body"]) for r in rec.requests} == {("GET", "/portal", "")}
    assert not any("content-type" in r["headers"] for r in rec.requests)


def test_the_closed_loop_script_has_no_schedule(tmp_path: Path) -> None:
    assert "function delay()" not in wrk.wizard_script([applicant(1)], tmp_path / "r.json")


def test_a_script_needs_applicants_with_every_answer(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="at least one"):
        wrk.wizard_script([], tmp_path / "r.json")
    incomplete = wrk.WizardApplicant(headers={}, answers={"point": {"point_code": "1"}})
    with pytest.raises(ValueError, match="certificate-details, materials"):
        wrk.wizard_script([incomplete], tmp_path / "r.json")


def test_lua_string_escapes_what_lua_would_misread() -> None:
    assert wrk.lua_string('a"b\\c\nd\re') == '"a\\"b\\\\c\\nd\\re"'
    assert wrk.lua_string("实验") == '"实验"'


def test_wrk_run_counts_refusals_and_socket_errors_as_errors() -> None:
    report = {"requests": 10, "duration_us": 2_000_000, "bytes": 0, "non_2xx_3xx": 2, "unmatched": 0,
              "socket_errors": {"connect": 0, "read": 1, "write": 0, "timeout": 1},
              "statuses": {"200": 7, "503": 2, "302": 1}, "latencies_ms": []}
    run = wrk.WrkRun(report, 0.5, "")
    assert (run.answered_2xx, run.answered, run.errors, run.per_second) == (7, 10, 5, 3.5)
    without_hook = wrk.WrkRun({**report, "statuses": {}}, 0.5, "")
    assert (without_hook.answered_2xx, without_hook.errors) == (8, 4)


# --- /proc ---------------------------------------------------------------------------------------


def test_parse_stat_reads_past_a_command_name_with_parentheses_and_spaces() -> None:
    text = "4242 (postgres: a) b) S 17 4242 4242 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 1 0 99 0 0\n"
    stat = machine.parse_stat(text)
    assert (stat.ppid, stat.utime, stat.stime, stat.cutime, stat.cstime) == (17, 250, 50, 30, 20)
    assert stat.own_seconds == 300 / machine.TICKS and stat.reaped_children_seconds == 50 / machine.TICKS


TCP_TABLE = """\
  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1538 00000000:0000 0A 00000000:00000000 00:00000000 00000000   108        0 31337 1 0
   1: 0100007F:1538 0100007F:C350 01 00000000:00000000 00:00000000 00000000   108        0 40000 1 0
   2: 00000000:18EB 00000000:0000 0A 00000000:00000000 00:00000000 00000000   100        0 27182 1 0
"""


def test_listening_inodes_takes_only_listening_sockets_of_the_port() -> None:
    assert machine.listening_inodes(TCP_TABLE, 5432) == {"31337"}  # 0x1538; the established one is not
    assert machine.listening_inodes(TCP_TABLE, 6379) == {"27182"}
    assert machine.listening_inodes(TCP_TABLE, 5672) == set()


def test_listener_pid_finds_the_process_holding_a_listening_socket() -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        assert machine.listener_pid(listening.getsockname()[1]) == os.getpid()


def test_postgres_rows_count_exited_backends_through_the_postmasters_children_time() -> None:
    before = machine.Reading(processes={"gateway": {10: 5.0}}, pg_backends={100: 1.0, 101: 2.0},
                             pg_others={1: 3.0, 2: 0.5}, pg_reaped=40.0, pg_sessions=7)
    # Backend 101 exited (its whole 2.6 s moved into the postmaster's reaped time); 102 is new.
    after = machine.Reading(processes={"gateway": {10: 6.5}}, pg_backends={100: 1.4, 102: 0.3},
                            pg_others={1: 3.2, 2: 0.5}, pg_reaped=42.6, pg_sessions=9)
    rows = machine.cpu_rows(before, after)
    assert rows["gateway"] == 1.5
    assert rows[machine.PG_BACKENDS] == pytest.approx(0.4 + 0.3 + 0.6)  # 101's 0.6 s during the phase
    assert rows[machine.PG_SERVER] == pytest.approx(0.2)
    assert machine.per_step_ms(rows, 100)["gateway"] == 15.0
    assert machine.per_step_ms(rows, 0) == {}


# --- the report ----------------------------------------------------------------------------------


def phase(system_ms: float, per_second: float, p99: float, errors: int = 0) -> dict[str, Any]:
    per_step = {"gateway": system_ms / 2, "application": system_ms / 2, wrkbench.GENERATOR: 0.03}
    return {"seconds": 20.0, "steps": 1000, "steps_per_second": per_second, "errors": errors, "statuses": {},
            "unmatched": 0, "latency": {"count": 1000, "p50_ms": 10.0, "p95_ms": 20.0, "p99_ms": p99, "max_ms": p99},
            "cpu_seconds": {}, "cpu_ms_per_step": per_step, "system_cpu_ms_per_step": system_ms,
            "new_postgres_sessions": 3, "settled_before": {}}


def repeat(system_ms: float, p99: float) -> dict[str, Any]:
    return {"ceiling": {"requests_per_second": 7500.0, "cpu_ms_per_request": {"bare server": 0.12,
                                                                              wrkbench.GENERATOR: 0.03}},
            "busy": phase(system_ms, 500.0, 400.0), "paced": {"offered_per_second": 350.0, **phase(system_ms, 349.0, p99)}}


def test_verdicts_follow_the_measured_figures() -> None:
    slow = {row[0]: (row[1], row[3]) for row in wrkbench.verdicts(repeat(3.8, 508.0))}
    assert slow["machine CPU ms per step (busy, generator excluded)"] == (3.8, False)
    assert slow["steps/s ÷ wrk ceiling"] == (round(500 / 7500, 3), False)
    assert slow["paced p99 ms at 350.0 steps/s offered"] == (508.0, False)
    fast = {row[0]: row[3] for row in wrkbench.verdicts(repeat(1.4, 60.0))}
    assert fast["machine CPU ms per step (busy, generator excluded)"] and fast["paced p99 ms at 350.0 steps/s offered"]


def test_report_prints_ceiling_steps_cpu_by_process_sessions_and_targets(capsys: pytest.CaptureFixture[str]) -> None:
    wrkbench.print_report({"arguments": {"applicants": 50}, "repeats": [repeat(3.8, 508.0), repeat(1.4, 60.0)]})
    out = capsys.readouterr().out
    assert "repeat 1 of 2" in out and "repeat 2 of 2" in out
    for expected in ("wrk ceiling: bare endpoint req/s", "7,500.0", "busy: steps/s", "500.0",
                     "new PostgreSQL sessions", "3 in 20.0 s", "paced: p50 / p95 / p99", "508.0", "≤ 1.5",
                     "< 100 at 70% of max", "load generator (wrk", "NO"):
        assert expected in out
    gateway_lines = [line for line in out.splitlines() if line.startswith("gateway ")]
    assert "1.9" in gateway_lines[0] and "0.7" in gateway_lines[1]  # half of each repeat's system CPU


def test_report_prints_each_public_page_with_its_cpu_by_process(capsys: pytest.CaptureFixture[str]) -> None:
    pages = {"/": phase(2.2, 680.0, 90.0), "/help/faq": phase(0.3, 3500.0, 20.0)}
    wrkbench.print_report({"arguments": {"applicants": 50}, "repeats": [repeat(1.9, 12.0)], "pages": pages})
    out = capsys.readouterr().out.split("--- public pages", 1)[1]
    home, help_page = (next(line for line in out.splitlines() if line.startswith(page + " "))
                       for page in ("/", "/help/faq"))
    assert "680.0" in home and "1.1" in home and "2.2" in home  # pages/s, gateway (half), system
    assert "3,500.0" in help_page and "0.15" in help_page


def test_report_prints_the_wizards_browser_pages_apart_from_the_public_ones(
        capsys: pytest.CaptureFixture[str]) -> None:
    browser = {"GET /apply/step/4": phase(5.3, 280.0, 70.0)}
    wrkbench.print_report({"arguments": {"applicants": 50}, "repeats": [repeat(1.9, 12.0)],
                           "pages": {"/": phase(2.2, 680.0, 90.0)}, "browser_pages": browser})
    public, signed_in = capsys.readouterr().out.split("--- public pages", 1)[1].split("--- the wizard in a browser")
    assert "GET /apply/step/4" not in public
    row = next(line for line in signed_in.splitlines() if line.startswith("GET /apply/step/4 "))
    assert "280.0" in row and "5.3" in row


def test_the_rest_of_the_machine_is_what_no_row_accounts_for() -> None:
    proc_stat = "cpu  1000 20 300 5000 100 7 30 400 0 0\ncpu0 1 2 3 4\n"
    assert machine.machine_busy_seconds(proc_stat) == {"machine_busy": (1000 + 20 + 300 + 7 + 30) / machine.TICKS,
                                                       "interrupts": 37 / machine.TICKS}  # idle, iowait, steal out
    before = machine.Reading({}, {}, {}, 0.0, 0, machine_busy=10.0)
    after = machine.Reading({}, {}, {}, 0.0, 0, machine_busy=25.0)
    assert machine.elsewhere(before, after, {"gateway": 6.0, machine.GENERATOR: 1.0}) == 8.0
