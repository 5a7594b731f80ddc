"""Attack (issue #22, 10): ``Checkpoint-Wait: nan`` holds a request past the 30 s cap.

``min(float("nan"), 30)`` is NaN, and a NaN deadline never passes: a batch whose base
was not current was held 36 s. Every numeric header is now parsed strictly (plain
decimal, finite, within its range, else 400), and one client holds at most a few of the
service's waiting slots at once (past that, answered as without the header)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from sandbox.throttle import WaitSlots
from tests.sandbox.factories import contact
from tests.sandbox.support import activate
from tests.sandbox_harness import RunningSandbox, running_sandbox

BAD = ["nan", "NaN", "inf", "-inf", "1e3", "-1", "31", "1_0", "0x10", "", "5 5", "+5"]


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("wait")) as running:
        with running.client("sync") as client:
            activate(client)
        yield running


def _batch_on_a_stale_base(sandbox: RunningSandbox, wait: str) -> int:
    with sandbox.client("sync") as client:
        epoch = client.post("/sync/lease", json={"agent_id": "a", "machine": "m"}).json()["epoch"]
        batch = {
            "epoch": epoch,
            "base_checkpoint": "not-the-current-one",
            "checkpoint": "2",
            "upserts": [contact(1)],
            "deletes": [],
        }
        headers = {"Idempotency-Key": str(uuid.uuid4()), "Checkpoint-Wait": wait}
        status: int = client.post("/sync/batches", json=batch, headers=headers).status_code
        return status


@pytest.mark.parametrize("wait", BAD)
def test_a_number_that_is_not_one_is_refused_at_once(sandbox: RunningSandbox, wait: str) -> None:
    assert _batch_on_a_stale_base(sandbox, wait) == 400


@pytest.mark.parametrize("wait", ["0", "0.1", "0.25"])
def test_a_real_number_still_waits_then_answers(sandbox: RunningSandbox, wait: str) -> None:
    assert _batch_on_a_stale_base(sandbox, wait) == 409


def test_one_client_holds_only_a_few_waiting_slots() -> None:
    slots = WaitSlots(per_client=2)
    with (
        slots.hold("a") as first,
        slots.hold("a") as second,
        slots.hold("a") as third,
        slots.hold("b") as other,
    ):
        assert (first, second, third, other) == (True, True, False, True)
    with slots.hold("a") as again:
        assert again  # released slots are free again
