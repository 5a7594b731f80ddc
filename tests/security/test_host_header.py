"""Attack 2: DNS rebinding. A web page on ``attacker.example`` re-points its name at
127.0.0.1, so the practice's browser sends it ``GET /`` (no token needed from loopback)
with ``Host: attacker.example``. Only the names the service was started for are
answered, so the page and the API stay out of the attacker's reach."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate
from tests.sandbox_harness import RunningSandbox, running_sandbox
from tests.security.support import address, get
from tests.sign_in_support import session_cookie

SECRET_NAME = "Rebinding-Target-Person"


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    folder = tmp_path_factory.mktemp("host")
    with running_sandbox(folder, allowed_host="contacts.practice.lan") as running:
        with running.client("sync") as client:
            activate(client)
            Agent(client).send_ok([contact(1, last_name=SECRET_NAME)])
        yield running


@pytest.mark.parametrize(
    "host",
    [
        "attacker.example:{port}",
        "attacker.example",
        "127.0.0.1.attacker.example:{port}",
        "localhost.attacker.example",
        "evil.example:{port}@127.0.0.1",
        "",
    ],
)
@pytest.mark.parametrize("path", ["/", "/api/v1/contacts", "/api/v1/openapi.json"])
def test_a_foreign_host_name_is_refused(sandbox: RunningSandbox, host: str, path: str) -> None:
    _, port = address(sandbox.url)
    answer = get(sandbox.url, path, host.format(port=port))
    assert answer.status == 400
    assert b"invalid_host" in answer.body
    assert SECRET_NAME.encode() not in answer.body


def test_a_request_without_any_host_is_refused(sandbox: RunningSandbox) -> None:
    answer = get(sandbox.url, "/", None)
    assert answer.status == 400 and SECRET_NAME.encode() not in answer.body


def test_two_host_headers_are_refused(sandbox: RunningSandbox) -> None:
    _, port = address(sandbox.url)
    answer = get(sandbox.url, "/", f"127.0.0.1:{port}", extra="Host: attacker.example\r\n")
    assert answer.status == 400 and SECRET_NAME.encode() not in answer.body


@pytest.mark.parametrize(
    "host", ["127.0.0.1:{port}", "localhost:{port}", "LOCALHOST", "contacts.practice.lan:{port}"]
)
def test_the_names_it_was_started_for_are_answered(sandbox: RunningSandbox, host: str) -> None:
    _, port = address(sandbox.url)
    cookie = session_cookie(sandbox.url, sandbox.credentials)
    answer = get(sandbox.url, "/", host.format(port=port), extra=f"Cookie: {cookie}\r\n")
    assert answer.status == 200
    assert SECRET_NAME.encode() in answer.body


def test_the_refusal_says_how_to_allow_a_name(tmp_path: Path, sandbox: RunningSandbox) -> None:
    answer = get(sandbox.url, "/", "attacker.example")
    assert b"--allowed-host" in answer.body
    assert "invalid_host" in sandbox.stderr()  # and the request log says why
