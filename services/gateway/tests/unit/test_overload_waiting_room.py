"""R-PEAK-1, the waiting room in Redis (real Redis, a key prefix of its own per test, time moved by
the test): first come first served, admission by the slots gateways report free, abandoned places
given up, an estimated wait from the pace of admissions, and the pass of a visitor let in."""

import secrets
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from redis.asyncio import Redis
from servicekit.clock import ManualClock
from tqr_gateway.overload.waiting_room import AdmissionPass, WaitingRoom, new_ticket

pytestmark = pytest.mark.redis
REDIS_URL = "redis://127.0.0.1:6379/0"
REFRESH = 10
ADDRESS = "203.0.113.7"


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))


@pytest.fixture
async def room(clock: ManualClock) -> AsyncIterator[WaitingRoom]:
    redis = Redis.from_url(REDIS_URL)
    prefix = f"tqr-test:{secrets.token_hex(6)}:gateway"
    yield WaitingRoom(redis, prefix=prefix, refresh_seconds=REFRESH, clock=clock)
    keys = [key async for key in redis.scan_iter(match=f"{prefix}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def queue(room: WaitingRoom, clock: ManualClock, count: int) -> list[str]:
    tickets = [new_ticket() for _ in range(count)]
    for ticket in tickets:
        clock.advance(seconds=0.1)
        assert (await room.ask(ticket, free_slots=0, address=ADDRESS)).position == tickets.index(ticket) + 1
    return tickets


async def test_r_peak_1_visitors_are_let_in_first_come_first_served(room: WaitingRoom, clock: ManualClock) -> None:
    tickets = await queue(room, clock, 5)
    let_in: list[str] = []
    for _ in range(5):
        await room.admit(free_slots=1)
        # Everyone asks (last comer first): only the one let in hears position 0.
        for ticket in reversed(tickets):
            if ticket not in let_in and (await room.ask(ticket, free_slots=0, address=ADDRESS)).admitted:
                let_in.append(ticket)
    assert let_in == tickets
    assert (await room.admit(free_slots=0)).waiting == 0


async def test_r_peak_1_a_visitor_sees_their_place_move_up(room: WaitingRoom, clock: ManualClock) -> None:
    tickets = await queue(room, clock, 3)
    await room.admit(free_slots=1)
    assert (await room.ask(tickets[2], free_slots=0, address=ADDRESS)).position == 2
    assert (await room.ask(tickets[1], free_slots=0, address=ADDRESS)).position == 1


async def test_admissions_not_yet_taken_count_against_the_free_slots(room: WaitingRoom, clock: ManualClock) -> None:
    tickets = await queue(room, clock, 6)
    await room.admit(free_slots=2)
    state = await room.admit(free_slots=2)  # the same two slots reported again: nobody more comes in
    assert state.waiting == 4
    assert (await room.ask(tickets[0], free_slots=0, address=ADDRESS)).admitted  # one takes their place
    assert (await room.admit(free_slots=2)).waiting == 3


async def test_a_newcomer_finding_room_and_nobody_ahead_is_let_in_at_once(room: WaitingRoom) -> None:
    assert (await room.ask(new_ticket(), free_slots=1, address=ADDRESS)).admitted


async def test_a_newcomer_never_passes_those_already_waiting(room: WaitingRoom, clock: ManualClock) -> None:
    first, = await queue(room, clock, 1)
    late = await room.ask(new_ticket(), free_slots=1, address=ADDRESS)  # room for one: it goes to the one ahead
    assert late.position == 1 and (await room.ask(first, free_slots=0, address=ADDRESS)).admitted


async def test_a_place_not_asked_for_is_given_up_and_those_behind_move_up(room: WaitingRoom,
                                                                           clock: ManualClock) -> None:
    gone, stays = await queue(room, clock, 2)
    clock.advance(seconds=room.abandon_seconds - 1)
    assert (await room.ask(stays, free_slots=0, address=ADDRESS)).position == 2
    clock.advance(seconds=2)  # `gone` has not asked for longer than abandon_seconds
    assert (await room.ask(stays, free_slots=0, address=ADDRESS)).position == 1
    await room.admit(free_slots=1)
    assert (await room.ask(stays, free_slots=0, address=ADDRESS)).admitted
    assert (await room.ask(gone, free_slots=0, address=ADDRESS)).position == 1  # back, at the end of the queue


async def test_an_admission_not_taken_in_time_lapses_and_frees_its_slot(room: WaitingRoom, clock: ManualClock) -> None:
    _slow, patient = await queue(room, clock, 2)
    await room.admit(free_slots=1)
    clock.advance(seconds=room.claim_seconds - 1)
    await room.ask(patient, free_slots=0, address=ADDRESS)
    assert (await room.admit(free_slots=1)).waiting == 1  # the slow one still holds the one slot
    clock.advance(seconds=2)
    await room.ask(patient, free_slots=0, address=ADDRESS)
    assert (await room.admit(free_slots=1)).waiting == 0  # lapsed: the slot went to `patient`
    assert (await room.ask(patient, free_slots=0, address=ADDRESS)).admitted


async def test_the_estimated_wait_follows_the_pace_of_admissions(room: WaitingRoom, clock: ManualClock) -> None:
    tickets = await queue(room, clock, 12)
    assert (await room.ask(tickets[-1], free_slots=0, address=ADDRESS)).estimated_wait_seconds is None  # no pace yet
    for _ in range(2):  # two let in every 10 s, each taking their place
        await room.admit(free_slots=2)
        for ticket in tickets:
            await room.ask(ticket, free_slots=0, address=ADDRESS)
        clock.advance(seconds=10)
    place = await room.ask(tickets[-1], free_slots=0, address=ADDRESS)
    assert place.position == 8
    # 4 admissions over the 20 s since the first: 0.2 a second, so 8 places take 40 s.
    assert place.room.admissions_per_second == pytest.approx(0.2)
    assert place.estimated_wait_seconds == 40
    # The head is now the fifth, who came 0.5 s after the start; it is 1.2 s + 20 s after the start.
    assert place.room.oldest_wait_seconds == pytest.approx(20.7)


def test_a_pass_is_accepted_by_any_gateway_with_the_secret_until_it_expires() -> None:
    clock = ManualClock(datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    here, there = (AdmissionPass("secret", valid_seconds=600, clock=clock) for _ in range(2))
    value = here.issue()
    assert there.valid(value)
    assert not AdmissionPass("another secret", valid_seconds=600, clock=clock).valid(value)
    expiry, signature = value.split(".")
    assert not there.valid(f"{int(expiry) + 3600}.{signature}")  # a longer pass cannot be made
    for junk in ("", "x", "1.2", ".", "abc.def"):
        assert not there.valid(junk)
    clock.advance(seconds=601)
    assert not there.valid(value)


async def test_r_peak_1_an_address_takes_a_bounded_number_of_new_places_a_minute(
        room: WaitingRoom, clock: ManualClock) -> None:
    room.new_places_per_address = 2
    first, second = new_ticket(), new_ticket()
    assert (await room.ask(first, free_slots=0, address=ADDRESS)).position == 1
    assert (await room.ask(second, free_slots=0, address=ADDRESS)).position == 2
    assert (await room.ask(first, free_slots=0, address=ADDRESS)).position == 1  # asking again takes no place
    refused = await room.ask(new_ticket(), free_slots=0, address=ADDRESS)
    assert refused.refused and not refused.admitted and refused.room.waiting == 2
    other = new_ticket()
    assert (await room.ask(other, free_slots=0, address="198.51.100.9")).position == 3  # someone else
    for _ in range(3):  # into the next minute (each window starts on the minute), everyone still asking
        clock.advance(seconds=20)
        for ticket in (first, second, other):
            await room.ask(ticket, free_slots=0, address=ADDRESS)
    assert (await room.ask(new_ticket(), free_slots=0, address=ADDRESS)).position == 4
    keys = [key.decode() async for key in room.redis.scan_iter(match=f"{room.keys[0].rsplit(':', 1)[0]}:new:*")]
    assert keys and not any(ADDRESS in key for key in keys)  # the address itself is not kept
