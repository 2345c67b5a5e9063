"""R-PEAK-1 in one gateway process: the concurrency limit hands freed slots to work already under way
first (a submission, then a wizard step, then a sign-in), first come first served within each;
staff are never held back. No timing: slots are held and released by the test."""

import asyncio

import pytest
from tqr_gateway.overload.limiter import ConcurrencyLimiter
from tqr_gateway.overload.priority import Pass, Priority, classify

LONG = 60.0  # a wait the test never reaches: every waiter is released by the test itself


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def queued(limiter: ConcurrencyLimiter, *priorities: Priority) -> list[asyncio.Task[bool]]:
    """Requests of these priorities, in this order, each waiting for a slot."""
    tasks = [asyncio.create_task(limiter.acquire(priority, LONG)) for priority in priorities]
    await settle()
    return tasks


async def test_r_peak_1_freed_slots_go_to_a_submission_then_a_step_then_a_sign_in() -> None:
    limiter = ConcurrencyLimiter(1, max_waiting=5)
    assert limiter.try_acquire()
    order: list[str] = []

    async def wait(name: str, priority: Priority) -> None:
        assert await limiter.acquire(priority, LONG)
        order.append(name)

    # Arrival order is the reverse of the order they must get in.
    tasks = [asyncio.create_task(wait(name, priority)) for name, priority in [
        ("sign-in 1", Priority.SIGN_IN), ("step 1", Priority.WIZARD_STEP), ("sign-in 2", Priority.SIGN_IN),
        ("submission", Priority.SUBMISSION), ("step 2", Priority.WIZARD_STEP)]]
    await settle()
    assert order == [] and limiter.waiting == 5 and limiter.free_slots == 0
    for _ in tasks:
        limiter.release()
        await settle()
    assert order == ["submission", "step 1", "step 2", "sign-in 1", "sign-in 2"]
    await asyncio.gather(*tasks)


async def test_r_peak_1_staff_are_never_queued_but_their_work_counts() -> None:
    limiter = ConcurrencyLimiter(2)
    assert limiter.try_acquire() and limiter.try_acquire()
    limiter.enter_unqueued()  # staff: in at once, above the limit
    assert limiter.in_flight == 3
    waiter = asyncio.create_task(limiter.acquire(Priority.SUBMISSION, LONG))
    await settle()
    limiter.release()  # back to the limit: still no room for the waiter
    await settle()
    assert not waiter.done()
    limiter.release()
    await settle()
    assert waiter.done() and waiter.result() is True and limiter.in_flight == 2


async def test_with_no_wait_allowed_a_request_that_finds_no_slot_is_shed_at_once() -> None:
    limiter = ConcurrencyLimiter(1)
    assert await limiter.acquire(Priority.WIZARD_STEP, 0)
    assert await limiter.acquire(Priority.SUBMISSION, 0) is False
    limiter.release()
    assert await limiter.acquire(Priority.SUBMISSION, 0) is True


async def test_r_peak_1_only_as_many_wait_as_there_are_slots_the_rest_are_shed_at_once() -> None:
    limiter = ConcurrencyLimiter(2)
    assert limiter.try_acquire() and limiter.try_acquire()
    waiting = await queued(limiter, Priority.WIZARD_STEP, Priority.WIZARD_STEP)
    assert limiter.waiting == 2
    # The queue is full: another step is shed at once, not after its wait.
    assert await limiter.acquire(Priority.WIZARD_STEP, LONG) is False
    assert limiter.waiting == 2 and not any(task.done() for task in waiting)
    for _ in waiting:
        limiter.release()
    await settle()
    assert [task.result() for task in waiting] == [True, True]


async def test_r_peak_1_a_full_queue_sheds_its_worst_waiter_for_a_better_request() -> None:
    limiter = ConcurrencyLimiter(1, max_waiting=2)
    assert limiter.try_acquire()
    sign_in, step = await queued(limiter, Priority.SIGN_IN, Priority.WIZARD_STEP)
    [submission] = await queued(limiter, Priority.SUBMISSION)
    assert sign_in.done() and sign_in.result() is False  # displaced: shed
    assert limiter.waiting == 2 and limiter.in_flight == 1
    # A second sign-in is not better than anyone waiting: shed at once.
    assert await limiter.acquire(Priority.SIGN_IN, LONG) is False
    limiter.release()
    await settle()
    limiter.release()
    await settle()
    assert submission.result() is True and step.result() is True and limiter.in_flight == 1


async def test_a_waiter_that_gives_up_takes_no_slot() -> None:
    limiter = ConcurrencyLimiter(1, max_waiting=2)
    assert limiter.try_acquire()
    gone, stays = await queued(limiter, Priority.SUBMISSION, Priority.SIGN_IN)
    gone.cancel()  # the client went away
    await settle()
    limiter.release()
    await settle()
    assert stays.result() is True and limiter.in_flight == 1 and limiter.waiting == 0


async def test_a_free_slot_is_not_taken_past_someone_waiting() -> None:
    limiter = ConcurrencyLimiter(1)
    assert limiter.try_acquire()
    waiter = asyncio.create_task(limiter.acquire(Priority.SIGN_IN, LONG))
    await settle()
    limiter.enter_unqueued()
    limiter.release()
    limiter.release()  # the slot goes to the waiter, not to whoever asks next
    assert not limiter.try_acquire()
    await settle()
    assert waiter.result() is True


@pytest.mark.parametrize("method, path, who, expected", [
    ("GET", "/healthz", None, Pass.EXEMPT),
    ("GET", "/readyz", None, Pass.EXEMPT),
    ("GET", "/static/site.css", None, Pass.EXEMPT),
    ("GET", "/lang/en", None, Pass.EXEMPT),
    ("GET", "/portal", "staff", Pass.STAFF),
    ("GET", "/staff/login", None, Pass.STAFF),
    ("POST", "/api/v1/account/staff-sessions", None, Pass.STAFF),
    ("POST", "/apply/submit", "applicant", Priority.SUBMISSION),
    ("POST", "/api/v1/applications/draft/submit", "applicant", Priority.SUBMISSION),
    ("POST", "/apply/step/3", "applicant", Priority.WIZARD_STEP),
    ("PUT", "/api/v1/applications/draft/steps/notes", "applicant", Priority.WIZARD_STEP),
    ("GET", "/portal", "applicant", Priority.WIZARD_STEP),
    ("POST", "/account/login", None, Priority.SIGN_IN),
    ("POST", "/api/v1/account/sessions", None, Priority.SIGN_IN),
    ("POST", "/account/register", None, Priority.SIGN_IN),
    ("GET", "/", None, Priority.NEW_VISITOR),
    ("GET", "/account/login", None, Priority.NEW_VISITOR),
    ("GET", "/staffing", None, Priority.NEW_VISITOR),
])
def test_r_peak_1_the_standing_of_a_request(method: str, path: str, who: str | None, expected: object) -> None:
    scope = {"type": "http", "method": method, "path": path}
    assert classify(scope, signed_in=who) == expected


def test_an_admitted_visitor_pages_rank_with_sign_ins() -> None:
    scope = {"type": "http", "method": "GET", "path": "/account/register"}
    assert classify(scope, admitted_visitor=True) == Priority.SIGN_IN
