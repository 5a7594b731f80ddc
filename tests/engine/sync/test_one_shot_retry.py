"""One-shot calls (verify, activate, sync_once) ride out a flaky service until a deadline.

The service fails a quarter of its sync requests (500, 503 and 429 with Retry-After,
dropped connections), for several seeds; every call still gets the right answer. When
the service is gone for good, the call gives up after its deadline and says how long it
tried and what failed last. The fault sequence depends only on the seed and the order of
requests, so each seed replays exactly.
"""

from __future__ import annotations

import re
import socket
import time
from pathlib import Path

import httpx
import pytest

from engine.api import CheckId, Engine
from engine.errors import (
    CheckpointConflict,
    CredentialsRejected,
    GaveUp,
    OnlineProtocolError,
    RequestRefused,
    TransientOnlineError,
    UserFacingError,
)
from engine.local.config import EngineConfig
from engine.online.client import Credentials
from engine.status.events import EngineEvent, EventKind
from engine.status.model import Reason
from engine.sync.retry import RetryNotice, backoff, classify
from sampledata.sqlite_file import generate_reference_database
from tests.engine.conftest import activate, config_for, desktop
from tests.sandbox_harness import running_sandbox

SEEDS = (1, 2, 3, 4)


async def test_verify_and_sync_once_get_the_right_answer_through_a_quarter_of_faults(
    tmp_path: Path,
) -> None:
    notices: list[RetryNotice] = []
    for seed in SEEDS:
        folder = tmp_path / f"seed-{seed}"
        db = folder / "practice.db"
        folder.mkdir()
        generate_reference_database(db, contacts=150, seed=seed)
        with running_sandbox(folder, fault_rate=0.25, fault_seed=seed) as sandbox:
            engine = Engine(
                config_for(db, sandbox, retry_for=60.0, page_size=40, batch_bytes=20_000),
                on_retry=notices.append,
            )
            try:
                await activate(engine)
                await engine.sync_once()
                for _ in range(3):
                    report = await engine.verify()
                    assert report.identical, (seed, report.summary())
                    assert report.desktop_count == 150
                edits = desktop(db)
                edits.execute('DELETE FROM "Contact" WHERE "ContactID" = 5')
                edits.execute('UPDATE "Contact" SET "Email" = \'x@y.au\' WHERE "ContactID" = 9')
                edits.close()
                report = await engine.verify()
                # (contacts related to 5 changed too: their relationships name it)
                assert report.extra == [5] and 9 in report.stale, (seed, report.summary())
                await engine.sync_once()
                assert (await engine.verify()).identical, seed
            finally:
                await engine.aclose()
    # The seeds are fixed, so the faults met are too: some retries happened.
    assert notices, "no fault was met; the test did not test retrying"
    assert all(n.failure.transient and n.attempt >= 1 for n in notices)


async def test_a_service_gone_for_good_gives_up_after_the_deadline_saying_why(
    tmp_path: Path,
) -> None:
    db = tmp_path / "practice.db"
    generate_reference_database(db, contacts=30, seed=3)
    with running_sandbox(tmp_path) as sandbox:
        config = config_for(db, sandbox, retry_for=2.0)
        engine = Engine(config)
        try:
            await activate(engine)
            await engine.sync_once()
        finally:
            await engine.aclose()
    # The sandbox is stopped: every connection is refused from now on.
    notices: list[RetryNotice] = []
    engine = Engine(config, on_retry=notices.append)
    try:
        started = time.monotonic()
        with pytest.raises(GaveUp) as verify_gave_up:
            await engine.verify()
        assert time.monotonic() - started >= 2.0  # it kept trying until the deadline
        message = str(verify_gave_up.value)
        assert re.search(r"after trying for \d+ s \(\d+ tries\)", message)
        assert "can't be reached (ConnectError" in message  # what failed last
        assert "internet connection" in message  # what to do
        assert "retried automatically" not in message
        assert notices, "no retry was reported before giving up"
        with pytest.raises(UserFacingError) as sync_gave_up:
            await engine.sync_once()
        assert "Gave up on the sync after trying for" in str(sync_gave_up.value)
        assert "can't be reached" in str(sync_gave_up.value)
        assert "keep retrying" not in str(sync_gave_up.value)
        checks = await engine.preflight()
        online = [c for c in checks if c.check is CheckId.ONLINE]
        assert online and not online[0].ok and "Gave up" in online[0].problem
    finally:
        await engine.aclose()


def test_each_failure_means_one_thing() -> None:
    busy = classify(TransientOnlineError("busy", retry_after=7.0))
    assert busy is not None and busy.transient and busy.retry_after == 7.0
    assert busy.reason is Reason.ONLINE_UNREACHABLE
    reset = classify(httpx.ReadError("Connection reset by peer"))
    assert reset is not None and reset.transient
    garbage = classify(OnlineProtocolError("html"))
    assert garbage is not None and garbage.transient and garbage.reason is Reason.ONLINE_ERROR
    refused = classify(RequestRefused(404, "not_found", "no"))
    assert refused is not None and not refused.transient and not refused.immediate
    rejected = classify(CredentialsRejected("x"))
    assert rejected is not None and rejected.immediate
    assert rejected.reason is Reason.CREDENTIALS_REJECTED
    assert classify(CheckpointConflict()) is None  # the agent handles it itself
    assert classify(ValueError("a bug")) is None  # never hidden behind a retry


def test_backoff_grows_with_jitter_and_honours_retry_after_within_bounds() -> None:
    for attempt in range(12):
        wait = backoff(attempt, cap=4.0)
        assert 0.5 * min(4.0, 0.5 * 2**attempt) <= wait <= min(4.0, 0.5 * 2**attempt)
    assert backoff(0, cap=0.2, retry_after=0.9) == 0.9
    assert backoff(0, cap=0.2, retry_after=3600) == pytest.approx(1.0)  # 5 caps at most


def test_no_one_shot_message_promises_an_automatic_retry() -> None:
    assert "retried" not in str(TransientOnlineError("The service is busy (HTTP 503)."))
    assert "retried" not in str(OnlineProtocolError("The service sent HTML."))


def test_the_deadline_and_backoff_cap_are_settings(tmp_path: Path) -> None:
    from engine.errors import SettingsError
    from engine.local.settings import load_settings

    path = tmp_path / "settings.toml"
    path.write_text("[online]\nretry_for_seconds = 30\nmax_backoff_seconds = 2\n")
    settings = load_settings(path)
    assert (settings.retry_for_seconds, settings.max_backoff_seconds) == (30.0, 2.0)
    path.write_text("[online]\nretry_for_seconds = -1\n")
    with pytest.raises(SettingsError, match="retry_for_seconds"):
        load_settings(path)


def closed_port() -> int:
    """A loopback port nothing listens on: a connection to it is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


async def test_each_retry_is_an_event_a_window_can_say_in_plain_words(tmp_path: Path) -> None:
    """The wizard's "trying again" line: every retry of a one-shot call reaches every
    subscriber as a RETRY event, and reads without addresses or exception names."""
    db = tmp_path / "practice.db"
    generate_reference_database(db, contacts=5, seed=1)
    config = EngineConfig(
        source=f"sqlite:{db}",
        online_url=f"http://127.0.0.1:{closed_port()}",
        credentials=Credentials("client", "secret"),
        retry_for=5.0,
        max_backoff=0.2,
    )
    told: list[RetryNotice] = []
    engine = Engine(config, on_retry=told.append)
    events: list[EngineEvent] = []
    engine.subscribe(events.append)
    try:
        checks = await engine.preflight()
    finally:
        await engine.aclose()
    online = [check for check in checks if check.check is CheckId.ONLINE]
    assert online and not online[0].ok and "Gave up" in online[0].problem
    notices = [event.notice for event in events if event.kind is EventKind.RETRY]
    assert len(notices) >= 2 and notices == told  # the listener and the subscribers alike
    assert [notice.attempt for notice in notices if notice] == list(range(1, len(notices) + 1))
    first = notices[0]
    assert first is not None
    line = first.plain()
    assert line.startswith("The online service is not accepting connections. Trying again in ")
    assert "(attempt 2; it keeps trying for up to 5 s)" in line
    assert "127.0.0.1" not in line and "Error" not in line
    assert "Trying again now (attempt 2;" in first.plain(waited=first.wait + 0.01)
