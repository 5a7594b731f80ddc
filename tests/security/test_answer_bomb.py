"""Attack (issue #22, 2): a decompression bomb in an answer exhausts the agent's memory.

A 587-byte sign-in answer with ``Content-Encoding: gzip, gzip`` made the agent grow to
554 MiB: answers were decoded without a size limit. Now every answer is read within a
decoded-size limit, and stacked or unknown codings are refused before decoding."""

from __future__ import annotations

import functools
import subprocess
import sys
import textwrap
import zlib

import pytest

from engine.online.answers import MAX_ANSWER_BYTES
from tests.security.hostile_server import hostile_server
from tests.security.support import ROOT

#: Decoded size of the bombs: far past the limit, so an unbounded agent shows it.
BOMB_BYTES = 1024 * 1024 * 1024


@functools.cache
def _gzip_of_zeros(size: int, times: int) -> bytes:
    block = bytes(1024 * 1024)
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    data = b"".join(packer.compress(block) for _ in range(size // len(block))) + packer.flush()
    for _ in range(times - 1):
        packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
        data = packer.compress(data) + packer.flush()
    return data


def _answer(coding: str, body: bytes) -> bytes:
    head = (
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        f"Content-Encoding: {coding}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    return head.encode() + body


#: Signs in (the first request) and prints what happened and the process's peak memory.
AGENT = textwrap.dedent(
    """
    import asyncio, sys
    from engine.online.client import Credentials, OnlineClient

    async def main() -> None:
        async with OnlineClient(sys.argv[1], Credentials("sync-1", "s")) as client:
            try:
                await client.practice()
                print("READ IT")
            except Exception as error:
                print(type(error).__name__, error)
        # VmHWM is this process's own peak: ru_maxrss on Linux keeps the parent's (the
        # test runner's) high-water mark across fork and exec, so a big runner fails it.
        with open("/proc/self/status") as status:
            peak = next(line for line in status if line.startswith("VmHWM:"))
        print("PEAK", int(peak.split()[1]) * 1024)

    asyncio.run(main())
    """
)


def _agent_against(answer: bytes) -> tuple[str, int]:
    with hostile_server(lambda _: answer) as url:
        done = subprocess.run(
            [sys.executable, "-c", AGENT, url],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
    assert "Traceback" not in done.stderr, done.stderr
    lines = done.stdout.strip().splitlines()
    return lines[0], int(lines[-1].split()[1])


@pytest.mark.parametrize(("coding", "times"), [("gzip, gzip", 2), ("gzip", 1)])
def test_a_bomb_is_refused_within_the_limit(coding: str, times: int) -> None:
    bomb = _gzip_of_zeros(BOMB_BYTES, times)
    assert len(bomb) < 2 * 1024 * 1024  # tiny on the wire
    outcome, peak = _agent_against(_answer(coding, bomb))
    assert outcome.startswith("AnswerRefused"), outcome
    # Peak memory stays well below the bomb: the limit plus the interpreter, not 1 GiB.
    assert peak < MAX_ANSWER_BYTES + 256 * 1024 * 1024, peak


@pytest.mark.parametrize("coding", ["br", "zstd", "gzip, deflate", "deflate, gzip, gzip"])
def test_stacked_or_unknown_codings_are_refused_before_decoding(coding: str) -> None:
    outcome, _ = _agent_against(_answer(coding, b"\x00" * 64))
    assert outcome.startswith("AnswerRefused") and "does not decode" in outcome, outcome


def test_an_ordinary_gzip_answer_still_reads() -> None:
    body = zlib.compress(b'{"error": "invalid_client", "message": "no"}', wbits=16 + 15)
    answer = _answer("gzip", body).replace(b"200 OK", b"401 Unauthorized")
    outcome, _ = _agent_against(answer)
    assert outcome.startswith("CredentialsRejected"), outcome  # its JSON was read
