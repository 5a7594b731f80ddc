"""The sandbox's routes, OpenAPI paths and scope checks come from one table
(``sandbox.openapi.OPERATIONS``): what it says is what the running service enforces."""

from __future__ import annotations

from pathlib import Path

import httpx

from engine.contract.wire import API_PREFIX, Scope
from sandbox.app import create_app
from sandbox.openapi import OPERATIONS, openapi_document
from sandbox.storage import Store
from tests.sandbox_harness import RunningSandbox


def _url(sandbox: RunningSandbox, path: str) -> str:
    return sandbox.url + path.replace("{id}", "1")


def test_every_operation_is_routed_and_documented(tmp_path: Path) -> None:
    store = Store(tmp_path / "service.db")
    try:
        app = create_app(store)
    finally:
        store.close()
    routed = {
        (method, route.path)
        for route in app.routes
        for method in getattr(route, "methods", set())
        if method != "HEAD"
    }
    table = {(op.method, op.path) for op in OPERATIONS}
    assert routed == table
    documented = {
        (method.upper(), path)
        for path, operations in openapi_document()["paths"].items()
        for method in operations
    }
    assert documented == {(op.method, op.path) for op in OPERATIONS if op.documented}
    never_allowed = {(op.method, op.path) for op in OPERATIONS if not op.documented}
    # only what is by design always 405: a method of a path that has documented ones
    assert never_allowed and all(
        set(op.responses) <= {401, 403, 405} for op in OPERATIONS if not op.documented
    )
    assert {path for _, path in never_allowed} <= {path for _, path in documented}


def test_each_operation_asks_for_the_scope_its_entry_names(sandbox: RunningSandbox) -> None:
    read = {"Authorization": f"Bearer {sandbox.token('read')}"}
    checked = 0
    with httpx.Client(timeout=10) as client:
        for op in OPERATIONS:
            if op.scope is None or not op.path.startswith(API_PREFIX):
                continue
            anonymous = client.request(op.method, _url(sandbox, op.path))
            assert anonymous.status_code == 401, (op.method, op.path)
            assert anonymous.json()["error"] == "invalid_token"
            if op.scope is Scope.SYNC:
                with_read = client.request(op.method, _url(sandbox, op.path), headers=read)
                assert with_read.status_code == 403, (op.method, op.path)
                assert with_read.json()["error"] == "insufficient_scope"
            checked += 1
    assert checked >= 10
