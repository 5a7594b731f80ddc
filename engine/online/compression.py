"""Request-body compression: zstd, else gzip, else none, as the service says it accepts.

The service names the codings it decodes in an ``Accept-Encoding`` answer header (RFC
7694) and in its OpenAPI document; the client picks the best one both know. Contact JSON
compresses 7.5-10x, which is most of the time a first upload takes on a practice's link.
Compressing is CPU work: callers run :func:`compress` in a worker thread, never on the
event loop (zstandard and zlib release the GIL while they work).

How much to compress depends on the link (:class:`CodingChooser`): on a slow line every
byte saved is time saved, so a higher zstd level pays; on a fast one (the loopback, a
LAN) the link outruns the client and compression would only spend CPU, so none is used.
"""

from __future__ import annotations

import gzip
import time
import zlib
from dataclasses import dataclass
from typing import Final

from engine.contract.wire import COMPRESSED_ENCODINGS, ContentEncoding as ContentEncoding

#: The zstd level until the link is measured: cheap, and 7.9x on contact JSON.
ZSTD_LEVEL: Final = 3
GZIP_LEVEL: Final = 5

#: The zstd levels the chooser picks from: (level, ratio, CPU ns per plain byte), measured
#: on the reference data (generated contacts, ~1 MB batches) on a 2-core AMD EPYC (6 and
#: 8 measured under load and scaled by the others' ratio to their quiet figures; 2 and 4
#: are left out: no better than 1 and 3). A trained dictionary was measured too and does
#: not pay at this batch size (level 7 with a 110 kB dictionary: 9.5x against 9.8x
#: without), nor does long-distance matching (level 7: 9.0x); so neither is used. At run
#: time the costs are scaled by what this machine measures for the level in use.
ZSTD_LEVELS: Final = (
    (1, 7.5, 1.9),
    (3, 7.9, 2.5),
    (5, 8.9, 7.7),
    (6, 9.4, 8.7),
    (7, 9.8, 10.6),
    (8, 10.1, 11.6),
    (9, 10.1, 14.3),
    (12, 10.5, 22.1),
)


#: The codings this client prefers, best first.
PREFERENCE: Final = COMPRESSED_ENCODINGS


@dataclass(frozen=True)
class EncodedBody:
    """A request body as it goes on the wire, with its uncompressed size."""

    content: bytes
    encoding: ContentEncoding
    raw_size: int
    #: zstd level (0: not zstd) and the CPU seconds compressing took.
    level: int = 0
    cpu_seconds: float = 0.0


def choose_encoding(offered: str) -> ContentEncoding:
    """The best coding in an ``Accept-Encoding`` value that this client knows."""
    names = set()
    for part in offered.split(","):
        name, _, params = part.strip().partition(";")
        if params.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000"):
            continue
        names.add(name.strip().lower())
    for encoding in PREFERENCE:
        if encoding.value in names:
            return encoding
    return ContentEncoding.IDENTITY


def compress(content: bytes, encoding: ContentEncoding, level: int = ZSTD_LEVEL) -> EncodedBody:
    """Compress a body (blocking CPU work: call it from a worker thread); ``level`` is
    zstd's."""
    started = time.thread_time()
    if encoding is ContentEncoding.ZSTD:
        import zstandard  # only when used: keeps the agent's start quick

        data = zstandard.ZstdCompressor(level=level).compress(content)
    elif encoding is ContentEncoding.GZIP:
        data = gzip.compress(content, compresslevel=GZIP_LEVEL, mtime=0)
        level = 0
    else:
        data, level = content, 0
    return EncodedBody(data, encoding, len(content), level, time.thread_time() - started)


def decompress(body: EncodedBody) -> bytes:
    """The plain body back (the client's own data: no size limit needed)."""
    if body.encoding is ContentEncoding.ZSTD:
        import zstandard

        return zstandard.ZstdDecompressor().decompress(body.content, max_output_size=body.raw_size)
    if body.encoding is ContentEncoding.GZIP:
        return zlib.decompress(body.content, wbits=31)
    return body.content
