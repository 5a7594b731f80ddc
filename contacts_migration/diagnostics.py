"""``contacts-migration diagnostics [--output FILE]``: one zip for support.

Only the command: what goes in and how it is scrubbed live in :mod:`engine.diagnostics`
(the GUI's troubleshooting dialog uses the same).
"""

from __future__ import annotations

import argparse
from datetime import datetime
from pathlib import Path
from typing import Any

from engine import app_paths, write_diagnostics


def register_diagnostics(subparsers: Any) -> None:
    diagnostics = subparsers.add_parser(
        "diagnostics", help="write a zip of logs, settings and versions for support (no secrets)"
    )
    diagnostics.add_argument(
        "--output",
        type=Path,
        metavar="FILE",
        help="the zip to write (default: contacts-migration-diagnostics-DATE-TIME.zip here)",
    )
    diagnostics.set_defaults(handler=cmd_diagnostics)


def cmd_diagnostics(args: argparse.Namespace) -> int:
    target = args.output or Path(
        f"contacts-migration-diagnostics-{datetime.now():%Y%m%d-%H%M%S}.zip"
    )
    members = write_diagnostics(target, app_paths())
    print(f"Wrote {target.resolve()} ({members} files). It holds no secrets; send it to support.")
    return 0
