"""Signing in to a running sandbox like a browser would, without one (httpx), for tests
that are about what comes after the sign-in, and the PKCE pieces a program makes."""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

REDIRECT_URI = "http://127.0.0.1:45678/callback"


@dataclass(frozen=True)
class Pkce:
    verifier: str
    challenge: str

    @classmethod
    def new(cls) -> Pkce:
        verifier = secrets.token_urlsafe(48)
        digest = hashlib.sha256(verifier.encode("ascii")).digest()
        return cls(verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii"))


def authorize_params(
    client_id: str, pkce: Pkce, *, state: str = "state-1", redirect_uri: str = REDIRECT_URI
) -> dict[str, str]:
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": pkce.challenge,
        "code_challenge_method": "S256",
        "scope": "sync",
    }


def post_sign_in(
    base_url: str, params: dict[str, str], email: str, password: str
) -> httpx.Response:
    """The sign-in form's post, not following the redirect."""
    body = {**params, "email": email, "password": password, "action": "allow"}
    return httpx.post(
        base_url + "/oauth/authorize",
        content=urlencode(body),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=30,
    )


def returned(response: httpx.Response) -> dict[str, str]:
    """The query the browser is sent back to the program with."""
    assert response.status_code == 303, response.text
    query = urlsplit(response.headers["location"]).query
    return {k: v[0] for k, v in parse_qs(query).items()}


def exchange(base_url: str, form: dict[str, str]) -> httpx.Response:
    return httpx.post(base_url + "/api/v1/oauth/token", data=form, timeout=30)


def sign_in_tokens(base_url: str, client_id: str, email: str, password: str) -> dict[str, Any]:
    """The whole code flow: sign-in post, then the code exchanged with its verifier."""
    pkce = Pkce.new()
    params = authorize_params(client_id, pkce)
    code = returned(post_sign_in(base_url, params, email, password))["code"]
    answer = exchange(
        base_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": REDIRECT_URI,
            "client_id": client_id,
            "code_verifier": pkce.verifier,
        },
    )
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def login(credentials: dict[str, Any], index: int = 0) -> tuple[str, str]:
    """(email, password) of a sign-in user in the sandbox's credentials.json: 0 is the
    practice's online login, 1 the second person."""
    user = credentials["users"][index]
    return user["email"], user["password"]


@contextmanager
def signed_in_browser(base_url: str, credentials: dict[str, Any]) -> Iterator[httpx.Client]:
    """An httpx client holding a signed-in browser session for the contacts page."""
    email, password = login(credentials)
    with httpx.Client(base_url=base_url, timeout=30) as client:
        answer = client.post(
            "/sign-in",
            content=urlencode({"email": email, "password": password, "next": "/"}),
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert answer.status_code == 303, answer.text
        yield client


def session_cookie(base_url: str, credentials: dict[str, Any]) -> str:
    """A ``Cookie:`` header value of a signed-in browser session, for raw requests."""
    with signed_in_browser(base_url, credentials) as browser:
        return "; ".join(f"{name}={value}" for name, value in browser.cookies.items())


def follow_as_person(url: str, email: str, password: str) -> None:
    """A person opening the printed address and signing in (same endpoints, no browser)."""
    from contacts_migration.scripted_sign_in import sign_in_as

    assert sign_in_as(email, password)(url)
