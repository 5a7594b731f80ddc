"""At the service's door: one spelling per contact id, field contents of their type, and
listing parameters exactly as documented (an empty or odd value is refused, never read as
"the default")."""

from __future__ import annotations

import pytest

from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate, api
from tests.sandbox_harness import RunningSandbox


@pytest.mark.parametrize("spelling", ["000000000000000001", "01", "0"])
def test_two_spellings_of_one_id_cannot_both_exist(sandbox: RunningSandbox, spelling: str) -> None:
    with api(sandbox) as client:
        activate(client)
        agent = Agent(client)
        agent.send_ok([contact(1, code="FIRST")])
        refused = agent.send([contact(1, code="SECOND", id=spelling)])
        assert refused.status_code == 422
        [problem] = refused.json()["problems"]
        assert problem["id"] == spelling
        assert problem["problems"][0].startswith(f"id {spelling!r} is not a contact id")
        deleted = agent.send([], [spelling])
        assert deleted.status_code == 422
        assert repr(spelling) in deleted.json()["message"] + str(deleted.json())

        listed = client.get("/contacts").json()["items"]
        assert [(doc["id"], doc["code"]) for doc in listed] == [("1", "FIRST")]
        assert [row["id"] for row in client.get("/contacts/hashes").json()] == ["1"]
        assert client.get("/sync/state").json()["contact_count"] == 1
        assert client.get(f"/contacts/{spelling}").status_code == 404
        assert client.get("/contacts/1").json()["code"] == "FIRST"


def test_field_contents_are_refused_naming_contact_and_field(sandbox: RunningSandbox) -> None:
    with api(sandbox) as client:
        activate(client)
        agent = Agent(client)
        refused = agent.send(
            [
                contact(1, date_of_birth=")"),
                contact(2, created_at="x"),
                contact(3, notes="a\x00b"),
                contact(4, date_of_birth="2024-02-29", created_at="2024-05-01T09:30:00"),
            ]
        )
        assert refused.status_code == 422
        problems = {p["id"]: p["problems"] for p in refused.json()["problems"]}
        assert set(problems) == {"1", "2", "3"}
        assert problems["1"][0].startswith("date_of_birth must be a date")
        assert problems["2"][0].startswith("created_at must be a timestamp")
        assert problems["3"] == ["notes holds a control character (U+0000)"]
        assert client.get("/sync/state").json()["contact_count"] == 0  # nothing applied


def test_a_whole_number_epoch_may_be_written_with_a_fraction(sandbox: RunningSandbox) -> None:
    """JSON Schema's ``integer`` admits 4827.0, so the service does too; 4827.5 is not one."""
    with api(sandbox) as client:
        activate(client)
        agent = Agent(client)
        assert agent.send([contact(1)], epoch=float(agent.epoch)).status_code == 200
        half = agent.send([contact(2)], epoch=agent.epoch + 0.5)
        assert half.status_code == 422
        assert "epoch must be a whole number" in str(half.json())


@pytest.mark.parametrize("path", ["/contacts", "/contacts/hashes"])
@pytest.mark.parametrize(
    "query", ["after=", "limit=", "after=abc", "after=-5", "after=01", "limit=0", "limit=1.5"]
)
def test_listing_parameters_are_refused_unless_documented(
    sandbox: RunningSandbox, path: str, query: str
) -> None:
    scope = "sync" if path.endswith("hashes") else "read"  # the hashes are sync's alone
    with api(sandbox, scope=scope) as client:
        answer = client.get(f"{path}?{query}")
        assert answer.status_code == 400, answer.text
        assert answer.json()["error"] == "invalid_request"
        assert query.split("=")[0] in answer.json()["message"]


def test_after_zero_is_the_start(sandbox: RunningSandbox) -> None:
    with api(sandbox) as client:
        activate(client)
        Agent(client).send_ok([contact(1), contact(2)])
        assert [d["id"] for d in client.get("/contacts?after=0").json()["items"]] == ["1", "2"]
        assert [d["id"] for d in client.get("/contacts?after=1").json()["items"]] == ["2"]
