"""A TCP proxy that behaves like a practice's internet link: one shared link with its own
bandwidth per direction and a one-way delay, for every connection through it.

``python -m benchmarks.shaper --target-port P --up-mbit 20 --down-mbit 100 --rtt-ms 30
--stats FILE`` prints ``listening on PORT`` and runs until SIGTERM, then writes the bytes
it carried each way to FILE as JSON (on SIGUSR1 too, as a snapshot), with how long the
uplink had nothing to send (``up_idle``, since its first byte) and when (``up_gaps``:
each idle spell of 5 ms or more, in ``time.monotonic()`` seconds, which every process on
the machine shares). Run it as its own process so it never competes with the engine for
one interpreter.

How it shapes: each chunk read from a connection waits its turn on the direction's link
(first come, first served across connections), occupies it for ``size / bandwidth``, and
is delivered ``rtt / 2`` after it left. The reader is held back until its chunk is at
most ``--queue-kb`` of link time from leaving (a modem's buffer: 64 kB by default; 0
holds it until the chunk has left), so a fast sender is held back by TCP as on a real
bottleneck, and the shaper waking a little late on a busy core does not leave the link
idle (with no queue, each late wake-up was link time lost, counted as idle). Counted
bytes are TCP payload (HTTP headers and bodies); IP and TCP headers are not included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

CHUNK: Final = 16 * 1024
QUEUE_BYTES: Final = 64 * 1024
#: Idle spells at least this long are listed (shorter ones are only added up).
GAP_SECONDS: Final = 0.005
MAX_GAPS: Final = 20_000


@dataclass
class Link:
    """One direction of the shared link."""

    bytes_per_second: float
    delay: float
    free_at: float = 0.0
    carried: int = 0
    #: Seconds with nothing to send since the first byte, and the longer spells.
    idle: float = 0.0
    gaps: list[tuple[float, float]] = field(default_factory=list)
    queue_bytes: int = QUEUE_BYTES

    def reserve(self, size: int, now: float) -> float:
        """Book the link for ``size`` bytes; returns when they have left."""
        if self.carried and now > self.free_at:
            self._idle(self.free_at, now - self.free_at)
        start = max(now, self.free_at)
        self.free_at = start + size / self.bytes_per_second
        self.carried += size
        return self.free_at

    def hold_until(self, left: float) -> float:
        """When the reader may read its next chunk: the queue ahead of it is short."""
        return left - self.queue_bytes / self.bytes_per_second

    def _idle(self, since: float, seconds: float) -> None:
        self.idle += seconds
        if seconds >= GAP_SECONDS and len(self.gaps) < MAX_GAPS:
            self.gaps.append((round(since, 4), round(seconds, 4)))

    def snapshot(self, now: float) -> dict[str, object]:
        """Idle time and spells so far, the one still going included."""
        open_gap = max(0.0, now - self.free_at) if self.carried else 0.0
        gaps = [*self.gaps, (round(self.free_at, 4), round(open_gap, 4))] if open_gap else self.gaps
        return {"idle": self.idle + open_gap, "gaps": gaps}


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, link: Link) -> None:
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes] | None] = asyncio.Queue()

    async def deliver() -> None:
        while (entry := await queue.get()) is not None:
            at, data = entry
            await asyncio.sleep(max(0.0, at - loop.time()))
            writer.write(data)
            await writer.drain()
        await asyncio.sleep(max(0.0, link.delay))
        with contextlib.suppress(OSError):
            writer.write_eof()

    delivering = asyncio.create_task(deliver())
    try:
        while data := await reader.read(CHUNK):
            left = link.reserve(len(data), loop.time())
            queue.put_nowait((left + link.delay, data))
            await asyncio.sleep(max(0.0, link.hold_until(left) - loop.time()))
    except OSError:
        pass
    finally:
        queue.put_nowait(None)
        with contextlib.suppress(Exception):
            await delivering


class Shaper:
    def __init__(self, target_port: int, up: Link, down: Link) -> None:
        self.target_port = target_port
        self.up = up
        self.down = down

    async def handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter) -> None:
        try:
            server_r, server_w = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            client_w.close()
            return
        try:
            await asyncio.gather(
                _pump(client_r, server_w, self.up),
                _pump(server_r, client_w, self.down),
                return_exceptions=True,
            )
        except asyncio.CancelledError:
            pass  # the shaper is stopping: connections just close
        finally:
            for stream in (client_w, server_w):
                with contextlib.suppress(Exception):
                    stream.close()


async def serve(shaper: Shaper, stats: Path | None) -> None:
    server = await asyncio.start_server(shaper.handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    print(f"listening on {port}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)

    def write_stats() -> None:
        if stats is not None:
            up = shaper.up.snapshot(time.monotonic())
            text = json.dumps(
                {
                    "up": shaper.up.carried,
                    "down": shaper.down.carried,
                    "up_idle": up["idle"],
                    "up_gaps": up["gaps"],
                }
            )
            partial = stats.with_suffix(".partial")
            partial.write_text(text)
            partial.replace(stats)

    loop.add_signal_handler(signal.SIGUSR1, write_stats)  # a snapshot, mid-run
    await stop.wait()
    server.close()
    write_stats()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.shaper")
    parser.add_argument("--target-port", type=int, required=True)
    parser.add_argument("--up-mbit", type=float, required=True)
    parser.add_argument("--down-mbit", type=float, required=True)
    parser.add_argument("--rtt-ms", type=float, required=True)
    parser.add_argument("--stats", type=Path)
    parser.add_argument(
        "--queue-kb", type=int, default=QUEUE_BYTES // 1024, help="the link's buffer (kB)"
    )
    args = parser.parse_args(argv)
    delay = args.rtt_ms / 2000
    queue = args.queue_kb * 1024
    shaper = Shaper(
        args.target_port,
        Link(args.up_mbit * 1e6 / 8, delay, queue_bytes=queue),
        Link(args.down_mbit * 1e6 / 8, delay, queue_bytes=queue),
    )
    asyncio.run(serve(shaper, args.stats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
