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
from typing import TYPE_CHECKING, Final

from engine.contract.wire import COMPRESSED_ENCODINGS, ContentEncoding as ContentEncoding

if TYPE_CHECKING:
    import zstandard

#: The zstd level until the link is measured: cheap, and 7.9x on contact JSON.
ZSTD_LEVEL: Final = 3
GZIP_LEVEL: Final = 5

#: The zstd levels the chooser picks from: (level, ratio, CPU ns per plain byte), measured
#: on the reference data (generated contacts, ~1 MB batches) on a 2-core AMD EPYC. Levels
#: 1 and 3 are zstd's own; the dearer ones are zstd's match finders of those levels
#: (greedy at 5, lazy at 6 and 7, lazy2 at 9 and 12) with the parameters of
#: :data:`ZSTD_TUNED`, found for contact JSON by a search over zstd's parameters: matches
#: of 7 bytes and more only (JSON's keys and punctuation make short matches poor value)
#: and smaller tables. Against zstd's own levels on the same batches, alternating, load
#: ~2.5: level 5 9.0x at 7.6 ns against 8.6x at 10.0; 6 9.8x at 10.3 against 9.1x at
#: 10.6; 12 10.2x at 17.5 against 10.2x at 22.6. The table: the WAN benchmark's on the
#: whole reference data beside zstd's own levels in the same runs (CPU seconds per 100,000
#: contacts, load ~4: 5 0.99 against 1.32, 6 1.46 against 1.61, 7 1.65 against 1.76, 12
#: 2.14 against 2.92), the costs scaled to the quiet figures zstd's levels had here. 2
#: and 4 are left out (no better than 1 and 3); a trained dictionary did not pay at this
#: batch size (zstd's level 7 with a 110 kB dictionary: 9.5x against 9.8x without), nor
#: did long-distance matching. At run time the costs are scaled by what this machine
#: measures for the level in use.
ZSTD_LEVELS: Final = (
    (1, 7.5, 1.9),
    (3, 7.9, 2.5),
    (5, 9.3, 5.8),
    (6, 10.1, 7.9),
    (7, 10.2, 9.9),
    (9, 10.4, 12.2),
    (12, 10.5, 16.2),
)
#: The levels tuned to contact JSON: (hash log, chain log, search log, min match, target
#: length, strategy), window 2 MB (what zstd's levels 3-8 use for a 1 MB body).
ZSTD_TUNED: Final = {
    5: (17, 15, 5, 7, 0, "greedy"),
    6: (18, 18, 5, 7, 16, "lazy"),
    7: (18, 17, 6, 7, 8, "lazy"),
    9: (19, 19, 5, 7, 64, "lazy2"),
    12: (19, 19, 6, 7, 128, "lazy2"),
}


def _compressor(level: int) -> zstandard.ZstdCompressor:
    import zstandard  # only when used: keeps the agent's start quick

    tuned = ZSTD_TUNED.get(level)
    if tuned is None:
        return zstandard.ZstdCompressor(level=level)
    hash_log, chain_log, search_log, min_match, target_length, strategy = tuned
    parameters = zstandard.ZstdCompressionParameters(
        window_log=21,
        hash_log=hash_log,
        chain_log=chain_log,
        search_log=search_log,
        min_match=min_match,
        target_length=target_length,
        strategy=getattr(zstandard, f"STRATEGY_{strategy.upper()}"),
    )
    return zstandard.ZstdCompressor(compression_params=parameters)


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
        data = _compressor(level).compress(content)
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
