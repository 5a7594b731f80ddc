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
        assert "Contacts 1–50 of 61, by name" in html
        # by name: "Alex Person1", "Alex Person10", ... "Alex Person59", then the rest
        assert "C001" in html and "Alex Person1<" in html
        assert "<script>alert" not in html and "<img" not in html

        next_link = re.search(r'href="([^"]*)" rel="next"', html)
        assert next_link is not None
        second = browser.get(next_link.group(1).replace("&amp;", "&")).text
        assert "Contacts 51–61 of 61, by name" in second
        assert "C001" not in second and "Page 2 of 2" in second
        # "<script>..." sorts before the letters: on the first page, escaped
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in html
        assert "a&quot;&gt;&lt;img src=x onerror=alert(1)&gt;@example.com" in html
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


def _names(html: str) -> list[str]:
    return re.findall(r'<td class="name" data-label="Name">([^<]*)</td>', html)


def test_page_sorts_by_name_pages_and_counts(sandbox_server: RunningSandbox) -> None:
    with api(sandbox_server) as client:
        activate(client)
        people = [
            contact(i, first_name=first, last_name=last, code=f"K{i}", phone=phone)
            for i, (first, last, phone) in enumerate(
                [
                    ("Ethan", "Green", "0477 442 836"),
                    ("Ava", "Brown", "(02) 9999 0000"),
                    ("Zoe", "Adams", None),
                    ("Ethan", "Greenwood", "0400-000-000"),
                ],
                start=1,
            )
        ]
        filler = [contact(i, first_name="Mia", last_name=f"Filler{i:04d}") for i in range(5, 1105)]
        Agent(client).send_ok(people + filler)

    with signed_in_browser(sandbox_server.url, sandbox_server.credentials) as browser:
        first = browser.get("/").text
        assert "1,104 contacts online" in first
        assert "Contacts 1–50 of 1,104, by name" in first
        assert _names(first)[:4] == [
            "Ava Brown",
            "Ethan Green",
            "Ethan Greenwood",
            "Mia Filler0005",
        ]
        assert "Page 1 of 23" in first
        assert '<span class="off">« First</span>' in first  # nowhere to go back to

        last = browser.get("/", params={"page": "23"}).text
        assert "Contacts 1,101–1,104 of 1,104, by name" in last
        assert _names(last)[-1] == "Zoe Adams"
        assert 'rel="prev"' in last and 'rel="first"' in last and 'rel="next"' not in last

        middle = browser.get("/", params={"page": "2"}).text
        assert "Contacts 51–100 of 1,104" in middle
        assert all(f'rel="{rel}"' in middle for rel in ("first", "prev", "next", "last"))

        past = browser.get("/", params={"page": "99"})
        assert past.status_code == 200
        assert "There is no page 99; the last page is 23." in past.text


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Ethan Green", ["Ethan Green", "Ethan Greenwood"]),
        ("Green Ethan", ["Ethan Green"]),
        ("Green, Ethan", ["Ethan Green"]),
        ("  green   ETHAN ", ["Ethan Green"]),
        ("K3", ["Zoe Adams"]),
        ("alex3@example.com", ["Zoe Adams"]),
        ("0477442836", ["Ethan Green"]),
        ("0477 442 836", ["Ethan Green"]),
        ("0477-442-836", ["Ethan Green"]),
        ("02 9999", ["Ava Brown"]),
        ("0400000000", ["Ethan Greenwood"]),
        ("nobody", []),
    ],
)
def test_search_finds_a_person_however_they_are_typed(
    sandbox_server: RunningSandbox, query: str, expected: list[str]
) -> None:
    with api(sandbox_server) as client:
        activate(client)
        Agent(client).send_ok(
            [
                contact(1, first_name="Ethan", last_name="Green", phone="0477 442 836", code="K1"),
                contact(2, first_name="Ava", last_name="Brown", phone="(02) 9999 0000", code="K2"),
                contact(3, first_name="Zoe", last_name="Adams", phone=None, code="K3"),
                contact(4, first_name="Ethan", last_name="Greenwood", phone="0400-000-000"),
            ]
        )
    with signed_in_browser(sandbox_server.url, sandbox_server.credentials) as browser:
        html = browser.get("/", params={"q": query}).text
    assert _names(html) == expected
    if expected:
        count = len(expected)
        assert f"{count} match{'' if count == 1 else 'es'} for" in html
    else:
        assert "No contacts match this search." in html


@pytest.mark.parametrize(
    "query", ["after=abc", "after=-5", "after=10", "page=abc", "page=0", "page="]
)
def test_a_bad_page_address_gets_a_clear_answer(sandbox: RunningSandbox, query: str) -> None:
    with signed_in_browser(sandbox.url, sandbox.credentials) as browser:
        answer = browser.get(f"/?{query}")
    assert answer.status_code == 400
    assert answer.headers["content-type"].startswith("text/html")
    assert "Content-Security-Policy" in answer.headers
    assert "page number" in answer.text
    assert '<a href="/">Go to the first page</a>' in answer.text
