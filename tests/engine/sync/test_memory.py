"""Memory during a pass: the collector's threshold raised for the pass and put back
after; the encoded documents waiting in the pipeline hold about their own size."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from engine.sources.sqlite import SqliteSource
from engine.sync.memory import PASS_GC_THRESHOLD, few_collections
from engine.sync.page_work import prepare


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


def test_a_prepared_page_holds_about_the_size_of_its_documents(practice_db: Path) -> None:
    """Each encoded document waits in the pipeline until its batch is answered; it must
    hold about its own size (orjson 3.13 handed each back in a 16 kB buffer: ~13x)."""
    documents = SqliteSource(practice_db).read_page(0, 300).documents
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        work = prepare(documents, [], 300)
        held = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    encoded = sum(len(item.body or b"") for item in work.items)
    assert len(work.items) == 300
    assert held < 1.5 * encoded, (held, encoded)
