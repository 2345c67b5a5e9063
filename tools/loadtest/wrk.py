"""``wrk`` (Debian's package) as the benchmark's HTTP load generator: its Lua scripts and its run.

Why wrk: one Python process sending the requests cost ≈ 0.57 ms of its own CPU per request, so on
this 2-core machine it set the ceiling it was meant to measure; wrk's C event loop costs ≈ 0.03 ms.

The scripts, all written by this module with their data inlined:

- ``ceiling_script``: the same small PUT again and again (the bare endpoint, ceiling.py).
- ``wizard_script``: signed-in applicants (sessions and CSRF tokens taken by Python beforehand,
  ``WizardApplicant``) each going through steps 2-7 and back to step 2, again and again. Every
  request carries ``X-Request-ID: wrk-<applicant>-<n>``, which the gateway echoes; the answer's id
  says whose request came back, so an applicant has at most one request in flight (its steps stay in
  order, and two writes of one draft never race) although wrk's request hook does not say which
  connection it fills.
- ``page_script``: a public page asked for by new visitors (no cookies).
- ``browser_script``: one page of the wizard, or one form posted, by signed-in applicants in turn.

With ``interval_us`` the wizard script paces the requests as wrk2 does, in Lua: wrk asks ``delay()``
before every request, and each call hands out the next slot of one fixed schedule (one slot every
``interval_us`` whatever the answers' speed). A request is timed from its slot, not from when a free
connection finally sent it, so a slow system is charged for the requests it held back (no
coordinated omission). Both scripts write their counters as JSON to ``report_path`` when wrk ends.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# The rotation of every applicant: steps 2-7, then back to step 2 to correct them (what the Python
# journey's wizard-step phase did). (name, method, path); a step's body comes from the applicant.
ROUND: tuple[tuple[str, str, str], ...] = (
    *((name, "PUT", f"/api/v1/applications/draft/steps/{name}")
      for name in ("terms", "certificate-lookup", "certificate-details", "point", "notes", "materials")),
    ("go-back", "POST", "/api/v1/applications/draft/go-back"),
)
FIXED_BODIES = {"terms": {"accept": True}, "notes": {"read": True}, "go-back": {"to_step": 2}}
CEILING_BODY = {"point_code": "11010801", "override_warnings": []}


@dataclass(frozen=True)
class WizardApplicant:
    """One signed-in applicant as wrk replays it: the headers a browser would send (session cookie,
    CSRF token) and the answers the journey gives (journey.py), by step name. The certificate number
    of step 3 is drawn anew in Lua every round, as the journey draws it."""

    headers: dict[str, str]
    answers: dict[str, dict[str, Any]]


def lua_string(text: str) -> str:
    """A Lua string literal holding ``text`` exactly (UTF-8 bytes pass through)."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + escaped.replace("\0", "\\0") + '"'


def lua_table(mapping: dict[str, str]) -> str:
    return "{" + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in mapping.items()) + "}"


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_CLOCK_AND_REPORT = r"""
local ffi = require("ffi")
ffi.cdef[[ typedef struct { long tv_sec; long tv_nsec; } tqr_timespec; int clock_gettime(int, tqr_timespec *); ]]
local clock = ffi.new("tqr_timespec")
local function now_us()  -- CLOCK_MONOTONIC
  ffi.C.clock_gettime(1, clock)
  return tonumber(clock.tv_sec) * 1e6 + tonumber(clock.tv_nsec) / 1e3
end

local threads = {}
function setup(thread) threads[#threads + 1] = thread end

statuses = {}     -- HTTP status -> answers (each thread's own; done() adds them up)
latencies = {}    -- ms of every answered request, from when it was due
unmatched = 0     -- answers without our X-Request-ID (not attributable to an applicant)
kinds = {}        -- kind of each answer in latencies ("2xx", "shed", "refused"; a script's own)

-- (Flat arrays only: wrk's thread:get copies a table of tables badly.)
local function record(kind, ms)
  latencies[#latencies + 1] = ms
  kinds[#kinds + 1] = kind
end

local function count(status) statuses[status] = (statuses[status] or 0) + 1 end

function done(summary, latency, requests)
  local by_status, all, lost, by_kind = {}, {}, 0, {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      by_status[tostring(status)] = (by_status[tostring(status)] or 0) + n
    end
    local kinds_of = thread:get("kinds")
    for i, ms in ipairs(thread:get("latencies")) do
      local text = string.format("%.3f", ms)
      all[#all + 1] = text
      local kind = kinds_of[i] or "?"
      local into = by_kind[kind] or {}
      into[#into + 1] = text
      by_kind[kind] = into
    end
    lost = lost + thread:get("unmatched")
  end
  local parts = {}
  for status, n in pairs(by_status) do parts[#parts + 1] = string.format('"%s":%d', status, n) end
  local e = summary.errors
  local out = assert(io.open(REPORT_PATH, "w"))
  out:write(string.format('{"requests":%d,"duration_us":%d,"bytes":%d,',
                          summary.requests, summary.duration, summary.bytes))
  out:write(string.format('"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"non_2xx_3xx":%d,',
                          e.connect, e.read, e.write, e.timeout, e.status))
  out:write(string.format('"wrk_latency_us":{"p50":%d,"p99":%d,"max":%d},', latency:percentile(50),
                          latency:percentile(99), latency.max))
  out:write('"statuses":{' .. table.concat(parts, ",") .. '},"unmatched":' .. lost .. ',')
  local kind_parts = {}
  for kind, list in pairs(by_kind) do
    kind_parts[#kind_parts + 1] = string.format('"%s":[', kind) .. table.concat(list, ",") .. "]"
  end
  out:write('"latencies_by_kind_ms":{' .. table.concat(kind_parts, ",") .. '},')
  out:write('"latencies_ms":[' .. table.concat(all, ",") .. ']}\n')
  out:close()
end
"""


def ceiling_script(report_path: Path) -> str:
    """The bare endpoint: one small JSON PUT again and again. No response hook (it would make wrk
    hand every answer to Lua): wrk's own counters and latency (send → answer) are the report."""
    return "\n".join([
        "-- Generated by tools/loadtest/wrk.py (ceiling_script): the bare endpoint, one PUT again and again.",
        f"REPORT_PATH = {lua_string(str(report_path))}",
        _CLOCK_AND_REPORT,
        f'wrk.method, wrk.body, wrk.headers["Content-Type"] = "PUT", {lua_string(_json(CEILING_BODY))}, '
        '"application/json"',
        "",
    ])


def page_script(report_path: Path, page: str) -> str:
    """A public page (``page``: ``/``, ``/help/faq``) asked for again and again, as a person who has
    not signed in asks for it (no cookies). No response hook: wrk's own counters are the report."""
    return "\n".join([
        f"-- Generated by tools/loadtest/wrk.py (page_script): GET {page} again and again.",
        f"REPORT_PATH = {lua_string(str(report_path))}",
        _CLOCK_AND_REPORT,
        f'wrk.method, wrk.path = "GET", {lua_string(page)}',
        "",
    ])


@dataclass(frozen=True)
class BrowserRequest:
    """A request of the wizard's pages as a browser sends it: ``form`` url-encoded for a POST."""

    method: str
    path: str
    form: str = ""

    def __str__(self) -> str:
        return f"{self.method} {self.path}" + (f" ({self.form})" if self.form else "")


def browser_script(applicants: list[WizardApplicant], report_path: Path, asked: BrowserRequest) -> str:
    """``asked`` again and again, each time as the next of ``applicants`` in turn (their session
    cookie and CSRF token), as their browser would send it: HTML accepted, a form posted. No
    response hook: wrk's own counters are the report, a redirect (a saved step's answer) included."""
    if not applicants:
        raise ValueError("the browser script needs at least one signed-in applicant")
    extra = {"Accept": "text/html"}
    if asked.method == "POST":
        extra["Content-Type"] = "application/x-www-form-urlencoded"
    rows = [f"  {lua_table({**a.headers, **extra})}," for a in applicants]
    return "\n".join([
        f"-- Generated by tools/loadtest/wrk.py (browser_script): {asked}, each applicant in turn.",
        f"REPORT_PATH = {lua_string(str(report_path))}",
        _CLOCK_AND_REPORT,
        "HEADERS = {", *rows, "}",
        f"METHOD, PATH, FORM = {lua_string(asked.method)}, {lua_string(asked.path)}, {lua_string(asked.form)}",
        "local turn = 0",
        "function request()",
        "  turn = turn % #HEADERS + 1",
        "  return wrk.format(METHOD, PATH, HEADERS[turn], FORM ~= \"\" and FORM or nil)",
        "end",
        "",
    ])


# Both scripts: when the request about to be sent was due. Paced (``_PACING``'s delay() hands out the
# slots), its slot; else now.
_SLOTS = r"""
-- Due times handed out by delay(), a FIFO with its own ends: Lua's # is undefined on a table
-- whose first entries were taken (nil), and a wrong index silently mispairs requests and slots.
local slots, slot_head, slot_tail = {}, 1, 0
local next_due = nil

local function due_time()
  if INTERVAL_US > 0 and slot_head <= slot_tail then
    local due = slots[slot_head]; slots[slot_head] = nil; slot_head = slot_head + 1
    return due
  end
  return now_us()
end
"""

_WIZARD_LOGIC = r"""
local free, head, tail = {}, 1, 0   -- applicants with no request in flight (a FIFO)
local position, due_of = {}, {}     -- applicant -> next request in ROUND; due time of the one in flight
local sequence, fallback = 0, 0

local function give(a) tail = tail + 1; free[tail] = a end
local function take()
  if head <= tail then local a = free[head]; free[head] = nil; head = head + 1; return a end
  -- Every applicant waits for an answer (one was lost to a socket error): reuse one in turn.
  fallback = fallback % #APPLICANTS + 1
  return fallback
end

function init(args)
  math.randomseed(os.time())
  for a = 1, #APPLICANTS do give(a); position[a] = 1 end
end

local function body_of(a, name)
  if name == "certificate-lookup" then  -- a new 17-digit number each round, as the journey draws it
    return string.format('{"certificate_number":"2026%06d%07d"}', math.random(0, 999999), math.random(0, 9999999))
  end
  return APPLICANTS[a].answers[name]
end

function request()
  local a = take()
  local name, method, path = unpack(ROUND[position[a]])
  due_of[a] = due_time()
  sequence = sequence + 1
  local headers = APPLICANTS[a].headers
  headers["X-Request-ID"] = "wrk-" .. a .. "-" .. sequence
  return wrk.format(method, path, headers, body_of(a, name))
end

function response(status, headers, body)
  count(status)
  local id = headers["x-request-id"] or headers["X-Request-ID"]
  local a = id and tonumber(string.match(id, "^wrk%-(%d+)%-"))
  if not a or not due_of[a] then unmatched = unmatched + 1; return end
  local kind = "refused"
  if status < 300 then
    kind = "2xx"
  elseif status == 503 and body and string.find(body, "SERVER_BUSY", 1, true) then
    kind = "shed"  -- the admission control's orderly answer (R-PEAK-1), not a failure
  end
  record(kind, (now_us() - due_of[a]) / 1000)
  due_of[a] = nil
  if status < 300 then
    position[a] = position[a] % #ROUND + 1
  else
    position[a] = #ROUND  -- refused: back to step 2 and start the round again
  end
  give(a)
end
"""

_PACING = r"""
-- wrk2's fixed rate, in Lua: wrk asks delay() (ms) before each request; each call takes the next
-- slot of one schedule, whatever the answers' speed; request() pairs the slots in the same order.
function delay()
  local now = now_us()
  if next_due == nil then next_due = now end
  local due = next_due
  next_due = next_due + INTERVAL_US
  slot_tail = slot_tail + 1
  slots[slot_tail] = due
  local wait = (due - now) / 1000
  if wait <= 0 then return 0 end
  return math.ceil(wait)
end
"""


def wizard_script(applicants: list[WizardApplicant], report_path: Path, *, interval_us: float = 0.0) -> str:
    """The wizard rotation for ``applicants``; ``interval_us`` > 0: a fixed rate of one request per
    that many microseconds over all connections (else each connection sends as soon as answered)."""
    if not applicants:
        raise ValueError("the wizard script needs at least one signed-in applicant")
    names = [name for name, _, _ in ROUND]
    rows = []
    for applicant in applicants:
        answers = {name: _json(body) for name, body in {**FIXED_BODIES, **applicant.answers}.items()
                   if name in names and name != "certificate-lookup"}
        missing = set(names) - set(answers) - {"certificate-lookup"}
        if missing:
            raise ValueError(f"an applicant has no answer for {', '.join(sorted(missing))}")
        headers = {"Content-Type": "application/json", **applicant.headers}
        rows.append(f"  {{headers = {lua_table(headers)}, answers = {lua_table(answers)}}},")
    parts = [
        "-- Generated by tools/loadtest/wrk.py (wizard_script): signed-in applicants saving steps 2-7.",
        f"REPORT_PATH = {lua_string(str(report_path))}",
        f"INTERVAL_US = {interval_us:.3f}",
        _CLOCK_AND_REPORT,
        "ROUND = {" + ", ".join("{" + ", ".join(lua_string(p) for p in step) + "}" for step in ROUND) + "}",
        "APPLICANTS = {", *rows, "}",
        _SLOTS,
        _WIZARD_LOGIC,
    ]
    if interval_us > 0:
        parts.append(_PACING)
    return "\n".join(parts)


_VISITOR_LOGIC = r"""
local due_of = {}                   -- X-Request-ID -> due time of the request in flight
local sequence = 0

function init(args) math.randomseed(os.time()) end

function request()
  sequence = sequence + 1
  local id = "visitor-" .. sequence
  due_of[id] = due_time()
  -- A new person each time, behind the trusted proxy: their own address, no cookies.
  local address = string.format("10.%d.%d.%d", math.random(0, 255), math.random(0, 255), math.random(1, 254))
  return wrk.format("GET", PAGE, {["Accept"] = "text/html", ["Accept-Language"] = "zh-CN",
                                  ["X-Request-ID"] = id, ["X-Forwarded-For"] = address})
end

function response(status, headers, body)
  count(status)
  local id = headers["x-request-id"] or headers["X-Request-ID"]
  local due = id and due_of[id]
  if not due then unmatched = unmatched + 1; return end
  due_of[id] = nil
  local kind = "refused"
  if status < 300 then
    kind = (body and string.find(body, WAITING_MARK, 1, true)) and "waiting" or "page"
  elseif status == 503 and body and string.find(body, "SERVER_BUSY", 1, true) then
    kind = "shed"  -- the admission control's page (its heading carries the code), not a failure
  end
  record(kind, (now_us() - due) / 1000)
end
"""

# The waiting page's status region (services/gateway/.../overload/waiting_room.html).
WAITING_MARK = 'id="waiting-place"'


def visitor_script(report_path: Path, *, interval_us: float, page: str = "/") -> str:
    """New visitors opening ``page``, each a different person (no cookies, an address of their own
    in X-Forwarded-For, which a gateway trusting the generator's address as its proxy believes), at a
    fixed rate of one per ``interval_us``. Answers are counted by kind: the page itself, the waiting
    page (queued), shed (the admission control's 503 SERVER_BUSY), or refused (any other answer)."""
    if interval_us <= 0:
        raise ValueError("new visitors arrive at a fixed rate: interval_us must be positive")
    return "\n".join([
        "-- Generated by tools/loadtest/wrk.py (visitor_script): new visitors opening a page.",
        f"REPORT_PATH = {lua_string(str(report_path))}",
        f"INTERVAL_US = {interval_us:.3f}",
        f"PAGE = {lua_string(page)}",
        f"WAITING_MARK = {lua_string(WAITING_MARK)}",
        _CLOCK_AND_REPORT,
        _SLOTS,
        _VISITOR_LOGIC,
        _PACING,
    ])


@dataclass
class WrkRun:
    """One wrk run: its counters (from the script's report), its own CPU, and its text output."""

    report: dict[str, Any]
    cpu_seconds: float
    output: str
    seconds: float = field(init=False)

    def __post_init__(self) -> None:
        self.seconds = self.report["duration_us"] / 1e6

    @property
    def answered_2xx(self) -> int:
        if not self.report["statuses"]:  # a script without a response hook: wrk's own count
            return int(self.report["requests"]) - int(self.report["non_2xx_3xx"])
        return sum(n for status, n in self.report["statuses"].items() if 200 <= int(status) < 300)

    @property
    def answered(self) -> int:
        return sum(self.report["statuses"].values()) or int(self.report["requests"])

    @property
    def errors(self) -> int:
        """Answers other than 2xx, and requests that got no answer (socket errors)."""
        sockets = self.report["socket_errors"]
        return self.answered - self.answered_2xx + sockets["connect"] + sockets["read"] + sockets["write"] \
            + sockets["timeout"]

    @property
    def per_second(self) -> float:
        return self.answered_2xx / max(self.seconds, 1e-9)


def command(url: str, script: Path, *, connections: int, seconds: float, threads: int = 1) -> list[str]:
    # One thread: on a 2-core machine shared with the system under test a second event loop only
    # competes for the same cores. A 30 s timeout: a slow answer is measured, not dropped at wrk's 2 s.
    return ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "30s", "-s", str(script), url]


def run(url: str, script_for: Callable[[Path], str], workdir: Path, *, connections: int, seconds: float,
        name: str) -> WrkRun:
    """Write the script (``script_for(report_path)``), run wrk to its end, and read the script's
    report; wrk's own CPU from its rusage."""
    workdir.mkdir(parents=True, exist_ok=True)
    script, report = workdir / f"{name}.lua", workdir / f"{name}.json"
    report.unlink(missing_ok=True)
    script.write_text(script_for(report), encoding="utf-8")
    process = subprocess.Popen(command(url, script, connections=connections, seconds=seconds),  # noqa: S603
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert process.stdout is not None
    output = process.stdout.read().decode(errors="replace")
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0 or not report.exists():
        raise RuntimeError(f"wrk failed (exit {process.returncode}):\n{output}")
    return WrkRun(json.loads(report.read_text(encoding="utf-8")), usage.ru_utime + usage.ru_stime, output)
