"""The OpenAPI document describes the service exactly: its routes, statuses and schemas."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.routing import Route

from engine.contract.document import document_problems
from sandbox.app import create_app
from sandbox.credentials import ensure_credentials
from sandbox.openapi import OPERATIONS, openapi_document
from sandbox.storage import Store
from sandbox.throttle import CLIENT_FAILURE_LIMIT
from tests.sandbox.factories import contact
from tests.sandbox.schema import schema_errors
from tests.sandbox.support import activate, check_documented, documented_operation
from tests.sandbox_harness import RunningSandbox, running_sandbox
from tests.sign_in_support import Pkce, authorize_params, login, sign_in_tokens

DOCUMENT = openapi_document()


def _documented_pairs() -> set[tuple[str, str]]:
    return {
        (method.upper(), path)
        for path, operations in DOCUMENT["paths"].items()
        for method in operations
    }


def test_every_route_is_documented_and_every_documented_route_exists(tmp_path: Path) -> None:
    store = Store(tmp_path / "sandbox.db")
    try:
        app = create_app(store)
        served = {
            (method, route.path)
            for route in app.routes
            if isinstance(route, Route)
            for method in route.methods or ()
            if method != "HEAD"
        }
    finally:
        store.close()
    never_allowed = {(op.method, op.path) for op in OPERATIONS if not op.documented}
    assert served == _documented_pairs() | never_allowed


def test_served_document_is_the_built_one(sandbox_server: RunningSandbox) -> None:
    response = httpx.get(sandbox_server.api_url + "/openapi.json")
    assert response.json() == json.loads(json.dumps(DOCUMENT))
    assert DOCUMENT["openapi"].startswith("3.1")


def _refs(value: Any) -> set[str]:
    if isinstance(value, dict):
        found = {value["$ref"]} if "$ref" in value else set()
        return found.union(*(_refs(v) for v in value.values()))
    if isinstance(value, list):
        return set().union(*(_refs(v) for v in value))
    return set()


def test_every_reference_resolves() -> None:
    schemas = DOCUMENT["components"]["schemas"]
    for ref in _refs(DOCUMENT):
        assert ref.startswith("#/components/schemas/") and ref.rsplit("/", 1)[1] in schemas


def _mutations() -> list[Any]:
    base = contact(7)
    variants: list[Any] = [base, "text", None, {}]
    for key in base:
        missing = copy.deepcopy(base)
        del missing[key]
        variants.append(missing)
        wrong: Any
        for wrong in (5, "x", None, True, [], {}):
            variants.append({**base, key: wrong})
    variants.append({**base, "surprise": None})
    variants.append({**base, "partner": {"code": "a"}})
    variants.append({**base, "partner": None})
    variants.append({**base, "addresses": [{**base["addresses"][0], "primary": "yes"}]})
    variants.append({**base, "relationships": [{**base["relationships"][0], "related_id": "x"}]})
    variants.append({**base, "extra_fields": [{"name": "n", "type": "t"}]})
    return variants


def test_contact_schema_accepts_exactly_what_the_service_accepts() -> None:
    schema = {"$ref": "#/components/schemas/Contact"}
    for doc in _mutations():
        valid_by_schema = not schema_errors(doc, schema, DOCUMENT)
        valid_by_service = not document_problems(doc)
        assert valid_by_schema == valid_by_service, doc


def _observe(observed: dict[tuple[str, str], set[int]]) -> Callable[[httpx.Response], None]:
    def record(response: httpx.Response) -> None:
        request = response.request
        operation = documented_operation(request.method, request.url.path)
        for path, operations in DOCUMENT["paths"].items():
            if operation is not None and operation is operations.get(request.method.lower()):
                observed[(request.method, path)].add(response.status_code)
                return

    return record


def test_every_documented_status_happens(tmp_path: Path) -> None:
    """Trigger every documented (route, status); every response is also checked against
    its documented schema by ``check_documented``."""
    observed: dict[tuple[str, str], set[int]] = defaultdict(set)
    hooks = {"response": [check_documented, _observe(observed)]}

    with running_sandbox(tmp_path / "walk", max_body=20_000) as sandbox:
        sync = sandbox.client("sync", event_hooks=hooks)
        read = sandbox.client("read", event_hooks=hooks)
        anonymous = sandbox.client(None, event_hooks=hooks)
        everyone = (sync, read, anonymous)
        big = {"padding": "x" * 30_000}
        client_id, secret = sandbox.client_credentials("sync")
        form = {"grant_type": "client_credentials", "client_id": client_id}
        with sync, read, anonymous:
            anonymous.get("/openapi.json")
            with httpx.Client(event_hooks=hooks) as browser:
                browser.get(sandbox.url + "/")
                browser.get(sandbox.url + "/", params={"page": "abc"})
            anonymous.post("/oauth/token", data={**form, "client_secret": secret})
            anonymous.post("/oauth/token", data={**form, "client_secret": "wrong"})
            anonymous.post("/oauth/token", data={**form, "grant_type": "password"})
            anonymous.post("/oauth/token", data={**form, **big})
            for _ in range(CLIENT_FAILURE_LIMIT):  # the last is throttled: 429
                anonymous.post("/oauth/token", data={**form, "client_secret": "wrong"})
            for client in everyone:
                client.get("/practice")
                client.get("/terms/current")
                client.get("/sync/state")
                client.get("/contacts")
                client.get("/contacts/hashes")
                client.get("/contacts/1")
                for method in ("POST", "DELETE"):
                    client.request(method, "/practice/activation", json={})
                client.post("/sync/lease", json={"agent_id": "a", "machine": "m"})
                client.post("/sync/batches", json={}, headers={"Idempotency-Key": "k"})
                client.post("/contacts", json={})
                for method in ("PUT", "PATCH", "DELETE"):
                    client.request(method, "/contacts/1", json={})
            for path in ("/practice/activation", "/sync/lease", "/sync/batches"):
                sync.post(path, content=b"{", headers={"Idempotency-Key": "k"})
                sync.post(path, json=big, headers={"Idempotency-Key": "k"})
            sync.get("/contacts", params={"limit": 0})
            sync.get("/contacts/hashes", params={"limit": 0})
            sync.post("/sync/batches", json={})
            sync.post(
                "/sync/batches",
                content=b"{}",
                headers={"Idempotency-Key": "k", "Content-Encoding": "br"},
            )
            sync.post("/sync/lease", json={"agent_id": ""})
            terms = {"terms_version": "old", "accepted_by": "a", "machine": "m"}
            sync.post("/practice/activation", json=terms)
            activate(sync)
            activate(sync)
            epoch = sync.post("/sync/lease", json={"agent_id": "a", "machine": "m"}).json()["epoch"]
            batch = {"epoch": epoch, "base_checkpoint": None, "checkpoint": "1"}
            batch = {**batch, "upserts": [contact(1)], "deletes": []}
            sync.post("/sync/batches", json={**batch, "epoch": 0}, headers={"Idempotency-Key": "a"})
            sync.post("/sync/batches", json=batch, headers={"Idempotency-Key": "b"})
            sync.get("/contacts/1")
            sync.post(
                "/sync/batches", json={**batch, "upserts": [{}]}, headers={"Idempotency-Key": "c"}
            )
        _sign_in_walk(sandbox, hooks)

    with (
        running_sandbox(tmp_path / "faults", fault_rate=1.0, fault_seed=5) as faulty,
        faulty.client("sync", event_hooks=hooks) as sync,
    ):
        for _ in range(30):
            for method, path in (
                ("POST", "/sync/lease"),
                ("GET", "/sync/state"),
                ("GET", "/contacts/hashes"),
                ("POST", "/sync/batches"),
            ):
                with contextlib.suppress(httpx.RemoteProtocolError, httpx.NetworkError):  # dropped
                    sync.request(method, path, json={}, headers={"Idempotency-Key": "k"})

    asyncio.run(_remote_visit(tmp_path, hooks))

    documented = {
        (method.upper(), path): {int(status) for status in operation["responses"]}
        for path, operations in DOCUMENT["paths"].items()
        for method, operation in operations.items()
    }
    missing = {op: sorted(documented[op] - observed[op]) for op in documented}
    assert {op: statuses for op, statuses in missing.items() if statuses} == {}
    assert set(observed) <= set(documented)


def _sign_in_walk(sandbox: RunningSandbox, hooks: dict[str, Any]) -> None:
    """The sign-in routes' statuses: pages, redirects, refusals, throttling, revocation."""
    client_id = sandbox.credentials["clients"]["desktop"]["client_id"]
    email, password = login(sandbox.credentials)
    params = authorize_params(client_id, Pkce.new())
    with httpx.Client(base_url=sandbox.url, event_hooks=hooks, timeout=30) as browser:
        browser.get("/")
        browser.get("/.well-known/oauth-authorization-server")
        for path in ("/oauth/authorize", "/sign-in"):
            browser.get(path, params=params)
        browser.get("/oauth/authorize", params={**params, "redirect_uri": "https://x.example/"})
        browser.post("/oauth/authorize", data={**params, "client_id": "nobody"})
        tokens = sign_in_tokens(sandbox.url, client_id, email, password)
        browser.post("/api/v1/oauth/revoke", data={"client_id": client_id})
        browser.post("/api/v1/oauth/revoke", data={"client_id": "nobody", "token": "t"})
        browser.post(
            "/api/v1/oauth/revoke", data={"client_id": client_id, "token": tokens["refresh_token"]}
        )
        browser.post("/sign-in", data={"email": email, "password": password, "next": "/"})
        browser.get("/")  # signed in now
        browser.get("/", params={"page": "abc"})  # a signed-in browser's bad page address
        browser.post("/oauth/authorize", data={**params, "action": "deny"})
        browser.get("/oauth/authorize", params={**params, "code_challenge_method": "plain"})
        for _ in range(CLIENT_FAILURE_LIMIT + 1):  # the last is throttled: 429
            for path in ("/oauth/authorize", "/sign-in"):
                browser.post(path, data={**params, "email": email, "password": "wrong"})


async def _remote_visit(tmp_path: Path, hooks: dict[str, Any]) -> None:
    """The page's 401: only reachable from another machine, so done in-process."""
    store = Store(tmp_path / "remote.db")
    try:
        ensure_credentials(tmp_path, store, "http://testserver", None)
        transport = httpx.ASGITransport(create_app(store), client=("203.0.113.9", 50000))
        async_hooks = {"response": [_async(hook) for hook in hooks["response"]]}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://testserver", event_hooks=async_hooks
        ) as client:
            await client.get("/", headers={"Authorization": "Bearer unknown"})
    finally:
        store.close()


def _async(hook: Callable[[httpx.Response], None]) -> Callable[[httpx.Response], Any]:
    async def run(response: httpx.Response) -> None:
        await response.aread()
        hook(response)

    return run


#: The sign-in's routes: a person's password or the program's code, never a token.
SIGN_IN = (
    "/oauth/authorize",
    "/sign-in",
    "/.well-known/oauth-authorization-server",
    "/api/v1/oauth/revoke",
)


@pytest.mark.parametrize("scope", ["sync", "read"])
def test_security_requirements_match_scopes(scope: str) -> None:
    for path, operations in DOCUMENT["paths"].items():
        for method, operation in operations.items():
            if path in ("/", "/api/v1/openapi.json", "/api/v1/oauth/token") or path in SIGN_IN:
                assert operation["security"] == []
            elif method == "get" and path != "/api/v1/contacts/hashes":  # hashes: sync only
                assert operation["security"] == [{"oauth2": ["read"]}], path
            else:
                assert operation["security"] == [{"oauth2": ["sync"]}], (method, path)
    del scope
