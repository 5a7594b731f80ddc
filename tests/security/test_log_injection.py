"""Attack 8: forged log lines. A request path with ``%0A`` wrote a fake line into the
service log. Everything logged from a request now has its control characters escaped."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.sandbox_harness import running_sandbox
from tests.security.support import TIMEOUT, address, get

FORGED = "2026-01-01 00:00:00,000 INFO sandbox.http: POST /api/v1/sync/batches 200 FORGED"


def test_a_newline_in_a_path_or_client_id_cannot_forge_a_log_line(tmp_path: Path) -> None:
    with running_sandbox(tmp_path) as sandbox:
        _, port = address(sandbox.url)
        encoded = FORGED.replace(" ", "%20").replace(",", "%2C")
        for path in (f"/%0A{encoded}", f"/api/v1/x%0D%0A{encoded}", f"/%1B[2J%0A{encoded}"):
            get(sandbox.url, path, f"127.0.0.1:{port}")
        httpx.post(
            sandbox.api_url + "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": f"x\n{FORGED}",
                "client_secret": "wrong",
            },
            timeout=TIMEOUT,
        )
        sandbox.stop()
        log = sandbox.stderr()
    lines = log.splitlines()
    assert not any(line.startswith("2026-01-01") for line in lines), log
    assert "\x1b" not in log and "\r" not in log
    # Each attempt is still logged, on one line, with the newline written as \n:
    assert sum("\\n2026-01-01" in line for line in lines) == 4, log
