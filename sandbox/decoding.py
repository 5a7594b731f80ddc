"""Compressed request bodies (``Content-Encoding: zstd`` or ``gzip``), decoded with a hard
limit on the decompressed size.

A few kilobytes of zstd or gzip can expand to gigabytes (a "bomb"). Decoding here writes
at most ``limit + 1`` bytes of output and stops: over the limit is a 413, never a memory
blow-up. zstd frames also declare the window they need; one beyond ``MAX_WINDOW`` is
refused before anything is allocated for it.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Sequence
from typing import Final

import zstandard

from engine.contract.wire import (
    ACCEPT_ENCODING_HEADER,
    CHECKPOINT_WAIT_HEADER,
    COMPRESSED_ENCODINGS,
    CONTENT_ENCODING_HEADER,
    ContentEncoding,
    ErrorCode,
)
from sandbox.errors import ApiError

#: The codings this service decodes, best first (its ``Accept-Encoding`` answer header).
ACCEPTED_ENCODINGS: Final = tuple(coding.value for coding in COMPRESSED_ENCODINGS)
ACCEPT_ENCODING_VALUE: Final = ", ".join(ACCEPTED_ENCODINGS)

MAX_WINDOW: Final = 1 << 24
_CHUNK: Final = 256 * 1024


def too_large(limit: int) -> ApiError:
    return ApiError(
        413,
        ErrorCode.PAYLOAD_TOO_LARGE,
        f"The request body is larger than {limit} bytes once decompressed; send smaller batches.",
    )


def _bad_body(encoding: str) -> ApiError:
    return ApiError(
        400, ErrorCode.INVALID_REQUEST, f"The request body is not valid {encoding} data."
    )


def accept_value(accepted: Sequence[str]) -> str:
    """The ``Accept-Encoding`` answer header for these codings ("identity": none)."""
    return ", ".join(accepted) or "identity"


def unsupported(encoding: str, accepted: Sequence[str]) -> ApiError:
    return ApiError(
        415,
        ErrorCode.UNSUPPORTED_ENCODING,
        f"{CONTENT_ENCODING_HEADER} {encoding!r} is not accepted; send {accept_value(accepted)}.",
        headers={ACCEPT_ENCODING_HEADER: accept_value(accepted)},
    )


def _zstd(data: bytes, limit: int) -> bytes:
    decompressor = zstandard.ZstdDecompressor(max_window_size=MAX_WINDOW)
    out = bytearray()
    try:
        with decompressor.stream_reader(io.BytesIO(data), read_across_frames=True) as reader:
            while chunk := reader.read(min(_CHUNK, limit + 1 - len(out))):
                out += chunk
                if len(out) > limit:
                    raise too_large(limit)
    except zstandard.ZstdError as error:
        raise _bad_body(ContentEncoding.ZSTD) from error
    return bytes(out)


def _gzip(data: bytes, limit: int) -> bytes:
    decompressor = zlib.decompressobj(wbits=31)
    out = bytearray()
    pending = data
    try:
        while pending and not decompressor.eof:
            out += decompressor.decompress(pending, limit + 1 - len(out))
            if len(out) > limit:
                raise too_large(limit)
            pending = decompressor.unconsumed_tail
        if not decompressor.eof:
            raise _bad_body(ContentEncoding.GZIP)
    except zlib.error as error:
        raise _bad_body(ContentEncoding.GZIP) from error
    return bytes(out)


def decode_body(
    data: bytes,
    content_encoding: str | None,
    limit: int,
    accepted: Sequence[str] = ACCEPTED_ENCODINGS,
) -> bytes:
    """The plain body; 413 when it decompresses beyond ``limit`` bytes, 415 for a coding
    not in ``accepted`` (naming those that are), 400 for corrupt data."""
    encoding = (content_encoding or "identity").strip().lower()
    if encoding in ("", ContentEncoding.IDENTITY):
        return data
    if encoding == ContentEncoding.ZSTD and encoding in accepted:
        return _zstd(data, limit)
    if encoding == ContentEncoding.GZIP and encoding in accepted:
        return _gzip(data, limit)
    raise unsupported(encoding, accepted)


#: How the OpenAPI document states all this (sandbox.openapi).
OPENAPI_ANSWER_HEADER: Final = {
    ACCEPT_ENCODING_HEADER: {
        "description": "The request body codings this service decodes (RFC 7694), best first.",
        "schema": {"type": "string", "example": ACCEPT_ENCODING_VALUE},
    }
}
#: The body's coding is a property of the body (HTTP's ``Content-Encoding`` describes the
#: bytes sent), not a parameter to choose freely: so it is said here, in words, and not
#: listed as a header parameter (a tool would send ``zstd`` with a plain body).
OPENAPI_BODY_CODING: Final = (
    f"The body may be sent compressed: {CONTENT_ENCODING_HEADER}: zstd or gzip (the codings"
    f" this service decodes are in the {ACCEPT_ENCODING_HEADER} answer header of the token"
    " and sync state answers), then it must be that coding's data (otherwise 400); other"
    " codings are 415. The size limit (413) counts the decompressed bytes."
)
#: What the document allows in ``Checkpoint-Wait``: decimal seconds from 0 to 30, a
#: subset of what the service parses (``throttle.header_seconds``), so nothing it
#: allows is refused.
CHECKPOINT_WAIT_PATTERN: Final = r"^(?:[0-2]?[0-9](?:\.[0-9]{1,6})?|30(?:\.0{1,6})?)$"
OPENAPI_BATCH_PARAMETERS: Final = (
    {
        "name": CHECKPOINT_WAIT_HEADER,
        "in": "header",
        "required": False,
        "description": "Pipelining: hold this batch up to this many seconds until its"
        " `base_checkpoint` is the current one (the batch before it is still being applied),"
        " instead of answering 409 `checkpoint_conflict` at once. A new lease, a replayed key"
        " or the deadline ends the wait; the compare-and-set is unchanged. Decimal seconds from"
        " 0 to 30 (more is 400).",
        # a header is text: decimal seconds (no exponent, sign or nan), at most 30
        "schema": {"type": "string", "pattern": CHECKPOINT_WAIT_PATTERN},
    },
)
