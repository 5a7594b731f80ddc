"""Attack 7: a web page in the practice's browser framing, scripting or sniffing the
service. The page now carries a Content-Security-Policy that allows no script at all
(only its own inline style, by hash), can't be framed and posts forms only to itself;
every answer says nosniff and no-referrer, and every JSON answer is never cached."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator

import pytest

from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate
from tests.sandbox_harness import RunningSandbox, running_sandbox
from tests.security.support import TIMEOUT
from tests.sign_in_support import signed_in_browser


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningSandbox]:
    with running_sandbox(tmp_path_factory.mktemp("headers")) as running:
        with running.client("sync") as client:
            activate(client)
            Agent(client).send_ok([contact(1, tax_file_number="123 456 782")])
        yield running


def _directives(policy: str) -> dict[str, str]:
    return {
        part.strip().split(" ", 1)[0]: part.strip().partition(" ")[2]
        for part in policy.split(";")
        if part.strip()
    }


def test_the_page_allows_no_script_no_framing_and_forms_only_to_itself(
    sandbox: RunningSandbox,
) -> None:
    with signed_in_browser(sandbox.url, sandbox.credentials) as browser:
        response = browser.get("/", timeout=TIMEOUT)
    assert response.status_code == 200
    policy = _directives(response.headers["content-security-policy"])
    assert policy["default-src"] == "'none'"
    assert "script-src" not in policy  # so default-src 'none' forbids every script
    assert policy["frame-ancestors"] == "'none'"
    assert policy["form-action"] == "'self'"
    assert "unsafe-inline" not in response.headers["content-security-policy"]
    # The one inline style is allowed by its hash, and it is the page's style exactly.
    style = re.search(r"<style>(.*?)</style>", response.text, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert policy["style-src"] == f"'sha256-{digest}'"
    assert "<script" not in response.text.lower()
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("scope", "path"),
    [
        ("read", "/contacts"),
        ("read", "/contacts/1"),
        ("sync", "/contacts/hashes"),
        ("read", "/sync/state"),
        ("read", "/practice"),
        ("sync", "/contacts/1"),
        (None, "/contacts"),
        (None, "/nothing-here"),
        (None, "/openapi.json"),
    ],
)
def test_every_json_answer_is_nosniff_and_never_cached(
    sandbox: RunningSandbox, scope: str | None, path: str
) -> None:
    with sandbox.client(scope) as client:
        response = client.get(path)
    assert response.headers["content-type"].startswith("application/json")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
