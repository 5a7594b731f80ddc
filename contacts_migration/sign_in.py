"""``contacts-migration sign-in`` and the browser sign-in of ``activate``: the system
browser opens the online practice's sign-in page; the terminal prints the address to
open when no browser can be started. The program never sees the password."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from typing import Any

from engine import (
    CheckId,
    Engine,
    EngineConfig,
    SettingsError,
    SignInStarted,
    SignInTokens,
    UserFacingError,
    app_paths,
    config_for_sign_in,
    engine_config,
    save_setup,
    setup_logging,
    sign_in_with_browser,
)

#: Opens the sign-in page; the system browser unless a caller (the demo) plays it.
BrowserOpener = Callable[[str], bool]


def register_sign_in(subparsers: Any) -> None:
    sign_in = subparsers.add_parser(
        "sign-in",
        help="sign in again to the online practice in the browser (after 'sign in again')",
        description="Open the online practice's sign-in page in the system browser and keep "
        "the new sign-in on this computer (OS keyring). Sign in with the practice's online "
        "login. The agent resumes on its own afterwards.",
    )
    sign_in.add_argument("--online", help="the online service's address (default: the saved one)")
    sign_in.set_defaults(handler=cmd_sign_in)


def announce(started: SignInStarted) -> None:
    """What the terminal says while the person signs in in the browser."""
    if started.browser_opened:
        print(
            "Your browser opened the online practice's sign-in page. Sign in there with the "
            "practice's online login, then come back here.",
            flush=True,
        )
        print(f"(If it did not, open this address on this computer: {started.url})", flush=True)
    else:
        print(
            "No browser could be started. Open this address in a browser on this computer,",
            flush=True,
        )
        print("sign in with the practice's online login, then come back here:", flush=True)
        print(f"  {started.url}", flush=True)


def browser_sign_in(online_url: str, open_browser: BrowserOpener | None = None) -> SignInTokens:
    """The browser sign-in from a terminal (blocking until done or cancelled)."""
    print(f"Signing in to your online practice at {online_url} …", flush=True)
    tokens = asyncio.run(
        sign_in_with_browser(online_url, started=announce, open_browser=open_browser)
    )
    print(f"Signed in as {tokens.email}.", flush=True)
    return tokens


def cmd_sign_in(args: argparse.Namespace) -> int:
    paths = app_paths()
    paths.ensure()
    setup_logging(paths, verbose=bool(getattr(args, "verbose", False)))
    try:
        saved = engine_config(paths)
    except SettingsError:
        saved = None
    online = args.online or (saved.online_url if saved else None)
    if saved is None or online is None:
        raise UserFacingError(
            "Contacts Migration is not set up on this computer, so there is nothing to sign "
            "in to yet.",
            "Run 'contacts-migration activate --source … --online …': it signs in first.",
        )
    tokens = browser_sign_in(online)
    config = config_for_sign_in(paths, saved.source, online, tokens, saved.mapping_file)
    return asyncio.run(_keep_if_the_login(config))


async def _keep_if_the_login(config: EngineConfig) -> int:
    """Keep the sign-in only if it is the practice's online login (an active employee)."""
    engine = Engine(config)
    try:
        checks = await engine.preflight()
    finally:
        await engine.aclose()
    failed = [check for check in checks if not check.ok and check.check is CheckId.PRACTICE_LOGIN]
    if failed:
        print(f"{failed[0].problem} {failed[0].fix}", file=sys.stderr)
        print("The sign-in was not kept.", file=sys.stderr)
        return 2
    save_setup(app_paths(), config)
    print("The sign-in is kept on this computer; the agent resumes on its own.")
    return 0
