"""A hostile network and a struggling service: the engine converges, with bounded re-upload.

Faults come from two places at once: the service's own injection (500, 503 and 429 with
Retry-After, dropped connections) and a TCP proxy of the test's own that drops, resets,
delays and truncates connections; tokens expire mid-migration and every request is slow.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

from engine.api import Engine
from sampledata.sqlite_file import generate_reference_database
from tests.engine.conftest import activate, config_for, desktop
from tests.net_proxy import Fault, FaultyProxy
from tests.sandbox_harness import running_sandbox

CONTACTS = 3000


async def test_engine_converges_through_network_faults(tmp_path: Path) -> None:
    seed = int(os.environ.get("CONTACTS_MIGRATION_FAULT_SEED", random.randrange(1 << 30)))
    print(f"\nnetwork fault seed: {seed} (replay: CONTACTS_MIGRATION_FAULT_SEED={seed})")
    db = tmp_path / "practice.db"
    generate_reference_database(db, contacts=CONTACTS, seed=seed % 1000)
    options = {"fault_rate": 0.1, "fault_seed": seed, "token_lifetime": 2, "latency_ms": 10}
    rates = {Fault.DROP: 0.03, Fault.RESET: 0.03, Fault.TRUNCATE: 0.03, Fault.DELAY: 0.05}
    with (
        running_sandbox(tmp_path, **options) as sandbox,
        FaultyProxy(int(sandbox.url.rsplit(":", 1)[1]), seed, rates).running() as proxy,
    ):
        proxied = sandbox.url.rsplit(":", 1)[0] + f":{proxy.port}"
        config = config_for(db, sandbox, online_url=proxied, batch_bytes=40_000, page_size=200)
        direct = Engine(config_for(db, sandbox))
        try:
            await activate(direct)  # a person retries the wizard; the agent must not need to
        finally:
            await direct.aclose()
        engine = Engine(config)
        try:
            await engine.sync_once()
            edits = desktop(db)
            edits.execute(
                'UPDATE "Contact" SET "Email" = \'after@faults.au\' WHERE "ContactID" < 50'
            )
            edits.execute('DELETE FROM "Contact" WHERE "ContactID" BETWEEN 60 AND 70')
            edits.close()
            await engine.sync_once()
        finally:
            counters = engine.counters()
            await engine.aclose()
        direct = Engine(config_for(db, sandbox))
        try:
            report = await direct.verify()
        finally:
            await direct.aclose()
    needed = CONTACTS + 49 + 11
    overhead = counters.contacts_sent / needed - 1
    failed_share = proxy.stats.failed / max(proxy.stats.requests, 1)
    print(
        f"proxy: {proxy.stats.requests} requests, {dict(proxy.stats.faults)}; "
        f"engine: {counters.batch_attempts} upload attempts for {counters.batches_accepted} "
        f"batches, {counters.retries} retries, {counters.contacts_sent} contacts sent for "
        f"{needed} needed (re-upload overhead {overhead:.0%})"
    )
    assert report.identical, report.summary()
    assert counters.retries > 0 and proxy.stats.failed > 0
    assert overhead < 1.0, "retries re-sent more than the whole practice again"
    assert failed_share > 0.02
