"""The engine's browser sign-in against the real sandbox: the loopback listener refuses
an answer with another ``state``, the agent keeps rotating its refresh token, a replayed
old refresh token revokes the whole sign-in (red at once, "sign in again"), and the agent
resumes on its own after a new sign-in."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from contacts_migration.scripted_sign_in import sign_in_as
from engine.api import Engine
from engine.contract.wire import DESKTOP_CLIENT_ID
from engine.errors import SignInFailed
from engine.local.paths import app_paths
from engine.local.sign_in_store import SavedSignIn
from engine.online.client import Credentials
from engine.online.sign_in import SignInTokens, sign_in_with_browser
from engine.status.model import Light, Reason, Status
from tests.engine.conftest import activate, config_for
from tests.sandbox_harness import RunningSandbox, running_sandbox
from tests.sign_in_support import exchange, login

#: Generous deadlines for a busy 2-core machine (conditions, not timings).
DEADLINE = 60.0


def _practice_login(database: Path) -> str:
    import sqlite3

    with sqlite3.connect(database) as conn:
        row = conn.execute(
            "SELECT Value FROM PracticeSetting WHERE Name = 'Practice.MyobEmail'"
        ).fetchone()
    return str(row[0])


@pytest.fixture
def online(tmp_path: Path, practice_db: Path) -> Iterator[RunningSandbox]:
    """Access tokens live 2 s, so the agent spends (and rotates) its refresh token often."""
    with running_sandbox(
        tmp_path, login_email=_practice_login(practice_db), token_lifetime=2
    ) as sandbox:
        yield sandbox


async def _until(engine: Engine, predicate: object, what: str) -> Status:
    deadline = time.monotonic() + DEADLINE
    while True:
        status = engine.status()
        if predicate(status):  # type: ignore[operator]
            return status
        if time.monotonic() > deadline:
            raise AssertionError(f"not {what} within {DEADLINE} s; last: {status}")
        await asyncio.sleep(0.05)


async def _signed_in(sandbox: RunningSandbox, index: int = 0) -> SignInTokens:
    email, password = login(sandbox.credentials, index)
    return await sign_in_with_browser(sandbox.url, open_browser=sign_in_as(email, password))


async def test_an_answer_with_another_state_is_refused_and_the_real_one_wins(
    online: RunningSandbox,
) -> None:
    email, password = login(online.credentials)
    forged: list[int] = []

    def browser(url: str) -> bool:
        redirect = dict(parse_qsl(urlsplit(url).query))["redirect_uri"]
        answer = httpx.get(redirect, params={"code": "attacker-code", "state": "forged"})
        forged.append(answer.status_code)
        return sign_in_as(email, password)(url)

    tokens = await sign_in_with_browser(online.url, open_browser=browser)
    assert forged == [400]
    assert tokens.email.casefold() == email.casefold()
    assert "refresh" not in repr(tokens) and tokens.refresh_token not in repr(tokens)


async def test_a_cancelled_sign_in_says_so(online: RunningSandbox) -> None:
    def cancel(url: str) -> bool:
        parts = urlsplit(url)
        form = {**dict(parse_qsl(parts.query)), "action": "deny"}
        answer = httpx.post(f"{parts.scheme}://{parts.netloc}{parts.path}", data=form)
        httpx.get(answer.headers["location"])
        return True

    with pytest.raises(SignInFailed, match="cancelled"):
        await sign_in_with_browser(online.url, open_browser=cancel)


async def test_replayed_refresh_token_is_red_sign_in_again_then_resumes(
    online: RunningSandbox, practice_db: Path
) -> None:
    first = await _signed_in(online)
    keeper = SavedSignIn(app_paths(), online.url)
    keeper.save(first)
    credentials = Credentials(DESKTOP_CLIENT_ID, "", keeper)
    engine = Engine(config_for(practice_db, online, credentials=credentials, liveness_interval=0.5))
    try:
        await activate(engine)
        await engine.start()
        await _until(engine, lambda s: s.light is Light.GREEN and s.last_sync_at, "green")
        deadline = time.monotonic() + DEADLINE
        while keeper.load().refresh_token == first.refresh_token:  # type: ignore[union-attr]
            assert time.monotonic() < deadline, "the agent never refreshed its sign-in"
            await asyncio.sleep(0.1)

        # someone replays the first (already spent) refresh token: the family is revoked
        stolen = {"grant_type": "refresh_token", "client_id": DESKTOP_CLIENT_ID}
        replay = exchange(online.url, {**stolen, "refresh_token": first.refresh_token})
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"

        red = await _until(engine, lambda s: s.reason is Reason.SIGN_IN_AGAIN, "sign in again")
        assert red.light is Light.RED
        assert "sign in again" in red.fix.lower()

        keeper.save(await _signed_in(online))  # a person signs in again
        await _until(engine, lambda s: s.light is Light.GREEN and s.reason is None, "green again")
    finally:
        await engine.stop()
        await engine.aclose()
