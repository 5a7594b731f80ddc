"""Reading the online contacts: paging, single contacts, hashes and the checksum."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from engine.contract.canonical import collection_checksum, contact_hash
from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate, api
from tests.sandbox_harness import RunningSandbox, running_sandbox

# Numeric order differs from text order ("10" < "9" as text), and ids are not contiguous.
IDS = [1, 2, 9, 10, 11, 99, 100, 101, 999, 1000, 12345, 99999, 100000, 123456789012345678]


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Agent, list[Any]]]:
    with running_sandbox(tmp_path_factory.mktemp("contacts")) as sandbox, api(sandbox) as client:
        activate(client)
        agent = Agent(client)
        docs = [contact(i) for i in reversed(IDS)]
        docs.append(contact(555, notes="lone \ud800 surrogate", last_name="Zoë 😀 Ünïcode"))
        agent.send_ok(docs[:7])
        agent.send_ok(docs[7:])
        yield agent, sorted(docs, key=lambda d: int(d["id"]))


def test_pages_cover_every_contact_in_numeric_order(loaded: tuple[Agent, list[Any]]) -> None:
    agent, docs = loaded
    seen: list[Any] = []
    after: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 4}
        if after is not None:
            params["after"] = after
        page = agent.client.get("/contacts", params=params).json()
        pages += 1
        seen += page["items"]
        if page["next"] is None:
            break
        assert page["next"] == page["items"][-1]["id"]
        after = page["next"]
    assert seen == docs
    assert pages == -(-len(docs) // 4)
    default = agent.client.get("/contacts").json()
    assert default["items"] == docs and default["next"] is None


def test_single_contact_and_404(loaded: tuple[Agent, list[Any]]) -> None:
    agent, _docs = loaded
    assert agent.client.get("/contacts/99").json() == contact(99)
    for missing in ("3", "abc", "1234567890123456789012"):
        response = agent.client.get(f"/contacts/{missing}")
        assert response.status_code == 404
        assert response.json()["error"] == "not_found"


def test_lone_surrogates_and_unicode_round_trip(loaded: tuple[Agent, list[Any]]) -> None:
    agent, docs = loaded
    response = agent.client.get("/contacts/555")
    assert "\\ud800" in response.text  # escaped exactly as sent, valid UTF-8 on the wire
    assert "Zoë 😀 Ünïcode" in response.text
    doc = json.loads(response.content)
    assert doc == next(d for d in docs if d["id"] == "555")
    hashes = dict((h["id"], h["hash"]) for h in agent.client.get("/contacts/hashes").json())
    assert hashes["555"] == contact_hash(doc)


def test_hashes_and_checksum_match_local_computation(loaded: tuple[Agent, list[Any]]) -> None:
    agent, docs = loaded
    expected = [{"id": d["id"], "hash": contact_hash(d)} for d in docs]
    assert agent.client.get("/contacts/hashes").json() == expected
    paged: list[Any] = []
    after = "0"
    while batch := agent.client.get("/contacts/hashes", params={"after": after, "limit": 5}).json():
        paged += batch
        after = batch[-1]["id"]
    assert paged == expected
    state = agent.state()
    assert state["contact_count"] == len(docs)
    assert state["checksum"] == collection_checksum((int(d["id"]), contact_hash(d)) for d in docs)


def test_checksum_follows_changes(loaded: tuple[Agent, list[Any]]) -> None:
    agent, _docs = loaded
    before = agent.state()["checksum"]
    agent.send_ok([contact(2, email="changed@example.com")])
    changed = agent.state()["checksum"]
    assert changed != before
    agent.send_ok([contact(2)])
    assert agent.state()["checksum"] == before


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/contacts", {"limit": "0"}),
        ("/contacts", {"limit": "1001"}),
        ("/contacts", {"limit": "ten"}),
        ("/contacts", {"after": "-1"}),
        ("/contacts/hashes", {"limit": "50001"}),
        ("/contacts/hashes", {"after": "x"}),
    ],
)
def test_bad_paging_parameters_are_400(
    loaded: tuple[Agent, list[Any]], path: str, params: dict[str, str]
) -> None:
    agent, _ = loaded
    response = agent.client.get(path, params=params)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_limits_at_their_maximum_are_accepted(loaded: tuple[Agent, list[Any]]) -> None:
    agent, docs = loaded
    assert len(agent.client.get("/contacts", params={"limit": 1000}).json()["items"]) == len(docs)
    assert len(agent.client.get("/contacts/hashes", params={"limit": 50000}).json()) == len(docs)


def test_big_batch_is_applied_whole(sandbox_server: RunningSandbox) -> None:
    """A 4 MiB batch of 3000 contacts is applied all at once, and a second one replaces
    every contact of the first (how fast: ``python -m benchmarks.service_batch``)."""
    with api(sandbox_server) as client:
        activate(client)
        agent = Agent(client)
        for attempt in range(2):
            docs = [contact(i, padding=300, code=f"A{attempt}-{i}") for i in range(1, 3001)]
            body = json.dumps(
                {
                    "epoch": agent.epoch,
                    "base_checkpoint": agent.state()["checkpoint"],
                    "checkpoint": f"big-{attempt}",
                    "upserts": docs,
                    "deletes": [],
                }
            ).encode()
            assert 3_500_000 < len(body) <= 4 * 1024 * 1024
            response = client.post(
                "/sync/batches",
                content=body,
                headers={"Idempotency-Key": str(uuid.uuid4()), "content-type": "application/json"},
            )
            assert response.status_code == 200, response.text
            assert response.json()["applied_upserts"] == 3000
            assert agent.state()["checkpoint"] == f"big-{attempt}"
        assert agent.state()["contact_count"] == 3000
        for contact_id in (1, 1500, 3000):
            assert client.get(f"/contacts/{contact_id}").json()["code"] == f"A1-{contact_id}"
