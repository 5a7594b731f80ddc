"""Request-body compression: zstd, else gzip, else none, as the service says it accepts.

The service names the codings it decodes in an ``Accept-Encoding`` answer header (RFC
7694) and in its OpenAPI document; the client picks the best one both know. Contact JSON
compresses 7-8x, which is most of the time a first upload takes on a practice's link.
Compressing is CPU work: callers run :func:`compress` in a worker thread, never on the
event loop (zstandard and zlib release the GIL while they work).
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass
from typing import Final

from engine.contract.wire import COMPRESSED_ENCODINGS, ContentEncoding as ContentEncoding

#: Fast levels: on a 2-core machine the link, not the compressor, must be the limit.
ZSTD_LEVEL: Final = 3
GZIP_LEVEL: Final = 5


#: The codings this client prefers, best first.
PREFERENCE: Final = COMPRESSED_ENCODINGS


@dataclass(frozen=True)
class EncodedBody:
    """A request body as it goes on the wire, with its uncompressed size."""

    content: bytes
    encoding: ContentEncoding
    raw_size: int


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


def compress(content: bytes, encoding: ContentEncoding) -> EncodedBody:
    """Compress a body (blocking CPU work: call it from a worker thread)."""
    if encoding is ContentEncoding.ZSTD:
        import zstandard  # only when used: keeps the agent's start quick

        data = zstandard.ZstdCompressor(level=ZSTD_LEVEL).compress(content)
    elif encoding is ContentEncoding.GZIP:
        data = gzip.compress(content, compresslevel=GZIP_LEVEL, mtime=0)
    else:
        data = content
    return EncodedBody(data, encoding, len(content))


def decompress(body: EncodedBody) -> bytes:
    """The plain body back (the client's own data: no size limit needed)."""
    if body.encoding is ContentEncoding.ZSTD:
        import zstandard

        return zstandard.ZstdDecompressor().decompress(body.content, max_output_size=body.raw_size)
    if body.encoding is ContentEncoding.GZIP:
        return zlib.decompress(body.content, wbits=31)
    return body.content
