"""``python -m benchmarks.soak [--kills N] [--contacts C] [--seed S]``: the kill soak.

Not in CI (1,000 kills take about an hour). The real agent (``contacts-migration run``,
its own process) is SIGKILLed at a random moment, over and over, while people edit the
desktop database: during the first migration, during sync, and during reconciliation
(every 1.5 s here). Then one clean ``sync --once`` and ``verify``: the online copy must
be exactly the desktop's. "Nothing sent twice beyond the batches in flight": the
service's batch log counts every contact it applied; what exceeds the contacts plus one
per edit must stay under kills x window x contacts per batch.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from contacts_migration.demo import running_sandbox
from engine.local.paths import HOME_ENV
from engine.sync.uploader import WINDOW
from sampledata.sqlite_file import generate_reference_database

BATCH_BYTES = 120_000
#: Contacts per batch at most (the smallest generated contact is over 400 bytes).
BATCH_CONTACTS = BATCH_BYTES // 400


def _cli(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, HOME_ENV: str(home)}
    command = [sys.executable, "-m", "contacts_migration", *args]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)


def _edit(writer: sqlite3.Connection, rng: random.Random, contacts: int, round_: int) -> None:
    contact = rng.randrange(1, contacts)
    if rng.random() < 0.2:
        writer.execute('DELETE FROM "ContactAddress" WHERE "ContactID" = ?', (contact,))
    else:
        writer.execute(
            'UPDATE "Contact" SET "Mobile" = ? WHERE "ContactID" = ?',
            (f"04{round_:04d}{contact:04d}"[-10:], contact),
        )


def _wait_started(home: Path, since: float, agent: subprocess.Popen[bytes]) -> None:
    """Kill times count from the agent's first status: starting alone can take seconds."""
    state = home / "state" / "state.json"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and agent.poll() is None:
        try:
            if state.stat().st_mtime >= since:
                return
        except OSError:
            pass
        time.sleep(0.05)


def soak(workdir: Path, kills: int, contacts: int, seed: int) -> str:
    rng = random.Random(seed)
    db = workdir / "practice.db"
    generate_reference_database(db, contacts=contacts, seed=seed % 997)
    home = workdir / "machine"
    online_dir = workdir / "online"
    online_dir.mkdir()
    edits = 0
    started_at = time.monotonic()
    with running_sandbox(online_dir, 0):
        activate = [
            *("activate", "--source", f"sqlite:{db}", "--credentials"),
            *(str(online_dir / "credentials.json"), "--accept-terms", "--yes", "--no-migrate"),
        ]
        done = _cli(home, *activate)
        if done.returncode != 0:
            raise SystemExit(f"activation failed: {done.stderr}")
        settings = home / "config" / "settings.toml"
        settings.write_text(
            settings.read_text(encoding="utf-8") + f"\n[sync]\nbatch_bytes = {BATCH_BYTES}\n"
            "page_size = 400\npoll_interval_seconds = 0.2\nreconcile_interval_seconds = 1.5\n",
            encoding="utf-8",
        )
        writer = sqlite3.connect(db, isolation_level=None)
        env = {**os.environ, HOME_ENV: str(home)}
        for round_ in range(kills):
            since = time.time()
            agent = subprocess.Popen(
                [sys.executable, "-m", "contacts_migration", "run"],
                env=env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            _wait_started(home, since, agent)
            deadline = time.monotonic() + rng.uniform(0.1, 2.5)
            while time.monotonic() < deadline and agent.poll() is None:
                time.sleep(0.02)
                if rng.random() < 0.05:
                    _edit(writer, rng, contacts, round_)
                    edits += 1
            agent.send_signal(signal.SIGKILL)
            agent.wait()
            _edit(writer, rng, contacts, round_)
            edits += 1
            if round_ % 10 == 9:
                print(f"{round_ + 1} kills, {time.monotonic() - started_at:.0f} s", flush=True)
        writer.close()
        finished = _cli(home, "sync", "--once")
        verified = _cli(home, "verify", "--json")
        with sqlite3.connect(online_dir / "sandbox.db") as store:
            applied, batches = store.execute(
                "SELECT COALESCE(SUM(upserts), 0), COUNT(*) FROM batch_log"
            ).fetchone()
    report = json.loads(verified.stdout) if verified.stdout.strip().startswith("{") else {}
    identical = (
        finished.returncode == 0 and verified.returncode == 0 and bool(report.get("identical"))
    )
    counts = (
        f"{report.get('desktop_count')} desktop, {report.get('online_count')} online,"
        f" {len(report.get('missing_online', []))} missing,"
        f" {len(report.get('out_of_date_online', []))} out of date,"
        f" {len(report.get('deleted_on_desktop', []))} deleted on the desktop still online"
    )
    excess = int(applied) - contacts - edits
    bound = kills * WINDOW * BATCH_CONTACTS
    return (
        f"Kill soak ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, seed {seed},"
        f" `python -m benchmarks.soak --kills {kills} --contacts {contacts}`): {kills}"
        f" SIGKILLs of the agent in {time.monotonic() - started_at:.0f} s, {edits} edits;"
        f" online copy {'**identical**' if identical else '**NOT identical**'} to the"
        f" desktop ({counts if report else verified.stderr.strip()[:200]});"
        f" {int(applied):,} contacts applied in {batches:,} batches for {contacts:,} contacts"
        f" + {edits} edits: {excess:+,} beyond them (bound: kills x window x contacts per"
        f" batch = {bound:,}; {'within' if excess <= bound else 'OVER'})."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak")
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="cm-soak-"))
    workdir.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault(HOME_ENV, str(workdir / "home"))
    text = soak(workdir, args.kills, args.contacts, args.seed)
    print(text)
    return 0 if "**identical**" in text and "within" in text else 1


if __name__ == "__main__":
    raise SystemExit(main())
