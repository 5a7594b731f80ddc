"""Compressed, pipelined uploads through the shaping proxy (a real shaped TCP link to the
real sandbox); no timing is asserted, only what went over the wire."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from benchmarks.wan import Scenario, shaping
from benchmarks.wire_data import raw_json_bytes
from engine.api import Engine
from engine.local.paths import HOME_ENV
from sampledata.sqlite_file import generate_reference_database
from tests.engine.conftest import activate, config_for
from tests.sandbox_harness import running_sandbox


async def test_a_migration_through_the_shaped_link_is_compressed_and_pipelined(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    practice_db = tmp_path / "practice.db"
    generate_reference_database(practice_db, contacts=300, seed=7)
    link = Scenario("test", up_mbit=50, down_mbit=100, rtt_ms=10)
    with (
        running_sandbox(tmp_path) as sandbox,
        shaping(sandbox.url, link, tmp_path / "link.json") as shaped,
    ):
        config = config_for(practice_db, sandbox, batch_bytes=30_000)
        engine = Engine(dataclasses.replace(config, online_url=shaped.url))
        try:
            await activate(engine)
            before_up, _ = shaped.carried()
            await engine.sync_once()
            up, down = shaped.carried()
            report = await engine.verify()
            counters = engine.counters()
        finally:
            await engine.aclose()
    assert report.identical, report.summary()
    raw = raw_json_bytes(practice_db)
    # The first batches always go compressed; after its probes the client keeps
    # compressing or not by what it measured (tests/engine/sync/test_coding.py), so only
    # "fewer bytes than the plain JSON" holds whatever this (busy) machine measures.
    assert up - before_up < raw
    assert down > 0
    assert counters.batches_accepted >= 5
    assert counters.batches_pipelined > 0


def test_the_wan_benchmark_runs_pinned_and_co_located(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A small run of ``python -m benchmarks.wan`` (no timing asserted): both placements,
    the coding line and the level table reach the report."""
    from benchmarks.wan import main

    monkeypatch.setenv(HOME_ENV, str(tmp_path / "home"))
    output = tmp_path / "RESULTS.md"
    argv = ["--contacts", "300", "--link", "20", "--edits", "2", "--workdir", str(tmp_path)]
    assert main([*argv, "--output", str(output)]) == 0
    text = output.read_text(encoding="utf-8")
    assert "co-located" in text
    assert "Coding chosen by the client" in text
    assert "zstd level 12:" in text
    assert text.count("| 20/100 Mbit/s") == (2 if "pinned" in text else 1)
