"""Activation is accepted once, recorded with the terms version, and never undone."""

from __future__ import annotations

from typing import Any

from tests.sandbox.support import Agent, api
from tests.sandbox_harness import RunningSandbox


def _activation(version: str, who: str = "Pat Partner", machine: str = "OFFICE-1") -> Any:
    return {"terms_version": version, "accepted_by": who, "machine": machine}


def test_activation_is_recorded_once_and_irreversible(sandbox_server: RunningSandbox) -> None:
    with api(sandbox_server) as client:
        before = client.get("/practice").json()
        assert before["live_activated"] is False
        assert before["contacts_migration"]["activated"] is False
        terms = client.get("/terms/current").json()
        assert "can't be turned off" in terms["html"]

        first = client.post("/practice/activation", json=_activation(terms["version"]))
        assert first.status_code == 201
        record = first.json()
        assert record["activated"] is True
        assert record["live_activated"] is True
        assert record["activated_by"] == "Pat Partner"
        assert record["machine"] == "OFFICE-1"
        assert record["terms_version"] == terms["version"]

        again = client.post(
            "/practice/activation", json=_activation(terms["version"], "Someone Else", "PC-2")
        )
        assert again.status_code == 200
        assert again.json() == record

        delete = client.delete("/practice/activation")
        assert delete.status_code == 405
        assert delete.json()["error"] == "irreversible"
        assert (
            "once synchronised, contacts migration can't be turned off."
            in (delete.json()["message"])
        )

        practice = client.get("/practice").json()
        assert practice["live_activated"] is True
        assert practice["contacts_migration"] == {
            key: record[key] for key in practice["contacts_migration"]
        }
        assert practice["name"] == "Demo Practice"


def test_outdated_terms_are_refused(sandbox_server: RunningSandbox) -> None:
    with api(sandbox_server) as client:
        response = client.post("/practice/activation", json=_activation("1999-01-01"))
        assert response.status_code == 409
        assert response.json()["error"] == "terms_outdated"
        assert client.get("/practice").json()["contacts_migration"]["activated"] is False


def test_activation_body_is_checked(sandbox_server: RunningSandbox) -> None:
    with api(sandbox_server) as client:
        bad = [
            {"terms_version": "x"},
            {**_activation("x"), "extra": 1},
            {**_activation("x"), "machine": 5},
            [],
        ]
        for body in bad:
            response = client.post("/practice/activation", json=body)
            assert response.status_code == 422, body
            assert response.json()["error"] == "invalid_request"
        response = client.post(
            "/practice/activation",
            content=b"{not json",
            headers={"content-type": "application/json"},
        )
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_json"
        assert client.get("/practice").json()["contacts_migration"]["activated"] is False


def test_batches_before_activation_are_refused(sandbox_server: RunningSandbox) -> None:
    with api(sandbox_server) as client:
        agent = Agent(client)
        response = agent.send([])
        assert response.status_code == 409
        assert response.json()["error"] == "not_activated"
