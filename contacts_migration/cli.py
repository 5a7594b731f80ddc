"""The ``contacts-migration`` command: subcommands from the engine, the sandbox and the GUI.

Every failure a person can cause or fix reaches them as one plain sentence with the fix,
never a traceback; the full trace goes to the log file.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from contacts_migration import __version__
from engine import UserFacingError, visible

log = logging.getLogger("contacts_migration")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="contacts-migration",
        description="Migrate a practice's contacts online and keep them in sync.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    from contacts_migration import commands, demo, diagnostics
    from gui import cli as gui_cli
    from sandbox import cli as sandbox_cli

    commands.register(subparsers)
    demo.register_demo(subparsers)
    diagnostics.register_diagnostics(subparsers)
    sandbox_cli.register(subparsers)
    gui_cli.register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        result: int = args.handler(args)
        if "PySide6.QtWidgets" in sys.modules and argv is None:
            _end_after_qt(result)
        return result
    except UserFacingError as error:
        log.debug("command failed", exc_info=True)
        print(f"contacts-migration: {visible(str(error))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("contacts-migration: stopped.", file=sys.stderr)
        return 130


def _end_after_qt(code: int) -> NoReturn:
    """End a run that showed windows once everything it started is stopped: logs flushed,
    then the process ends without the interpreter's exit teardown, where PySide's own
    exit handler deleted Qt's accessibility objects after the Python objects behind them
    and the program crashed on quitting whenever a screen reader was listening (seen: the
    demo's Quit on a desktop with the accessibility bus on, exit -11)."""
    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    raise SystemExit(main())
