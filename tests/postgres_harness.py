"""A throwaway PostgreSQL cluster on a free loopback port, for the ODBC tests.

``initdb`` into a temporary folder, ``postgres`` on 127.0.0.1 only, trust
authentication (nothing else can reach it), stopped and removed at the end. PostgreSQL
refuses to run as root, so as root the server runs as the ``postgres`` OS user in a
folder it owns.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

POSTGRES_USER: Final = "postgres"
ODBC_DRIVER: Final = "PostgreSQL Unicode"
_SEARCH: Final = ("/usr/lib/postgresql", "/usr/local/pgsql", "/opt/homebrew/opt")


class PostgresUnavailable(Exception):
    """The server binaries (or the OS user to run them) are missing."""


_TOOLS: Final = ("initdb", "pg_ctl", "psql")


def find_bindir() -> Path:
    """The newest installed PostgreSQL's bin folder holding initdb, pg_ctl and psql."""
    candidates: list[Path] = []
    for root in _SEARCH:
        base = Path(root)
        if base.is_dir():
            candidates.extend(path.parent for path in base.glob("*/bin/initdb"))
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).resolve().parent)
    usable = [path for path in candidates if all((path / tool).exists() for tool in _TOOLS)]
    if not usable:
        raise PostgresUnavailable(
            "no folder with initdb, pg_ctl and psql under /usr/lib/postgresql/*/bin or on PATH"
        )

    def version(path: Path) -> float:
        try:
            return float(path.parent.name)
        except ValueError:
            return 0.0

    return max(usable, key=version)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    bindir: Path
    folder: Path
    port: int
    run_as: str | None
    created: list[str] = field(default_factory=list)

    @property
    def data(self) -> Path:
        return self.folder / "data"

    def _command(self, *args: str) -> list[str]:
        prefix = ["runuser", "-u", self.run_as, "--"] if self.run_as else []
        return [*prefix, *args]

    def run(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            self._command(*args), capture_output=True, text=True, timeout=timeout, check=False
        )
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed: {done.stderr or done.stdout}")
        return done

    def connection_string(self, database: str = "postgres") -> str:
        return (
            f"Driver={{{ODBC_DRIVER}}};Server=127.0.0.1;Port={self.port};"
            f"Database={database};Uid={POSTGRES_USER};Pwd=unused"
        )

    def psql(self, sql: str, database: str = "postgres") -> str:
        return self.run(
            str(self.bindir / "psql"),
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            POSTGRES_USER,
            "-d",
            database,
            "-At",
            "-c",
            sql,
        ).stdout

    def create_database(self, name: str, template: str | None = None) -> str:
        clause = f' TEMPLATE "{template}"' if template else ""
        self.psql(f'CREATE DATABASE "{name}"{clause}')
        self.created.append(name)
        return name

    def start_server(self) -> None:
        """Start (or start again, on the same port) the server of this cluster."""
        options = (
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1"
            " -c fsync=off -c full_page_writes=off -c synchronous_commit=off"
            " -c max_connections=200"
        )
        self.run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.folder / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
            timeout=90,
        )

    def stop_server(self) -> None:
        """Stop the server (fast: sessions are ended) and keep the cluster for a restart."""
        self.run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-m",
            "fast",
            "-w",
            "stop",
            timeout=90,
        )

    def stop(self) -> None:
        subprocess.run(
            self._command(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "fast", "stop"),
            capture_output=True,
            timeout=60,
            check=False,
        )
        shutil.rmtree(self.folder, ignore_errors=True)


def start_postgres() -> PostgresServer:
    bindir = find_bindir()
    run_as: str | None = None
    folder = Path(tempfile.mkdtemp(prefix="contacts-migration-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam(POSTGRES_USER)
        except KeyError:
            shutil.rmtree(folder, ignore_errors=True)
            raise PostgresUnavailable(
                f"running as root and there is no '{POSTGRES_USER}' OS user to run the server"
            ) from None
        os.chown(folder, user.pw_uid, user.pw_gid)
        run_as = POSTGRES_USER
    server = PostgresServer(bindir, folder, free_port(), run_as)
    try:
        server.run(
            str(bindir / "initdb"),
            "-D",
            str(server.data),
            "-U",
            POSTGRES_USER,
            "-A",
            "trust",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )
        server.start_server()
    except BaseException:
        server.stop()
        raise
    return server


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    server = start_postgres()
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                server.psql("SELECT 1")
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield server
    finally:
        server.stop()
