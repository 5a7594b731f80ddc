"""``python -m benchmarks.service_batch [--contacts N] [--rounds R]``: how fast the online
service (the sandbox) applies one big batch, end to end on loopback.

The service's share of an upload: read the body, decompress it, parse, validate and hash
every contact, and write them with the checkpoint in one transaction. Each round posts
``N`` other generated contacts (about 1.2 KB of JSON each; 3,000 are about 3.6 MB, the
size ``tests/sandbox/test_contacts.py::test_big_batch_is_applied_whole`` sends; new ones,
as in a migration: the service does not rewrite a contact sent again unchanged) as plain
JSON and as zstd, alternately, and reports the fastest and the median round of each, and
the service process's CPU time per contact (load-independent: the figure to compare).
Wall time on a busy machine is noise: compare runs made on a quiet one.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
import uuid
from pathlib import Path

import httpx

from benchmarks import workdirs
from benchmarks.__main__ import _activate_only, _database, _sign_in
from benchmarks.procstat import children, load_average, sample
from contacts_migration.demo import running_sandbox
from engine.contract.document import wire_document
from engine.online.client import encode_batch
from engine.online.compression import ContentEncoding, compress
from engine.sources.sqlite import SqliteSource


def _bodies(db: Path, contacts: int) -> list[bytes]:
    """The documents as the agent sends them: their canonical bytes (keys sorted)."""
    source = SqliteSource(db)
    page = source.read_page(0, contacts)
    source.close()
    return [wire_document(doc) for doc in page.documents]


def measure(
    workdir: Path, contacts: int, rounds: int
) -> tuple[dict[ContentEncoding, list[float]], float]:
    """Seconds per batch, by body coding; the service process's CPU seconds per contact
    applied (all rounds: HTTP, decompression, parsing, checking, rows and SQLite)."""
    posts = rounds * 2
    db = _database(workdir, max(contacts * posts, 20_000))
    bodies = _bodies(db, contacts * posts)
    online_dir = workdir / f"service-{uuid.uuid4().hex[:6]}"
    online_dir.mkdir()
    timings: dict[ContentEncoding, list[float]] = {
        ContentEncoding.IDENTITY: [],
        ContentEncoding.ZSTD: [],
    }
    others = set(children(os.getpid()))
    with running_sandbox(online_dir, 0) as online:
        (service,) = set(children(os.getpid())) - others
        asyncio.run(_activate_only(online))
        with httpx.Client(base_url=online.url + "/api/v1", timeout=120) as api:
            _sign_in(api, online)
            lease = api.post("/sync/lease", json={"agent_id": "bench", "machine": "m"})
            epoch = int(lease.json()["epoch"])
            base: str | None = None
            cpu_before = sample(service).cpu_seconds
            for number in range(rounds * len(timings)):
                encoding = list(timings)[number % len(timings)]
                fresh = bodies[number * contacts : (number + 1) * contacts]
                plain = encode_batch(epoch, base, str(number), fresh, [])
                body = compress(plain, encoding)
                headers = {"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"}
                if encoding is not ContentEncoding.IDENTITY:
                    headers["Content-Encoding"] = encoding.value
                started = time.perf_counter()
                response = api.post("/sync/batches", content=body.content, headers=headers)
                timings[encoding].append(time.perf_counter() - started)
                response.raise_for_status()
                base = str(number)
            cpu = sample(service).cpu_seconds - cpu_before
    return timings, cpu / (contacts * rounds * len(timings))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.service_batch", description=__doc__)
    parser.add_argument("--contacts", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    workdir = workdirs.workdir(args.workdir, "cm-service-")
    timings, service_cpu = measure(workdir, args.contacts, args.rounds)
    for encoding, seconds in timings.items():
        best = min(seconds)
        print(
            f"{args.contacts:,} contacts in one batch ({encoding.value}): fastest"
            f" {best * 1000:.0f} ms ({args.contacts / best:,.0f} contacts/s), median"
            f" {statistics.median(seconds) * 1000:.0f} ms over {len(seconds)} rounds"
        )
    print(
        f"service CPU {service_cpu * 1e6:.1f} µs a contact (its process's CPU time over all"
        f" rounds; {load_average()})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
