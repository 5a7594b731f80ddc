"""Two and three agents started together and killed in turns: at every moment at most one
writes (the service's batch log shows epochs never going back), and the end is consistent."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.agent_kills import cli, read_batch_log, wait_until_running
from engine.local.paths import HOME_ENV
from sampledata.sqlite_file import generate_reference_database
from tests.engine.conftest import desktop
from tests.engine.sync.test_crash_safety import set_up_machine
from tests.sandbox_harness import running_sandbox


@pytest.mark.parametrize("agents", [2, 3])
def test_racing_agents_fence_each_other(agents: int, tmp_path: Path) -> None:
    seed = int(os.environ.get("CONTACTS_MIGRATION_CRASH_SEED", random.randrange(1 << 30)))
    print(f"\nracing seed: {seed}")
    rng = random.Random(seed)
    db = tmp_path / "practice.db"
    generate_reference_database(db, contacts=3000, seed=seed % 100)
    # Latency keeps the migration long enough to span several turns: uploads are pipelined
    # (several batches in flight), so without it one agent finishes it in its first turn.
    with running_sandbox(tmp_path, latency_ms=40) as sandbox:
        homes = [tmp_path / f"machine{n}" for n in range(agents)]
        for home in homes:
            set_up_machine(home, db, sandbox)

        def start(home: Path) -> subprocess.Popen[bytes]:
            return subprocess.Popen(
                [sys.executable, "-m", "contacts_migration", "run"],
                env={**os.environ, HOME_ENV: str(home)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )

        started = [time.time()] * agents
        running = [start(home) for home in homes]
        writer = desktop(db)
        try:
            for turn in range(4 * agents):
                victim = turn % agents
                wait_until_running(homes[victim], started[victim], running[victim])
                time.sleep(rng.uniform(0.5, 1.5))
                writer.execute(
                    'UPDATE "Contact" SET "Phone" = ? WHERE "ContactID" = ?',
                    (f"turn {turn}", rng.randrange(1, 3000)),
                )
                running[victim].send_signal(signal.SIGKILL)
                running[victim].wait()
                started[victim] = time.time()
                running[victim] = start(homes[victim])
        finally:
            writer.close()
            for process in running:
                process.kill()
                process.wait()
        epochs = read_batch_log(sandbox.data_dir / "sandbox.db").epochs
        assert epochs == sorted(epochs), "a fenced-off agent wrote after a newer lease"
        with sandbox.client("read") as api:
            leases = int(api.get("/sync/state").json()["epoch"])
        # Every kill of the lock holder hands the lease on; how many of those short turns
        # get to write a batch depends on the machine's speed, so writing is asserted
        # only for more than one turn.
        assert leases > agents, f"the agents never took turns ({leases} leases)"
        assert len(set(epochs)) > 1, "only one agent ever wrote"
        finished = cli("sync", "--once", home=homes[0])
        assert finished.returncode == 0, finished.stderr
        verified = cli("verify", home=homes[0])
        assert verified.returncode == 0, verified.stdout
