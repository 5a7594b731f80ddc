"""``python -m benchmarks.document_cpu [--contacts N]``: the CPU one contact document costs,
on each side of the wire, in one thread.

Client: checking and encoding a page of documents as the uploader does
(``engine.sync.page_work.prepare``), and one document at a time without the uploader.
Service: decoding, checking and hashing a batch body (``sandbox.batch.prepare_batch``, no
database). Every figure is ``time.process_time()`` per contact over the generated
reference data (the ``sampledata`` generator, seed 42), so a busy machine slows it little;
the documents are read first and not counted. It also counts the documents whose hash on
the way differs from the reference canonical form (``canonical_json_reference``): that
count must be 0.
"""

from __future__ import annotations

import argparse
import hashlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Final, TypeVar

from benchmarks import workdirs
from engine.contract.canonical import canonical_json_reference
from engine.contract.document import Document, wire_document
from engine.online.client import encode_batch
from engine.sources.sqlite import SqliteSource
from engine.sync.page_work import prepare
from sampledata.sqlite_file import generate_reference_database
from sandbox.batch import prepare_batch

T = TypeVar("T")

#: Contacts per service batch: about what one 1 MB batch of the agent holds.
BATCH: Final = 800


def read_documents(workdir: Path, contacts: int) -> list[Document]:
    db = workdir / f"practice-{contacts}.db"
    if not db.exists():
        generate_reference_database(db, contacts=contacts, seed=42)
    source = SqliteSource(db)
    documents: list[Document] = []
    after = 0
    try:
        while (page := source.read_page(after, 2000)).last_id is not None:
            documents.extend(page.documents)
            after = page.last_id
    finally:
        source.close()
    return documents


def _per_contact(work: Callable[[], object], count: int) -> float:
    """Microseconds of this process's CPU per contact, best of three runs."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return best * 1e6 / count


def _pages(items: Sequence[T], size: int) -> list[Sequence[T]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def measure(documents: Sequence[Document]) -> dict[str, float]:
    """Microseconds per contact of each step, and the count of hashes that differ."""
    pages = _pages(documents, 2000)
    bodies = [wire_document(doc) for doc in documents]
    batches = [
        encode_batch(1, None, f"c{number}", part, [])
        for number, part in enumerate(_pages(bodies, BATCH))
    ]
    figures = {
        "client: check and encode (page_work.prepare)": _per_contact(
            lambda: [prepare(page, [], 0) for page in pages], len(documents)
        ),
        "client: check and encode alone (wire_document)": _per_contact(
            lambda: [wire_document(doc) for doc in documents], len(documents)
        ),
        "service: decode, check, hash (prepare_batch)": _per_contact(
            lambda: [prepare_batch(batch) for batch in batches], len(documents)
        ),
    }
    hashes = [row.hash for batch in batches for row in prepare_batch(batch).rows]
    differ = sum(
        hashlib.sha256(canonical_json_reference(doc)).hexdigest() != online
        for doc, online in zip(documents, hashes, strict=True)
    )
    differ += sum(
        body != canonical_json_reference(doc) for doc, body in zip(documents, bodies, strict=True)
    )
    figures["documents whose hash or bytes differ from the reference"] = differ
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.document_cpu", description=__doc__)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    workdir = workdirs.workdir(args.workdir, "cm-document-cpu-")
    documents = read_documents(workdir, args.contacts)
    for name, value in measure(documents).items():
        print(f"{name}: {int(value) if 'differ' in name else f'{value:.2f} µs per contact'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
