"""Every answer the agent reads is bounded in its *decoded* size.

A hostile service, a proxy or a captive portal can answer with a few hundred bytes that
decode to gigabytes (``Content-Encoding: gzip, gzip`` of zeros: 587 bytes made the agent
grow to 554 MiB). So the agent asks for ``gzip`` or nothing, refuses stacked or unknown
codings before decoding a byte, and decodes gzip/deflate itself with zlib's
``max_length``, so no single chunk can expand past the limit either.
"""

from __future__ import annotations

import zlib
from typing import Final

import httpx

from engine.errors import AnswerRefused

#: The largest decoded answer the agent accepts. The biggest real ones (a page of 1,000
#: contacts, 50,000 hashes) are a few MiB; a bomb is refused at this size.
MAX_ANSWER_BYTES: Final = 64 * 1024 * 1024
#: What the agent asks for: one coding it decodes itself, or none.
ACCEPT_ENCODING: Final = "gzip"
_WBITS: Final = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": 0}
_DROPPED_HEADERS: Final = frozenset({"content-encoding", "content-length", "transfer-encoding"})


def _coding(response: httpx.Response) -> str | None:
    """The one coding to undo (None: none); stacked or unknown codings are refused."""
    codings = [
        part.strip().lower()
        for value in response.headers.get_list("content-encoding")
        for part in value.split(",")
        if part.strip() and part.strip().lower() != "identity"
    ]
    if not codings:
        return None
    if len(codings) > 1 or codings[0] not in _WBITS:
        raise AnswerRefused(
            f"The online service (or something in between) answered in the coding "
            f"'{', '.join(codings)}', which this program does not decode (it asks for "
            f"'{ACCEPT_ENCODING}' or none)."
        )
    return codings[0]


def _decoder(coding: str) -> zlib._Decompress:
    wbits = _WBITS[coding]
    return zlib.decompressobj(wbits if wbits else zlib.MAX_WBITS)


def _too_large(limit: int) -> AnswerRefused:
    return AnswerRefused(
        f"The online service (or something in between) sent an answer larger than "
        f"{limit // (1024 * 1024)} MiB once decoded; it was not read further."
    )


def _unbind(response: httpx.Response, content: bytes) -> None:
    """Break the reference cycle httpx (0.28.1) makes of every answer it sends through a
    client: ``response.stream`` is a ``BoundAsyncStream`` that points back at the
    response. In a cycle the response, and the request it holds with the whole upload
    body (~1 MB a batch), wait for the collector's full collection, which a pass makes
    rare (:func:`engine.sync.memory.few_collections`): the agent grew by the size of every
    body it sent (850 MB at 90 % of 1,000,000 contacts). With the stream replaced by its
    content, reference counting frees both once the answer is read."""
    response.stream = httpx.ByteStream(content)


async def read_bounded(response: httpx.Response, limit: int = MAX_ANSWER_BYTES) -> httpx.Response:
    """``response`` (opened with ``stream=True``) read and decoded within ``limit``
    bytes, as an ordinary in-memory response without its coding headers."""
    try:  # already in memory (a transport that built it whole): only its size to check
        if len(response.content) > limit:
            raise _too_large(limit)
        _unbind(response, response.content)
        return response
    except httpx.ResponseNotRead:
        pass
    try:
        coding = _coding(response)
        decoder = None if coding is None else _decoder(coding)
        parts: list[bytes] = []
        size = 0
        async for raw in response.aiter_raw():
            data = raw
            while data:
                if decoder is None:
                    chunk, data = data, b""
                else:
                    try:
                        chunk = decoder.decompress(data, limit - size + 1)
                    except zlib.error as error:
                        raise AnswerRefused(
                            f"The online service sent an answer that is not valid {coding} "
                            f"({error})."
                        ) from None
                    data = decoder.unconsumed_tail
                size += len(chunk)
                if size > limit:
                    raise _too_large(limit)
                parts.append(chunk)
                if decoder is not None and not chunk and data:
                    break  # no progress possible (a corrupt tail); zlib says so at flush
    finally:
        await response.aclose()
        _unbind(response, b"")
    headers = [(k, v) for k, v in response.headers.multi_items() if k not in _DROPPED_HEADERS]
    answer = httpx.Response(
        response.status_code,
        headers=headers,
        content=b"".join(parts),
        request=response.request,
        extensions=response.extensions,
    )
    answer.elapsed = response.elapsed
    return answer
