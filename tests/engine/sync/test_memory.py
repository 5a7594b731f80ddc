"""The collector's threshold during a pass: raised for the pass, put back after."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from engine.sync.memory import PASS_GC_THRESHOLD, few_collections


@pytest.fixture(autouse=True)
def default_threshold() -> Iterator[None]:
    before = gc.get_threshold()
    gc.set_threshold(700, 10, 10)
    yield
    gc.set_threshold(*before)


def test_a_pass_collects_rarely_and_the_threshold_comes_back() -> None:
    with few_collections():
        assert gc.get_threshold() == (PASS_GC_THRESHOLD, 10, 10)
    assert gc.get_threshold() == (700, 10, 10)


def test_the_threshold_comes_back_after_a_failure() -> None:
    with pytest.raises(ValueError), few_collections():
        raise ValueError("the pass failed")
    assert gc.get_threshold() == (700, 10, 10)


def test_overlapping_passes_end_at_the_default() -> None:
    outer = few_collections()
    inner = few_collections()
    outer.__enter__()
    inner.__enter__()
    outer.__exit__(None, None, None)
    inner.__exit__(None, None, None)
    assert gc.get_threshold() == (700, 10, 10)


def test_a_threshold_set_by_someone_else_meanwhile_is_kept() -> None:
    with few_collections():
        gc.set_threshold(5000, 10, 10)
    assert gc.get_threshold() == (5000, 10, 10)


def test_a_higher_threshold_is_never_lowered() -> None:
    gc.set_threshold(200_000, 10, 10)
    with few_collections():
        assert gc.get_threshold() == (200_000, 10, 10)
    assert gc.get_threshold() == (200_000, 10, 10)
