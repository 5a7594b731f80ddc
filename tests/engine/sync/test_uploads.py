"""Compressed, pipelined uploads against the real sandbox: the coding both sides know is
used, a failure in the middle of a pipeline is handled alone and the batches behind it are
resent by key, and the end is always identical to the desktop."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from engine.api import Engine
from engine.online.client import Credentials, OnlineClient
from engine.online.compression import ContentEncoding, choose_encoding
from tests.engine.conftest import activate, config_for, desktop
from tests.sandbox_harness import running_sandbox


def _batch_log(data_dir: Path) -> list[tuple[int, int]]:
    with sqlite3.connect(data_dir / "sandbox.db") as store:
        return list(store.execute("SELECT epoch, upserts FROM batch_log ORDER BY seq"))


def _encodings_used(log_dir: Path) -> str:
    return "".join(path.read_text(errors="replace") for path in log_dir.glob("*.stderr"))


@pytest.mark.parametrize(
    ("offered", "expected"),
    [
        ("zstd, gzip", ContentEncoding.ZSTD),
        ("gzip, zstd", ContentEncoding.ZSTD),
        ("gzip", ContentEncoding.GZIP),
        ("br, gzip;q=0.5", ContentEncoding.GZIP),
        ("zstd;q=0, gzip", ContentEncoding.GZIP),
        ("identity", ContentEncoding.IDENTITY),
        ("", ContentEncoding.IDENTITY),
    ],
)
def test_the_best_coding_both_sides_know_is_chosen(offered: str, expected: ContentEncoding) -> None:
    assert choose_encoding(offered) is expected


@pytest.mark.parametrize(
    ("accepted", "expected"),
    [
        ("zstd,gzip", ContentEncoding.ZSTD),
        ("gzip", ContentEncoding.GZIP),
        ("none", ContentEncoding.IDENTITY),
    ],
)
async def test_migration_negotiates_the_coding_and_arrives_identical(
    tmp_path: Path, practice_db: Path, accepted: str, expected: ContentEncoding
) -> None:
    with running_sandbox(tmp_path, accept_encoding=accepted) as sandbox:
        client_id, secret = sandbox.client_credentials("sync")
        async with OnlineClient(sandbox.url, Credentials(client_id, secret)) as online:
            assert online.request_encoding is ContentEncoding.IDENTITY  # until it is told
            await online.sync_state()
            assert online.request_encoding is expected
        engine = Engine(config_for(practice_db, sandbox, batch_bytes=30_000))
        try:
            await activate(engine)
            await engine.sync_once()
            report = await engine.verify()
            counters = engine.counters()
        finally:
            await engine.aclose()
        assert report.identical, report.summary()
        assert report.desktop_count == 300
        assert counters.batches_accepted >= 5  # several batches, so several were in flight
        # a 415 (a compressed body the service refused) never happened
        assert " 415" not in _encodings_used(tmp_path / "sandbox-logs")


async def test_a_failure_in_the_middle_of_the_pipeline_converges(
    tmp_path: Path, practice_db: Path
) -> None:
    """One contact is larger than the service accepts: the batch holding it fails (413)
    while the batches behind it are in flight; it is split until that contact is set
    aside, the ones behind are resent with their keys, and nothing else is lost."""
    db = desktop(practice_db)
    ids = [row[0] for row in db.execute('SELECT "ContactID" FROM "Contact" ORDER BY 1')]
    big = ids[len(ids) // 2]
    db.execute('UPDATE "Contact" SET "Notes" = ? WHERE "ContactID" = ?', ("n" * 60_000, big))
    db.close()
    with running_sandbox(tmp_path, max_body=50_000) as sandbox:
        engine = Engine(config_for(practice_db, sandbox, batch_bytes=40_000))
        try:
            await activate(engine)
            status = await engine.sync_once()
            counters = engine.counters()
            report = await engine.verify()
        finally:
            await engine.aclose()
        assert [item.contact_id for item in status.set_aside] == [big]
        assert "larger than the online service accepts" in status.set_aside[0].reason
        assert report.desktop_count == 300
        assert report.online_count == 299
        assert report.lost == [big], report.summary()
        assert not report.stale and not report.extra
        assert counters.batch_attempts > counters.batches_accepted  # the 413s
        epochs = {epoch for epoch, _ in _batch_log(sandbox.data_dir)}
        assert len(epochs) == 1
        with sandbox.client("read") as api:
            state = api.get("/sync/state").json()
        assert state["contact_count"] == 299
        assert '"since":null' not in state["checkpoint"]  # the migration pass finished


async def test_transient_failures_while_pipelining_converge(
    tmp_path: Path, practice_db: Path
) -> None:
    """A seeded share of uploads fail (429, 500, 503, dropped connections) while several
    are in flight: retries by key converge on exactly the desktop's contacts."""
    with running_sandbox(tmp_path, fault_rate=0.25, fault_seed=11) as sandbox:
        engine = Engine(config_for(practice_db, sandbox, batch_bytes=20_000, max_backoff=0.05))
        try:
            await activate(engine)
            await engine.sync_once()
            counters = engine.counters()
        finally:
            await engine.aclose()
        checker = Engine(config_for(practice_db, sandbox))
        try:
            report = await checker.verify()
        finally:
            await checker.aclose()
        assert report.identical, report.summary()
        assert counters.retries > 0
        upserted = sum(upserts for _, upserts in _batch_log(sandbox.data_dir))
        assert upserted == 300  # each contact applied exactly once: replays applied nothing
