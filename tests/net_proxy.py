"""A small TCP proxy on loopback that misbehaves on purpose, reproducibly from a seed.

Each request (a chunk from the client) may be dropped (connection closed before it
reaches the server), reset (RST), delayed, or have its answer truncated mid-way, so the
engine meets the network failures real practices see, not only clean HTTP errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import StrEnum


class Fault(StrEnum):
    DROP = "drop"
    RESET = "reset"
    TRUNCATE = "truncate"
    DELAY = "delay"


@dataclass
class ProxyStats:
    requests: int = 0
    faults: dict[Fault, int] = field(default_factory=dict)

    @property
    def failed(self) -> int:
        return sum(n for fault, n in self.faults.items() if fault is not Fault.DELAY)


class FaultyProxy:
    def __init__(
        self, target_port: int, seed: int, rates: dict[Fault, float], delay_seconds: float = 0.3
    ) -> None:
        self.target_port = target_port
        self.rates = rates
        self.delay_seconds = delay_seconds
        self.stats = ProxyStats()
        self._rng = random.Random(seed)
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.base_events.Server | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self.port = 0

    def _pick(self) -> Fault | None:
        roll = self._rng.random()
        for fault, rate in self.rates.items():
            if roll < rate:
                return fault
            roll -= rate
        return None

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection; ends quietly when cancelled at shutdown (asyncio's stream
        callback would otherwise log the cancellation as an error)."""
        with contextlib.suppress(asyncio.CancelledError):
            await self._relay(reader, writer)

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target_port)
        except OSError:
            writer.close()
            return
        truncate_next = asyncio.Event()

        async def client_to_server() -> None:
            while data := await reader.read(65536):
                self.stats.requests += 1
                fault = self._pick()
                if fault is not None:
                    self.stats.faults[fault] = self.stats.faults.get(fault, 0) + 1
                if fault is Fault.DROP:
                    raise ConnectionAbortedError
                if fault is Fault.RESET:
                    sock = writer.get_extra_info("socket")
                    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    raise ConnectionAbortedError
                if fault is Fault.DELAY:
                    await asyncio.sleep(self.delay_seconds)
                if fault is Fault.TRUNCATE:
                    truncate_next.set()
                up_writer.write(data)
                await up_writer.drain()

        async def server_to_client() -> None:
            while data := await up_reader.read(65536):
                if truncate_next.is_set():
                    writer.write(data[: max(1, len(data) // 2)])
                    await writer.drain()
                    raise ConnectionAbortedError
                writer.write(data)
                await writer.drain()

        tasks = [
            asyncio.ensure_future(client_to_server()),
            asyncio.ensure_future(server_to_client()),
        ]
        try:
            with contextlib.suppress(Exception):
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)  # never left for the GC
            for stream in (writer, up_writer):
                with contextlib.suppress(Exception):
                    stream.close()

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _shutdown(self) -> None:
        """Stop accepting, then end every connection's task: a loop dropped with tasks
        still pending gets them destroyed by the garbage collector at a random later
        moment (inside another test, or while pytest compiles a module)."""
        if self._server is not None:
            self._server.close()
        current = asyncio.current_task()
        tasks = [task for task in asyncio.all_tasks() if task is not current]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @contextlib.contextmanager
    def running(self) -> Iterator[FaultyProxy]:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(10)
        try:
            yield self
        finally:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(30)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(30)
            if not self._thread.is_alive():
                self._loop.close()
