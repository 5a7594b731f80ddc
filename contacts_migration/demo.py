"""``contacts-migration demo``: a whole practice on this computer, end to end.

Creates a demo practice database, starts the local online service on a free loopback
port, then opens the GUI as a person meets it (Maintenance Map, the activation wizard,
the tray light) and keeps the contacts in sync until Quit. Without a display (or with
``--headless``) it activates in the terminal and syncs until Ctrl+C. It runs in a folder
of its own (as if CONTACTS_MIGRATION_HOME pointed there), so it never touches this
computer's real setup.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

import httpx

from contacts_migration.child import self_command
from contacts_migration.scripted_sign_in import sign_in_as
from engine import (
    API_PREFIX,
    HOME_ENV,
    CredentialsFile,
    UserFacingError,
    app_paths,
    read_credentials_file,
)

SANDBOX_START_SECONDS: Final = 30.0
DEMO_ADMINISTRATOR: Final = "Demo administrator"


def register_demo(subparsers: Any) -> None:
    demo = subparsers.add_parser(
        "demo", help="run a demo practice: database, local online service, sync"
    )
    demo.add_argument("--contacts", type=int, default=2000, help="how many (default 2000)")
    demo.add_argument("--seed", type=int, default=1)
    demo.add_argument("--port", type=int, default=0, help="online service port (default: free)")
    demo.add_argument(
        "--exit-when-synced",
        action="store_true",
        help="stop once the contacts are in sync and verified (for scripts; no windows)",
    )
    demo.add_argument(
        "--headless", action="store_true", help="no windows: activate and sync in the terminal"
    )
    demo.set_defaults(handler=cmd_demo)


def practice_login(database: Path) -> str:
    """The demo database's practice online login (the sandbox's first sign-in user)."""
    with contextlib.closing(sqlite3.connect(database)) as conn:
        row = conn.execute(
            "SELECT Value FROM PracticeSetting WHERE Name = 'Practice.MyobEmail'"
        ).fetchone()
    return str(row[0]) if row else ""


def status_command(home: Path) -> str:
    """The shell line that shows the demo's status: the demo keeps its own home, so a
    plain ``contacts-migration status`` looks at this computer's setup instead."""
    return f"{HOME_ENV}={shlex.quote(str(home))} {shlex.join(self_command('status'))}"


def demo_login(credentials_path: Path) -> tuple[str, str]:
    """(email, password) of the practice's online login, from the sandbox's file."""
    user = json.loads(credentials_path.read_text(encoding="utf-8"))["users"][0]
    return str(user["email"]), str(user["password"])


@contextmanager
def running_sandbox(
    data_dir: Path, port: int, login_email: str | None = None, *serve_flags: str
) -> Iterator[CredentialsFile]:
    """The local online service as a child process, stopped on the way out; ``serve_flags``
    go to ``sandbox serve`` as they are (a benchmark's ``--latency-ms``)."""
    credentials_path = data_dir / "credentials.json"
    credentials_path.unlink(missing_ok=True)
    command = self_command(
        "sandbox", "serve", "--host", "127.0.0.1", "--port", str(port), "--data", str(data_dir)
    )
    command += list(serve_flags)
    if login_email:
        command += ["--login-email", login_email]
    log_file = (data_dir / "sandbox.log").open("ab")
    process = subprocess.Popen(command, stdout=log_file, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + SANDBOX_START_SECONDS
        while True:
            if process.poll() is not None:
                raise UserFacingError(
                    f"The local online service could not start (see {data_dir / 'sandbox.log'})."
                )
            if credentials_path.exists():
                try:
                    found = read_credentials_file(credentials_path)
                    httpx.get(f"{found.url}{API_PREFIX}/openapi.json", timeout=1.0)
                    break
                except (UserFacingError, httpx.HTTPError):
                    pass
            if time.monotonic() > deadline:
                raise UserFacingError("The local online service did not start in time.")
            time.sleep(0.1)
        yield found
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log_file.close()


def cmd_demo(args: argparse.Namespace) -> int:
    """Calls the commands' functions directly (never back through argv parsing)."""
    from contacts_migration import commands

    demo_root = app_paths().data_dir / "demo"
    if demo_root.exists():
        shutil.rmtree(demo_root)
    (demo_root / "online").mkdir(parents=True)
    os.environ[HOME_ENV] = str(demo_root / "home")
    source = f"sqlite:{demo_root / 'practice.db'}"
    verbose = bool(getattr(args, "verbose", False))
    print(f"Demo practice in {demo_root}")
    code = commands.init_db(source, args.contacts, args.seed)
    if code != 0:
        return code
    credentials = demo_root / "online" / "credentials.json"
    login = practice_login(demo_root / "practice.db")
    with running_sandbox(demo_root / "online", args.port, login) as online:
        print(f"Local online service: {online.url}  (its contacts page: {online.url}/)")
        email, password = demo_login(credentials)
        print(f"Demo online login (the practice's): {email}  password: {password}")
        print(f"Its status from another terminal: {status_command(demo_root / 'home')}")
        if not (args.headless or args.exit_when_synced):
            from gui.availability import display_problem

            problem = display_problem()
            if problem is None:
                print("Opening the Maintenance Map and the activation wizard.")
                print(f"Edit the demo database ({demo_root / 'practice.db'}) to see a sync.")
                print("Your browser opens the online practice's sign-in page: sign in there")
                print(f"with the demo login above ({email}).", flush=True)
                return _open_gui(source, online.url, verbose)
            print(f"The windows can't open here: {problem}. Carrying on without them.")
        code = commands.activate(  # signs in for the person: same endpoints, no browser
            commands.ActivationRequest(
                source=source,
                online=online.url,
                open_browser=sign_in_as(email, password),
                accept_terms=True,
                assume_yes=True,
                accepted_by=DEMO_ADMINISTRATOR,
                verbose=verbose,
            )
        )
        if code != 0:
            return code
        if args.exit_when_synced:
            return commands.verify(verbose=verbose)
        print("Keeping the contacts in sync: edit the demo database and watch the changes")
        print(f"arrive at {online.url}/ . Press Ctrl+C to stop.", flush=True)
        return commands.run(verbose=verbose)


def _open_gui(source: str, online_url: str, verbose: bool) -> int:
    """The GUI command with the demo's flags, parsed by the GUI command's own parser.

    Building the flags through the real parser means a flag added to ``gui`` can't be
    missing here (a hand-built Namespace once lacked ``autostart`` and crashed the demo
    on every desktop).
    """
    from gui.cli import cmd_gui, register

    parser = argparse.ArgumentParser(prog="contacts-migration")
    register(parser.add_subparsers())
    argv = ["gui", "--activate", "--source", source, "--online", online_url]
    argv += ["--accepted-by", DEMO_ADMINISTRATOR]
    flags = parser.parse_args(argv)
    flags.verbose = verbose
    return cmd_gui(flags)
