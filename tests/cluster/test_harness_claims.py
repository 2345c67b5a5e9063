"""Two clusters alive at once (`make test` runs one beside the main run's) never share a subnet or
a Redis database (each empties its own before and after)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cluster.claims import claim_one
from tests.cluster.network import Network


def test_claims_alive_at_once_get_different_values(tmp_path: Path) -> None:
    kind = "test"
    first, second = claim_one(kind, [1, 2, 3], folder=tmp_path), claim_one(kind, [1, 2, 3], folder=tmp_path)
    try:
        assert (first.value, second.value) == (1, 2)
    finally:
        first.release()
        second.release()


def test_a_released_value_is_claimed_again(tmp_path: Path) -> None:
    kind = "test"
    claim_one(kind, [1, 2], folder=tmp_path).release()
    again = claim_one(kind, [1, 2], folder=tmp_path)
    try:
        assert again.value == 1
    finally:
        again.release()


def test_none_left_is_an_error_not_a_shared_value(tmp_path: Path) -> None:
    kind = "test"
    held = [claim_one(kind, [1, 2], folder=tmp_path), claim_one(kind, [1, 2], folder=tmp_path)]
    try:
        with pytest.raises(RuntimeError, match="in use"):
            claim_one(kind, [1, 2], folder=tmp_path)
    finally:
        for claim in held:
            claim.release()


def test_a_value_in_use_elsewhere_is_passed_over(tmp_path: Path) -> None:
    kind = "test"
    claim = claim_one(kind, [1, 2, 3], usable=lambda value: value != 1, folder=tmp_path)
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
