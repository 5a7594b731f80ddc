"""Killing the real agent over and over while people edit the desktop: the one home of
what the kill soak (``benchmarks/soak.py``) and the crash tests
(``tests/engine/sync/test_crash_harness.py``, ``test_crash_safety.py``) share.

No pytest here: the soak runs outside the test suite. Everything runs the program as a
person's computer would, as its own processes (``python -m contacts_migration``).
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from engine.local.paths import HOME_ENV


def cli(*args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """One ``contacts-migration`` command on the computer whose profile is ``home``."""
    return subprocess.run(
        [sys.executable, "-m", "contacts_migration", *args],
        env={**os.environ, HOME_ENV: str(home)},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def start_agent(home: Path, env: Mapping[str, str] | None = None) -> subprocess.Popen[bytes]:
    """``contacts-migration run`` started, returning once it has written its first status.

    Random kill times count from then: on a busy machine starting the program alone can
    take seconds, and kills that land before it runs test nothing."""
    started = time.time()
    agent = subprocess.Popen(
        [sys.executable, "-m", "contacts_migration", "run"],
        env={**os.environ, HOME_ENV: str(home), **(env or {})},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wait_until_running(home, started, agent)
    return agent


def wait_until_running(home: Path, since: float, agent: subprocess.Popen[bytes]) -> None:
    """Return once the agent started at ``since`` has written its first status (or died)."""
    state = home / "state" / "state.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and agent.poll() is None:
        try:
            if state.stat().st_mtime >= since:
                return
        except OSError:
            pass
        time.sleep(0.05)
    if agent.poll() is None:
        agent.kill()
        agent.wait()
        raise RuntimeError(f"the agent of {home.name} never started")


def kill(agent: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the agent (unless it is gone already); True when it had died by itself
    with SIGKILL, as an armed failpoint makes it."""
    died_by_itself = agent.poll() == -signal.SIGKILL
    if agent.poll() is None:
        agent.send_signal(signal.SIGKILL)
    agent.wait()
    return died_by_itself


def edit(writer: sqlite3.Connection, rng: random.Random, contacts: int, round_: int) -> int:
    """What people do in the desktop program between (and during) crashes: 1 to 5 changes
    (a mobile, an address removed, a contact deleted or added, an extra field); how many."""
    changes = rng.randrange(1, 6)
    for _ in range(changes):
        contact = rng.randrange(1, contacts)
        match rng.randrange(5):
            case 0:
                writer.execute(
                    'UPDATE "Contact" SET "Mobile" = ? WHERE "ContactID" = ?',
                    (f"04{round_ % 100:02d}{contact % 1_000_000:06d}", contact),
                )
            case 1:
                writer.execute('DELETE FROM "ContactAddress" WHERE "ContactID" = ?', (contact,))
            case 2:
                writer.execute('DELETE FROM "Contact" WHERE "ContactID" = ?', (contact,))
            case 3:
                writer.execute(
                    'INSERT INTO "Contact" ("ContactType", "IsContact", "MainName") '
                    "VALUES ('O', 0, ?)",
                    (f"Crash Test {round_} Pty Ltd",),
                )
            case _:
                writer.execute(
                    'UPDATE "ContactExtraField" SET "Value" = ? WHERE "ContactID" = ?',
                    (f"v{round_}", contact),
                )
    return changes


def edit_while_running(
    agent: subprocess.Popen[bytes],
    seconds: float,
    writer: sqlite3.Connection,
    rng: random.Random,
    contacts: int,
    round_: int,
    until: Callable[[], bool] | None = None,
) -> int:
    """Let the agent run up to ``seconds`` (less if it dies or ``until`` comes true) with
    people editing now and then (about every 0.4 s); the number of changes made."""
    changes = 0
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and agent.poll() is None:
        if until is not None and until():
            break
        time.sleep(0.02)
        if rng.random() < 0.05:
            changes += edit(writer, rng, contacts, round_)
    return changes


@dataclass(frozen=True)
class BatchLog:
    """What the service's batch log says was applied (one row per applied batch)."""

    batches: int
    #: Contacts the batches upserted.
    upserts: int
    #: Of them, those sent again exactly as already stored (``batch_log.unchanged``, not
    #: rewritten): the contacts sent twice.
    unchanged: int
    deletes: int
    #: The most contacts one batch upserted.
    largest_batch: int
    #: The most unchanged contacts applied by one agent's lease (one run between kills).
    most_unchanged_in_one_run: int
    #: Each applied batch's lease epoch, in order.
    epochs: list[int]


def read_batch_log(service_db: Path) -> BatchLog:
    with sqlite3.connect(f"file:{service_db}?mode=ro", uri=True) as store:
        rows = store.execute(
            "SELECT epoch, upserts, unchanged, deletes FROM batch_log ORDER BY seq"
        ).fetchall()
    per_run: dict[int, int] = {}
    for epoch, _, unchanged, _ in rows:
        per_run[epoch] = per_run.get(epoch, 0) + unchanged
    return BatchLog(
        batches=len(rows),
        upserts=sum(row[1] for row in rows),
        unchanged=sum(row[2] for row in rows),
        deletes=sum(row[3] for row in rows),
        largest_batch=max((row[1] for row in rows), default=0),
        most_unchanged_in_one_run=max(per_run.values(), default=0),
        epochs=[row[0] for row in rows],
    )
