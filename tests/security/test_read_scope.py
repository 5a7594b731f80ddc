"""Decision 11: the ``read`` scope (viewers) never receives tax file numbers.

A read token is the easiest credential to hand out and lose; a TFN is the field whose
leak harms a person most, and no viewer needs it (the page does not show it). So a
``read`` token gets ``tax_file_number: null``; only the agent's ``sync`` token, which
uploaded it, reads it back."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate
from tests.sandbox_harness import RunningSandbox, running_sandbox
from tests.sign_in_support import signed_in_browser

TFN = "123 456 782"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("read")) as running:
        with running.client("sync") as client:
            activate(client)
            Agent(client).send_ok(
                [contact(1, tax_file_number=TFN), contact(2, last_name="\ud800-odd")]
            )
        yield running


def test_a_read_token_never_sees_a_tax_file_number(sandbox: RunningSandbox) -> None:
    with sandbox.client("read") as client:
        listed = client.get("/contacts")
        single = client.get("/contacts/1")
    assert TFN not in listed.text and TFN not in single.text
    assert single.json()["tax_file_number"] is None
    assert single.json()["last_name"] == "Person1"  # the rest is all there
    assert [doc["tax_file_number"] for doc in listed.json()["items"]] == [None, None]
    assert listed.json()["items"][1]["last_name"] == "\ud800-odd"  # odd text survives


def test_the_agents_sync_token_reads_it_back_exactly(sandbox: RunningSandbox) -> None:
    with sandbox.client("sync") as client:
        assert client.get("/contacts/1").json()["tax_file_number"] == TFN
        items = client.get("/contacts").json()["items"]
    assert items[0]["tax_file_number"] == TFN


def test_the_page_does_not_show_it_either(sandbox: RunningSandbox) -> None:
    with signed_in_browser(sandbox.url, sandbox.credentials) as browser:
        page = browser.get("/")
    assert page.status_code == 200 and TFN not in page.text
