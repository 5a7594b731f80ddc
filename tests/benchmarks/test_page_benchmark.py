"""The contacts page benchmark keeps working (a small run; no timing is asserted)."""

from __future__ import annotations

from benchmarks.page import measure


def test_page_benchmark_measures_every_page() -> None:
    pages = {"first": {}, "search": {"q": "Green, Ethan"}, "last": {"page": "4"}}
    results = measure(200, 1, pages)
    assert set(results) == set(pages)
    assert all(ms > 0 for ms in results.values())
