"""A TCP proxy that behaves like a practice's internet link: one shared link with its own
bandwidth per direction and a one-way delay, for every connection through it.

``python -m benchmarks.shaper --target-port P --up-mbit 20 --down-mbit 100 --rtt-ms 30
--stats FILE`` prints ``listening on PORT`` and runs until SIGTERM, then writes the bytes
it carried each way to FILE as JSON (on SIGUSR1 too, as a snapshot). Run it as its own
process so it never competes with the engine for one interpreter.

How it shapes: each chunk read from a connection waits its turn on the direction's link
(first come, first served across connections), occupies it for ``size / bandwidth``, and
is delivered ``rtt / 2`` after it left. The reader waits while its chunk is "on the
wire", so a fast sender is held back by TCP as on a real bottleneck. Counted bytes are
TCP payload (HTTP headers and bodies); IP and TCP headers are not included.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import signal
from dataclasses import dataclass
from pathlib import Path
from typing import Final

CHUNK: Final = 16 * 1024


@dataclass
class Link:
    """One direction of the shared link."""

    bytes_per_second: float
    delay: float
    free_at: float = 0.0
    carried: int = 0

    def reserve(self, size: int, now: float) -> float:
        """Book the link for ``size`` bytes; returns when they have left."""
        start = max(now, self.free_at)
        self.free_at = start + size / self.bytes_per_second
        self.carried += size
        return self.free_at


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
            await asyncio.sleep(max(0.0, left - loop.time()))
            queue.put_nowait((left + link.delay, data))
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
            text = json.dumps({"up": shaper.up.carried, "down": shaper.down.carried})
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
    args = parser.parse_args(argv)
    delay = args.rtt_ms / 2000
    shaper = Shaper(
        args.target_port,
        Link(args.up_mbit * 1e6 / 8, delay),
        Link(args.down_mbit * 1e6 / 8, delay),
    )
    asyncio.run(serve(shaper, args.stats))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
