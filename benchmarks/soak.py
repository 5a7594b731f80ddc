"""``python -m benchmarks.soak [--kills N] [--contacts C] [--seed S]``: the kill soak.

Not in CI (1,000 kills take an hour or more). The real agent (``contacts-migration run``,
its own process) is SIGKILLed over and over while people edit the desktop database, in
all three phases, each counted as it lands:

- **migration**: while the service holds no finished first pass, the agent is killed
  when the pass's cursor passes a random contact id ahead of where it was (on average a
  twelfth of the contacts on): random points spread over the whole migration, whatever
  the machine's speed. The run goes in *cycles*, each a fresh online service, so every
  cycle has a first migration to kill;
- **sync**: random moments once migrated, each run after a bulk edit of up to 2,000
  contacts plus people's edits meanwhile ("in a pass" when the service holds a pass that
  the kill left unfinished);
- **reconciliation**: the agent dies at its ``during_reconcile`` failpoint, before a
  random page (1 to the last) of the desktop's side of the comparison: a random point of
  it. A run that doesn't reach it in time is killed and counted as the above say.

Each cycle ends with one clean ``sync --once`` and ``verify``: the online copy must be
exactly the desktop's. "Nothing sent twice beyond the batches in flight": the service
rewrites a contact only when its hash differs and records, per applied batch, how many
upserts were already stored exactly so (``batch_log.unchanged``): that sum is the exact
number of contacts sent twice (and applied). In all it must stay within kills x window x
the largest batch; each agent run's own count (batches carry their lease's epoch) is
printed against what one kill's batches in flight can hold. A batch resent with the same
``Idempotency-Key`` is answered from the service's record, not applied, and so not in the
log (the soak makes no faults, so none are resent that way).

The seed is printed; ``--seed`` replays the same plan (database, each kill's delay, bulk
edit, failpoint page and edits). Where each kill lands also depends on the machine's
speed, so the phases counted can differ a little between replays.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sqlite3
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import workdirs
from benchmarks.agent_kills import cli, edit_while_running, kill, read_batch_log, start_agent
from benchmarks.procstat import load_average
from contacts_migration.demo import running_sandbox
from engine.local.paths import HOME_ENV
from engine.sync.checkpoint import Checkpoint
from engine.sync.failpoints import ENV as FAILPOINTS_ENV, Failpoint
from engine.sync.uploader import WINDOW
from sampledata.sqlite_file import generate_reference_database

BATCH_BYTES = 20_000
PAGE_SIZE = 400
LATENCY_MS = 15
#: Kills per cycle: about this many in the first migration, then exactly these.
MIGRATION_KILLS = 12
SYNC_KILLS = 20
RECONCILE_KILLS = 12
#: A run armed to die in reconciliation that hasn't reached it by then is killed.
RECONCILE_DEADLINE = 25.0
BULK_EDIT_MAX = 2_000


@dataclass
class Tally:
    kills: Counter[str] = field(default_factory=Counter)
    changes: int = 0
    cycles: int = 0
    problems: list[str] = field(default_factory=list)
    upserts: int = 0
    unchanged: int = 0
    batches: int = 0
    desktop_and_changes: int = 0
    largest_batch: int = 1
    most_unchanged_in_one_run: int = 0

    def phases(self) -> str:
        migration = self.kills["migration"] + self.kills["migration, in the pass"]
        sync = self.kills["sync"] + self.kills["sync, in a pass"]
        return (
            f"migration {migration} ({self.kills['migration, in the pass']} in the pass),"
            f" sync {sync} ({self.kills['sync, in a pass']} in a pass),"
            f" reconciliation {self.kills['reconciliation']}"
        )


def _checkpoint(service: sqlite3.Connection) -> Checkpoint:
    row = service.execute("SELECT checkpoint FROM practice").fetchone()
    return Checkpoint.decode(row[0] if row else None)


def _landed(checkpoint: Checkpoint) -> str:
    """Which phase a kill landed in, from what the service held right after it."""
    if not checkpoint.migrated:
        return "migration, in the pass" if checkpoint.in_pass else "migration"
    return "sync, in a pass" if checkpoint.in_pass else "sync"


def _bulk_edit(writer: sqlite3.Connection, rng: random.Random, contacts: int, tag: int) -> int:
    """One bulk change (an import, a mail merge): a run of contacts' mobiles."""
    count = rng.randrange(1, BULK_EDIT_MAX)
    first = rng.randrange(1, max(2, contacts - count))
    writer.execute(
        'UPDATE "Contact" SET "Mobile" = ? WHERE "ContactID" BETWEEN ? AND ?',
        (f"0499{tag % 1_000_000:06d}", first, first + count - 1),
    )
    return count


def _set_up(home: Path, db: Path, online_dir: Path) -> None:
    done = cli(
        *("activate", "--source", f"sqlite:{db}", "--credentials"),
        *(str(online_dir / "credentials.json"), "--accept-terms", "--yes", "--no-migrate"),
        home=home,
    )
    if done.returncode != 0:
        raise SystemExit(f"activation failed: {done.stderr}")
    settings = home / "config" / "settings.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8") + f"\n[sync]\nbatch_bytes = {BATCH_BYTES}\n"
        f"page_size = {PAGE_SIZE}\npoll_interval_seconds = 0.2\n"
        "reconcile_interval_seconds = 1.5\n",
        encoding="utf-8",
    )


def _cycle(workdir: Path, db: Path, seed: int, contacts: int, kills: int, tally: Tally) -> None:
    """One fresh online service: its first migration, sync and reconciliation killed until
    ``kills`` in all, then a clean sync and the check."""
    number = tally.cycles = tally.cycles + 1
    online_dir = workdir / f"online-{number}"
    online_dir.mkdir()
    home = workdir / f"machine-{number}"
    service_db = online_dir / "sandbox.db"
    writer = sqlite3.connect(db, isolation_level=None, timeout=30)
    writer.execute("PRAGMA foreign_keys = ON")
    changes = 0
    killed = 0
    reconcile_pages = contacts // PAGE_SIZE + 1
    with running_sandbox(online_dir, 0, None, "--latency-ms", str(LATENCY_MS)):
        _set_up(home, db, online_dir)
        service = sqlite3.connect(f"file:{service_db}?mode=ro", uri=True, isolation_level=None)
        while sum(tally.kills.values()) < kills:
            # each kill's plan comes from the seed and its number alone: replayable
            done = sum(tally.kills.values())
            plan = random.Random(f"{seed}:{done}")
            edits = random.Random(f"{seed}:{done}:edits")
            checkpoint = _checkpoint(service)
            migrated = checkpoint.migrated
            if migrated and killed >= SYNC_KILLS + RECONCILE_KILLS:
                break
            env: dict[str, str] = {}
            seconds = plan.uniform(0.1, 2.5)
            target = checkpoint.after + plan.uniform(0, 2 * contacts / MIGRATION_KILLS)

            def reached(target: float = target) -> bool:
                position = _checkpoint(service)
                return position.migrated or position.after >= target

            until: Callable[[], bool] | None = None
            if not migrated:
                seconds, until = 300.0, reached
            elif plan.random() < RECONCILE_KILLS / (SYNC_KILLS + RECONCILE_KILLS):
                page = plan.randrange(1, reconcile_pages + 1)
                env[FAILPOINTS_ENV] = f"{Failpoint.DURING_RECONCILE.value}={page}"
                seconds = RECONCILE_DEADLINE
            else:
                changes += _bulk_edit(writer, plan, contacts, done)
            agent = start_agent(home, env)
            changes += edit_while_running(agent, seconds, writer, edits, contacts, done, until)
            died_in_reconciliation = kill(agent)
            if agent.returncode != -signal.SIGKILL:  # it stopped on its own: a finding
                tally.problems.append(f"kill {done + 1}: the agent exited {agent.returncode}")
            landed = _landed(_checkpoint(service))
            tally.kills["reconciliation" if died_in_reconciliation else landed] += 1
            killed += migrated
            if sum(tally.kills.values()) % 10 == 0:
                print(f"{sum(tally.kills.values())} kills: {tally.phases()}", flush=True)
        writer.close()
        service.close()
        passed = _check(home, service_db, contacts, changes, tally)
    if passed:  # a failed cycle's service and computer are kept for a look
        shutil.rmtree(online_dir)
        shutil.rmtree(home)


def _check(home: Path, service_db: Path, contacts: int, changes: int, t: Tally) -> bool:
    """The cycle's verdict: identical, epochs in order; its counts added to ``t``."""
    problems = len(t.problems)
    finished = cli("sync", "--once", home=home, timeout=600)
    verified = cli("verify", "--json", home=home, timeout=600)
    report = json.loads(verified.stdout) if verified.stdout.strip().startswith("{") else {}
    if finished.returncode != 0 or verified.returncode != 0 or not report.get("identical"):
        t.problems.append(
            f"cycle {t.cycles} NOT identical (sync {finished.returncode}, verify"
            f" {verified.returncode}): {verified.stdout[:600]} {verified.stderr[-600:]}"
        )
    log = read_batch_log(service_db)
    if log.epochs != sorted(log.epochs):
        t.problems.append(f"cycle {t.cycles}: a fenced-off agent wrote after a newer lease")
    t.changes += changes
    t.upserts += log.upserts
    t.unchanged += log.unchanged
    t.batches += log.batches
    t.desktop_and_changes += int(report.get("desktop_count", 0)) + changes
    t.most_unchanged_in_one_run = max(t.most_unchanged_in_one_run, log.most_unchanged_in_one_run)
    t.largest_batch = max(t.largest_batch, log.largest_batch)
    print(
        f"cycle {t.cycles}: {'identical' if report.get('identical') else 'NOT identical'}"
        f" ({report.get('desktop_count')} desktop, {report.get('online_count')} online),"
        f" {log.upserts:,} upserts in {log.batches:,} batches for {contacts:,} contacts +"
        f" {changes:,} changes, {log.unchanged} sent twice; {load_average()}",
        flush=True,
    )
    return len(t.problems) == problems


def soak(workdir: Path, kills: int, contacts: int, seed: int) -> tuple[bool, str]:
    """(passed, the summary for RESULTS.md)."""
    db = workdir / "practice.db"
    generate_reference_database(db, contacts=contacts, seed=seed % 997)
    tally = Tally()
    started_at = time.monotonic()
    while sum(tally.kills.values()) < kills:
        _cycle(workdir, db, seed, contacts, kills, tally)
    bound = kills * WINDOW * tally.largest_batch
    in_flight = WINDOW * tally.largest_batch
    passed = not tally.problems and tally.unchanged <= bound
    summary = (
        f"Kill soak ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, seed {seed},"
        f" `python -m benchmarks.soak --kills {kills} --contacts {contacts} --seed {seed}`):"
        f" {kills} SIGKILLs of the agent in {time.monotonic() - started_at:.0f} s"
        f" ({load_average()} at the end) over {tally.cycles} fresh online services:"
        f" {tally.phases()}; {tally.changes:,} desktop changes made meanwhile. Every cycle's"
        f" online copy {'**identical**' if not tally.problems else '**NOT identical**'} to"
        f" the desktop after one clean `sync --once`. The service applied {tally.upserts:,}"
        f" upserts in {tally.batches:,} batches: {tally.upserts - tally.unchanged:,} new or"
        f" changed (for {tally.desktop_and_changes:,} desktop contacts + changes made) and"
        f" **{tally.unchanged:,} sent twice** (already stored exactly so); bound kills x"
        f" window x largest batch = {bound:,}: {'within' if tally.unchanged <= bound else 'OVER'}."
        f" In one agent run at most {tally.most_unchanged_in_one_run:,} sent twice, against"
        f" the {in_flight} a kill's batches in flight can hold:"
        f" {'within' if tally.most_unchanged_in_one_run <= in_flight else 'OVER'}."
    )
    return passed, "\n".join([*tally.problems, summary])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.soak", description=__doc__)
    parser.add_argument("--kills", type=int, default=1000)
    parser.add_argument("--contacts", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=random.randrange(1 << 30))
    parser.add_argument("--workdir", type=Path)
    args = parser.parse_args(argv)
    print(f"soak seed: {args.seed} (replay: --seed {args.seed})", flush=True)
    workdir = workdirs.workdir(args.workdir, "cm-soak-")
    os.environ.setdefault(HOME_ENV, str(workdir / "home"))
    passed, text = soak(workdir, args.kills, args.contacts, args.seed)
    print(text)
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
