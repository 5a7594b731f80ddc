"""Running the sandbox: bind the port, prepare data and credentials, serve until a signal.

The socket is bound here (not by uvicorn) so "port in use" becomes one plain sentence
and ``--port 0`` yields the real port before the URL is printed and saved. Ctrl+C and
SIGTERM stop the server gracefully and the process exits 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gc
import logging
import os
import signal
import socket
import sys
from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import FrameType
from typing import Final

import uvicorn

from engine.errors import UserFacingError
from engine.local.paths import app_paths
from sandbox.accounts import ACCOUNTS_FILE_NAME, Accounts
from sandbox.app import ServiceOptions, create_app
from sandbox.credentials import ensure_credentials
from sandbox.protocol import (
    HEADER_TIMEOUT_SECONDS as HEADER_TIMEOUT_SECONDS,  # the header deadline, told in tests
    SANDBOX_PROTOCOL,
)
from sandbox.security import allowed_hosts
from sandbox.storage import DB_FILE_NAME, Store

#: New containers between two young-generation collections: the service's own tuning
#: (a batch's documents die young), not the sync client's.
BATCH_GC_THRESHOLD: Final = 50_000

log = logging.getLogger("sandbox")

DEFAULT_HOST: Final = "127.0.0.1"
DEFAULT_PORT: Final = 8765
GRACEFUL_SHUTDOWN_SECONDS: Final = 5


@dataclass(frozen=True)
class ServeOptions:
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    data_dir: Path | None = None
    practice_name: str | None = None
    #: The practice's online login (a sign-in user); None: keep it / the default.
    login_email: str | None = None
    #: Host names answered besides the bound address and localhost (``--allowed-host``).
    allowed_hosts: tuple[str, ...] = ()
    service: ServiceOptions = field(default_factory=ServiceOptions)


def default_data_dir() -> Path:
    return app_paths().data_dir / "sandbox"


class _Server(uvicorn.Server):
    """uvicorn's server without its habit of re-raising the stop signal afterwards,
    which would turn a clean SIGTERM stop into a death by signal."""

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:
        handled = (signal.SIGINT, signal.SIGTERM)
        previous = {sig: signal.signal(sig, self._on_signal) for sig in handled}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _on_signal(self, sig: int, frame: FrameType | None) -> None:
        if self.should_exit:
            self.force_exit = True
        self.should_exit = True


def _url(host: str, port: int) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


def bind(host: str, port: int) -> socket.socket:
    """A listening socket, or a UserFacingError saying why not and what to do."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as error:
        raise UserFacingError(
            f"Can't use host {host!r}: {error.strerror}.", "Use an address such as 127.0.0.1."
        ) from None
    family, kind, proto, _, address = infos[0]
    sock = socket.socket(family, kind, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(128)
    except OSError as error:
        sock.close()
        if error.errno == errno.EADDRINUSE:
            raise UserFacingError(
                f"Port {port} on {host} is already in use.",
                "Stop the program using it or choose another --port (0 picks a free one).",
            ) from None
        raise UserFacingError(
            f"Can't listen on {host}:{port}: {error.strerror}.", "Choose another --host or --port."
        ) from None
    sock.set_inheritable(False)
    return sock


def _open_store(data_dir: Path) -> Store:
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        probe = data_dir / ".write-test"
        probe.write_bytes(b"")
        probe.unlink()
        return Store(data_dir / DB_FILE_NAME)
    except OSError as error:
        raise UserFacingError(
            f"Can't write to the sandbox data folder {data_dir}: {error.strerror or error}.",
            "Choose a folder you can write to with --data.",
        ) from None
    except Exception as error:  # sqlite3.DatabaseError: not a database, corrupt...
        raise UserFacingError(
            f"The sandbox database in {data_dir} can't be opened ({error}).",
            "Move that folder away or choose another with --data.",
        ) from None


def _configure_logging() -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    for name, level in (("sandbox", logging.INFO), ("uvicorn.error", logging.WARNING)):
        logger = logging.getLogger(name)
        if not logger.handlers:
            logger.addHandler(handler)
        logger.setLevel(level)
        logger.propagate = False


#: Held (shared) by every running service on a data folder; ``rotate-secret`` needs it
#: exclusively, so it can tell "running" and refuse instead of a change not applied.
SERVING_LOCK_NAME: Final = "serving.lock"


@contextlib.contextmanager
def serving_lock(data_dir: Path, *, exclusive: bool) -> Generator[bool, None, None]:
    """True while the lock is held; False (exclusive only) when a service holds it.
    (Windows has no shared lock: each service takes byte 0 if it can; rotate tries it.)"""
    descriptor = os.open(data_dir / SERVING_LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            _lock(descriptor, exclusive)
        except OSError:  # held by a running service (EWOULDBLOCK, or EACCES on Windows)
            yield not exclusive  # a second service just runs; a rotation is refused
            return
        yield True
    finally:
        os.close(descriptor)


def _lock(descriptor: int, exclusive: bool) -> None:
    if sys.platform == "win32":
        import msvcrt

        msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
    else:
        import fcntl

        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB if exclusive else fcntl.LOCK_SH)


def serve(options: ServeOptions, announce: Callable[[str], None] = print) -> int:
    """Run until SIGINT/SIGTERM; returns the exit status (0 after a clean stop)."""
    data_dir = (options.data_dir or default_data_dir()).expanduser().resolve()
    store = _open_store(data_dir)
    with serving_lock(data_dir, exclusive=False):
        return _serve_store(options, data_dir, store, announce)


def _serve_store(
    options: ServeOptions, data_dir: Path, store: Store, announce: Callable[[str], None]
) -> int:
    try:
        sock = bind(options.host, options.port)
        port = sock.getsockname()[1]
        url = _url(options.host, port)
        try:
            credentials, credentials_path = ensure_credentials(
                data_dir, store, url, options.practice_name, options.login_email
            )
            accounts = Accounts(data_dir / ACCOUNTS_FILE_NAME)
            accounts.replace_users((u.email, u.password) for u in credentials.users)
            hosts = allowed_hosts(options.host, options.allowed_hosts)
            service = replace(
                options.service,
                allowed_hosts=hosts,
                desktop_client_id=credentials.desktop_client_id,
            )
            app = create_app(store, service, accounts)
        except OSError as error:
            sock.close()
            raise UserFacingError(
                f"Can't write the sandbox credentials in {data_dir}: {error.strerror or error}.",
                "Choose a folder you can write to with --data.",
            ) from None
        _configure_logging()
        config = uvicorn.Config(
            app,
            http=SANDBOX_PROTOCOL,
            lifespan="off",
            log_config=None,
            access_log=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        )
        server = _Server(config)
        # Each batch parses thousands of documents that die young (freed by reference
        # counting); at the default threshold they set off collections that walk the
        # whole process. Everything made so far lives as long as the server: frozen.
        gc.set_threshold(BATCH_GC_THRESHOLD, *gc.get_threshold()[1:])
        gc.freeze()
        announce(f"Sandbox online service running at {url}")
        announce(f"API: {url}/api/v1 — contacts page: {url}/")
        announce(f"Credentials and sign-in users: {credentials_path}")
        announce("Press Ctrl+C to stop.")
        sys.stdout.flush()
        asyncio.run(server.serve(sockets=[sock]))
        sock.close()
    finally:
        store.close()
    announce("Sandbox stopped.")
    return 0
