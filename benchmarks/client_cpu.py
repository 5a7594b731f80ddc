"""``python -m benchmarks.client_cpu [--contacts N] [--runs R]``: where the client's CPU
goes in a first migration, per contact.

Two measurements of the same generated practice (seed 42, as every benchmark):

- **stages**, in this thread on one core: the plain SQLite fetch of each page (the same
  statements the source runs, rows only, as the cursor returns them and as the source
  reads them for a first migration: handed to a function, ``engine/sources/sqlite_rows``),
  the source's ``read_page`` (fetch + assembly),
  the validation and the JSON encoding of each document, each as CPU µs per contact;
  and ``read_upload_page``, what a first migration runs instead (fetch, then each contact
  built straight into its checked wire bytes), with the share of contacts it built;
- **end to end**: ``sync_once`` to the loopback service, the service pinned to one core
  and the client to the other (the WAN benchmark's headline placement), the client
  process's CPU time per contact (every thread of it), with the wall time and the load
  average beside it.

The CPU figures don't depend on the machine's load; the wall time does.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks import workdirs
from benchmarks.__main__ import _activate, _database, _engine
from benchmarks.placement import placed, placements
from benchmarks.procstat import children, load_average, sample
from contacts_migration.demo import running_sandbox
from engine.contract.document import Document, document_problems
from engine.local.paths import HOME_ENV
from engine.local.settings import DEFAULT_PAGE_SIZE
from engine.online.client import encode_body
from engine.sources.mapping.queries import Queries
from engine.sources.mapping.schema import CHILD_TABLES
from engine.sources.sqlite import SqliteSource
from engine.sync.memory import few_collections


@dataclass
class Stages:
    """CPU µs per contact of each stage (one thread)."""

    contacts: int
    fetch: float
    read_page: float
    validate: float
    encode: float
    upload_page: float
    #: The fetch as read_upload_page does it (rows handed to a function, order checked).
    handed: float
    #: Contacts read_upload_page built into bytes (the rest: documents, checked in full).
    built: int

    def text(self) -> str:
        assembly = self.read_page - self.fetch
        total = self.read_page + self.validate + self.encode
        return (
            f"stages, {self.contacts:,} contacts, CPU µs per contact: SQLite fetch"
            f" {self.fetch:.1f} (handed {self.handed:.1f}), read_page {self.read_page:.1f}"
            f" (assembly {assembly:.1f}),"
            f" validation {self.validate:.1f}, JSON {self.encode:.1f}; sum {total:.1f};"
            f" read_upload_page {self.upload_page:.1f} (build + encode"
            f" {self.upload_page - self.handed:.1f}; {self.built:,} built)"
        )


def _per_contact(seconds: float, contacts: int) -> float:
    return seconds * 1e6 / max(contacts, 1)


def _timed(work: Callable[..., object], *args: Any) -> float:
    started = time.thread_time()
    work(*args)
    return time.thread_time() - started


def _plain_fetch(connection: sqlite3.Connection, queries: Queries, after: int, size: int) -> None:
    """The rows of one page as the source selects them, nothing made of them."""
    rows = connection.execute(queries.contacts_after, (after, size)).fetchall()
    if rows:
        bounds = (rows[0][0], rows[-1][0])
        for table in CHILD_TABLES:
            connection.execute(queries.children_between(table), bounds).fetchall()


def _handed_fetch(source: SqliteSource, after: int, size: int) -> None:
    """The same rows as a first migration reads them (handed to a function, checked)."""
    assert source._connection is not None
    cursor = source._connection.cursor()
    rows = source._handed.contacts(cursor, source.queries, after, size)
    if rows:
        bounds = (rows[0][0], rows[-1][0])
        for table in CHILD_TABLES:
            source._handed.children(cursor, source.queries, table, bounds)


def _validate(documents: list[Document]) -> None:
    for doc in documents:
        document_problems(doc)


def _encode(documents: list[Document]) -> None:
    for doc in documents:
        encode_body(doc)


def measure_stages(db: Path, page_size: int = DEFAULT_PAGE_SIZE) -> Stages:
    """Each stage over every page, in this thread (CPU time, so load doesn't matter)."""
    source = SqliteSource(db)
    plain = sqlite3.connect(db)
    fetch = read = validate = encode = upload = handed = 0.0
    contacts = built = 0
    after = 0
    with few_collections():
        while True:
            fetch += _timed(_plain_fetch, plain, source.queries, after, page_size)
            handed += _timed(_handed_fetch, source, after, page_size)
            started = time.thread_time()
            upload_page = source.read_upload_page(after, page_size)
            upload += time.thread_time() - started
            built += len(upload_page.encoded)
            del upload_page
            started = time.thread_time()
            page = source.read_page(after, page_size)
            read += time.thread_time() - started
            if page.last_id is None:
                break
            validate += _timed(_validate, page.documents)
            encode += _timed(_encode, page.documents)
            contacts += len(page.documents)
            after = page.last_id
    plain.close()
    source.close()
    return Stages(
        contacts,
        _per_contact(fetch, contacts),
        _per_contact(read, contacts),
        _per_contact(validate, contacts),
        _per_contact(encode, contacts),
        _per_contact(upload, contacts),
        _per_contact(handed, contacts),
        built,
    )


@dataclass
class EndToEnd:
    contacts: int
    cpu_seconds: float
    wall_seconds: float
    load: str
    placement: str
    #: CPU seconds of the service (the sandbox process and its children) meanwhile.
    service_cpu: float

    def text(self) -> str:
        # both cores' worth of work this run did (client + service) over the cores it had
        busy = (self.cpu_seconds + self.service_cpu) / (2 * self.wall_seconds)
        return (
            f"sync_once, {self.contacts:,} contacts, {self.placement}: client CPU"
            f" {self.cpu_seconds:.2f} s = {_per_contact(self.cpu_seconds, self.contacts):.1f}"
            f" µs per contact; service CPU {self.service_cpu:.2f} s; wall"
            f" {self.wall_seconds:.2f} s ({self.load}); client + service = {busy:.0%} of"
            " two cores"
        )


def measure_end_to_end(workdir: Path, db: Path, contacts: int, pinned: bool = True) -> EndToEnd:
    """One first migration over the loopback; this process's CPU time around it."""
    placement = placements()[0 if pinned else -1]
    online_dir = workdir / f"client-cpu-{uuid.uuid4().hex[:6]}"
    online_dir.mkdir()
    with running_sandbox(online_dir, 0) as online, placed(placement):
        service = children(os.getpid())

        async def run() -> tuple[float, float, float]:
            engine = _engine(db, online, online_dir)
            try:
                await _activate(engine)
                others = sum(sample(pid).cpu_seconds for pid in service)
                cpu, started = time.process_time(), time.monotonic()
                await engine.sync_once()
                cpu, wall = time.process_time() - cpu, time.monotonic() - started
                others = sum(sample(pid).cpu_seconds for pid in service) - others
                report = await engine.verify()
            finally:
                await engine.aclose()
            if not report.identical:
                raise SystemExit(f"the migration is not identical: {report.summary()}")
            return cpu, wall, others

        cpu, wall, others = asyncio.run(run())
    name = placement.name.split(" (")[0]
    return EndToEnd(contacts, cpu, wall, load_average(), name, others)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.client_cpu")
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3, help="end-to-end runs")
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--stages-only", action="store_true")
    parser.add_argument("--no-stages", action="store_true", help="only sync_once")
    parser.add_argument("--co-located", action="store_true", help="no pinning end to end")
    args = parser.parse_args(argv)
    workdir = workdirs.workdir(args.workdir, "cm-cpu-")
    os.environ.setdefault(HOME_ENV, str(workdir / "home"))
    db = _database(workdir, args.contacts)
    if not args.no_stages:
        print(measure_stages(db).text(), flush=True)
    if args.stages_only:
        return 0
    per_contact = []
    for _ in range(args.runs):
        outcome = measure_end_to_end(workdir, db, args.contacts, not args.co_located)
        print(outcome.text(), flush=True)
        per_contact.append(_per_contact(outcome.cpu_seconds, outcome.contacts))
    print(f"client CPU per contact, median of {args.runs}: {statistics.median(per_contact):.1f} µs")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
