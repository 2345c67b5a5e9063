"""Two clusters alive at once (`make test` runs one beside the main run's) never share a subnet or
a Redis database (each empties its own before and after)."""

from __future__ import annotations

import uuid

import pytest

from tests.cluster.claims import claim_one
from tests.cluster.network import Network


def test_claims_alive_at_once_get_different_values() -> None:
    kind = f"test-{uuid.uuid4().hex[:8]}"
    first, second = claim_one(kind, [1, 2, 3]), claim_one(kind, [1, 2, 3])
    try:
        assert (first.value, second.value) == (1, 2)
    finally:
        first.release()
        second.release()


def test_a_released_value_is_claimed_again() -> None:
    kind = f"test-{uuid.uuid4().hex[:8]}"
    claim_one(kind, [1, 2]).release()
    again = claim_one(kind, [1, 2])
    try:
        assert again.value == 1
    finally:
        again.release()


def test_none_left_is_an_error_not_a_shared_value() -> None:
    kind = f"test-{uuid.uuid4().hex[:8]}"
    held = [claim_one(kind, [1, 2]), claim_one(kind, [1, 2])]
    try:
        with pytest.raises(RuntimeError, match="in use"):
            claim_one(kind, [1, 2])
    finally:
        for claim in held:
            claim.release()


def test_a_value_in_use_elsewhere_is_passed_over() -> None:
    kind = f"test-{uuid.uuid4().hex[:8]}"
    claim = claim_one(kind, [1, 2, 3], usable=lambda value: value != 1)
    try:
        assert claim.value == 2
    finally:
        claim.release()


def test_two_networks_made_at_the_same_moment_get_different_subnets() -> None:
    """Made, not opened: the subnet is claimed when the network is made, before any route exists."""
    first, second = Network(), Network()
    try:
        assert first.subnet != second.subnet
    finally:
        first.close()
        second.close()
