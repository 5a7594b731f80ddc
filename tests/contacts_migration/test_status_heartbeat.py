"""A reader in another process (``contacts-migration status``, the tray on another login)
never shows a stale green: a real agent process paused stops its heartbeat and reads as
"not running or not responding"; resumed it is green again; a clean stop says stopped.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.agent_kills import cli
from engine.local.paths import HOME_ENV
from engine.status.state_file import STALE_AFTER_SECONDS
from sampledata.sqlite_file import generate_reference_database
from tests.engine.sync.test_crash_safety import set_up_machine
from tests.sandbox_harness import running_sandbox

#: Scheduling allowance on a busy machine, on top of each bound.
ALLOWANCE = 5.0


def status_json(home: Path) -> dict[str, Any]:
    done = cli("status", "--json", home=home, timeout=60)
    assert done.returncode == 0, done.stderr
    data: dict[str, Any] = json.loads(done.stdout)
    return data


def wait_status(home: Path, predicate: Any, limit: float) -> tuple[float, dict[str, Any]]:
    began = time.monotonic()
    while True:
        data = status_json(home)
        if predicate(data):
            return time.monotonic() - began, data
        if time.monotonic() - began > limit + ALLOWANCE:
            raise AssertionError(f"not within {limit} + {ALLOWANCE} s; last: {data}")
        time.sleep(0.3)


def test_paused_agent_reads_as_not_responding_and_a_clean_stop_as_stopped(
    tmp_path: Path,
) -> None:
    db = tmp_path / "practice.db"
    generate_reference_database(db, contacts=100, seed=5)
    with running_sandbox(tmp_path) as sandbox:
        home = tmp_path / "machine"
        set_up_machine(home, db, sandbox)
        agent = subprocess.Popen(
            [sys.executable, "-m", "contacts_migration", "run"],
            env={**os.environ, HOME_ENV: str(home)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _, data = wait_status(
                home, lambda d: d["light"] == "green" and d["last_sync_at"] is not None, 60
            )
            assert isinstance(data["last_sync_at"], float)
            assert data["last_sync_at_utc"].endswith("+00:00")
            human = cli("status", home=home, timeout=60).stdout
            assert "Online copy last confirmed up to date: " in human and " ago" in human

            agent.send_signal(signal.SIGSTOP)
            try:
                took, data = wait_status(
                    home, lambda d: d["light"] != "green", STALE_AFTER_SECONDS + 5
                )
                assert (data["light"], data["reason"]) == ("red", "stopped")
                assert "not responding" in data["message"]
                assert "sign of life" in data["detail"]
            finally:
                agent.send_signal(signal.SIGCONT)
            took_back, _ = wait_status(home, lambda d: d["light"] == "green", 10)
            print(f"\nnot responding after {took:.1f} s paused; green {took_back:.1f} s after")

            agent.send_signal(signal.SIGTERM)
            assert agent.wait(60) == 0
            data = status_json(home)
            assert (data["light"], data["reason"]) == ("red", "stopped")
            assert "not running" in data["message"] and "responding" not in data["message"]
        finally:
            if agent.poll() is None:
                agent.kill()
                agent.wait()
