"""Attack (issue #22, 11): the program's own advice switches certificate checking off.

The SQL Server certificate error advised ``TrustServerCertificate=yes`` (or
``Encrypt=no``): no certificate check on the connection that reads every tax file
number, so anyone on the network path could read and change it. Advice now says how to
trust the server's certificate (install the CA, use the name it was issued to), and
nothing the program ships (messages, docs) advises switching verification off."""

from __future__ import annotations

import re

import pyodbc
import pytest

from engine.sources.odbc_connect import ConnectionString, translate_error
from tests.security.support import ROOT

#: Each a way to switch verification off, as advice would word it.
DISABLING = re.compile(
    r"TrustServerCertificate\s*=\s*(yes|true)|Encrypt\s*=\s*(no|false|optional)"
    r"|verify\s*=\s*False|CERT_NONE|check_hostname\s*=\s*False|sslmode\s*=\s*disable",
    re.IGNORECASE,
)
SHIPPED = ("engine", "gui", "contacts_migration", "sandbox", "docs", "resources")
DOCS = ("README.md", "ARCHITECTURE.md", "SECURITY.md")


@pytest.mark.parametrize(
    "message",
    [
        "[Microsoft][ODBC Driver 18 for SQL Server]SSL Provider: [error:0A000086:SSL "
        "routines::certificate verify failed:self-signed certificate]",
        "[Microsoft][ODBC Driver 18 for SQL Server]TCP Provider: The certificate chain was "
        "issued by an authority that is not trusted.",
        "[Microsoft][ODBC Driver 18 for SQL Server]SSL Security error",
    ],
)
def test_the_certificate_error_says_how_to_trust_it(message: str) -> None:
    connection = ConnectionString.parse(
        "Driver={ODBC Driver 18 for SQL Server};Server=db.example;Database=AE;Encrypt=yes"
    )
    error = translate_error(pyodbc.Error("08001", message), connection)
    assert DISABLING.search(str(error)) is None, str(error)
    assert "TrustServerCertificate" not in str(error)
    assert "CA" in error.fix and "name it was issued to" in error.fix


def test_nothing_shipped_advises_switching_verification_off() -> None:
    files = [path for top in SHIPPED for path in (ROOT / top).rglob("*") if path.is_file()]
    files += [ROOT / name for name in DOCS]
    found = []
    for path in files:
        if path.suffix not in (".py", ".md", ".toml", ".txt", ".html", ".sql"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DISABLING.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert found == []
