"""``python -m benchmarks.wan [--contacts N] [--output FILE] [--link 20|5] [--edits-only]``:
the first upload over a practice's real internet link.

Each scenario puts :mod:`benchmarks.shaper` (one shared link: bandwidth per direction and
a round trip) between the engine and the real sandbox, migrates every contact, and
reports the time, the bytes on the wire each way, and the ratio to the *raw-JSON
line-rate time* (the contacts' plain JSON at the uplink's bandwidth, with no overhead:
what an uncompressed upload could do at best). It also reports the client's CPU, how well
the time-left estimate held on the link, and how long one edited contact takes to arrive.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import zstandard

from benchmarks.__main__ import _database, measure_migration
from benchmarks.procstat import machine_description
from contacts_migration.demo import running_sandbox
from engine.api import Engine
from engine.local.config import EngineConfig
from engine.local.profile import CredentialsFile, read_credentials_file
from engine.local.settings import DEFAULT_POLL_SECONDS
from engine.online.client import OnlineClient, Scope, encode_body
from engine.online.compression import ZSTD_LEVEL
from engine.sources.sqlite import SqliteSource
from engine.status.events import EngineEvent, EventKind
from engine.status.model import Phase


@dataclass(frozen=True)
class Scenario:
    name: str
    up_mbit: float
    down_mbit: float
    rtt_ms: float


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
    #: (share of the pass done, predicted end / actual end - 1) at a few points.
    eta_errors: list[tuple[float, float]] = field(default_factory=list)
    change_latencies: list[float] = field(default_factory=list)

    @property
    def line_rate_seconds(self) -> float:
        return self.raw_bytes * 8 / (self.scenario.up_mbit * 1e6)

    @property
    def ratio(self) -> float:
        return self.seconds / self.line_rate_seconds


def raw_json_bytes(db: Path) -> int:
    """The contacts' plain JSON, as the engine encodes it, one comma each."""
    cache = db.with_suffix(".rawbytes")
    if cache.exists():
        return int(cache.read_text())
    source = SqliteSource(db)
    total = after = 0
    while (page := source.read_page(after, 2000)).last_id is not None:
        total += sum(len(encode_body(doc)) + 1 for doc in page.documents)
        after = page.last_id
    source.close()
    cache.write_text(str(total))
    return total


def compression_cpu(db: Path, limit: int = 20_000) -> tuple[float, float]:
    """(CPU seconds to zstd-compress 100,000 contacts in 1 MB batches, ratio)."""
    source = SqliteSource(db)
    page = source.read_page(0, limit)
    source.close()
    bodies = [encode_body(doc) for doc in page.documents]
    batches: list[bytes] = []
    for start in range(0, len(bodies), 800):
        batches.append(b",".join(bodies[start : start + 800]))
    compressor = zstandard.ZstdCompressor(level=ZSTD_LEVEL)
    started = time.process_time()
    packed = sum(len(compressor.compress(batch)) for batch in batches)
    spent = time.process_time() - started
    plain = sum(map(len, batches))
    return spent * 100_000 / len(bodies), plain / packed


@dataclass
class ShapedLink:
    url: str
    process: subprocess.Popen[str]
    stats: Path

    def carried(self) -> tuple[int, int]:
        """(up, down) bytes so far, asked of the shaper itself."""
        self.stats.unlink(missing_ok=True)
        self.process.send_signal(signal.SIGUSR1)
        deadline = time.monotonic() + 30
        while not self.stats.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        data = json.loads(self.stats.read_text())
        return int(data["up"]), int(data["down"])


@contextmanager
def shaping(target_url: str, scenario: Scenario, stats: Path) -> Iterator[ShapedLink]:
    port = target_url.rsplit(":", 1)[1].rstrip("/")
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
    db: Path, link: ShapedLink, online: CredentialsFile, home: Path, scenario: Scenario
) -> Outcome:
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
        up, down = link.carried()
        cpu = time.process_time()
        started = time.monotonic()
        await engine.sync_once()
        ended = time.monotonic()
        cpu = time.process_time() - cpu
        up_after, down_after = link.carried()
        report = await engine.verify()
        if not report.identical:
            raise SystemExit(f"WAN migration is not identical: {report.summary()}")
        reader = read_credentials_file(home / "credentials.json", Scope.READ)
        latencies = await _change_latencies(engine, db, reader)
    finally:
        await engine.aclose()
    outcome = Outcome(scenario, ended - started, up_after - up, down_after - down, 0, cpu)
    outcome.eta_errors = _eta_errors([s for s in samples if s[0] <= ended], ended)
    outcome.change_latencies = latencies
    return outcome


async def _first_cycle(engine: Engine) -> None:
    """Until the started agent finished its first cycle (it reloads the online ids
    through the link first: seconds for 100,000 contacts on a slow link)."""
    deadline = time.monotonic() + 300
    while engine.status().phase is not Phase.IDLE:
        if time.monotonic() > deadline:
            raise SystemExit("the agent did not finish its first cycle in 300 s")
        await asyncio.sleep(0.05)


async def _change_latencies(engine: Engine, db: Path, reader: CredentialsFile) -> list[float]:
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
        for edit in range(EDITS):
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


def run_scenario(workdir: Path, db: Path, raw: int, scenario: Scenario) -> Outcome:
    online_dir = workdir / f"wan-{uuid.uuid4().hex[:6]}"
    online_dir.mkdir()
    stats = online_dir / "link.json"
    with running_sandbox(online_dir, 0) as online, shaping(online.url, scenario, stats) as link:
        outcome = asyncio.run(_migrate(db, link, online, online_dir, scenario))
    outcome.raw_bytes = raw
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
        "| link (up/down, round trip) | time | raw-JSON line-rate time | ratio (target ≤ 0.3,"
        " aim 0.2) | up on the wire | down | client CPU | time-left error at 10/25/50/75 % |"
        " one edit online (median / max, bound: poll + 2 round trips) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for o in outcomes:
        s = o.scenario
        eta = " / ".join(f"{error * 100:+.0f} %" for _, error in o.eta_errors) or "n/a"
        edits = edits_text(s, o.change_latencies)
        lines.append(
            f"| {s.up_mbit:g}/{s.down_mbit:g} Mbit/s, {s.rtt_ms:g} ms | {o.seconds:.1f} s"
            f" | {o.line_rate_seconds:.1f} s | **{o.ratio:.2f}x** | {_mb(o.up_bytes)}"
            f" (JSON {_mb(o.raw_bytes)}) | {_mb(o.down_bytes)} | {o.cpu_seconds:.1f} s"
            f" ({o.cpu_seconds / o.seconds * 100:.0f} % of one core) | {eta} | {edits} |"
        )
    return "\n".join([*lines, "", *extra, ""])


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
        "--edits-only",
        action="store_true",
        help="only 'one edit online' (the migration goes straight to the service): ~1 minute",
    )
    args = parser.parse_args(argv)
    scenarios = [s for s in SCENARIOS if args.link in (None, s.up_mbit)]
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cm-wan-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("CONTACTS_MIGRATION_HOME", str(workdir / "home"))
    db = _database(workdir, args.contacts)
    if args.edits_only:
        lines = [edits_report(s, args.contacts, run_edits(workdir, db, s)) for s in scenarios]
        print("\n".join(lines))
        return 0
    raw = raw_json_bytes(db)
    outcomes = []
    for scenario in scenarios:
        outcome = run_scenario(workdir, db, raw, scenario)
        print(report([outcome], args.contacts, []), flush=True)
        outcomes.append(outcome)
    cpu, ratio = compression_cpu(db)
    extra = [
        f"zstd level {ZSTD_LEVEL} on this data: {ratio:.1f}x smaller, {cpu:.2f} CPU seconds"
        " per 100,000 contacts (in a worker thread, overlapping the upload).",
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
