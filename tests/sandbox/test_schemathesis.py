"""schemathesis, a property-based API tester that knows nothing of this project, against
the real sandbox process and its own OpenAPI document: every check, every phase
(examples, coverage, fuzzing, and the stateful phase that follows the document's links
from the sync state to a batch built on it), with a read and with a sync token.

Bounded and repeatable: a fixed seed, deterministic generation, a set number of examples
per operation and no example database, so every run sends the same requests; the outcome
never depends on the machine's speed (no response-time check). Its JSON report is kept in
the test's temporary folder; a failure prints schemathesis' own summary.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Final

import pytest

from tests.components import require_component
from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate, api
from tests.sandbox_harness import RunningSandbox, running_sandbox

SEED: Final = 24
#: Per operation and phase; with two tokens this is some 2,000-3,000 requests in all.
MAX_EXAMPLES: Final = {"sync": 40, "read": 15}
HOOKS: Final = "tests.sandbox.schemathesis_hooks"
#: A generous cap for one run (it takes well under a minute on a quiet machine).
RUN_TIMEOUT_S: Final = 600
REPOSITORY: Final = Path(__file__).resolve().parents[2]
#: The sign-in pages a person's browser posts to. Left out: their 400 for an unknown
#: program or a return address that is not loopback is by design (RFC 6749 4.1.2.1: an
#: error page, never a redirect), and JSON Schema can't say "a client id that exists", so
#: schemathesis would count it as a valid request rejected. tests/sandbox/test_sign_in.py
#: and a real chromium (test_sign_in_browser.py) attack them instead.
BROWSER_FORMS: Final = ("/oauth/authorize", "/sign-in")


def _prepared(sandbox: RunningSandbox) -> None:
    """Data to read, an activated practice and a current lease, so a batch built on the
    sync state (the stateful phase's link) really applies."""
    with api(sandbox) as client:
        activate(client)
        agent = Agent(client)
        agent.send_ok([contact(i, code=f"C{i:03d}") for i in range(1, 41)])


def _run(sandbox: RunningSandbox, scope: str, report: Path) -> tuple[int, str, dict[str, Any]]:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        sandbox.api_url + "/openapi.json",
        "--url",
        sandbox.url,
        "--checks",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--mode",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES[scope]),
        "--seed",
        str(SEED),
        "--generation-deterministic",  # implies no example database
        "--workers",
        "1",
        "--header",
        f"Authorization: Bearer {sandbox.token(scope)}",
        *(arg for path in BROWSER_FORMS for arg in ("--exclude-path", path)),
        "--request-timeout",
        "60",
        "--no-color",
        "--report",
        "json",
        "--report-json-path",
        str(report),
    ]
    env = {**os.environ, "SCHEMATHESIS_HOOKS": HOOKS, "PYTHONPATH": str(REPOSITORY)}
    done = subprocess.run(  # in the test's folder: schemathesis keeps a cache where it runs
        command,
        capture_output=True,
        text=True,
        env=env,
        timeout=RUN_TIMEOUT_S,
        check=False,
        cwd=report.parent,
    )
    summary = json.loads(report.read_text()) if report.exists() else {}
    return done.returncode, done.stdout + done.stderr, summary


@pytest.mark.parametrize("scope", ["sync", "read"])
def test_schemathesis_finds_nothing(tmp_path: Path, scope: str) -> None:
    try:
        import schemathesis  # noqa: F401
    except ImportError as error:
        require_component("schemathesis", f"{error} (scripts/setup.sh installs the dev extras)")
    with running_sandbox(tmp_path) as sandbox:
        _prepared(sandbox)
        code, output, summary = _run(sandbox, scope, tmp_path / "schemathesis.json")
        assert sandbox.process.poll() is None, "the sandbox died under schemathesis"
        log = sandbox.stderr()
    (tmp_path / "schemathesis.txt").write_text(output)
    assert code == 0, output[-6000:]
    assert summary["complete"] and summary["test_cases"]["with_failures"] == 0, summary
    assert summary["test_cases"]["errored"] == 0, summary
    applied = log.count("POST /api/v1/sync/batches 200")
    if scope == "sync":  # one is _prepared's; the rest followed the state -> batch link
        assert applied > 1, "no generated batch applied: the stateful link is not working"
    else:
        assert applied == 1
