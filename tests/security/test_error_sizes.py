"""Attack 4: unbounded error answers. 1 MiB of ``{}`` upserts once got a 422 of 140 MB
after 5.6 s (server memory 172 -> 753 MB). Now a batch upserts at most 10,000 contacts
(413, which the agent answers by splitting), a 422 lists at most 100 refused contacts and
counts the rest, and lists of unknown keys are cut short with a count."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator

import httpx
import pytest

from sandbox.batch import MAX_LISTED_PROBLEMS, MAX_UPSERTS_PER_BATCH
from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate
from tests.sandbox_harness import RunningSandbox, running_sandbox
from tests.security.support import TIMEOUT

#: Far more than any listed refusal needs, far less than the 140 MB once seen.
SMALL_ANSWER = 200_000


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("sizes")) as running:
        with running.client("sync") as client:
            activate(client)
        yield running


def _batch(sandbox: RunningSandbox, upserts_json: bytes) -> httpx.Response:
    with sandbox.client("sync", timeout=TIMEOUT) as client:
        agent = Agent(client)
        state = agent.state()
        head = json.dumps(
            {"epoch": agent.epoch, "base_checkpoint": state["checkpoint"], "checkpoint": "x"}
        )
        body = head[:-1].encode() + b',"deletes":[],"upserts":' + upserts_json + b"}"
        return client.post(
            "/sync/batches",
            content=body,
            headers={"Idempotency-Key": str(uuid.uuid4()), "Content-Type": "application/json"},
        )


def test_a_mebibyte_of_empty_upserts_is_a_small_413(sandbox: RunningSandbox) -> None:
    count = (1024 * 1024) // 3
    response = _batch(sandbox, b"[" + b",".join([b"{}"] * count) + b"]")
    assert response.status_code == 413
    assert len(response.content) < 1000
    assert f"at most {MAX_UPSERTS_PER_BATCH}" in response.json()["message"]


def test_many_bad_contacts_get_a_short_list_and_a_count(sandbox: RunningSandbox) -> None:
    count = MAX_UPSERTS_PER_BATCH
    response = _batch(sandbox, b"[" + b",".join([b"{}"] * count) + b"]")
    assert response.status_code == 422
    assert len(response.content) < SMALL_ANSWER
    body = response.json()
    assert len(body["problems"]) == MAX_LISTED_PROBLEMS
    assert [p["index"] for p in body["problems"]] == list(range(MAX_LISTED_PROBLEMS))
    assert body["problems_not_listed"] == count - MAX_LISTED_PROBLEMS
    assert f"{count} contacts" in body["message"]


def test_thousands_of_unknown_keys_are_counted_not_listed(sandbox: RunningSandbox) -> None:
    doc = contact(1, **{f"unknown_key_{i:06d}": 1 for i in range(50_000)})
    response = _batch(sandbox, json.dumps([doc]).encode())
    assert response.status_code == 422
    assert len(response.content) < 10_000
    (problem,) = response.json()["problems"][0]["problems"]
    assert problem.endswith("and 49980 more")


def test_a_contact_with_thousands_of_problems_names_one(sandbox: RunningSandbox) -> None:
    doc = contact(1, addresses=[{"bad": i} for i in range(20_000)])
    response = _batch(sandbox, json.dumps([doc]).encode())
    assert response.status_code == 422
    problems = response.json()["problems"][0]["problems"]
    assert problems == ["addresses[0] has unknown keys bad"]
    assert len(response.content) < 2_000


def test_small_bodies_with_many_unknown_fields_get_short_refusals(
    sandbox: RunningSandbox,
) -> None:
    body = {"agent_id": "a", "machine": "m", **{f"field{i}": 1 for i in range(100_000)}}
    with sandbox.client("sync", timeout=TIMEOUT) as client:
        response = client.post("/sync/lease", json=body)
    assert response.status_code == 422
    assert len(response.content) < 2_000
    assert "and 99980 more" in response.json()["message"]
