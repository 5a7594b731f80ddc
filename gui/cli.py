"""``contacts-migration gui``: the launcher, the wizard and the tray.

Qt is imported only inside the handler, so the rest of the CLI never loads it.
"""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import sys
from pathlib import Path
from typing import Any

from engine import (
    AppPaths,
    EngineConfig,
    SettingsError,
    UserFacingError,
    app_paths,
    command_line_source,
    config_from_flags,
    engine_config,
    parse_source_url,
    setup_logging,
)


def register(subparsers: Any) -> None:
    gui = subparsers.add_parser(
        "gui", help="the Maintenance Map window, the activation wizard and the tray light"
    )
    start = gui.add_mutually_exclusive_group()
    start.add_argument("--activate", action="store_true", help="go straight to the wizard")
    start.add_argument(
        "--autostart",
        action="store_true",
        help="start quietly in the tray (how sign-in starts it); windows open from the tray",
    )
    gui.add_argument("--source", help="sqlite:PATH or odbc:CONNECTION (when not set up yet)")
    gui.add_argument("--online", help="the online service's address")
    who = gui.add_mutually_exclusive_group()
    who.add_argument("--credentials", type=Path, help="a credentials.json file")
    who.add_argument("--client-id", help="the practice's client id (secret from keyring/env)")
    gui.add_argument("--accepted-by", default=None, help="who activates (default: you)")
    gui.add_argument("--mapping", type=Path, help="mapping file for another schema")
    gui.set_defaults(handler=cmd_gui)


def _config_from_flags(args: argparse.Namespace, paths: AppPaths) -> EngineConfig:
    """The same builder as the command line's, checked before the wizard sends anything."""
    database = command_line_source(args.source)  # the password: from the environment
    if database.warning:
        print(database.warning, file=sys.stderr, flush=True)
    config = config_from_flags(
        paths,
        database.source,
        online_url=args.online,
        credentials_file=args.credentials,
        client_id=args.client_id,
        mapping_file=args.mapping,
    )
    return dataclasses.replace(config, source_password=database.password)


def cmd_gui(args: argparse.Namespace) -> int:
    paths = app_paths()
    paths.ensure()
    setup_logging(paths, verbose=getattr(args, "verbose", False))
    config: EngineConfig | None = None
    problem: UserFacingError | None = None
    prefill: tuple[str, str] | None = None
    if args.source and args.online and not (args.credentials or args.client_id):
        parse_source_url(args.source)  # a person signs in in the set-up's browser sign-in
        prefill = (args.source, args.online)
    elif args.source:
        config = _config_from_flags(args, paths)
    else:
        try:
            config = engine_config(paths)
        except SettingsError as error:
            problem = error  # the launcher and tray say so; the wizard can't start
    from gui.app import GuiOptions, run_gui

    options = GuiOptions(
        config=config,
        setup_problem=problem,
        accepted_by=args.accepted_by or getpass.getuser(),
        activate=args.activate,
        autostart=args.autostart,
        setup_prefill=prefill,
    )
    return run_gui(options, paths)
