"""Helpers for the sandbox tests: documented-status checking clients and a tiny agent."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx

from sandbox.openapi import openapi_document
from tests.sandbox.schema import schema_errors
from tests.sandbox_harness import RunningSandbox

UNSET: Any = object()


def _route_pattern(template: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template)) + "$")


_ROUTES = [(_route_pattern(path), path) for path in openapi_document()["paths"]]


def documented_operation(method: str, path: str) -> dict[str, Any] | None:
    for pattern, template in _ROUTES:
        if pattern.match(path):
            operation: dict[str, Any] | None = openapi_document()["paths"][template].get(
                method.lower()
            )
            return operation
    return None


def check_documented(response: httpx.Response) -> None:
    """Fail the request unless its status (and body) is what the OpenAPI document says.

    Requests to undocumented method/path pairs must get a JSON 404/405: the generic one,
    or for the methods that are by design never allowed, the one saying why.
    """
    response.read()
    request = response.request
    operation = documented_operation(request.method, request.url.path)
    if operation is None:
        # by-design 405s need a sync token like any change (401/403 without one)
        assert response.status_code in (401, 403, 404, 405), (request.method, request.url.path)
        assert response.json()["error"] in (
            "not_found",
            "method_not_allowed",
            "read_only",
            "irreversible",
            "invalid_token",
            "insufficient_scope",
        ), response.text
        assert response.status_code != 405 or response.headers["allow"]
        return
    documented = operation["responses"]
    status = str(response.status_code)
    assert status in documented, (
        f"{request.method} {request.url.path} answered {status}, "
        f"documented only {sorted(documented)}"
    )
    content = documented[status].get("content")
    if content is None:  # a redirect
        assert 300 <= response.status_code < 400 and response.headers["location"]
    elif "application/json" in content:
        assert response.headers["content-type"].startswith("application/json")
        body = json.loads(response.text)
        errors = schema_errors(body, content["application/json"]["schema"], openapi_document())
        assert not errors, f"{request.method} {request.url.path} {status}: {errors[:5]}"
    else:
        assert response.headers["content-type"].startswith("text/html")


def api(sandbox: RunningSandbox, scope: str | None = "sync", **kwargs: Any) -> httpx.Client:
    """A client whose every response is checked against the OpenAPI document."""
    hooks = {"response": [check_documented]}
    return sandbox.client(scope, event_hooks=hooks, **kwargs)


def activate(client: httpx.Client) -> dict[str, Any]:
    version = client.get("/terms/current").json()["version"]
    response = client.post(
        "/practice/activation",
        json={"terms_version": version, "accepted_by": "Test Person", "machine": "TEST-PC"},
    )
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


class Agent:
    """Sends batches the way the engine will: leased epoch, current checkpoint as base."""

    def __init__(self, client: httpx.Client) -> None:
        self.client = client
        self.epoch = self.lease()

    def lease(self) -> int:
        response = self.client.post("/sync/lease", json={"agent_id": "test-agent", "machine": "PC"})
        assert response.status_code == 200, response.text
        epoch: int = response.json()["epoch"]
        self.epoch = epoch
        return epoch

    def state(self) -> dict[str, Any]:
        response = self.client.get("/sync/state")
        assert response.status_code == 200, response.text
        state: dict[str, Any] = response.json()
        return state

    def send(
        self,
        upserts: list[dict[str, Any]] | tuple[()] = (),
        deletes: list[str] | tuple[()] = (),
        *,
        key: str | None = None,
        base: Any = UNSET,
        checkpoint: str | None = None,
        epoch: float | None = None,
    ) -> httpx.Response:
        body = {
            "epoch": self.epoch if epoch is None else epoch,
            "base_checkpoint": self.state()["checkpoint"] if base is UNSET else base,
            "checkpoint": checkpoint or f"cp-{uuid.uuid4()}",
            "upserts": list(upserts),
            "deletes": list(deletes),
        }
        return self.client.post(
            "/sync/batches",
            content=json.dumps(body).encode(),  # ASCII escapes: lone surrogates stay sendable
            headers={
                "Idempotency-Key": key or str(uuid.uuid4()),
                "Content-Type": "application/json",
            },
        )

    def send_ok(self, upserts: list[dict[str, Any]] | tuple[()] = (), deletes: Any = ()) -> Any:
        response = self.send(upserts, deletes)
        assert response.status_code == 200, response.text
        return response.json()
