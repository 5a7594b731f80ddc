"""Attack (issue #22, 8): a secret "rotated" on a running service keeps working.

``sandbox rotate-secret`` on a running service exited 0 with "Rotated…", yet the old
secret and its tokens kept working (200, 200) until a restart: someone who thought a
leaked secret was revoked was wrong. Now it refuses while a service runs on that data
folder (and says why; nothing changes), and rotates for real once it is stopped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import httpx

from tests.sandbox_harness import running_sandbox, start_sandbox
from tests.security.support import ROOT, TIMEOUT

ROTATE = [sys.executable, "-m", "contacts_migration", "sandbox", "rotate-secret"]


def _rotate(data_dir: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*ROTATE, "--data", str(data_dir)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_rotating_on_a_running_service_is_refused_never_a_false_success(
    tmp_path: Path,
) -> None:
    with running_sandbox(tmp_path / "a") as sandbox:
        client_id, old_secret = sandbox.client_credentials("sync")
        token = sandbox.token("sync")
        done = _rotate(sandbox.data_dir)
        assert done.returncode != 0, done.stdout
        assert "Rotated" not in done.stdout and "running" in done.stderr, done.stderr
        assert "Traceback" not in done.stderr
        with sandbox.client("sync") as client:  # nothing changed, and nothing claimed to
            assert client.get("/sync/state").status_code == 200
        assert sandbox.client_credentials("sync")[1] == old_secret
        data_dir = sandbox.data_dir
    done = _rotate(data_dir)  # stopped: it rotates, and it holds after the restart
    assert done.returncode == 0 and "Rotated" in done.stdout, done.stderr
    again = start_sandbox(tmp_path / "b", data_dir=data_dir)
    try:
        form = {"grant_type": "client_credentials", "client_id": client_id}
        refused = httpx.post(
            again.api_url + "/oauth/token",
            data={**form, "client_secret": old_secret},
            timeout=TIMEOUT,
        )
        assert refused.status_code == 401
        old = httpx.get(
            again.api_url + "/sync/state",
            headers={"Authorization": f"Bearer {token}"},
            timeout=TIMEOUT,
        )
        assert old.status_code == 401
    finally:
        again.stop()
