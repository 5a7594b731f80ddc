"""Injected faults: a seeded share of sync requests fails, reproducibly, and a failed
batch is never applied."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from tests.sandbox.factories import contact
from tests.sandbox.support import activate, api
from tests.sandbox_harness import RunningSandbox, running_sandbox

DROPPED = "dropped"
#: Every way a connection the service dropped can surface in the client: EOF before an
#: answer (RemoteProtocolError), a reset while reading or writing (ReadError, WriteError,
#: "Connection reset by peer"), or a refused/reset reconnect (ConnectError).
DROP_SHAPES = (httpx.RemoteProtocolError, httpx.NetworkError)


def _outcomes(sandbox: RunningSandbox, count: int) -> list[int | str]:
    outcomes: list[int | str] = []
    with api(sandbox, "read") as client:
        for _ in range(count):
            try:
                response = client.get("/sync/state")
            except DROP_SHAPES:  # closed without a response
                outcomes.append(DROPPED)
                continue
            outcomes.append(response.status_code)
            if response.status_code in (429, 503):
                assert response.headers["retry-after"] == "1"
    return outcomes


@pytest.mark.sandbox_options(fault_rate=0.5, fault_seed=1234)
def test_a_seeded_share_of_sync_requests_fails(
    sandbox_server: RunningSandbox, tmp_path: Path
) -> None:
    outcomes = _outcomes(sandbox_server, 80)
    counts = Counter(outcomes)
    assert set(counts) == {200, 429, 500, 503, DROPPED}
    assert 20 <= 80 - counts[200] <= 60  # about half

    with api(sandbox_server, "read") as client:  # other routes never fail
        assert all(client.get("/practice").status_code == 200 for _ in range(20))

    with running_sandbox(tmp_path / "again", fault_rate=0.5, fault_seed=1234) as same_seed:
        assert _outcomes(same_seed, 80) == outcomes
    with running_sandbox(tmp_path / "other", fault_rate=0.5, fault_seed=99) as other_seed:
        assert _outcomes(other_seed, 80) != outcomes


def _retry(call: Callable[[], httpx.Response]) -> httpx.Response:
    for _ in range(50):
        try:
            response = call()
        except DROP_SHAPES:
            continue
        if response.status_code < 500 and response.status_code != 429:
            return response
    raise AssertionError("no success in 50 tries")


@pytest.mark.sandbox_options(fault_rate=0.4, fault_seed=7)
def test_failed_batches_are_not_applied(sandbox_server: RunningSandbox) -> None:
    with api(sandbox_server) as client:
        activate(client)
        epoch = _retry(
            lambda: client.post("/sync/lease", json={"agent_id": "a", "machine": "m"})
        ).json()["epoch"]
        checkpoint = None
        failures = successes = 0
        for number in range(1, 31):
            body = {
                "epoch": epoch,
                "base_checkpoint": checkpoint,
                "checkpoint": f"cp-{number}",
                "upserts": [contact(number)],
                "deletes": [],
            }
            try:
                response = client.post(
                    "/sync/batches",
                    content=json.dumps(body),
                    headers={"Idempotency-Key": f"k{number}", "content-type": "application/json"},
                )
                status: int | None = response.status_code
            except DROP_SHAPES:
                status = None
            state = _retry(lambda: client.get("/sync/state")).json()
            found = _retry(lambda n=number: client.get(f"/contacts/{n}")).status_code
            if status == 200:
                successes += 1
                checkpoint = f"cp-{number}"
                assert found == 200
            else:
                failures += 1
                assert status in (None, 429, 500, 503)
                assert found == 404
            assert state["checkpoint"] == checkpoint
        assert failures >= 5 and successes >= 5
    assert "Traceback" not in sandbox_server.stderr()
    assert " dropped " in sandbox_server.stderr()  # the request log names dropped requests
