"""Where the benchmark's processes run: the service (and the link) on cores of their own,
the client on the others, as on a practice whose service is far away; or everything on
every core ("co-located", the worst case on a small machine)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from benchmarks.procstat import children, pin


@dataclass(frozen=True)
class Placement:
    """Which cores the service (and the link) and the client run on; None: every core."""

    name: str
    service: frozenset[int] | None
    client: frozenset[int] | None


def placements() -> list[Placement]:
    """Pinned (the headline) when there are two cores or more, then co-located."""
    cpus = sorted(os.sched_getaffinity(0))
    shared = Placement("co-located", None, None)
    if len(cpus) < 2:
        return [shared]
    half = len(cpus) // 2
    pinned = Placement(
        f"pinned (service + link: cpu {','.join(map(str, cpus[:half]))};"
        f" client: cpu {','.join(map(str, cpus[half:]))})",
        frozenset(cpus[:half]),
        frozenset(cpus[half:]),
    )
    return [pinned, shared]


@contextmanager
def placed(placement: Placement) -> Iterator[None]:
    """This process's children (the service and the link) and this process itself on
    their cores for the block; every core again afterwards."""
    everything = os.sched_getaffinity(0)
    if placement.service is None or placement.client is None:
        yield
        return
    pending = children(os.getpid())
    while pending:  # every descendant, in case a child is a wrapper around the server
        child = pending.pop()
        pin(child, set(placement.service))
        pending.extend(children(child))
    pin(os.getpid(), set(placement.client))
    try:
        yield
    finally:
        pin(os.getpid(), everything)
