"""The coding chooser: compression on a slow link, none on a fast one; measured from the
full pipeline on a far link-bound one, else from probes sent alone.

A simulated pipeline: each batch holds it for the longer of its link time (wire bytes at
the link's rate) and the client's CPU time (plain bytes at the client's cost per byte),
and the uploader waits for whichever is slower; a batch sent alone takes a round trip,
its link time and its CPU time.
"""

from __future__ import annotations

from typing import Any

import pytest

from engine.online.compression import ZSTD_LEVELS, ContentEncoding
from engine.sync.coding import (
    IDENTITY,
    PASSIVE_ANSWERS,
    PROBES,
    REVIEW_AFTER,
    START,
    Coding,
    CodingChooser,
    Role,
)

MB = 1_000_000
RATIOS = {level: ratio for level, ratio, _ in ZSTD_LEVELS}


class Clock:
    """Process CPU seconds that advance as the test says."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _run(
    link_bytes_per_second: float,
    client_ns_per_byte: float,
    round_trip: float = 0.03,
    batches: int = 30,
    later_ns_per_byte: float | None = None,
    roles: list[Role] | None = None,
) -> CodingChooser:
    """``later_ns_per_byte``: the client's cost once the choice is made (None: the same);
    ``roles`` is told the role of every batch sent."""
    clock = Clock()
    chooser = CodingChooser(clock)
    chooser.round_trip(round_trip)  # the calls before the upload
    for _ in range(batches):
        if chooser.decided is not None and later_ns_per_byte is not None:
            client_ns_per_byte = later_ns_per_byte
        raw = chooser.probe_bytes() or MB  # the uploader sizes a batch, then codes it
        coding = chooser.next(ContentEncoding.ZSTD)
        if roles is not None:
            roles.append(coding.role)
        compressed = coding.encoding is ContentEncoding.ZSTD
        wire = int(raw / RATIOS[coding.level]) if compressed else raw
        compress_cpu = raw * 2.5e-9 if compressed else 0.0
        cpu = raw * client_ns_per_byte * 1e-9
        clock.now += cpu + compress_cpu
        link = wire / link_bytes_per_second
        if coding.role is Role.NORMAL:
            if link >= cpu + compress_cpu:  # the window fills: the uploader waits for it
                chooser.waited(link - compress_cpu, compress_cpu)
            else:  # the link waits for the client
                chooser.waited(0.0, cpu + compress_cpu)
            chooser.settled(coding, wire, raw, compress_cpu, max(link, cpu + compress_cpu))
        else:
            chooser.settled(coding, wire, raw, compress_cpu, None)
            chooser.timed(coding, wire, round_trip + link + cpu + compress_cpu)
        if chooser.decided is not None and later_ns_per_byte is None:
            break
    return chooser


def test_a_slow_link_gets_a_high_zstd_level_without_a_batch_sent_alone() -> None:
    """Far and link-bound: the full pipeline's wire rate is the link's; no probes."""
    roles: list[Role] = []
    chooser = _run(link_bytes_per_second=5e6 / 8, client_ns_per_byte=45, roles=roles)
    assert chooser.decided is not None
    assert chooser.decided.encoding is ContentEncoding.ZSTD
    assert chooser.decided.level >= 7
    assert set(roles) == {Role.NORMAL}
    assert len(roles) == PASSIVE_ANSWERS  # chosen at once
    # the log says only what was measured: no probe times nor a plain pipeline's rate
    described = chooser.describe()
    assert "from the full pipeline" in described
    assert "link 5.0 Mbit/s" in described
    assert "alone" not in described
    assert "pipeline, compressed" not in described


def test_a_near_service_is_probed_even_when_its_window_is_full() -> None:
    """The loopback's service can be the bottleneck; a full window there says nothing of
    the link, so the probes decide (and level 1 at most)."""
    roles: list[Role] = []
    chooser = _run(5e6 / 8, client_ns_per_byte=45, round_trip=0.002, roles=roles)
    assert Role.PROBE in roles
    assert chooser.decided is not None
    assert chooser.decided.level <= 1
    described = chooser.describe()
    assert "from probes" in described
    assert "alone, ms: {" in described
    assert "pipeline, compressed:" in described


def test_a_far_client_bound_link_is_not_probed_and_stays_cheap() -> None:
    """The client slower than the link at level 3: the link's rate is only known to be
    at least what the pipeline carried, so a cheap level; never none (far)."""
    roles: list[Role] = []
    chooser = _run(20e6 / 8, client_ns_per_byte=150, roles=roles)
    assert set(roles) == {Role.NORMAL}
    assert chooser.decided is not None
    assert chooser.decided.encoding is ContentEncoding.ZSTD
    assert chooser.decided.level <= START.level


def test_a_link_that_outruns_the_client_gets_no_compression() -> None:
    chooser = _run(link_bytes_per_second=200 * MB, client_ns_per_byte=45, round_trip=0.0005)
    assert chooser.decided == IDENTITY


def test_a_client_bound_medium_link_keeps_compression_cheap() -> None:
    chooser = _run(link_bytes_per_second=20e6 / 8, client_ns_per_byte=45)
    assert chooser.decided is not None
    assert chooser.decided.encoding is ContentEncoding.ZSTD
    assert chooser.decided.level <= 5  # more would cost the client more than the link saves


def test_references_and_probes_come_after_a_measured_batch_and_are_small() -> None:
    chooser = CodingChooser(Clock())
    assert chooser.next(ContentEncoding.ZSTD) == START
    assert chooser.probe_bytes() is None
    for _ in range(PASSIVE_ANSWERS):
        assert chooser.probe_bytes() is None
        chooser.settled(START, MB // 8, MB, 0.002, 0.05)  # 2.5 MB/s on the wire
    assert chooser.probe_bytes() == pytest.approx(200_000, abs=1)
    plan = [chooser.next(ContentEncoding.ZSTD) for _ in range(2 * PROBES)]
    assert [coding.role for coding in plan].count(Role.PROBE) == PROBES
    assert all(c.encoding is ContentEncoding.IDENTITY for c in plan if c.role is Role.PROBE)
    assert chooser.probe_bytes() is None
    assert chooser.next(ContentEncoding.ZSTD) == START  # until the probes are answered
    assert chooser.decided is None


@pytest.mark.parametrize("offered", [ContentEncoding.IDENTITY, ContentEncoding.GZIP])
def test_without_zstd_the_service_s_choice_is_kept(offered: ContentEncoding) -> None:
    chooser = CodingChooser(Clock())
    for _ in range(10):
        coding = chooser.next(offered)
        assert coding.encoding is offered
        chooser.settled(coding, MB, MB, 0.0, 0.01)
    assert chooser.decided is None


def test_batches_sent_alone_teach_nothing() -> None:
    chooser = CodingChooser(Clock())
    for _ in range(10):
        chooser.settled(START, MB // 8, MB, 0.002, None)
    assert chooser.probe_bytes() is None
    assert chooser.next(ContentEncoding.ZSTD) == START


def test_the_level_is_reviewed_with_the_client_s_steady_cpu() -> None:
    """At the choice the client's CPU per byte still includes the start-up; the review
    after REVIEW_AFTER answers uses what it costs since."""
    first = _run(20e6 / 8, client_ns_per_byte=150)
    assert first.decided is not None
    assert first.decided.level <= START.level  # CPU-bound: cheap
    reviewed = _run(20e6 / 8, client_ns_per_byte=150, batches=40, later_ns_per_byte=20)
    assert reviewed.decided is not None
    assert reviewed.decided.level > first.decided.level  # the CPU to spare buys a ratio


def _near_or_far(reference_seconds: float) -> Coding | None:
    """Slow-looking probes (0.1 s) against references that took ``reference_seconds``."""
    clock = Clock()
    chooser = CodingChooser(clock)
    clock.now = 1.0
    chooser.settled(START, 127_000, MB, 0.002, None)  # the first batch, alone
    for _ in range(PASSIVE_ANSWERS):
        clock.now += 0.005
        chooser.settled(START, 127_000, MB, 0.002, 0.05)  # 20 MB/s of plain JSON
    size = chooser.probe_bytes()
    assert size is not None
    for _ in range(PROBES):
        reference, probe = chooser.next(ContentEncoding.ZSTD), chooser.next(ContentEncoding.ZSTD)
        chooser.timed(reference, size // 8, reference_seconds)
        chooser.timed(probe, size, reference_seconds + 0.1)
    return chooser.decided


def test_a_near_service_gets_at_most_level_1() -> None:
    """Answers in under 10 ms: a LAN or the loopback, where uncompressed probes that look
    slow are noise (a busy machine); level 1 at most, however slow the link looks."""
    assert _near_or_far(0.004) == Coding(ContentEncoding.ZSTD, 1)
    far = _near_or_far(0.04)
    assert far is not None
    assert far.level > 1


def test_a_review_never_lowers_the_level_while_the_link_is_the_bottleneck() -> None:
    clock = Clock()
    chooser = CodingChooser(clock)
    chooser.round_trip(0.03)
    for _ in range(PASSIVE_ANSWERS + 1):  # 5 Mbit/s, link-bound: a high level
        clock.now += 0.02
        chooser.waited(0.2, 0.01)
        chooser.settled(START, MB // 8, MB, 0.002, 0.2)
    decided = chooser.decided
    assert decided is not None and decided.level >= 7
    for _ in range(REVIEW_AFTER):  # the client's CPU looks dear now, the link still full
        clock.now += 0.5
        chooser.waited(0.15, 0.01)
        chooser.settled(decided, MB // 10, MB, 0.02, MB // 10 / 625_000)
    assert chooser.decided == decided


def _mean_level(chooser: CodingChooser, batches: int = 20) -> float:
    """The mean zstd level of the next ``batches`` batches (a mix of two levels)."""
    return sum(chooser.next(ContentEncoding.ZSTD).level for _ in range(batches)) / batches


def test_a_review_lowers_the_level_while_the_client_is_the_bottleneck() -> None:
    """However slow the link looked (a slow service fills the window as a slow link
    does), a client that became the bottleneck gets a cheaper level."""
    clock = Clock()
    chooser = CodingChooser(clock)
    chooser.round_trip(0.03)
    for _ in range(PASSIVE_ANSWERS + 1):  # link-bound at first, the client dear
        clock.now += 0.1
        chooser.waited(0.2, 0.01)
        chooser.settled(START, MB // 8, MB, 0.002, 0.2)
    decided = chooser.decided
    assert decided is not None
    before = _mean_level(chooser)
    for _ in range(REVIEW_AFTER):  # the client cheap now, but the window is never full
        clock.now += 0.001
        chooser.waited(0.0, 0.2)
        chooser.settled(decided, MB // 8, MB, 0.002, 0.2)
    assert _mean_level(chooser) < before


def test_a_client_as_quick_as_the_link_gets_a_mix_of_two_levels() -> None:
    """At 20 Mbit/s a client of 40 ns a byte keeps up with level 3 (7.9x) but not with
    level 5 (8.9x): between them, that share of the batches gets level 5 which leaves
    the client just under the link (both idle least)."""
    chooser = _run(link_bytes_per_second=20e6 / 8, client_ns_per_byte=40)
    assert chooser.decided == START
    levels = [chooser.next(ContentEncoding.ZSTD).level for _ in range(40)]
    assert set(levels) == {3, 5}
    assert 0.1 < levels.count(5) / len(levels) < 0.9


def test_a_client_found_slower_than_its_cpu_says_is_given_a_cheaper_mix() -> None:
    """A core shared with other work: 40 ns of CPU a byte but 80 ns of wall time. The
    window never fills; what the client made per second is its speed, and the model
    moves down by what that says, not only by one step."""
    clock = Clock()
    chooser = CodingChooser(clock)
    chooser.round_trip(0.03)
    for _ in range(PASSIVE_ANSWERS + 1):  # link-bound at first: a high mix
        clock.now += 0.04
        chooser.waited(0.1, 0.0)
        chooser.settled(START, MB // 8, MB, 0.002, 0.05)
    decided = chooser.decided
    assert decided is not None
    before = _mean_level(chooser)
    for _ in range(REVIEW_AFTER):
        coding = chooser.next(ContentEncoding.ZSTD)
        clock.now += 0.04
        chooser.waited(0.0, 0.08)
        chooser.settled(coding, int(MB / RATIOS[coding.level]), MB, 0.002, 0.08)
    assert _mean_level(chooser) <= max(before - 1.0, 1.0)


def test_a_client_behind_at_the_first_choice_keeps_level_3_however_slow_the_link_looks() -> None:
    """A busy machine: the client gets a third of its core (50 ns of CPU per byte, 150 ns
    of wall time), so the pipeline carries little and the link looks slow; the window was
    never full, so the client, not the link, is the bottleneck: no dearer level."""
    clock = Clock()
    chooser = CodingChooser(clock)
    chooser.round_trip(0.03)
    for _ in range(PASSIVE_ANSWERS + 1):
        clock.now += 0.05
        chooser.waited(0.0, 0.15)
        chooser.settled(START, MB // 8, MB, 0.002, 0.15)
    assert chooser.decided is not None
    assert chooser.decided.level <= START.level


def _windows(chooser: CodingChooser, clock: Clock, answers: int, seconds: Any) -> list[list[int]]:
    """The level of each answer, by review window (the first: before the first choice);
    ``seconds(window, level)``: how long an answer of 1 MB of plain JSON held the pipeline."""
    levels = []
    for _ in range(answers):
        coding = chooser.next(ContentEncoding.ZSTD)
        levels.append(coding.level)
        window = max(len(levels) - 1 - PASSIVE_ANSWERS, -1) // REVIEW_AFTER + 1
        held = seconds(window, coding.level)
        clock.now += 0.02
        chooser.waited(held, 0.01)
        chooser.settled(coding, int(MB / RATIOS[coding.level]), MB, 0.002, held)
    first = levels[:PASSIVE_ANSWERS]
    rest = levels[PASSIVE_ANSWERS:]
    return [first] + [rest[i : i + REVIEW_AFTER] for i in range(0, len(rest), REVIEW_AFTER)]


def test_a_raise_that_carries_no_more_twice_is_undone_and_not_tried_again() -> None:
    """A slow service (or one sharing the client's cores) fills the window like a slow
    link, but carries the same plain JSON per second at any level: the dearer level is
    undone at the next review; tried once more (one window's rate can lie), it is undone
    again and the start level is the ceiling from then on."""
    clock = Clock()
    chooser = CodingChooser(clock)
    chooser.round_trip(0.03)
    windows = _windows(chooser, clock, PASSIVE_ANSWERS + 8 * REVIEW_AFTER, lambda w, level: 0.2)
    dearer = [window for window in windows[1:] if max(window) > START.level]
    assert len(dearer) == 2  # it looked like a slow link at first, and was tried again
    assert windows[-5:] == [[START.level] * REVIEW_AFTER] * 5
    assert chooser.decided == START


def test_one_window_that_carried_no_more_does_not_cap_the_level() -> None:
    """A link-bound upload whose first window at a dearer level met a stall (the machine
    or the service slow for a moment): that level is undone once, then chosen again and
    kept, since on a full link it carries more contacts."""
    clock = Clock()
    chooser = CodingChooser(clock)
    chooser.round_trip(0.03)
    link = 2.5e6  # bytes a second on the wire: 20 Mbit/s

    def held(window: int, level: int) -> float:
        stall = 3.0 if window == 1 else 1.0  # the first window after the first choice
        return stall * MB / RATIOS[level] / link

    windows = _windows(chooser, clock, PASSIVE_ANSWERS + 8 * REVIEW_AFTER, held)
    assert max(windows[1]) > START.level  # raised at the first choice, then stalled
    assert max(windows[2]) == START.level  # undone once
    assert min(windows[-1]) > START.level  # and raised again for good
    assert chooser.decided is not None
    assert chooser.decided.level > START.level


def test_a_client_that_waited_for_the_window_most_of_the_time_is_trusted_with_more() -> None:
    """Slowed once (a busy moment: its side of the model scaled up), the client then waits
    for a free slot most of the time: it made the bytes in the rest, so the scale comes
    down at once to what that allows, not by a tenth a review, and the level climbs."""
    clock = Clock()
    chooser = CodingChooser(clock)
    chooser.round_trip(0.03)
    for _ in range(PASSIVE_ANSWERS + 1):
        clock.now += 0.04
        chooser.waited(0.1, 0.0)
        chooser.settled(START, MB // 8, MB, 0.002, 0.05)
    for _ in range(REVIEW_AFTER):  # the busy moment: 150 ns of wall time a byte
        coding = chooser.next(ContentEncoding.ZSTD)
        clock.now += 0.04
        chooser.waited(0.0, 0.15)
        chooser.settled(coding, int(MB / RATIOS[coding.level]), MB, 0.002, 0.15)
    assert _mean_level(chooser) == 1  # the cheapest
    for _ in range(2 * REVIEW_AFTER):  # then 20 Mbit/s, the client 30 ms a batch: it waits
        coding = chooser.next(ContentEncoding.ZSTD)
        clock.now += 0.03
        wire = int(MB / RATIOS[coding.level])
        link = wire / (20e6 / 8)
        chooser.waited(link - 0.03, 0.0)
        chooser.settled(coding, wire, MB, 0.002, link)
    assert _mean_level(chooser) >= 5  # from 1 (eased by a tenth a review it stays at 1)


def test_far_means_a_round_trip_known_and_none_quicker_than_a_lan_s() -> None:
    """The uploader's window and thread switches follow it (deeper only far away)."""
    chooser = CodingChooser(Clock())
    assert not chooser.far  # nothing known yet
    chooser.round_trip(0.03)
    assert chooser.far
    chooser.round_trip(0.002)  # the quickest answer counts: a LAN or the loopback
    assert not chooser.far


def _read_ahead_review(cores: int) -> list[int]:
    """20 Mbit/s, a client of 40 ns of CPU a byte that read ahead while the window was
    full: it waited for a free slot all but 10 ms of each batch's 50 ms. The levels of
    the batches after one review."""
    clock = Clock()
    chooser = CodingChooser(clock, cores=cores)
    chooser.round_trip(0.03)
    for _ in range(PASSIVE_ANSWERS + 1 + REVIEW_AFTER):
        coding = chooser.next(ContentEncoding.ZSTD)
        _, _, cost = next(row for row in ZSTD_LEVELS if row[0] == coding.level)
        compress_cpu = MB * cost * 1e-9
        clock.now += 0.04 + compress_cpu
        wire = int(MB / RATIOS[coding.level])
        link = wire / (20e6 / 8)
        chooser.waited(link - 0.01, 0.0)
        chooser.settled(coding, wire, MB, compress_cpu, link)
    return [chooser.next(ContentEncoding.ZSTD).level for _ in range(40)]


def test_on_one_core_reading_ahead_is_not_taken_for_spare_time() -> None:
    """On one core the client's wall time per byte is at least its CPU time per byte:
    the time it spent reading ahead while the window was full is no sign that it could
    keep up with a dearer level (seen: x0.7, a jump from level 3 to a mix of 8 and 12,
    seven reviews to come down); with two cores compressing may run beside the rest."""
    one, two = _read_ahead_review(cores=1), _read_ahead_review(cores=2)
    assert set(one) <= {3, 5}  # where 40 ns a byte and level 3-5 meet 20 Mbit/s
    assert sum(two) > sum(one)


def test_a_review_climbs_at_most_two_levels_at_once() -> None:
    """The link's rate is the best a window carried and is read low at first: a review
    that finds room for the dearest level still climbs two steps of the table, and the
    next one the rest if the link is still full."""
    clock = Clock()
    chooser = CodingChooser(clock, cores=1)
    chooser.round_trip(0.03)
    for _ in range(PASSIVE_ANSWERS + 1):  # the client behind at first: level 3
        clock.now += 0.01
        chooser.waited(0.0, 0.05)
        chooser.settled(START, MB // 8, MB, 0.002, 0.05)
    assert chooser.decided == START
    seen = []
    for _ in range(2 * REVIEW_AFTER):  # then a slow link, a quick client: window full
        coding = chooser.next(ContentEncoding.ZSTD)
        seen.append(coding.level)
        clock.now += 0.01
        wire = int(MB / RATIOS[coding.level])
        chooser.waited(0.2, 0.0)
        chooser.settled(coding, wire, MB, 0.002, wire / (2e6 / 8))
    levels = sorted(RATIOS)
    two_up = levels[levels.index(START.level) + 2]
    first_review = next(i for i, level in enumerate(seen) if level != START.level)
    assert max(seen[first_review : first_review + REVIEW_AFTER - 1]) <= two_up
    assert _mean_level(chooser) > two_up  # the next review: further up
