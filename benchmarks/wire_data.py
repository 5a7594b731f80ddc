"""The reference data as the wire sees it: its plain JSON size, and what each zstd level
the client may choose makes of it."""

from __future__ import annotations

import time
from pathlib import Path

from engine.online.client import encode_body
from engine.online.compression import ZSTD_LEVELS, ContentEncoding, compress
from engine.sources.sqlite import SqliteSource


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


def compression_table(db: Path, limit: int = 20_000) -> list[str]:
    """Each zstd level the client may choose, on this data in ~1 MB batches: its ratio
    and its CPU seconds per 100,000 contacts (one thread)."""
    source = SqliteSource(db)
    page = source.read_page(0, limit)
    source.close()
    bodies = [encode_body(doc) for doc in page.documents]
    batches = [b",".join(bodies[start : start + 800]) for start in range(0, len(bodies), 800)]
    plain = sum(map(len, batches))
    lines = []
    for level, _, _ in ZSTD_LEVELS:
        started = time.process_time()  # as the uploader compresses (tuned levels too)
        packed = sum(len(compress(batch, ContentEncoding.ZSTD, level).content) for batch in batches)
        spent = (time.process_time() - started) * 100_000 / len(bodies)
        lines.append(f"zstd level {level}: {plain / packed:.1f}x smaller, {spent:.2f} CPU s")
    return lines
