"""Progress on a slow link: bytes, the link's rate, a time left measured from the first
batch online; batch sizes that follow the measured link; the event loop's turn."""

from __future__ import annotations

import sys

import pytest

from contacts_migration.terminal import describe
from engine.status.model import EngineState, Phase, derive_status
from engine.sync.pacing import (
    FIRST_BATCH_BYTES,
    MIN_BATCH_BYTES,
    SWITCH_SECONDS,
    LinkMeter,
    quick_switches,
)


def test_progress_shows_bytes_and_the_time_left_from_the_first_batch() -> None:
    state = EngineState(
        phase=Phase.MIGRATING,
        done=600,
        total=2000,
        pass_started=90.0,
        rate_from=95.0,
        rate_from_done=100,
        bytes_done=7_000_000,
        wire_bytes_done=1_000_000,
    )
    status = derive_status(state, now=100.0)
    progress = status.progress
    assert progress is not None
    # 500 contacts in the 5 s since the first batch arrived, not 600 in 10 s
    assert progress.rate_per_second == pytest.approx(100.0)
    assert progress.eta_seconds == pytest.approx(14.0)
    assert (progress.bytes_done, progress.wire_bytes_done) == (7_000_000, 1_000_000)
    assert progress.wire_bytes_per_second == pytest.approx(100_000.0)
    line = describe(status)
    assert "1.0 MB sent at 0.8 Mbit/s" in line
    assert "about 14 s left" in line


def test_before_a_second_has_passed_the_whole_pass_sets_the_rate() -> None:
    state = EngineState(
        phase=Phase.MIGRATING, done=500, total=2000, pass_started=90.0, rate_from=99.5
    )
    progress = derive_status(state, now=100.0).progress
    assert progress is not None
    assert progress.rate_per_second == pytest.approx(50.0)


def test_batches_start_small_then_follow_the_link() -> None:
    fast, slow = LinkMeter(1_000_000), LinkMeter(1_000_000)
    assert fast.batch_bytes() == FIRST_BATCH_BYTES
    for meter, seconds in ((fast, 0.002), (slow, 0.12)):
        meter.sent_alone(seconds)
    # unmeasured throughput: as large as allowed
    assert fast.batch_bytes() == 1_000_000
    # a 100 Mbit/s link against a 1 Mbit/s one, both compressing 8x
    fast.settled(100_000, 800_000, busy=True)
    slow.settled(10_000, 80_000, busy=True)
    fast.rate, slow.rate = 12_500_000.0, 125_000.0
    assert fast.batch_bytes() == 1_000_000
    assert MIN_BATCH_BYTES <= slow.batch_bytes() < 1_000_000
    assert slow.batch_bytes() == pytest.approx(125_000 * slow.ratio * 0.48, rel=0.01)


def test_batch_size_never_exceeds_the_setting() -> None:
    meter = LinkMeter(20_000)
    assert meter.batch_bytes() == 20_000
    meter.sent_alone(0.001)
    meter.rate = 1.0
    assert meter.batch_bytes() == 20_000  # MIN_BATCH_BYTES is capped by the setting too


def test_an_upload_shortens_the_thread_switch_interval_and_restores_it() -> None:
    before = sys.getswitchinterval()
    with quick_switches():
        assert sys.getswitchinterval() == pytest.approx(min(before, SWITCH_SECONDS))
        with quick_switches():  # nested: the inner one leaves the outer's
            pass
        assert sys.getswitchinterval() == pytest.approx(min(before, SWITCH_SECONDS))
    assert sys.getswitchinterval() == pytest.approx(before)


def test_a_switch_interval_changed_meanwhile_is_left_alone() -> None:
    before = sys.getswitchinterval()
    try:
        with quick_switches():
            sys.setswitchinterval(0.002)  # someone else's choice: kept
        assert sys.getswitchinterval() == pytest.approx(0.002)
    finally:
        sys.setswitchinterval(before)
