"""The service answering garbage: a clear error, nothing applied twice, nothing lost.

A transport in front of the real sandbox forwards every request but replaces some
answers to uploads with what broken proxies and misconfigured servers send: an HTML
page, malformed JSON, a 200 with the wrong body, the wrong content type, a redirect to
another host. The engine must treat each as a failure, retry with the same idempotency
key, and end identical.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import httpx

from engine.api import Engine
from engine.status.model import Light, Reason
from tests.engine.conftest import activate, config_for
from tests.engine.sync.test_continuous_sync import wait_for
from tests.sandbox_harness import RunningSandbox

HOSTILE = [
    httpx.Response(
        200, text="<html><body>Gateway error</body></html>", headers={"Content-Type": "text/html"}
    ),
    httpx.Response(
        200, content=b'{"applied_upserts": 3,', headers={"Content-Type": "application/json"}
    ),
    httpx.Response(200, json={"ok": True}),
    httpx.Response(200, text="applied", headers={"Content-Type": "text/plain"}),
    httpx.Response(302, headers={"Location": "https://elsewhere.example/api"}),
]


class Corrupting(httpx.AsyncBaseTransport):
    """Forwards to the real service; replaces every ``every``-th upload answer."""

    def __init__(self, every: int, forward: bool = True) -> None:
        self._inner = httpx.AsyncHTTPTransport()
        self._every = every
        self._forward = forward
        self._uploads = itertools.count(1)
        self._hostile = itertools.cycle(HOSTILE)
        self.replaced = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/sync/batches") and next(self._uploads) % self._every == 0:
            if self._forward:
                real = await self._inner.handle_async_request(request)
                await real.aread()
            self.replaced += 1
            return next(self._hostile)
        return await self._inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self._inner.aclose()


async def test_garbage_answers_are_retried_and_nothing_is_lost(
    practice_db: Path, sandbox: RunningSandbox
) -> None:
    transport = Corrupting(every=3)
    engine = Engine(
        config_for(practice_db, sandbox, batch_bytes=30_000), online_transport=transport
    )
    try:
        await activate(engine)
        await engine.sync_once()
        report = await engine.verify()
        counters = engine.counters()
    finally:
        await engine.aclose()
    assert transport.replaced >= len(HOSTILE)
    assert counters.retries >= transport.replaced
    assert report.identical, report.summary()


async def test_a_service_that_only_answers_garbage_goes_red_and_applies_nothing(
    practice_db: Path, sandbox: RunningSandbox
) -> None:
    transport = Corrupting(every=1, forward=False)
    engine = Engine(config_for(practice_db, sandbox, fault_grace=0.5), online_transport=transport)
    try:
        await activate(engine)
        await engine.start()
        red = await wait_for(engine, lambda s: s.light is Light.RED)
        assert red.reason is Reason.ONLINE_ERROR
        assert (  # any of the HOSTILE answers (several uploads are in flight at once)
            "instead of JSON" in red.detail
            or "redirected" in red.detail
            or "unexpected" in red.detail
            or "malformed JSON" in red.detail
        )
    finally:
        await engine.aclose()
    with sandbox.client("read") as api:
        state = api.get("/sync/state").json()
    assert (state["checkpoint"], state["contact_count"]) == (None, 0)
