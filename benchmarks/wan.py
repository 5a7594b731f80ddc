"""``python -m benchmarks.wan [--contacts N] [--output FILE] [--link 20|5] [--edits-only]``:
the first upload over a practice's real internet link.

Each scenario puts :mod:`benchmarks.shaper` (one shared link: bandwidth per direction and
a round trip) between the engine and the real sandbox, migrates every contact, and
reports the time, the bytes on the wire each way, and the ratio to the *raw-JSON
line-rate time* (the contacts' plain JSON at the uplink's bandwidth, with no overhead:
what an uncompressed upload could do at best) and to the line time of the bytes it sent.
It also reports the client's CPU, how well the time-left estimate held on the link, and
how long one edited contact takes to arrive.

Placement: the headline runs the service and the link on one core of their own and the
client on the others (``os.sched_setaffinity``), as on a practice whose service is far
away; the co-located figure (everything sharing every core) is reported beside it. The
client's CPU (this process's CPU time alone) and the bytes on the wire do not depend on
the machine's load; wall-clock times do, so each carries the load average it ran at.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from benchmarks import workdirs
from benchmarks.__main__ import _database, measure_migration
from benchmarks.placement import Placement, placed, placements
from benchmarks.procstat import children, load_average, machine_description, sample
from benchmarks.timeline import Timeline, cpu_text, recording, thread_cpu
from benchmarks.wire_data import compression_table, raw_json_bytes
from contacts_migration.demo import running_sandbox
from engine.api import Engine
from engine.local.config import EngineConfig
from engine.local.profile import CredentialsFile, read_credentials_file
from engine.local.settings import DEFAULT_POLL_SECONDS
from engine.online.client import OnlineClient, Scope
from engine.status.events import EngineEvent, EventKind
from engine.status.model import Phase


@dataclass(frozen=True)
class Scenario:
    name: str
    up_mbit: float
    down_mbit: float
    rtt_ms: float
    #: The link's buffer in kB (None: the shaper's default).
    queue_kb: int | None = None


#: Edits timed one after another in each scenario ("one edit online").
EDITS = 20

SCENARIOS = (
    Scenario("NBN 50/20, 30 ms", 20, 100, 30),
    Scenario("NBN 25/5, 60 ms", 5, 25, 60),
)


@dataclass
class Outcome:
    scenario: Scenario
    seconds: float
    up_bytes: int
    down_bytes: int
    raw_bytes: int
    cpu_seconds: float
    contacts: int = 0
    placement: str = ""
    #: CPU seconds of the service (the sandbox process) and of the link (the shaper).
    service_cpu: float = 0.0
    link_cpu: float = 0.0
    #: The coding the client chose for the upload (its log line).
    coding: str = "n/a"
    #: The 1-minute load average when the migration ended.
    load: str = ""
    #: Seconds the uplink had nothing to send during the upload, and where they were.
    link_idle: float = 0.0
    timeline: str = ""
    #: (share of the pass done, predicted end / actual end - 1) at a few points.
    eta_errors: list[tuple[float, float]] = field(default_factory=list)
    change_latencies: list[float] = field(default_factory=list)

    @property
    def line_rate_seconds(self) -> float:
        return self.raw_bytes * 8 / (self.scenario.up_mbit * 1e6)

    @property
    def ratio(self) -> float:
        return self.seconds / self.line_rate_seconds

    @property
    def sent_line_seconds(self) -> float:
        """The line time of the bytes actually sent up."""
        return self.up_bytes * 8 / (self.scenario.up_mbit * 1e6)

    @property
    def cpu_per_contact(self) -> float:
        return self.cpu_seconds / max(self.contacts, 1)


@dataclass
class ShapedLink:
    url: str
    process: subprocess.Popen[str]
    stats: Path

    def carried(self) -> tuple[int, int]:
        """(up, down) bytes so far, asked of the shaper itself."""
        data = self.snapshot()
        return int(data["up"]), int(data["down"])

    def snapshot(self) -> dict[str, Any]:
        """What the shaper says so far: bytes each way, the uplink's idle time and spells."""
        self.stats.unlink(missing_ok=True)
        self.process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 30
        while not self.stats.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        data: dict[str, Any] = json.loads(self.stats.read_text())
        return data


@contextmanager
def shaping(target_url: str, scenario: Scenario, stats: Path) -> Iterator[ShapedLink]:
    port = target_url.rsplit(":", 1)[1].rstrip("/")
    queue = [] if scenario.queue_kb is None else ["--queue-kb", str(scenario.queue_kb)]
    command = [
        sys.executable,
        "-m",
        "benchmarks.shaper",
        "--target-port",
        port,
        "--up-mbit",
        str(scenario.up_mbit),
        "--down-mbit",
        str(scenario.down_mbit),
        "--rtt-ms",
        str(scenario.rtt_ms),
        "--stats",
        str(stats),
        *queue,
    ]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        yield ShapedLink(f"http://127.0.0.1:{line.split()[-1]}", process, stats)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _eta_errors(
    samples: list[tuple[float, int, int, float | None]], end: float
) -> list[tuple[float, float]]:
    errors: list[tuple[float, float]] = []
    start = samples[0][0] if samples else end
    for share in (0.1, 0.25, 0.5, 0.75):
        for at, done, total, eta in samples:
            if total and done >= share * total and eta is not None:
                predicted = at + eta - start
                errors.append((share, predicted / max(end - start, 1e-6) - 1))
                break
    return errors


def _engine(db: Path, url: str, online: CredentialsFile, home: Path) -> Engine:
    return Engine(
        EngineConfig(
            source=f"sqlite:{db}",
            online_url=url,
            credentials=online.credentials,
            state_file=home / "state.json",
        )
    )


async def _migrate(
    db: Path,
    link: ShapedLink,
    online: CredentialsFile,
    home: Path,
    scenario: Scenario,
    edits: int,
    contacts: int = 0,
) -> Outcome:
    service = [pid for pid in children(os.getpid()) if pid != link.process.pid]
    engine = _engine(db, link.url, online, home)
    samples: list[tuple[float, int, int, float | None]] = []

    def listen(event: EngineEvent) -> None:
        progress = event.status.progress if event.kind is EventKind.STATUS else None
        if progress is not None:
            samples.append((time.monotonic(), progress.done, progress.total, progress.eta_seconds))

    engine.subscribe(listen)
    try:
        terms = await engine.terms()
        await engine.activate(accepted_terms=terms.version, accepted_by="Benchmark")
        before = link.snapshot()
        others = _cpu_of([*service, link.process.pid])
        cpu, threads_before = time.process_time(), thread_cpu()
        started = time.monotonic()
        with recording() as recorder:
            await engine.sync_once()
        ended = time.monotonic()
        cpu, by_thread = time.process_time() - cpu, cpu_text(threads_before, thread_cpu(), contacts)
        after = _cpu_of([*service, link.process.pid])
        others = [end - begin for end, begin in zip(after, others, strict=True)]
        load = load_average()
        shaped = link.snapshot()
        report = await engine.verify()
        if not report.identical:
            raise SystemExit(f"WAN migration is not identical: {report.summary()}")
        reader = read_credentials_file(home / "credentials.json", Scope.READ)
        latencies = await _change_latencies(engine, db, reader, edits) if edits else []
    finally:
        await engine.aclose()
    up, down = shaped["up"] - before["up"], shaped["down"] - before["down"]
    outcome = Outcome(scenario, ended - started, up, down, 0, cpu)
    outcome.load = load
    codings = recorder.codings
    outcome.coding = "; then ".join(line.removeprefix("upload coding: ") for line in codings)
    outcome.coding = outcome.coding or "n/a"
    outcome.link_idle = float(shaped["up_idle"]) - float(before["up_idle"])
    gaps = [(float(since), float(seconds)) for since, seconds in shaped["up_gaps"]]
    rate = scenario.up_mbit * 1e6 / 8
    timeline = Timeline(started, ended, recorder.events, gaps, outcome.link_idle, rate)
    outcome.timeline = timeline.text() + "\n" + by_thread
    outcome.service_cpu, outcome.link_cpu = sum(others[:-1]), others[-1]
    outcome.eta_errors = _eta_errors([s for s in samples if s[0] <= ended], ended)
    outcome.change_latencies = latencies
    return outcome


def _cpu_of(pids: list[int]) -> list[float]:
    return [sample(pid).cpu_seconds for pid in pids]


async def _first_cycle(engine: Engine) -> None:
    """Until the started agent finished its first cycle (it reloads the online ids
    through the link first: seconds for 100,000 contacts on a slow link)."""
    deadline = time.monotonic() + 300
    while engine.status().phase is not Phase.IDLE:
        if time.monotonic() > deadline:
            raise SystemExit("the agent did not finish its first cycle in 300 s")
        await asyncio.sleep(0.05)


async def _change_latencies(
    engine: Engine, db: Path, reader: CredentialsFile, edits: int = EDITS
) -> list[float]:
    """Edit one contact at a time with the agent running; time until it is online (read
    straight from the service, not through the shaped link).

    Each edit comes a random time (0 to one poll interval, seeded) after the previous one
    arrived, as a person's edits would: an edit a fixed time after the previous arrival
    would fall at the same point of the agent's poll cycle every time (0.3 s after one
    cycle's upload is 0.7 s before the next check) and measure that point, not the poll.
    """
    await engine.start()
    latencies: list[float] = []
    rng = random.Random(16)
    async with OnlineClient(reader.url, reader.credentials, Scope.READ) as api:
        await _first_cycle(engine)
        for edit in range(edits):
            await asyncio.sleep(rng.uniform(0.0, engine.config.poll_interval))
            contact = 1 + edit * 997
            mobile = f"04{uuid.uuid4().int % 10**8:08d}"
            with sqlite3.connect(db) as connection:
                connection.execute(
                    'UPDATE "Contact" SET "Mobile" = ? WHERE "ContactID" = ?', (mobile, contact)
                )
            started = time.monotonic()
            while time.monotonic() - started < 30:
                doc = await api.contact(contact)
                if doc is not None and mobile in json.dumps(doc):
                    latencies.append(time.monotonic() - started)
                    break
                await asyncio.sleep(0.01)
    await engine.stop()
    return latencies


async def _edits_only(
    db: Path, link: ShapedLink, online: CredentialsFile, home: Path
) -> list[float]:
    """The migration straight to the service (quick), then the agent through the link."""
    direct = _engine(db, online.url, online, home)
    try:
        terms = await direct.terms()
        await direct.activate(accepted_terms=terms.version, accepted_by="Benchmark")
        await direct.sync_once()
    finally:
        await direct.aclose()
    engine = _engine(db, link.url, online, home)
    try:
        reader = read_credentials_file(home / "credentials.json", Scope.READ)
        return await _change_latencies(engine, db, reader)
    finally:
        await engine.aclose()


def run_edits(workdir: Path, db: Path, scenario: Scenario) -> list[float]:
    online_dir = workdir / f"edits-{uuid.uuid4().hex[:6]}"
    online_dir.mkdir()
    stats = online_dir / "link.json"
    with running_sandbox(online_dir, 0) as online, shaping(online.url, scenario, stats) as link:
        return asyncio.run(_edits_only(db, link, online, online_dir))


def edit_bound(scenario: Scenario) -> float:
    """The target for one edit: the poll interval plus two round trips."""
    return DEFAULT_POLL_SECONDS + 2 * scenario.rtt_ms / 1000


def edits_text(scenario: Scenario, latencies: list[float]) -> str:
    if not latencies:
        return "n/a"
    return (
        f"{statistics.median(latencies):.2f} s / {max(latencies):.2f} s"
        f" (bound {edit_bound(scenario):.2f} s)"
    )


def edits_report(scenario: Scenario, contacts: int, latencies: list[float]) -> str:
    s = scenario
    return (
        f"One edit online, {len(latencies)} edits at random points of the poll, agent on"
        f" {s.up_mbit:g}/{s.down_mbit:g} Mbit/s {s.rtt_ms:g} ms with {contacts:,} contacts"
        f" online ({datetime_now()}, `python -m benchmarks.wan --edits-only --link"
        f" {s.up_mbit:g}`): median / max {edits_text(s, latencies)}."
    )


def run_scenario(
    workdir: Path,
    db: Path,
    raw: int,
    scenario: Scenario,
    placement: Placement | None = None,
    edits: int = EDITS,
    contacts: int = 0,
) -> Outcome:
    placement = placement or Placement("co-located", None, None)
    online_dir = workdir / f"wan-{uuid.uuid4().hex[:6]}"
    online_dir.mkdir()
    stats = online_dir / "link.json"
    with (
        running_sandbox(online_dir, 0) as online,
        shaping(online.url, scenario, stats) as link,
        placed(placement),
    ):
        outcome = asyncio.run(_migrate(db, link, online, online_dir, scenario, edits, contacts))
    outcome.raw_bytes = raw
    outcome.contacts = contacts
    outcome.placement = placement.name
    return outcome


def _mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def report(outcomes: list[Outcome], contacts: int, extra: list[str]) -> str:
    lines = [
        f"### WAN: {contacts:,} contacts over a shaped link"
        f" ({datetime_now()}, `python -m benchmarks.wan`)",
        "",
        f"Machine: {machine_description()}",
        "",
        "| link (up/down, round trip) | placement | time (load average) | ÷ line time of"
        " the bytes sent | ÷ raw-JSON line time | up on the wire | down | client CPU"
        " (per contact) | service / link CPU | time-left error at 10/25/50/75 % |"
        " one edit online (median / max, bound: poll + 2 round trips) |",
        "|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        s = o.scenario
        eta = " / ".join(f"{error * 100:+.0f} %" for _, error in o.eta_errors) or "n/a"
        edits = edits_text(s, o.change_latencies)
        lines.append(
            f"| {s.up_mbit:g}/{s.down_mbit:g} Mbit/s, {s.rtt_ms:g} ms | {o.placement}"
            f" | {o.seconds:.1f} s ({o.load}) | **{o.seconds / o.sent_line_seconds:.2f}x**"
            f" ({o.sent_line_seconds:.1f} s) | **{o.ratio:.2f}x** ({o.line_rate_seconds:.1f} s)"
            f" | {_mb(o.up_bytes)} (JSON {_mb(o.raw_bytes)}) | {_mb(o.down_bytes)}"
            f" | {o.cpu_seconds:.1f} s ({o.cpu_per_contact * 1e6:.0f} µs)"
            f" | {o.service_cpu:.1f} s / {o.link_cpu:.1f} s | {eta} | {edits} |"
        )
    codings = [
        f"- {o.scenario.name}, {o.placement}: {o.coding}\n  uplink idle {o.link_idle:.2f} s"
        f" of {o.seconds:.2f} s; where the time went:\n{o.timeline}"
        for o in outcomes
    ]
    return "\n".join([*lines, "", "Coding chosen by the client:", *codings, "", *extra, ""])


def datetime_now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.wan")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--output", type=Path, default=Path("benchmarks/RESULTS.md"))
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--loopback", action="store_true", help="also the loopback migration")
    parser.add_argument(
        "--link",
        type=float,
        choices=[s.up_mbit for s in SCENARIOS],
        help="only the scenario with this uplink (Mbit/s)",
    )
    parser.add_argument(
        "--edits", type=int, default=EDITS, help="edits timed (pinned placement only)"
    )
    parser.add_argument(
        "--placement",
        choices=["both", "pinned", "co-located"],
        default="both",
        help="pinned: service + link on one core, client on the other (the headline)",
    )
    parser.add_argument(
        "--edits-only",
        action="store_true",
        help="only 'one edit online' (the migration goes straight to the service): ~1 minute",
    )
    parser.add_argument(
        "--queue-kb", type=int, help="the link's buffer (kB): 0 is the shaper before its queue"
    )
    args = parser.parse_args(argv)
    scenarios = [
        dataclasses.replace(s, queue_kb=args.queue_kb)
        for s in SCENARIOS
        if args.link in (None, s.up_mbit)
    ]
    workdir = workdirs.workdir(args.workdir, "cm-wan-")
    os.environ.setdefault("CONTACTS_MIGRATION_HOME", str(workdir / "home"))
    db = _database(workdir, args.contacts)
    if args.edits_only:
        lines = [edits_report(s, args.contacts, run_edits(workdir, db, s)) for s in scenarios]
        print("\n".join(lines))
        return 0
    raw = raw_json_bytes(db)
    chosen = [
        p for p in placements() if args.placement == "both" or p.name.startswith(args.placement)
    ]
    outcomes = []
    for scenario in scenarios:
        for placement in chosen:
            edits = args.edits if placement is chosen[0] else 0
            outcome = run_scenario(workdir, db, raw, scenario, placement, edits, args.contacts)
            print(report([outcome], args.contacts, []), flush=True)
            outcomes.append(outcome)
    extra = [
        "The levels the client chooses from, on this data (CPU seconds per 100,000 contacts,"
        " in a worker thread overlapping the upload):",
        *(f"- {line}" for line in compression_table(db)),
    ]
    if args.loopback:
        migrated, _, floor = measure_migration(workdir, args.contacts)
        extra.append(
            f"Loopback (no shaping): {migrated:.2f} s, {args.contacts / migrated:,.0f}"
            f" contacts/s, {migrated / floor:.2f}x its floor ({floor:.2f} s)."
        )
    text = report(outcomes, args.contacts, extra)
    print(text)
    with args.output.open("a", encoding="utf-8") as results:
        results.write("\n" + text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
