"""Kill the real agent process at random moments: nothing is lost or duplicated.

The seed is printed; CONTACTS_MIGRATION_CRASH_SEED replays a failing run exactly.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from benchmarks.agent_kills import cli, start_agent
from engine.local.paths import HOME_ENV
from engine.sync.failpoints import ENV as FAILPOINTS_ENV
from sampledata.sqlite_file import generate_reference_database
from tests.engine.conftest import desktop
from tests.sandbox_harness import RunningSandbox, running_sandbox

KILLS = 24


def set_up_machine(home: Path, db: Path, sandbox: RunningSandbox) -> None:
    """What `activate` leaves on a computer, with small batches to make many checkpoints."""
    credentials = sandbox.data_dir / "credentials.json"
    done = cli(
        "activate",
        "--source",
        f"sqlite:{db}",
        "--credentials",
        str(credentials),
        "--accept-terms",
        "--yes",
        "--no-migrate",
        home=home,
    )
    assert done.returncode == 0, done.stderr
    settings = home / "config" / "settings.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8")
        + "\n[sync]\npoll_interval_seconds = 0.05\nbatch_bytes = 20000\npage_size = 50\n",
        encoding="utf-8",
    )


def in_a_pass(checkpoint: str) -> bool:
    return checkpoint != "None" and json.loads(checkpoint)["upper"] is not None


def wait_for_a_pass(sandbox: RunningSandbox) -> str:
    """The online checkpoint once it shows the migration under way (by state, not time:
    a random sleep once let a quick migration finish before the first kill)."""
    deadline = time.monotonic() + 120
    with sandbox.client("read") as api:
        while time.monotonic() < deadline:
            checkpoint = str(api.get("/sync/state").json()["checkpoint"])
            if in_a_pass(checkpoint):
                return checkpoint
            time.sleep(0.01)
    raise AssertionError("the migration never showed a checkpoint inside its pass")


def test_random_kills_lose_and_duplicate_nothing(tmp_path: Path) -> None:
    seed = int(os.environ.get("CONTACTS_MIGRATION_CRASH_SEED", random.randrange(1 << 30)))
    print(f"crash seed: {seed} (replay with CONTACTS_MIGRATION_CRASH_SEED={seed})")
    rng = random.Random(seed)
    db = tmp_path / "practice.db"
    generate_reference_database(db, contacts=2500, seed=seed % 1000)
    home = tmp_path / "machine"
    # Latency keeps the migration long enough for the kills to land across it: uploads are
    # pipelined (several batches in flight), so 15 ms let it finish in a kill or two.
    with running_sandbox(tmp_path, latency_ms=45) as sandbox:
        set_up_machine(home, db, sandbox)
        writer = desktop(db)
        checkpoints: set[str] = set()
        for kill in range(KILLS):
            agent = start_agent(home)
            if kill == 0:  # the first kill lands inside the migration, however fast it is
                checkpoints.add(wait_for_a_pass(sandbox))
            else:
                time.sleep(rng.uniform(0.3, 2.0))
            for _ in range(rng.randrange(0, 4)):  # people keep working between crashes
                contact = rng.randrange(1, 2500)
                match rng.randrange(3):
                    case 0:
                        writer.execute(
                            'UPDATE "Contact" SET "Mobile" = ? WHERE "ContactID" = ?',
                            (f"04{kill:02d}{contact:06d}", contact),
                        )
                    case 1:
                        writer.execute(
                            'DELETE FROM "ContactAddress" WHERE "ContactID" = ?', (contact,)
                        )
                    case _:
                        writer.execute('DELETE FROM "Contact" WHERE "ContactID" = ?', (contact,))
            agent.send_signal(signal.SIGKILL)
            agent.wait()
            with sandbox.client("read") as api:
                checkpoints.add(str(api.get("/sync/state").json()["checkpoint"]))
        writer.close()
        in_pass = [c for c in checkpoints if in_a_pass(c)]
        assert in_pass, "no kill landed during the migration"
        assert len(checkpoints) >= 3, "kills did not land across the migration"
        finished = cli("sync", "--once", home=home)
        assert finished.returncode == 0, finished.stderr
        verified = cli("verify", "--json", home=home)
        report = json.loads(verified.stdout)
        assert verified.returncode == 0, report
        assert report["identical"] and report["desktop_count"] == report["online_count"]


def test_two_agents_only_one_writes_and_the_other_takes_over(tmp_path: Path) -> None:
    db = tmp_path / "practice.db"
    generate_reference_database(db, contacts=500, seed=5)
    with running_sandbox(tmp_path) as sandbox:
        homes = [tmp_path / "server", tmp_path / "workstation"]
        for home in homes:
            set_up_machine(home, db, sandbox)
        agents = [
            subprocess.Popen(
                [sys.executable, "-m", "contacts_migration", "run"],
                env={**os.environ, HOME_ENV: str(home)},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for home in homes
        ]
        try:
            states = wait_for_states(homes, {"active", "standby"})
            active = states.index("active")
            with sandbox.client("read") as api:
                epoch = api.get("/sync/state").json()["epoch"]
            assert epoch == 1, "the standby agent must not take a lease"
            agents[active].kill()
            agents[active].wait()
            survivor = 1 - active
            wait_for_states([homes[survivor]], {"active"})
            with sandbox.client("read") as api:
                assert api.get("/sync/state").json()["epoch"] == 2
            edit = desktop(db)
            edit.execute('UPDATE "Contact" SET "Notes" = \'after takeover\' WHERE "ContactID" = 1')
            edit.close()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with sandbox.client("read") as api:
                    if api.get("/contacts/1").json()["notes"] == "after takeover":
                        break
                time.sleep(0.1)
            else:
                pytest.fail("the surviving agent did not sync the edit")
        finally:
            for agent in agents:
                agent.kill()
                agent.wait()


def wait_for_states(homes: list[Path], wanted: set[str], timeout: float = 120) -> list[str]:
    deadline = time.monotonic() + timeout
    states: list[str] = []
    while time.monotonic() < deadline:
        states = []
        for home in homes:
            path = home / "state" / "state.json"
            try:
                states.append(json.loads(path.read_text(encoding="utf-8"))["state"])
            except (OSError, ValueError):
                states.append("none")
        if set(states) == wanted and len(states) == len(homes):
            return states
        time.sleep(0.05)
    raise AssertionError(f"agents never reached {wanted}: {states}")


def test_one_cycle_after_a_resumed_pass_also_sends_what_changed_meanwhile(
    tmp_path: Path,
) -> None:
    """An agent killed mid-migration leaves a pass that ends at the watermark it began
    with; a contact already sent in it and edited afterwards must still go online in the
    next single cycle (``sync --once``), not wait for a later one."""
    db = tmp_path / "practice.db"
    generate_reference_database(db, contacts=400, seed=11)
    with running_sandbox(tmp_path) as sandbox:
        home = tmp_path / "machine"
        set_up_machine(home, db, sandbox)
        killed = subprocess.run(
            [sys.executable, "-m", "contacts_migration", "sync", "--once"],
            env={**os.environ, HOME_ENV: str(home), FAILPOINTS_ENV: "after_batch_accepted=4"},
            capture_output=True,
            timeout=120,
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr
        with sandbox.client("read") as api:
            state = api.get("/sync/state").json()
            assert json.loads(state["checkpoint"])["upper"] is not None, state
            assert api.get("/contacts/1").status_code == 200
        edit = desktop(db)
        edit.execute('UPDATE "Contact" SET "Notes" = \'edited mid-pass\' WHERE "ContactID" = 1')
        edit.close()
        finished = cli("sync", "--once", home=home)
        assert finished.returncode == 0, finished.stderr
        with sandbox.client("read") as api:
            assert api.get("/contacts/1").json()["notes"] == "edited mid-pass"
        verified = cli("verify", home=home)
        assert verified.returncode == 0, verified.stdout
