"""The garbage-collector set-up of a service process, and the load generator's pause while it measures.

A collection stops the whole process, so every request in flight waits for it: the services time
each one into ``tqr_gc_pause_seconds`` (by generation) for the dashboards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from prometheus_client import REGISTRY
from servicekit.gc_tuning import _time_collection, tune_for_service

from tools.loadtest.client import collector_paused


def pauses_timed(generation: int) -> float:
    return REGISTRY.get_sample_value("tqr_gc_pause_seconds_count", {"generation": str(generation)}) or 0.0


@pytest.fixture
def tuned_process() -> Iterator[None]:
    """``tune_for_service`` as a service runs it, undone afterwards: this is the test runner's process."""
    thresholds = gc.get_threshold()
    try:
        tune_for_service()
        yield
    finally:
        while _time_collection in gc.callbacks:
            gc.callbacks.remove(_time_collection)
        gc.unfreeze()
        gc.set_threshold(*thresholds)


def test_every_full_collection_of_a_tuned_process_is_timed(tuned_process: None) -> None:
    before = pauses_timed(2)
    gc.collect()
    gc.collect()
    assert pauses_timed(2) - before == 2


def test_tuning_twice_still_times_each_collection_once(tuned_process: None) -> None:
    tune_for_service()  # a second call (an embedded host, a test) must not time collections twice
    before = pauses_timed(2)
    gc.collect()
    assert pauses_timed(2) - before == 1


def test_the_load_generator_does_not_collect_while_it_measures() -> None:
    assert gc.isenabled()
    with collector_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_the_collector_comes_back_when_a_measured_stretch_fails() -> None:
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a phase that broke off")
    assert gc.isenabled()
