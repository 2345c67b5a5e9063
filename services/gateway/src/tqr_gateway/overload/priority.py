"""What a request is worth when there is not room for everyone (R-PEAK-1).

Work already under way goes first: a submission, then a wizard step (or anything else a signed-in
applicant does, such as opening the form), then a sign-in (or any other form an anonymous person
posts: registration and password reset are flows under way), then a new visitor's page. Staff are
never queued, nor are the probes, the static files the waiting page itself needs, and the language
switch (so the waiting page can be read in English).

Opening the sign-in page is a new visitor's page, not a sign-in: were it let by, the queue would
have a side door everyone takes. A visitor queues once and is then let in with a pass
(waiting_room.AdmissionPass) under which their pages rank with sign-ins.
"""

from __future__ import annotations

from enum import IntEnum

from starlette.types import Scope

# Never limited: the probes (an orchestrator must always get an answer), Prometheus, the files the
# waiting page needs, and the language switch.
EXEMPT_PATHS = frozenset({"/healthz", "/livez", "/readyz", "/metrics", "/favicon.ico"})
EXEMPT_PREFIXES = ("/static/", "/lang/")
# Staff work and staff sign-in are never queued (their console has no waiting room).
STAFF_PREFIXES = ("/staff", "/api/v1/staff", "/api/v1/account/staff-sessions")
SUBMISSIONS = frozenset({"/apply/submit", "/api/v1/applications/draft/submit"})
READING_METHODS = frozenset({"GET", "HEAD"})


class Priority(IntEnum):
    """Lower goes first."""

    SUBMISSION = 0
    WIZARD_STEP = 1
    SIGN_IN = 2
    NEW_VISITOR = 3


class Pass(IntEnum):
    """Requests the limiter lets by without asking: never counted, or counted but never held."""

    EXEMPT = 0
    STAFF = 1


def classify(scope: Scope, *, signed_in: str | None = None, admitted_visitor: bool = False) -> Priority | Pass:
    """The standing of a request, from what the admission layer can tell before anything else runs
    (overload.early): ``signed_in`` is "staff" or "applicant" when the request carries a session
    cookie (what kind, when this gateway remembers the session), None without one.
    ``admitted_visitor``: an anonymous person who holds a pass from the waiting room (or came in
    while it was open), on their way to signing in or registering."""
    path: str = scope["path"]
    if path in EXEMPT_PATHS or path.startswith(EXEMPT_PREFIXES):
        return Pass.EXEMPT
    if signed_in == "staff" or _is_staff_path(path):
        return Pass.STAFF
    if signed_in is not None:
        if scope["method"] == "POST" and path in SUBMISSIONS:
            return Priority.SUBMISSION
        return Priority.WIZARD_STEP
    if scope["method"] not in READING_METHODS or admitted_visitor:
        return Priority.SIGN_IN
    return Priority.NEW_VISITOR


def _is_staff_path(path: str) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in STAFF_PREFIXES)
