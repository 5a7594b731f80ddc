"""The shaper's idle accounting and the WAN benchmark's timeline (no timing asserted:
the clock is given)."""

from __future__ import annotations

import logging

import pytest

from benchmarks.shaper import Link
from benchmarks.timeline import Event, Timeline, recording
from engine.sync.uploader import BATCH_ANSWERED, BATCH_SENT, WINDOW


def test_the_link_counts_the_time_it_had_nothing_to_send() -> None:
    link = Link(bytes_per_second=1000.0, delay=0.0)
    assert link.snapshot(5.0)["idle"] == 0.0  # nothing sent yet: not idle, unused
    assert link.reserve(100, now=10.0) == pytest.approx(10.1)
    assert link.reserve(100, now=10.05) == pytest.approx(10.2)  # queued behind: busy
    assert link.reserve(100, now=10.5) == pytest.approx(10.6)  # 0.3 s with nothing
    snapshot = link.snapshot(11.0)  # and 0.4 s more, still going
    assert snapshot["idle"] == pytest.approx(0.7)
    assert snapshot["gaps"] == [(10.2, 0.3), (10.6, 0.4)]


def test_the_reader_may_run_ahead_of_the_link_by_its_queue() -> None:
    link = Link(bytes_per_second=1000.0, delay=0.0, queue_bytes=50)
    assert link.hold_until(10.6) == pytest.approx(10.55)
    assert Link(1000.0, 0.0, queue_bytes=0).hold_until(10.6) == pytest.approx(10.6)


def test_the_timeline_splits_the_upload_and_its_idle_link_into_phases() -> None:
    events = [
        Event(1.0, "sent", 100),
        Event(1.2, "answered", 100),
        Event(1.5, "coding"),
        Event(1.6, "sent", 1000),
        Event(3.0, "answered", 1000),
    ]
    gaps = [(0.0, 1.0), (1.3, 0.4), (3.0, 0.5)]
    timeline = Timeline(0.0, 3.5, events, gaps, idle=2.0, bytes_per_second=1000.0)
    names = [name for name, *_ in timeline.phases]
    assert [round(seconds, 2) for _, seconds, _, _ in timeline.phases] == [1.0, 0.5, 1.5, 0.5]
    assert [round(idle, 2) for _, _, idle, _ in timeline.phases] == [1.0, 0.2, 0.2, 0.5]
    assert [wire for *_, wire in timeline.phases] == [0, 100, 1000, 0]
    assert names[0].startswith("start-up")
    assert "uplink idle 2.00 s" in timeline.text()


def test_the_recorder_reads_the_uploader_s_log_lines() -> None:
    uploader = logging.getLogger("engine.sync.uploader")
    with recording() as recorder:
        uploader.debug(BATCH_SENT, 10, 80, 3, True)
        uploader.debug(BATCH_ANSWERED, 10, 80, 3, 0.05)
        logging.getLogger("engine.sync.coding").info("upload coding: %s", "zstd level 5")
    uploader.debug(BATCH_SENT, 10, 80, 3, True)  # after: not recorded
    assert [(e.kind, e.wire, e.level) for e in recorder.events] == [
        ("sent", 10, 3),
        ("answered", 10, 3),
        ("coding", 0, 0),
    ]
    assert recorder.codings == ["upload coding: zstd level 5"]


def test_idle_link_is_split_by_whether_the_window_was_full() -> None:
    """A spell with WINDOW batches unanswered waited for answers (the service or the
    round trip); one with fewer waited for the client's next batch."""
    sends = [Event(1.0 + i / 100, "sent", 100) for i in range(WINDOW)]
    events = [
        *sends,
        Event(1.6, "answered", 100),
        Event(2.0, "sent", 100),
        *(Event(2.5 + i / 100, "answered", 100) for i in range(WINDOW)),
    ]
    gaps = [(1.2, 0.3), (1.7, 0.2), (2.6, 0.4)]  # full, then not full, then the tail
    timeline = Timeline(0.0, 3.0, events, gaps, idle=0.9, bytes_per_second=1000.0)
    assert timeline.window_full == pytest.approx(0.3)
    assert timeline.client_late == pytest.approx(0.2)
    assert "window full 0.30 s" in timeline.text()
