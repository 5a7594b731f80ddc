"""Attack (issue #22, 1): recover a withheld tax file number from a read token's hashes.

A ``read`` token gets ``tax_file_number: null``, but ``/contacts/hashes`` gave the
SHA-256 of the *full* document and ``/sync/state`` a checksum over those hashes. A TFN has
about 9x10^7 candidates, so a hash of the document is the TFN: one was recovered offline
in 167 s. Whatever a scope can't read it must not be able to derive: the hashes and the
checksum are the ``sync`` scope's only (SECURITY.md says why)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from engine.contract.canonical import collection_checksum, contact_hash
from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate
from tests.sandbox_harness import RunningSandbox, running_sandbox

TFN = "123 456 782"
DOC = contact(1, tax_file_number=TFN)


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("derive")) as running:
        with running.client("sync") as client:
            activate(client)
            Agent(client).send_ok([DOC])
        yield running


def test_no_read_answer_carries_a_digest_of_the_withheld_number(sandbox: RunningSandbox) -> None:
    digest = contact_hash(DOC)
    checksum = collection_checksum([(1, digest)])
    with sandbox.client("read") as client:
        answers = [client.get(path) for path in ("/contacts/hashes", "/sync/state", "/contacts")]
        answers.append(client.get("/contacts/1"))
    for answer in answers:
        assert digest not in answer.text, answer.request.url
        assert checksum not in answer.text, answer.request.url
    hashes, state = answers[0], answers[1]
    assert hashes.status_code == 403 and hashes.json()["error"] == "insufficient_scope"
    assert state.status_code == 200 and state.json()["checksum"] is None
    assert state.json()["contact_count"] == 1  # the rest of the state is still there


def test_the_sync_scope_still_reconciles_by_hash(sandbox: RunningSandbox) -> None:
    with sandbox.client("sync") as client:
        hashes = client.get("/contacts/hashes").json()
        state = client.get("/sync/state").json()
    assert hashes == [{"id": "1", "hash": contact_hash(DOC)}]
    assert state["checksum"] == collection_checksum([(1, contact_hash(DOC))])
