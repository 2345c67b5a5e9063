"""What one simulated applicant does, over the gateway's JSON API only.

sign in (text human check: its word problem answered, answer_of) → draft → the seven wizard steps
(waiting out the must-read page's 3 s, R-WIZ-1, as a person must) → submit with an Idempotency-Key
→ status → form download (PDF). Certificate data is self-filled (a new 17-digit number that is in
no registry), which is the path most applicants of a real province take.

``Patience`` decides what happens when the system is disturbed: in a benchmark nothing is retried
(an error is an error); under fault injection a person tries again for a while, and a submission is
always retried with the same Idempotency-Key, so a lost answer can never make a second application.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx

from tools.loadtest.client import ApiClient, UnexpectedAnswer

# Answers that mean "not now" rather than "no": worth another try when patience allows.
TRANSIENT = {0, 429, 500, 502, 503, 504}
WIZARD_STEPS = ("must-read", "terms", "certificate-lookup", "certificate-details", "point", "notes", "materials")


@dataclass(frozen=True)
class Person:
    account_id: str
    document_number: str
    name: str
    email: str
    password: str


@dataclass(frozen=True)
class Patience:
    seconds: float = 0.0  # 0: no retries at all (benchmark)
    pause: float = 0.5


@dataclass
class Outcome:
    person: Person
    idempotency_key: str
    application_id: str = ""
    application_number: str = ""
    submitted_at: datetime | None = None  # the server's time, from the answer
    accepted: bool = False  # a 201 came back for the submission
    completed: bool = False  # status and form fetched too
    failed_step: str = ""
    journey_seconds: float = 0.0


_ZH_NUMBER = re.compile(r"[零一二两三四五六七八九十]+")
_ZH_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")} | {"两": 2}
_EN_WORDS = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
             "sixteen seventeen eighteen nineteen twenty").split()
_EN_NUMBER = re.compile(r"\b(" + "|".join(_EN_WORDS) + r")\b", re.IGNORECASE)


def _zh_value(text: str) -> int:
    if "十" not in text:
        return _ZH_DIGITS[text]
    tens, _, units = text.partition("十")
    return (_ZH_DIGITS[tens] if tens else 1) * 10 + (_ZH_DIGITS[units] if units else 0)


def answer_of(question: str) -> str:
    """The text alternative of the human check is a short story with two numbers written as words
    ("篮子里有十二个梨，吃掉了五个。篮子里还剩几个梨？"): what is left is a difference, else a sum.
    A test's solver that knows the stories, which is why the check is only one layer among the
    per-client limits (README, "Security notes")."""
    numbers = [_zh_value(n) for n in _ZH_NUMBER.findall(question)] or \
        [_EN_WORDS.index(n.lower()) for n in _EN_NUMBER.findall(question)]
    a, b = numbers[:2]
    return str(a - b if ("剩" in question or " left" in question) else a + b)


def certificate_details(person: Person, authority_code: str) -> dict[str, Any]:
    number = person.document_number
    return {
        "holder_name": person.name, "certificate_type_code": "PRIMARY", "subject_code": "MATH",
        "issuing_body": "教育局", "issue_date": "2010-09-01", "authority_code": authority_code,
        "teaching_stage_code": "PRIMARY", "teaching_subject_code": "MATH",
        "gender": "M" if int(number[16]) % 2 else "F",
        "birth_date": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
    }


def materials(person: Person) -> dict[str, Any]:
    this_year = date.today().year
    return {"materials": {
        "email": person.email, "school": "实验小学", "post": "数学教师", "employment_start": "2015-09-01",
        "work_history": [{"start": "2015-09-01", "end": "", "school": "实验小学", "post": "数学教师"}],
        "annual_assessments": [{"year": y, "result": "合格"} for y in range(this_year - 5, this_year)],
        "ethics_assessment": "合格", "continuing_education_hours": 400,
    }}


class Journey:
    def __init__(self, client: ApiClient, person: Person, authority_code: str, patience: Patience) -> None:
        self.client = client
        self.person = person
        self.authority_code = authority_code
        self.patience = patience
        self.outcome = Outcome(person, idempotency_key=str(uuid.uuid4()))

    async def _try(self, step: str, attempt: Callable[[], Awaitable[httpx.Response]]) -> httpx.Response:
        deadline = time.monotonic() + self.patience.seconds
        while True:
            try:
                return await attempt()
            except UnexpectedAnswer as exc:
                if exc.status not in TRANSIENT or time.monotonic() >= deadline:
                    self.client.recorder.error(step, f"HTTP {exc.status}", exc.body)
                    raise
                self.client.recorder.retries[step] += 1
                await asyncio.sleep(self.patience.pause * (0.5 + random.random()))

    async def _call(self, step: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return await self._try(step, lambda: self.client.call(step, method, path, **kwargs))

    async def sign_in(self) -> None:
        async def once() -> httpx.Response:
            await self.client.call("csrf-token", "GET", "/api/v1/account/csrf-token")
            check = (await self.client.call("human-check", "POST", "/api/v1/account/human-checks",
                                            json={"kind": "text"})).json()
            passed = (await self.client.call(
                "human-check-answer", "POST", f"/api/v1/account/human-checks/{check['challenge_id']}/answer",
                json={"kind": "text", "answer": answer_of(check["question"])})).json()
            return await self.client.call("sign-in", "POST", "/api/v1/account/sessions", expect=(201,), json={
                "document_type": "ID_CARD", "document_number": self.person.document_number,
                "password": self.person.password, "pass_token": passed["pass_token"]})

        await self._try("sign-in", once)

    async def step(self, name: str, body: dict[str, Any]) -> dict[str, Any]:
        reply = await self._call(f"step:{name}", "PUT", f"/api/v1/applications/draft/steps/{name}", json=body)
        return reply.json()  # type: ignore[no-any-return]

    async def go_back_to_step_two(self) -> None:
        await self._call("go-back", "POST", "/api/v1/applications/draft/go-back", json={"to_step": 2})

    async def wizard(self) -> None:
        draft = (await self._call("draft", "GET", "/api/v1/applications/draft")).json()["draft"]
        if draft.get("submitted"):  # a retried journey whose submission already went through
            return
        await asyncio.sleep(float(draft.get("must_read_seconds_left") or 0) + 0.05)  # R-WIZ-1
        if self.client.pacer is not None:
            self.client.pacer.resume()
        await self.step("must-read", {})
        await self.step_two_to_seven()

    async def step_two_to_seven(self) -> None:
        await self.step("terms", {"accept": True})
        number = "2026" + "".join(random.choice("0123456789") for _ in range(13))
        await self.step("certificate-lookup", {"certificate_number": number})
        details = await self.step("certificate-details", certificate_details(self.person, self.authority_code))
        points = open_points(details["draft"]["plan"]["points"])
        await self.step("point", {"point_code": random.choice(points)["point_code"]})
        await self.step("notes", {"read": True})
        await self.step("materials", materials(self.person))

    async def submit(self) -> None:
        reply = await self._call("submit", "POST", "/api/v1/applications/draft/submit", expect=(201,), json={},
                                 headers={"idempotency-key": self.outcome.idempotency_key})
        body = reply.json()
        self.outcome.application_id = body["application_id"]
        self.outcome.application_number = body["application_number"]
        submitted = body.get("application", {}).get("submitted_at")
        self.outcome.submitted_at = datetime.fromisoformat(submitted.replace("Z", "+00:00")) if submitted else None
        self.outcome.accepted = True

    async def after(self) -> None:
        app = self.outcome.application_id
        status = (await self._call("status", "GET", f"/api/v1/applications/{app}")).json()
        if status["status"]["status"] != "SUBMITTED":
            self.client.recorder.error("status", f"unexpected status {status['status']['status']}")
        form = await self._call("form", "GET", f"/api/v1/applications/{app}/form?format=pdf")
        if not form.content.startswith(b"%PDF"):
            self.client.recorder.error("form", "not a PDF")

    async def run(self) -> Outcome:
        started = time.monotonic()
        stage = "sign-in"
        try:
            await self.sign_in()
            stage = "wizard"
            await self.wizard()
            stage = "submit"
            await self.submit()
            stage = "after"
            await self.after()
            self.outcome.completed = True
        except UnexpectedAnswer:
            self.outcome.failed_step = stage
        except (KeyError, ValueError, TypeError) as exc:  # an answer that is not what the API documents
            self.client.recorder.error(stage, f"malformed answer: {type(exc).__name__}", str(exc))
            self.outcome.failed_step = stage
        self.outcome.journey_seconds = time.monotonic() - started
        return self.outcome


def open_points(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The points a person may still choose: the wizard refuses one whose confirmation window has
    ended (it shows it as closed), so a simulated applicant picks among the others, as a real one."""
    now = datetime.now(UTC)
    return [p for p in points if not p.get("confirm_end") or datetime.fromisoformat(p["confirm_end"]) > now]
