"""People working in the practice database: writer threads that insert, update and
delete contacts and their child rows in short transactions, timing every transaction.

Used by tests/engine/sync/test_concurrent_writers.py and runnable alone against any ODBC
practice database (for benchmarks)::

    python -m tests.writer_load "Driver={PostgreSQL Unicode};Server=...;Database=..." 10
"""

from __future__ import annotations

import random
import statistics
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Final

#: Pause between one writer's transactions (people type; they don't spin).
THINK_SECONDS: Final = 0.002


@dataclass(frozen=True)
class Latency:
    count: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float

    @classmethod
    def of(cls, seconds: list[float]) -> Latency:
        if len(seconds) < 2:
            only = seconds[0] * 1000 if seconds else 0.0
            return cls(len(seconds), only, only, only, only)
        cuts = statistics.quantiles(seconds, n=100, method="inclusive")
        return cls(
            len(seconds), cuts[49] * 1000, cuts[94] * 1000, cuts[98] * 1000, max(seconds) * 1000
        )

    def line(self, label: str) -> str:
        return (
            f"{label}: {self.count} transactions, p50 {self.p50_ms:.2f} ms, "
            f"p95 {self.p95_ms:.2f} ms, p99 {self.p99_ms:.2f} ms, max {self.max_ms:.1f} ms"
        )


@dataclass
class Writers:
    """``count`` writer threads; writer i only touches contacts with id % count == i,
    so writers never wait for each other and any wait measured is the agent's doing."""

    connection_string: str
    count: int
    max_contact_id: int
    seed: int = 1
    latencies: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    operations: int = 0
    _stop: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        self._stop.clear()
        for index in range(self.count):
            thread = threading.Thread(target=self._run, args=(index,), name=f"writer-{index}")
            thread.start()
            self._threads.append(thread)

    def take_latencies(self) -> list[float]:
        with self._lock:
            taken, self.latencies = self.latencies, []
        return taken

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=60)
        self._threads.clear()

    def _run(self, index: int) -> None:
        import pyodbc

        rng = random.Random(self.seed * 1000 + index)
        connection = pyodbc.connect(self.connection_string, autocommit=False, timeout=10)
        cursor = connection.cursor()

        def mine() -> int:
            pick = rng.randrange(1, self.max_contact_id // self.count) * self.count + index
            return max(pick, 1) if pick % self.count == index else index or self.count

        try:
            while not self._stop.is_set():
                contact = mine()
                operation = rng.random()
                started = time.perf_counter()
                try:
                    self._transaction(cursor, operation, contact, index, rng)
                    connection.commit()
                except pyodbc.Error as error:
                    connection.rollback()
                    with self._lock:
                        self.errors.append(f"{type(error).__name__}: {error}")
                    continue
                elapsed = time.perf_counter() - started
                with self._lock:
                    self.latencies.append(elapsed)
                    self.operations += 1
                time.sleep(THINK_SECONDS)
        finally:
            connection.close()

    def _transaction(
        self, cursor: Any, operation: float, contact: int, index: int, rng: random.Random
    ) -> None:
        if operation < 0.40:
            cursor.execute(
                'UPDATE "Contact" SET "Phone" = ? WHERE "ContactID" = ?',
                (f"02 9{rng.randrange(10**7):07d}", contact),
            )
        elif operation < 0.55:
            cursor.execute(
                'UPDATE "ContactAddress" SET "Suburb" = ? WHERE "ContactID" = ?',
                (rng.choice(("Glebe", "Ultimo", "Manly", "Fitzroy")), contact),
            )
        elif operation < 0.65:
            cursor.execute('DELETE FROM "ContactExtraField" WHERE "ContactID" = ?', (contact,))
        elif operation < 0.75:
            cursor.execute(
                'DELETE FROM "ContactAddress" WHERE "AddressID" = (SELECT MIN("AddressID") '
                'FROM "ContactAddress" WHERE "ContactID" = ?)',
                (contact,),
            )
        elif operation < 0.90:
            # A new contact with an address, in one transaction (as the program does).
            row = cursor.execute(
                'INSERT INTO "Contact" ("ContactType", "IsContact", "MainName") '
                "VALUES ('O', FALSE, ?) RETURNING \"ContactID\"",
                (f"Writer {index} Pty Ltd",),
            ).fetchone()
            cursor.execute(
                'INSERT INTO "ContactAddress" ("ContactID", "AddressType", "Suburb", '
                "\"IsPrimary\") VALUES (?, 'Postal', 'Parramatta', TRUE)",
                (int(row[0]),),
            )
        else:
            cursor.execute('DELETE FROM "Contact" WHERE "ContactID" = ?', (contact,))


def main(argv: list[str]) -> int:
    """Run writers for N seconds against a practice database and print the latency."""
    connection_string, seconds = argv[0], float(argv[1]) if len(argv) > 1 else 10.0
    writers = Writers(connection_string, count=4, max_contact_id=50_000)
    writers.start()
    time.sleep(seconds)
    writers.stop()
    print(Latency.of(writers.take_latencies()).line("writers"))
    print(f"errors: {len(writers.errors)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
