"""``python -m benchmarks.scale [--contacts N]``: the agent's memory across one large first
migration (default 1,000,000 contacts): its resident set at every 10 % of the pass, how
far apart those are (flat: a few MB), and its peak (VmHWM), against the 300 MB target.
Not in CI at that size (minutes of both cores); tests/benchmarks runs it small.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

from benchmarks import workdirs
from benchmarks.__main__ import _activate, _database, _engine
from benchmarks.procstat import load_average, sample
from contacts_migration.demo import running_sandbox
from engine.local.paths import HOME_ENV
from engine.status.events import EngineEvent, EventKind

MB = 1_000_000


def _hwm_bytes() -> int:
    """This process's peak resident set so far (VmHWM; Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # pragma: no cover


async def _migrate(
    db: Path, workdir: Path, online_dir: Path
) -> tuple[list[tuple[int, int]], int, float, float]:
    """(tenth of the pass, RSS) at every 10 %, the peak during the migration, its wall
    and CPU seconds."""
    with running_sandbox(online_dir, 0) as online:
        engine = _engine(db, online, workdir)
        marks: list[tuple[int, int]] = []
        next_tenth = 1

        def listen(event: EngineEvent) -> None:
            nonlocal next_tenth
            progress = event.status.progress if event.kind is EventKind.STATUS else None
            if progress is None or not progress.total:
                return
            while next_tenth <= 10 and progress.done * 10 >= next_tenth * progress.total:
                marks.append((next_tenth, sample(os.getpid()).rss_bytes))
                next_tenth += 1

        engine.subscribe(listen)
        try:
            await _activate(engine)
            started, cpu = time.monotonic(), time.process_time()
            await engine.sync_once()
            seconds, cpu = time.monotonic() - started, time.process_time() - cpu
            peak = _hwm_bytes()
            report = await engine.verify()
        finally:
            await engine.aclose()
        if not report.identical:
            raise SystemExit(f"the migration is not identical: {report.summary()}")
        return marks, peak, seconds, cpu


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.scale")
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--workdir", type=Path)
    parser.add_argument("--generate-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    workdir = workdirs.workdir(args.workdir, "cm-scale-")
    os.environ.setdefault(HOME_ENV, str(workdir / "home"))
    if args.generate_only:
        _database(workdir, args.contacts)
        return 0
    # generated in a process of its own, so the agent's peak is the agent's alone
    command = [sys.executable, "-m", "benchmarks.scale", "--generate-only"]
    command += ["--contacts", str(args.contacts), "--workdir", str(workdir)]
    subprocess.run(command, check=True)
    db = _database(workdir, args.contacts)
    online_dir = workdir / f"online-{time.monotonic_ns()}"
    online_dir.mkdir()
    before = sample(os.getpid()).rss_bytes
    marks, peak, seconds, cpu = asyncio.run(_migrate(db, workdir, online_dir))
    everything = _hwm_bytes()
    rss = [value for _, value in marks]
    print(
        f"Scale ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, `python -m"
        f" benchmarks.scale --contacts {args.contacts}`): {args.contacts:,} contacts migrated"
        f" in {seconds:.0f} s ({load_average()}), client CPU {cpu:.0f} s"
        f" ({cpu / args.contacts * 1e6:.0f} µs a contact); agent RSS before {before / MB:.0f}"
        f" MB, at {', '.join(f'{tenth * 10} %: {value / MB:.0f} MB' for tenth, value in marks)}"
        f" (spread {(max(rss) - min(rss)) / MB:.0f} MB); peak {peak / MB:.0f} MB during the"
        f" migration, {everything / MB:.0f} MB with the verify after it (target < 300 MB)."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
