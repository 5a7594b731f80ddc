"""System components the tests need (PostgreSQL, ODBC drivers): skip on a laptop that
lacks one, fail in CI (``CI=true``), where a missing component is a broken setup."""

from __future__ import annotations

import os
from typing import Final, NoReturn

import pytest

CI_ENV: Final = "CI"


def in_ci() -> bool:
    return os.environ.get(CI_ENV, "").strip().lower() == "true"


def require_component(name: str, reason: str) -> NoReturn:
    """Give up on this test because ``name`` is missing: skip, or fail under CI=true."""
    message = f"{name} is not available: {reason}"
    print(message)
    if in_ci():
        pytest.fail(f"{message} (CI=true: every component must be installed)", pytrace=False)
    pytest.skip(message)


def require_odbc_driver(driver: str) -> None:
    """Skip/fail unless pyodbc and the named ODBC driver are installed."""
    try:
        import pyodbc
    except ImportError as error:
        require_component("pyodbc", str(error))
    installed = pyodbc.drivers()
    if driver not in installed:
        require_component(
            f"the ODBC driver {{{driver}}}",
            f"installed drivers: {', '.join(installed) or 'none'} (scripts/setup.sh installs it)",
        )
