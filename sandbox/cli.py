"""``contacts-migration sandbox serve``: run the local stand-in of the online service."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sandbox.app import ServiceOptions
from sandbox.auth import DEFAULT_TOKEN_LIFETIME
from sandbox.decoding import ACCEPTED_ENCODINGS
from sandbox.limits import DEFAULT_MAX_BODY
from sandbox.server import DEFAULT_HOST, DEFAULT_PORT, ServeOptions, serve


def _bounded_int(low: int, high: int | None = None) -> Callable[[str], int]:
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
        if value < low or (high is not None and value > high):
            limit = f"from {low} to {high}" if high is not None else f"{low} or more"
            raise argparse.ArgumentTypeError(f"{value} is out of range (use {limit})")
        return value

    return parse


def _rate(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"{value} is out of range (use 0 to 1)")
    return value


def register(subparsers: Any) -> None:
    """Add ``sandbox serve`` to the top-level parser."""
    sandbox = subparsers.add_parser(
        "sandbox",
        help="run a local stand-in of the practice's online contacts service",
        description="A real local HTTP server with the online contacts service's API.",
    )
    commands = sandbox.add_subparsers(dest="sandbox_command", metavar="COMMAND", required=True)
    run = commands.add_parser(
        "serve",
        help="serve the sandbox API and contacts page until Ctrl+C",
        description="Serve the sandbox until Ctrl+C or SIGTERM. The first start creates a "
        "practice and OAuth2 clients in DIR/credentials.json.",
    )
    run.add_argument("--host", default=DEFAULT_HOST, help="address to listen on (%(default)s)")
    run.add_argument(
        "--port",
        type=_bounded_int(0, 65535),
        default=DEFAULT_PORT,
        help="port to listen on; 0 picks a free one (%(default)s)",
    )
    run.add_argument(
        "--data",
        type=Path,
        metavar="DIR",
        help="folder for the database and credentials.json (default: the app's data folder)",
    )
    run.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="another host name this service may be reached by (repeatable); the bound "
        "address and localhost always are, any other Host header is refused",
    )
    run.add_argument("--practice-name", help="name of the practice created on first start")
    run.add_argument(
        "--login-email",
        metavar="EMAIL",
        help="the practice's online login: a person who signs in through the browser "
        "(their password is written to credentials.json; a second person is created too)",
    )
    run.add_argument(
        "--token-lifetime",
        type=_bounded_int(1),
        default=DEFAULT_TOKEN_LIFETIME,
        metavar="SECONDS",
        help="access token lifetime (%(default)s)",
    )
    run.add_argument(
        "--max-body",
        type=_bounded_int(1),
        default=DEFAULT_MAX_BODY,
        metavar="BYTES",
        help="largest request body accepted (%(default)s)",
    )
    run.add_argument(
        "--fault-rate",
        type=_rate,
        default=0.0,
        metavar="F",
        help="share (0-1) of sync requests that fail at random (%(default)s)",
    )
    run.add_argument(
        "--fault-seed", type=int, metavar="S", help="seed that makes the faults reproducible"
    )
    run.add_argument(
        "--latency-ms",
        type=_bounded_int(0, 60_000),
        default=0,
        metavar="MS",
        help="delay added to every API request (%(default)s)",
    )
    run.add_argument(
        "--accept-encoding",
        type=_encodings,
        default=ACCEPTED_ENCODINGS,
        metavar="LIST",
        help="request body codings decoded: zstd,gzip (default), gzip, or none",
    )
    run.set_defaults(handler=_serve)

    rotate = commands.add_parser(
        "rotate-secret",
        help="give a client a new secret and revoke its tokens (while the sandbox is stopped)",
        description="Rotate the secret of the sync (or read) client in DIR/credentials.json; "
        "agents still using the old secret are refused from the next start on.",
    )
    rotate.add_argument("--data", type=Path, metavar="DIR", help="the sandbox's data folder")
    rotate.add_argument("--scope", choices=["sync", "read"], default="sync")
    rotate.set_defaults(handler=_rotate)


def _encodings(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.lower().split(",") if n.strip() not in ("", "none"))
    unknown = [n for n in names if n not in ACCEPTED_ENCODINGS]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown coding {unknown[0]!r}")
    return names


def _serve(args: argparse.Namespace) -> int:
    return serve(
        ServeOptions(
            host=args.host,
            port=args.port,
            data_dir=args.data,
            practice_name=args.practice_name,
            login_email=args.login_email,
            allowed_hosts=tuple(args.allowed_host),
            service=ServiceOptions(
                token_lifetime=args.token_lifetime,
                max_body=args.max_body,
                fault_rate=args.fault_rate,
                fault_seed=args.fault_seed,
                latency_ms=args.latency_ms,
                request_encodings=args.accept_encoding,
            ),
        )
    )


def _rotate(args: argparse.Namespace) -> int:
    from engine.contract.wire import Scope
    from sandbox.credentials import rotate_secret
    from sandbox.server import _open_store, default_data_dir, serving_lock

    data_dir = (args.data or default_data_dir()).expanduser().resolve()
    store = _open_store(data_dir)
    try:
        with serving_lock(data_dir, exclusive=True) as stopped:
            if not stopped:  # a running service keeps its clients and tokens in memory
                print(
                    f"Nothing was rotated: a sandbox is running on {data_dir}, and it would "
                    "keep the old secret and its tokens until restarted. Stop it (Ctrl+C), "
                    "run rotate-secret again, then start it.",
                    file=sys.stderr,
                )
                return 1
            client = rotate_secret(data_dir, store, Scope(args.scope))
    finally:
        store.close()
    print(f"Rotated the secret of {client.client_id}; the new one is in {data_dir}.")
    return 0
