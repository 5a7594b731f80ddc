"""The commands as a person runs them against a flaky service: the right answer, always.

``activate`` (with its checks and the migration), ``sync --once`` and ``verify`` run
through the real CLI against a sandbox failing a quarter of its sync requests, and
through a TCP proxy that drops, resets, truncates and delays connections, for several
seeds each. When the service is gone for good, the command gives up after
``--retry-for`` and says how long it tried, what failed last and what to do.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest

from contacts_migration.cli import main
from tests.net_proxy import Fault, FaultyProxy
from tests.sandbox_harness import RunningSandbox, running_sandbox

SANDBOX_SEEDS = (11, 12, 13)
PROXY_SEEDS = (21, 22, 23, 24)
PROXY_RATES = {Fault.DROP: 0.06, Fault.RESET: 0.06, Fault.TRUNCATE: 0.06, Fault.DELAY: 0.06}


def _init_db(path: Path, contacts: int = 120) -> str:
    source = f"sqlite:{path}"
    assert main(["init-db", "--source", source, "--contacts", str(contacts)]) == 0
    return source


def _short_waits(home: Path) -> None:
    """Short backoff caps keep the suite fast; the policy is the same."""
    (home / "config").mkdir(parents=True, exist_ok=True)
    (home / "config" / "settings.toml").write_text(
        "[online]\nmax_backoff_seconds = 0.2\n", encoding="utf-8"
    )


def _round_trip(
    folder: Path,
    sandbox: RunningSandbox,
    online: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """activate, verify (identical), edit, verify (different, with ids), sync, verify;
    returns everything the commands wrote to stderr."""
    monkeypatch.setenv("CONTACTS_MIGRATION_HOME", str(folder / "home"))
    _short_waits(folder / "home")
    db = folder / "practice.db"
    source = _init_db(db)
    credentials = str(sandbox.data_dir / "credentials.json")
    activate = ["activate", "--source", source, "--credentials", credentials, "--online", online]
    assert main([*activate, "--yes", "--accept-terms"]) == 0, capsys.readouterr()
    out, err = capsys.readouterr()
    assert "120 contacts are online" in out
    errors = err
    assert main(["verify"]) == 0, capsys.readouterr()
    out, err = capsys.readouterr()
    errors += err
    assert "Identical: 120 contacts" in out
    with sqlite3.connect(db) as connection:
        connection.execute('DELETE FROM "Contact" WHERE "ContactID" = 7')
        connection.execute('UPDATE "Contact" SET "Email" = \'a@b.au\' WHERE "ContactID" = 8')
    assert main(["verify"]) == 1
    out, err = capsys.readouterr()
    errors += err
    assert "Online but deleted on the desktop: 7" in out
    assert re.search(r"Out of date online: (\d+, )*8\b", out)  # and contacts related to 7
    assert main(["sync", "--once"]) == 0, capsys.readouterr()
    errors += capsys.readouterr().err
    assert main(["verify"]) == 0, capsys.readouterr()
    out, err = capsys.readouterr()
    errors += err
    assert "Identical: 119 contacts" in out
    assert "Traceback" not in errors
    return errors


def test_commands_ride_out_a_service_failing_a_quarter_of_requests(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    errors = ""
    for seed in SANDBOX_SEEDS:
        folder = tmp_path / f"seed-{seed}"
        with running_sandbox(folder, fault_rate=0.25, fault_seed=seed) as sandbox:
            errors += _round_trip(folder, sandbox, sandbox.url, capsys, monkeypatch)
    assert "Retrying" in errors  # the person saw that it was retrying, and why
    assert "HTTP 503" in errors or "HTTP 500" in errors or "HTTP 429" in errors


def test_commands_ride_out_a_misbehaving_network(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    failed = 0
    for seed in PROXY_SEEDS:
        folder = tmp_path / f"seed-{seed}"
        with running_sandbox(folder) as sandbox:
            port = int(sandbox.url.rsplit(":", 1)[1])
            with FaultyProxy(port, seed, PROXY_RATES, delay_seconds=0.05).running() as proxy:
                online = f"http://127.0.0.1:{proxy.port}"
                _round_trip(folder, sandbox, online, capsys, monkeypatch)
            failed += proxy.stats.failed
    assert failed > 0, "the proxy never failed a request; the test did not test faults"


def test_verify_gives_up_after_the_deadline_with_exit_2_and_says_why(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CONTACTS_MIGRATION_HOME", str(tmp_path / "home"))
    _short_waits(tmp_path / "home")
    source = _init_db(tmp_path / "practice.db", contacts=20)
    with running_sandbox(tmp_path) as sandbox:
        credentials = str(sandbox.data_dir / "credentials.json")
        argv = ["activate", "--source", source, "--credentials", credentials, "--yes"]
        assert main([*argv, "--accept-terms"]) == 0
        capsys.readouterr()
    # The service is gone: every connection is refused.
    assert main(["verify", "--retry-for", "3"]) == 2
    out, err = capsys.readouterr()
    assert "Identical" not in out
    assert "Retrying the online hash listing" in err  # shown while it retried
    assert "Could not tell whether the online copy is identical" in err
    assert re.search(r"after trying for \d+ s \(\d+ tries\)", err)  # how long
    assert "can't be reached (ConnectError" in err  # what failed last
    assert "internet connection" in err  # what to do
    assert "retried automatically" not in err and "Traceback" not in err
    assert main(["sync", "--once", "--retry-for", "1"]) == 2
    err = capsys.readouterr().err
    assert "Gave up on the sync after trying for" in err
    assert "retried automatically" not in err and "keep retrying" not in err
