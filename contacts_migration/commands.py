"""Engine subcommands: init-db, activate, run, sync, status, verify, demo."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    """Add the engine's subcommands to the top-level parser."""
    del subparsers


def _unused(args: argparse.Namespace) -> int:
    return 0
