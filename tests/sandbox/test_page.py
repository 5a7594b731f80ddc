"""The read-only contacts page: escaped, searchable, paged, and private to this machine."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import httpx
import pytest

from sandbox.app import create_app
from sandbox.credentials import ensure_credentials
from sandbox.storage import Store
from tests.sandbox.factories import contact
from tests.sandbox.support import Agent, activate, api
from tests.sandbox_harness import RunningSandbox
from tests.sign_in_support import signed_in_browser

NASTY_NAME = '<script>alert("x")</script> & Co'
NASTY_EMAIL = 'a"><img src=x onerror=alert(1)>@example.com'


@pytest.mark.sandbox_options(practice_name="Smith & <Sons> Accountants")
def test_page_lists_contacts_escaped_and_searchable(sandbox_server: RunningSandbox) -> None:
    with api(sandbox_server) as client:
        activate(client)
        agent = Agent(client)
        docs = [contact(i, code=f"C{i:03d}") for i in range(1, 61)]
        docs.append(contact(500, main_name=NASTY_NAME, email=NASTY_EMAIL, code="EVIL"))
        agent.send_ok(docs)

    with signed_in_browser(sandbox_server.url, sandbox_server.credentials) as browser:
        page = browser.get("/")
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        html = page.text
        assert "<title>Smith &amp; &lt;Sons&gt; Accountants — contacts</title>" in html
        assert "61 contacts online" in html
        assert "C001" in html and "Alex Person1" in html
        assert "C051" not in html  # 50 per page
        assert "<script>alert" not in html and "<img" not in html

        next_link = re.search(r'href="([^"]*after=[^"]*)"', html)
        assert next_link is not None
        second = browser.get(next_link.group(1).replace("&amp;", "&")).text
        assert "C051" in second and "C060" in second and "C001" not in second
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in second
        assert "a&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@example.com" in second
        assert "<script>alert" not in second and "<img" not in second

        found = browser.get("/", params={"q": "<script>"}).text
        assert "EVIL" in found and "C001" not in found
        assert 'value="&lt;script&gt;"' in found

        reflected = browser.get("/", params={"q": '"><b>bold</b>'}).text
        assert "<b>bold" not in reflected
        assert "No contacts match this search." in reflected


def test_page_needs_a_signed_in_browser_or_a_read_token(tmp_path: Path) -> None:
    """In-process, from loopback or not: no session, no page (the sign-in page instead)."""
    store = Store(tmp_path / "sandbox.db")
    credentials, _ = ensure_credentials(tmp_path, store, "http://testserver", None)
    read = credentials.as_json()["clients"]["read"]
    transport = httpx.ASGITransport(create_app(store), client=("203.0.113.9", 50000))

    async def visit() -> None:
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            refused = await client.get("/?q=x")
            assert refused.status_code == 303
            assert refused.headers["location"] == "/sign-in?next=%2F%3Fq%3Dx"
            wrong = await client.get("/", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            assert wrong.json()["error"] == "invalid_token"
            issued = await client.post(
                "/api/v1/oauth/token", data={"grant_type": "client_credentials", **read}
            )
            token = issued.json()["access_token"]
            allowed = await client.get("/", headers={"Authorization": f"Bearer {token}"})
            assert allowed.status_code == 200
            assert "Demo Practice" in allowed.text

    try:
        asyncio.run(visit())
    finally:
        store.close()
