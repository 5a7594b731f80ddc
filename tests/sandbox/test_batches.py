"""POST /sync/batches: fencing, compare-and-set, idempotency, limits and validation."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate, api
from tests.sandbox_harness import RunningSandbox, running_sandbox


@pytest.fixture
def agent(sandbox_server: RunningSandbox) -> Iterator[Agent]:
    """An agent on a fresh, activated sandbox (for tests that look at the whole state)."""
    with api(sandbox_server) as client:
        activate(client)
        yield Agent(client)


@pytest.fixture(scope="module")
def shared_agent(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Agent]:
    """One sandbox for the refusal tests: each checks that nothing changed."""
    with running_sandbox(tmp_path_factory.mktemp("batches")) as sandbox, api(sandbox) as client:
        activate(client)
        agent = Agent(client)
        agent.send_ok([contact(1000)])
        yield agent


@pytest.fixture
def unchanged(shared_agent: Agent) -> Iterator[Agent]:
    """The shared agent; after the test, state and contacts must be exactly as before."""
    before = shared_agent.state(), _ids(shared_agent.client)
    yield shared_agent
    assert (shared_agent.state(), _ids(shared_agent.client)) == before


def _ids(client: httpx.Client) -> list[str]:
    return [doc["id"] for doc in client.get("/contacts", params={"limit": 1000}).json()["items"]]


def test_batch_applies_upserts_and_deletes(agent: Agent) -> None:
    first = agent.send_ok([contact(1), contact(2), contact(3)])
    assert first["applied_upserts"] == 3
    result = agent.send_ok([contact(2, email="new@example.com")], ["3", "99"])
    assert result == {
        "applied_upserts": 1,
        "applied_deletes": 1,  # 99 was never there
        "checkpoint": agent.state()["checkpoint"],
    }
    assert _ids(agent.client) == ["1", "2"]
    assert agent.client.get("/contacts/2").json()["email"] == "new@example.com"
    state = agent.state()
    assert state["contact_count"] == 2
    assert state["last_batch_at"] is not None


def test_stale_epoch_is_fenced_off(agent: Agent) -> None:
    old = agent.epoch
    new = agent.lease()
    assert new == old + 1
    response = agent.send([contact(1)], epoch=old)
    assert response.status_code == 409
    assert response.json()["error"] == "stale_epoch"
    assert response.json()["current_epoch"] == new
    assert _ids(agent.client) == []
    assert agent.send([contact(1)], epoch=new).status_code == 200


def test_checkpoint_compare_and_set(agent: Agent) -> None:
    assert agent.state()["checkpoint"] is None
    assert agent.send([contact(1)], base=None, checkpoint="one").status_code == 200
    assert agent.state()["checkpoint"] == "one"

    conflict = agent.send([contact(2)], base=None, checkpoint="two")
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "checkpoint_conflict"
    wrong = agent.send([contact(2)], base="zero", checkpoint="two")
    assert wrong.status_code == 409
    assert agent.state()["checkpoint"] == "one"
    assert _ids(agent.client) == ["1"]

    assert agent.send([contact(2)], base="one", checkpoint="two").status_code == 200
    assert agent.state()["checkpoint"] == "two"


def test_same_key_replays_the_first_answer_without_applying_twice(agent: Agent) -> None:
    agent.send_ok([contact(5)])
    base = agent.state()["checkpoint"]
    key = str(uuid.uuid4())
    first = agent.send([], ["5"], key=key, base=base, checkpoint="after-delete")
    assert first.status_code == 200
    assert first.json()["applied_deletes"] == 1

    agent.send_ok([contact(5)])  # recreated: moves the checkpoint on
    state = agent.state()
    replay = agent.send([], ["5"], key=key, base=base, checkpoint="after-delete")
    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert replay.headers["idempotent-replayed"] == "true"
    assert _ids(agent.client) == ["5"]  # not deleted a second time
    assert agent.state() == state


def test_same_key_with_a_different_body_is_refused(agent: Agent) -> None:
    key = str(uuid.uuid4())
    assert agent.send([contact(1)], key=key, base=None, checkpoint="c1").status_code == 200
    response = agent.send([contact(2)], key=key, base=None, checkpoint="c1")
    assert response.status_code == 422
    assert response.json()["error"] == "idempotency_key_reused"
    assert _ids(agent.client) == ["1"]


def test_idempotency_key_is_required(unchanged: Agent) -> None:
    body = {"epoch": unchanged.epoch, "base_checkpoint": None, "checkpoint": "x"}
    response = unchanged.client.post("/sync/batches", json={**body, "upserts": [], "deletes": []})
    assert response.status_code == 400
    assert response.json()["error"] == "idempotency_key_missing"


def test_invalid_documents_are_listed_by_id_and_nothing_is_applied(unchanged: Agent) -> None:
    missing = contact(2)
    del missing["email"]
    wrong = contact(3, archived="yes", type="robot")
    no_id: Any = {"name": "no id at all"}
    response = unchanged.send([contact(1), missing, wrong, no_id, "text"], ["7"])  # type: ignore[list-item]
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "invalid_documents"
    problems = {(p["id"], p["index"]): p["problems"] for p in body["problems"]}
    assert set(problems) == {("2", 1), ("3", 2), (None, 3), (None, 4)}
    # one problem per refused contact, the first the typed check meets, named precisely
    assert problems[("2", 1)] == ["contact is missing email"]
    assert problems[("3", 2)] == ["type must be 'person' or 'organisation'"]
    assert problems[(None, 3)] == ["contact has unknown keys name"]
    assert problems[(None, 4)] == ["contact must be an object"]


@pytest.mark.parametrize(
    ("upserts", "deletes"),
    [([contact(1), contact(1)], []), ([contact(1)], ["1"])],
)
def test_conflicting_ids_in_one_batch_are_refused(
    unchanged: Agent, upserts: list[dict[str, Any]], deletes: list[str]
) -> None:
    response = unchanged.send(upserts, deletes)
    assert response.status_code == 422
    assert response.json()["problems"][0]["id"] == "1"


@pytest.mark.parametrize(
    "change",
    [
        {"epoch": "1"},
        {"epoch": True},
        {"base_checkpoint": 5},
        {"checkpoint": None},
        {"upserts": {}},
        {"deletes": [1]},
        {"deletes": ["abc"]},
        {"surprise": 1},
    ],
)
def test_malformed_batch_bodies_are_422(unchanged: Agent, change: dict[str, Any]) -> None:
    body: dict[str, Any] = {
        "epoch": unchanged.epoch,
        "base_checkpoint": None,
        "checkpoint": "x",
        "upserts": [],
    }
    body = {**body, "deletes": [], **change}
    response = unchanged.client.post(
        "/sync/batches", json=body, headers={"Idempotency-Key": str(uuid.uuid4())}
    )
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("raw", [b"", b"{", b"[1,", b'{"epoch": NaN}', b"\xff\xfe"])
def test_unparseable_batch_bodies_are_400(unchanged: Agent, raw: bytes) -> None:
    response = unchanged.client.post(
        "/sync/batches",
        content=raw,
        headers={"Idempotency-Key": "k", "content-type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_json"


def test_contacts_are_read_only_online(agent: Agent) -> None:
    agent.send_ok([contact(1)])
    client = agent.client
    for response in (
        client.post("/contacts", json=contact(2)),
        client.put("/contacts/1", json=contact(1)),
        client.patch("/contacts/1", json={"email": None}),
        client.delete("/contacts/1"),
    ):
        assert response.status_code == 405
        assert response.json() == {
            "error": "read_only",
            "message": "Contacts are synchronised from the practice database "
            "and can't be edited online.",
        }
    assert _ids(client) == ["1"]


def test_bodies_over_the_limit_are_413(tmp_path: Path) -> None:
    with running_sandbox(tmp_path, max_body=2000) as sandbox, api(sandbox) as client:
        activate(client)
        agent = Agent(client)
        small = contact(1)
        assert agent.send([small]).status_code == 200

        big = agent.send([contact(2, padding=3000)])
        assert big.status_code == 413
        assert big.json()["error"] == "payload_too_large"

        # Far bigger than the socket buffers: the client must still get to read the 413
        # (the server reads and discards the rest instead of hanging up mid-upload).
        huge = agent.send([contact(2, padding=3_000_000)])
        assert huge.status_code == 413

        body = json.dumps(
            {
                "epoch": agent.epoch,
                "base_checkpoint": agent.state()["checkpoint"],
                "checkpoint": "streamed",
                "upserts": [contact(3, padding=3000)],
                "deletes": [],
            }
        ).encode()

        def chunks() -> Iterator[bytes]:  # no Content-Length: the limit is on bytes read
            yield body[:1000]
            yield body[1000:]

        streamed = client.post(
            "/sync/batches",
            content=chunks(),
            headers={"Idempotency-Key": "streamed", "content-type": "application/json"},
        )
        assert streamed.status_code == 413
        assert _ids(client) == ["1"]
        assert agent.state()["checkpoint"] != "streamed"
