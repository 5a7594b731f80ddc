"""``python -m benchmarks [--contacts N] [--idle-seconds S] [--output FILE]``.

Measures, on this machine, every target of the performance issue and writes one table:
the migration rate and its ratio to the floor (the same rows read with one plain query
per table plus the same JSON bytes sent to the same service in the same batches, with no
engine around it), change latency over 200 edits, the idle agent's CPU and memory, the
memory of a large migration against a small one, and reconciliation time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx

from benchmarks import workdirs
from benchmarks.agent_kills import cli
from benchmarks.gui_stall import run_in_child
from benchmarks.procstat import machine_description, sample
from contacts_migration.demo import running_sandbox
from engine.api import Engine
from engine.local.config import EngineConfig
from engine.local.paths import HOME_ENV
from engine.local.profile import CredentialsFile
from engine.local.settings import DEFAULT_BATCH_BYTES, DEFAULT_PAGE_SIZE
from engine.online.client import encode_body
from engine.sources.sqlite import SqliteSource
from sampledata.sqlite_file import generate_reference_database

EDITS = 200
TABLES = ("Contact", "ContactAddress", "ContactExtraField", "ContactRelationship")


@dataclass
class Row:
    figure: str
    target: str
    measured: str
    floor_ratio: str = ""
    met: bool | None = None


def _engine(db: Path, online: CredentialsFile, home: Path) -> Engine:
    return Engine(
        EngineConfig(
            source=f"sqlite:{db}",
            online_url=online.url,
            credentials=online.credentials,
            state_file=home / "state.json",
        )
    )


async def _activate(engine: Engine) -> None:
    terms = await engine.terms()
    await engine.activate(accepted_terms=terms.version, accepted_by="Benchmark")


def _database(workdir: Path, contacts: int) -> Path:
    db = workdir / f"practice-{contacts}.db"
    if not db.exists():
        started = time.perf_counter()
        generate_reference_database(db, contacts=contacts, seed=42)
        print(f"generated {contacts:,} contacts in {time.perf_counter() - started:.1f} s")
    return db


def measure_migration(workdir: Path, contacts: int) -> tuple[float, float, float]:
    """(engine seconds, reconciliation seconds, floor seconds)."""
    db = _database(workdir, contacts)
    online_dir = workdir / f"online-{uuid.uuid4().hex[:6]}"
    online_dir.mkdir()
    with running_sandbox(online_dir, 0) as online:

        async def run() -> tuple[float, float]:
            engine = _engine(db, online, workdir)
            try:
                await _activate(engine)
                started = time.perf_counter()
                await engine.sync_once()
                migrated = time.perf_counter() - started
                started = time.perf_counter()
                report = await engine.verify()
                reconciled = time.perf_counter() - started
            finally:
                await engine.aclose()
            if not report.identical:
                raise SystemExit(f"benchmark migration is not identical: {report.summary()}")
            return migrated, reconciled

        migrated, reconciled = asyncio.run(run())
    floor = measure_floor(workdir, db)
    return migrated, reconciled, floor


def measure_floor(workdir: Path, db: Path) -> float:
    """The same rows read plainly plus the same bytes sent in the same batches."""
    source = SqliteSource(db)
    bodies: list[list[bytes]] = [[]]
    size = 0
    after = 0
    while (page := source.read_page(after, DEFAULT_PAGE_SIZE)).last_id is not None:
        for doc in page.documents:
            body = encode_body(doc)
            if bodies[-1] and size + len(body) + 1 > DEFAULT_BATCH_BYTES:
                bodies.append([])
                size = 0
            bodies[-1].append(body)
            size += len(body) + 1
        after = page.last_id
    source.close()
    online_dir = workdir / f"floor-{uuid.uuid4().hex[:6]}"
    online_dir.mkdir()
    with running_sandbox(online_dir, 0) as online:
        asyncio.run(_activate_only(online))
        with httpx.Client(base_url=online.url + "/api/v1", timeout=120) as api:
            _sign_in(api, online)
            epoch = api.post("/sync/lease", json={"agent_id": "floor", "machine": "m"}).json()
            epoch = epoch["epoch"]
            started = time.perf_counter()
            connection = sqlite3.connect(db)
            for table in TABLES:
                connection.execute(f'SELECT * FROM "{table}"').fetchall()
            connection.close()
            base: str | None = None
            for number, batch in enumerate(bodies):
                head = json.dumps(
                    {"epoch": epoch, "base_checkpoint": base, "checkpoint": str(number)}
                )
                content = (
                    head[:-1].encode() + b',"upserts":[' + b",".join(batch) + b'],"deletes":[]}'
                )
                response = api.post(
                    "/sync/batches",
                    content=content,
                    headers={
                        "Idempotency-Key": uuid.uuid4().hex,
                        "Content-Type": "application/json",
                    },
                )
                response.raise_for_status()
                base = str(number)
            return time.perf_counter() - started


async def _activate_only(online: CredentialsFile) -> None:
    from engine.online.client import OnlineClient

    async with OnlineClient(online.url, online.credentials) as client:
        terms = await client.terms()
        await client.activate(terms.version, "Benchmark", "bench")


@dataclass
class AgentFigures:
    rss_after_migration: int
    latencies: list[float]
    idle_cpu_share: float
    rss_start_idle: int
    rss_end_idle: int


def _state(home: Path) -> str:
    try:
        return str(json.loads((home / "state" / "state.json").read_text())["state"])
    except (OSError, ValueError, KeyError):
        return ""


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"benchmark: timed out waiting for {what}")
        time.sleep(0.02)


def measure_agent(workdir: Path, contacts: int, idle_seconds: float, edits: int) -> AgentFigures:
    """The real agent process: memory after migrating, change latency, idle cost."""
    db = _database(workdir, contacts)
    home = workdir / f"home-{uuid.uuid4().hex[:6]}"
    online_dir = workdir / f"agent-online-{uuid.uuid4().hex[:6]}"
    online_dir.mkdir()
    with running_sandbox(online_dir, 0) as online:
        credentials = str(online_dir / "credentials.json")
        activate = ["activate", "--source", f"sqlite:{db}", "--credentials", credentials]
        cli(*activate, "--accept-terms", "--yes", "--no-migrate", home=home).check_returncode()
        agent = subprocess.Popen(
            [sys.executable, "-m", "contacts_migration", "run"],
            env={**os.environ, HOME_ENV: str(home)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait(lambda: _state(home) == "active", 600, "the migration")
            rss_after = sample(agent.pid).rss_bytes
            latencies = _change_latencies(db, online, edits)
            time.sleep(2)  # let the last cycle settle before measuring idle
            start = sample(agent.pid)
            time.sleep(idle_seconds)
            end = sample(agent.pid)
        finally:
            agent.terminate()
            agent.wait(30)
    return AgentFigures(
        rss_after,
        latencies,
        (end.cpu_seconds - start.cpu_seconds) / idle_seconds,
        start.rss_bytes,
        end.rss_bytes,
    )


def _change_latencies(db: Path, online: CredentialsFile, edits: int) -> list[float]:
    """Edit contacts one after another; time each until the service holds the edit."""
    rng = random.Random(7)
    writer = sqlite3.connect(db, isolation_level=None)
    ids = [row[0] for row in writer.execute('SELECT "ContactID" FROM "Contact"')]
    pending: dict[int, tuple[str, float]] = {}
    latencies: list[float] = []
    with httpx.Client(base_url=online.url + "/api/v1", timeout=30) as api:
        _sign_in(api, online)
        next_edit = time.monotonic()
        made = 0
        while made < edits or pending:
            now = time.monotonic()
            if made < edits and now >= next_edit:
                contact = rng.choice(ids)
                if contact not in pending:
                    note = f"benchmark edit {made} {uuid.uuid4().hex[:8]}"
                    writer.execute(
                        'UPDATE "Contact" SET "Notes" = ? WHERE "ContactID" = ?', (note, contact)
                    )
                    pending[contact] = (note, time.monotonic())
                    made += 1
                next_edit = now + rng.uniform(0.02, 0.1)
            for contact, (note, since) in list(pending.items()):
                if api.get(f"/contacts/{contact}").json().get("notes") == note:
                    latencies.append(time.monotonic() - since)
                    del pending[contact]
            time.sleep(0.01)
    writer.close()
    return latencies


def _sign_in(api: httpx.Client, online: CredentialsFile) -> None:
    """A plain client of the service, with no engine code in the way."""
    token = api.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": online.credentials.client_id,
            "client_secret": online.credentials.client_secret,
            "scope": "sync",
        },
    ).json()["access_token"]
    api.headers["Authorization"] = f"Bearer {token}"


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--small-contacts", type=int, default=10_000)
    parser.add_argument("--idle-seconds", type=float, default=600.0)
    parser.add_argument("--edits", type=int, default=EDITS)
    parser.add_argument("--output", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument(
        "--migration-only",
        action="store_true",
        help="only the loopback migration against its floor (printed, RESULTS.md untouched)",
    )
    args = parser.parse_args(argv)
    workdir = workdirs.workdir(args.workdir, "cm-bench-")
    os.environ[HOME_ENV] = str(workdir / "home")
    rows: list[Row] = []

    migrated, reconciled, floor = measure_migration(workdir, args.contacts)
    if args.migration_only:
        print(
            f"Loopback migration of {args.contacts:,} contacts: {migrated:.2f} s"
            f" ({args.contacts / migrated:,.0f} contacts/s), floor {floor:.2f} s,"
            f" {migrated / floor:.2f}x the floor; load average {os.getloadavg()[0]:.2f}"
        )
        return 0
    rate = args.contacts / migrated
    ratio = migrated / floor
    rows.append(
        Row(
            f"Initial migration of {args.contacts:,} contacts",
            "≥ 20,000 contacts/s",
            f"{rate:,.0f} contacts/s ({migrated:.1f} s)",
            f"{ratio:.2f}× (floor {floor:.1f} s)",
            rate >= 20_000,
        )
    )
    rows.append(
        Row(
            "Migration time against the floor",
            "≤ 1.5× floor",
            f"{ratio:.2f}×",
            f"{ratio:.2f}×",
            ratio <= 1.5,
        )
    )
    rows.append(
        Row(
            f"Reconciliation of {args.contacts:,} contacts",
            "< 10 s",
            f"{reconciled:.1f} s",
            "",
            reconciled < 10,
        )
    )

    stall, ticks = run_in_child(_database(workdir, args.contacts), workdir)
    rows.append(
        Row(
            f"Longest Qt event-loop stall while migrating {args.contacts:,}",
            "< 50 ms",
            f"{stall * 1000:.0f} ms over {ticks} ticks of 10 ms",
            "",
            stall < 0.05,
        )
    )

    big = measure_agent(workdir, args.contacts, args.idle_seconds, args.edits)
    small = measure_agent(workdir, args.small_contacts, 5.0, 10)
    p50, p95 = _percentile(big.latencies, 0.5), _percentile(big.latencies, 0.95)
    rows.append(
        Row(
            f"Change latency over {len(big.latencies)} edits",
            "p95 ≤ 2 s",
            f"p50 {p50:.2f} s, p95 {p95:.2f} s, max {max(big.latencies):.2f} s",
            "",
            p95 <= 2.0,
        )
    )
    rows.append(
        Row(
            f"Idle CPU over {args.idle_seconds:.0f} s",
            "< 1% of one core",
            f"{big.idle_cpu_share:.2%}",
            "",
            big.idle_cpu_share < 0.01,
        )
    )
    drift = (big.rss_end_idle - big.rss_start_idle) / 2**20
    rows.append(
        Row(
            f"Idle memory over {args.idle_seconds:.0f} s",
            "flat",
            f"{big.rss_start_idle / 2**20:.1f} → {big.rss_end_idle / 2**20:.1f} MiB "
            f"({drift:+.1f} MiB)",
            "",
            abs(drift) < 2,
        )
    )
    gap = (big.rss_after_migration - small.rss_after_migration) / 2**20
    rows.append(
        Row(
            f"Memory after {args.contacts:,} vs {args.small_contacts:,} contacts",
            "within 30 MB",
            f"{big.rss_after_migration / 2**20:.1f} vs "
            f"{small.rss_after_migration / 2**20:.1f} MiB ({gap:+.1f} MiB)",
            "",
            gap <= 30,
        )
    )

    table = ["| figure | target | measured | ratio to floor | met |", "|---|---|---|---|---|"]
    for row in rows:
        met = "" if row.met is None else ("yes" if row.met else "**no**")
        table.append(
            f"| {row.figure} | {row.target} | {row.measured} | {row.floor_ratio} | {met} |"
        )
    report = "\n".join(
        [
            "# Benchmark results",
            "",
            f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {machine_description()}, "
            f"Python {sys.version.split()[0]}.",
            "",
            *table,
            "",
        ]
    )
    print(report)
    args.output.write_text(report, encoding="utf-8")
    print(f"written to {args.output}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
