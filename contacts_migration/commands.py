"""Engine subcommands: init-db, activate, run, sync, status, verify (as functions the demo
calls too)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import getpass
import html
import json
import re
import signal
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from contacts_migration.sign_in import BrowserOpener, browser_sign_in, register_sign_in
from contacts_migration.terminal import ProgressPrinter, describe_long
from engine import (
    AGREEMENT,
    CONFIRMATION,
    DB_PASSWORD_ENV,
    DatabaseSource,
    Engine,
    EngineConfig,
    GaveUp,
    RetryNotice,
    UserFacingError,
    app_paths,
    command_line_source,
    config_for_sign_in,
    config_from_flags,
    current_status,
    engine_config,
    parse_source_url,
    save_setup,
    setup_logging,
)


def add_retry_for(parser: argparse.ArgumentParser) -> None:
    """The deadline of a one-shot command's online calls (``[online] retry_for_seconds``)."""
    parser.add_argument(
        "--retry-for",
        type=float,
        metavar="SECONDS",
        help="keep retrying a failing online service this long (default: the"
        " [online] retry_for_seconds setting, 120); 0 tries once",
    )


def _with_retry_for(config: EngineConfig, seconds: float | None) -> EngineConfig:
    if seconds is None:
        return config
    if seconds < 0:
        raise UserFacingError("--retry-for must be 0 or more seconds.")
    return replace(config, retry_for=seconds)


def print_retry(notice: RetryNotice) -> None:
    """One line per retry on stderr, so a person sees why it is taking long."""
    print(notice.describe(), file=sys.stderr, flush=True)


def register(subparsers: Any) -> None:
    """Add the engine's subcommands to the top-level parser (``demo`` and ``diagnostics``
    register themselves, from :mod:`contacts_migration.cli`)."""
    init_db = subparsers.add_parser(
        "init-db", help="create a reference practice database filled with generated contacts"
    )
    init_db.add_argument("--source", required=True, help="sqlite:PATH")
    init_db.add_argument("--contacts", type=int, default=1000, help="how many (default 1000)")
    init_db.add_argument("--seed", type=int, default=1, help="for reproducible data")
    init_db.add_argument("--force", action="store_true", help="replace an existing database")
    init_db.set_defaults(handler=cmd_init_db)

    activate = subparsers.add_parser(
        "activate", help="activate Contacts Migration for the practice and migrate"
    )
    activate.add_argument(
        "--source",
        required=True,
        help="sqlite:PATH or odbc:CONNECTION (leave the password out: see --ask-db-password)",
    )
    activate.add_argument(
        "--ask-db-password",
        action="store_true",
        help=f"type the database password (or set {DB_PASSWORD_ENV}); never put it in --source",
    )
    activate.add_argument("--online", help="the online service's address")
    who = activate.add_mutually_exclusive_group()
    who.add_argument(
        "--credentials",
        type=Path,
        help="IT's unattended installs: a credentials.json file with a client id and secret "
        "(without it, and without --client-id, you sign in in the browser)",
    )
    who.add_argument("--client-id", help="the practice's client id (secret from keyring/env)")
    activate.add_argument("--accept-terms", action="store_true", help="agree to the Terms")
    activate.add_argument("--yes", action="store_true", help="don't ask for confirmation")
    activate.add_argument("--accepted-by", default=None, help="who activates (default: you)")
    activate.add_argument("--mapping", type=Path, help="mapping file for another schema")
    activate.add_argument(
        "--no-migrate", action="store_true", help="activate only; the agent migrates later"
    )
    add_retry_for(activate)
    activate.set_defaults(handler=cmd_activate)

    register_sign_in(subparsers)

    run = subparsers.add_parser("run", help="run the sync agent until stopped")
    run.set_defaults(handler=cmd_run)

    sync = subparsers.add_parser("sync", help="synchronise now")
    sync.add_argument("--once", action="store_true", required=True, help="one cycle, then exit")
    sync.add_argument(
        "--reconcile", action="store_true", help="also compare every contact and repair drift"
    )
    add_retry_for(sync)
    sync.set_defaults(handler=cmd_sync)

    status = subparsers.add_parser("status", help="show whether the contacts are in sync")
    status.add_argument("--json", action="store_true", help="machine-readable")
    status.set_defaults(handler=cmd_status)

    verify = subparsers.add_parser(
        "verify", help="compare the desktop with online, contact by contact"
    )
    verify.add_argument("--json", action="store_true", help="machine-readable")
    add_retry_for(verify)
    verify.set_defaults(handler=cmd_verify)


def _engine_config(verbose: bool, retry_for: float | None = None) -> EngineConfig:
    paths = app_paths()
    paths.ensure()
    setup_logging(paths, verbose=verbose)
    return _with_retry_for(engine_config(paths), retry_for)


def _verbose(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "verbose", False))


def cmd_init_db(args: argparse.Namespace) -> int:
    return init_db(args.source, args.contacts, args.seed, force=args.force)


def init_db(source: str, contacts: int, seed: int, *, force: bool = False) -> int:
    """Create a reference practice database (``init-db``)."""
    from sampledata.database_init import init_database

    if contacts < 0:
        raise UserFacingError("--contacts must be 0 or more.")
    url = parse_source_url(source)
    started = time.perf_counter()
    init_database(url, contacts=contacts, seed=seed, force=force)
    elapsed = time.perf_counter() - started
    print(f"Created {url.redacted()} with {contacts:,} contacts in {elapsed:.1f} s.")
    return 0


def _ask(question: str, assume_yes: bool) -> bool:
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        raise UserFacingError(
            f"{question} (no terminal to answer on)", "Pass --yes to answer yes in advance."
        )
    answer = input(f"{question} [y/N] ").strip().casefold()
    return answer in ("y", "yes")


def _terms_text(markup: str) -> str:
    text = re.sub(r"<(br|/p|/h\d|/li)[^>]*>", "\n", markup, flags=re.IGNORECASE)
    text = re.sub(r"<[^>]+>", "", text)
    return re.sub(r"\n{3,}", "\n\n", html.unescape(text)).strip()


def _ask_secret(client_id: str) -> str | None:
    """The client secret typed on the terminal; None without one."""
    if not sys.stdin.isatty():
        return None
    return getpass.getpass(f"Client secret for {client_id}: ")


@dataclass(frozen=True)
class ActivationRequest:
    """What ``activate`` was asked to do (its flags, or the demo's choices)."""

    source: str
    credentials_file: Path | None = None
    client_id: str | None = None
    online: str | None = None
    mapping: Path | None = None
    accept_terms: bool = False
    assume_yes: bool = False
    accepted_by: str | None = None
    migrate: bool = True
    retry_for: float | None = None
    verbose: bool = False
    ask_db_password: bool = False
    #: Plays the browser for the browser sign-in (the scripted demo); None: the system's.
    open_browser: BrowserOpener | None = None

    @property
    def signs_in(self) -> bool:
        """No client credentials given: the person signs in in the browser."""
        return self.credentials_file is None and self.client_id is None


def cmd_activate(args: argparse.Namespace) -> int:
    return activate(
        ActivationRequest(
            source=args.source,
            credentials_file=args.credentials,
            client_id=args.client_id,
            online=args.online,
            mapping=args.mapping,
            accept_terms=args.accept_terms,
            assume_yes=args.yes,
            accepted_by=args.accepted_by,
            migrate=not args.no_migrate,
            retry_for=args.retry_for,
            verbose=_verbose(args),
            ask_db_password=args.ask_db_password,
        )
    )


def _database_source(source: str, ask: bool) -> DatabaseSource:
    """``--source`` with the database password from the prompt or the environment (so
    it never has to be an argument), warning when the argument itself carries one; the
    password is kept apart from the source (the keyring at activation, never settings)."""
    typed = None
    if ask:
        if not sys.stdin.isatty():
            raise UserFacingError(
                "--ask-db-password needs a terminal to type the password on.",
                f"Set {DB_PASSWORD_ENV} instead.",
            )
        typed = getpass.getpass("Database password: ") or None
    found = command_line_source(source, typed)
    if found.warning:
        print(found.warning, file=sys.stderr, flush=True)
    return found


def activate(request: ActivationRequest) -> int:
    """Confirm, check, accept the Terms, activate and (unless told not to) migrate."""
    paths = app_paths()
    paths.ensure()
    setup_logging(paths, verbose=request.verbose)
    database = _database_source(request.source, request.ask_db_password)
    source = database.source
    if request.signs_in:
        config = _signed_in_config(request, source)
    else:
        config = config_from_flags(  # checks the address before any question or request
            paths,
            source,
            online_url=request.online,
            credentials_file=request.credentials_file,
            client_id=request.client_id,
            mapping_file=request.mapping,
            ask_secret=_ask_secret,
        )
    config = dataclasses.replace(config, source_password=database.password)
    if not _ask(CONFIRMATION, request.assume_yes):
        print("Nothing was changed.")
        return 1
    accepted_by = request.accepted_by or getpass.getuser()
    return asyncio.run(_activate(_with_retry_for(config, request.retry_for), request, accepted_by))


def _signed_in_config(request: ActivationRequest, source: str) -> EngineConfig:
    """Sign in in the browser first (held in memory: kept only once activation succeeds)."""
    if not request.online:
        raise UserFacingError(
            "activate needs --online (the online practice's address) to sign in.",
            "Give --online URL, or --credentials FILE for an unattended install.",
        )
    parse_source_url(source)
    if request.open_browser is not None:
        print("(Scripted run: signing in for you through the same sign-in page, no browser.)")
    tokens = browser_sign_in(request.online, request.open_browser)
    return config_for_sign_in(app_paths(), source, request.online, tokens, request.mapping)


async def _activate(config: EngineConfig, request: ActivationRequest, accepted_by: str) -> int:
    paths = app_paths()
    engine = Engine(config, on_retry=print_retry)
    try:
        checks = await engine.preflight()
        for check in checks:
            mark = "✓" if check.ok else "✗"
            print(f" {mark} {check.title}")
            if not check.ok:
                print(f"     {check.problem} {check.fix}".rstrip())
        if not all(check.ok for check in checks):
            print("Fix the problems above, then run the activation again. Nothing was changed.")
            return 2
        accepted: str | None = None
        if await engine.needs_terms():
            terms = await engine.terms()
            if not request.accept_terms:
                print(f"\n{terms.title}\n\n{_terms_text(terms.html)}\n")
                if not _ask(AGREEMENT + "?", False):
                    print("The Terms of use were not accepted. Nothing was changed.")
                    return 1
            accepted = terms.version
        activation = await engine.activate(accepted_terms=accepted, accepted_by=accepted_by)
        save_setup(paths, config)
        state = "activated" if activation.newly_activated else "was already activated"
        print(f"Contacts Migration {state} for {activation.practice.name or 'the practice'}.")
        if not request.migrate:
            return 0
        return await _sync_with_progress(engine)
    finally:
        await engine.aclose()


async def _sync_with_progress(engine: Engine, reconcile: bool = False) -> int:
    printer = ProgressPrinter()
    unsubscribe = engine.subscribe(printer)
    started = time.perf_counter()
    try:
        status = await engine.sync_once(reconcile=reconcile)
    finally:
        unsubscribe()
        printer.finish()
    elapsed = time.perf_counter() - started
    print(f"{status.online_count or 0:,} contacts are online ({elapsed:.1f} s).")
    for item in status.set_aside:
        print(f"  Set aside: contact {item.contact_id}: {item.reason}")
    return 0


def cmd_sync(args: argparse.Namespace) -> int:
    config = _engine_config(_verbose(args), args.retry_for)

    async def once() -> int:
        engine = Engine(config, on_retry=print_retry)
        try:
            return await _sync_with_progress(engine, reconcile=args.reconcile)
        finally:
            await engine.aclose()

    return asyncio.run(once())


def cmd_run(args: argparse.Namespace) -> int:
    return run(verbose=_verbose(args))


def run(verbose: bool = False) -> int:
    """The agent with the saved setup until Ctrl+C (``run``)."""
    return asyncio.run(run_agent(_engine_config(verbose)))


async def run_agent(config: EngineConfig) -> int:
    """The agent until SIGINT/SIGTERM; status lines on the terminal."""
    engine = Engine(config)
    printer = ProgressPrinter()
    engine.subscribe(printer)
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stopping.set)
    try:
        await engine.start()
        waiter = asyncio.create_task(engine.wait())
        stop_waiter = asyncio.create_task(stopping.wait())
        await asyncio.wait({waiter, stop_waiter}, return_when=asyncio.FIRST_COMPLETED)
        stop_waiter.cancel()
        if waiter.done() and waiter.exception() is not None:
            raise UserFacingError(f"The agent stopped: {waiter.exception()}")
    finally:
        await engine.aclose()
        printer.finish()
    return 0


def cmd_status(args: argparse.Namespace) -> int:
    paths = app_paths()
    now = time.time()
    status = current_status(paths.state_file, now)
    if args.json:
        data = status.to_json()
        data["last_sync_at_utc"] = (
            datetime.fromtimestamp(status.last_sync_at, UTC).isoformat(timespec="seconds")
            if status.last_sync_at is not None
            else None
        )
        print(json.dumps(data, indent=2))
    else:
        print(describe_long(status, now, paths.settings_file))
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    return verify(as_json=args.json, retry_for=args.retry_for, verbose=_verbose(args))


def verify(as_json: bool = False, retry_for: float | None = None, verbose: bool = False) -> int:
    """Compare the desktop with online contact by contact: 0 identical, 1 not (``verify``)."""
    config = _engine_config(verbose, retry_for)

    async def compare() -> int:
        engine = Engine(config, on_retry=print_retry)
        try:
            report = await engine.verify()
        except GaveUp as error:  # exit 2: could not tell, and why
            raise UserFacingError(
                f"Could not tell whether the online copy is identical. {error.problem}",
                error.fix,
            ) from error
        finally:
            await engine.aclose()
        if as_json:
            print(
                json.dumps(
                    {
                        "identical": report.identical,
                        "desktop_count": report.desktop_count,
                        "online_count": report.online_count,
                        "missing_online": report.lost,
                        "out_of_date_online": report.stale,
                        "deleted_on_desktop": report.extra,
                        "duplicated_online": report.duplicated,
                    },
                    indent=2,
                )
            )
        else:
            print(report.summary())
            for label, ids in (
                ("Missing online", report.lost),
                ("Out of date online", report.stale),
                ("Online but deleted on the desktop", report.extra),
                ("Online more than once", report.duplicated),
            ):
                if ids:
                    shown = ", ".join(map(str, ids[:50]))
                    more = f" … and {len(ids) - 50} more" if len(ids) > 50 else ""
                    print(f"  {label}: {shown}{more}")
        return 0 if report.identical else 1

    return asyncio.run(compare())
