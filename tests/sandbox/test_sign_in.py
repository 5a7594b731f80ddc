"""The browser sign-in on the real sandbox process: authorization code + PKCE S256 over
a loopback redirect, rotating refresh tokens, revocation, and the attacks on each."""

from __future__ import annotations

import json
import sqlite3
import stat
from urllib.parse import urlsplit

import httpx
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata

from engine.contract.wire import DESKTOP_CLIENT_ID
from tests.sandbox_harness import RunningSandbox
from tests.sign_in_support import (
    REDIRECT_URI,
    Pkce,
    authorize_params,
    exchange,
    login,
    post_sign_in,
    returned,
    sign_in_tokens,
)


def _desktop(sandbox: RunningSandbox) -> str:
    return str(sandbox.credentials["clients"]["desktop"]["client_id"])


def _code_form(client_id: str, code: str, verifier: str) -> dict[str, str]:
    return {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": client_id,
        "code_verifier": verifier,
    }


def test_credentials_name_the_users_and_the_store_keeps_only_hashes(
    sandbox: RunningSandbox,
) -> None:
    path = sandbox.data_dir / "credentials.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data["clients"]["desktop"]["client_id"] == DESKTOP_CLIENT_ID
    assert "client_secret" not in data["clients"]["desktop"]
    emails = [u["email"] for u in data["users"]]
    assert len(emails) == 2 and emails[0] != emails[1]
    accounts = sandbox.data_dir / "accounts.db"
    assert stat.S_IMODE(accounts.stat().st_mode) == 0o600
    with sqlite3.connect(accounts) as conn:
        hashes = [row[0] for row in conn.execute("SELECT password_hash FROM users")]
    assert len(hashes) == 2 and all(h.startswith("scrypt$") for h in hashes)
    raw = accounts.read_bytes()
    for user in data["users"]:
        assert user["password"].encode() not in raw


def test_metadata_is_rfc8414_and_offers_only_s256(sandbox: RunningSandbox) -> None:
    answer = httpx.get(sandbox.url + "/.well-known/oauth-authorization-server", timeout=10)
    assert answer.status_code == 200
    metadata = AuthorizationServerMetadata(answer.json())
    metadata.validate()
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["issuer"] == sandbox.url
    assert metadata["authorization_endpoint"] == sandbox.url + "/oauth/authorize"


def test_sign_in_page_is_escaped_csp_clean_and_host_checked(sandbox: RunningSandbox) -> None:
    params = authorize_params(_desktop(sandbox), Pkce.new(), state='"><script>x</script>')
    page = httpx.get(sandbox.url + "/oauth/authorize", params=params, timeout=10)
    assert page.status_code == 200
    assert "<script>x" not in page.text and "&quot;&gt;&lt;script&gt;" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src" not in csp and "default-src 'none'" in csp
    assert "form-action 'self' http://127.0.0.1:45678" in csp
    rebound = httpx.get(
        sandbox.url + "/oauth/authorize",
        params=params,
        headers={"Host": "attacker.example"},
        timeout=10,
    )
    assert rebound.status_code == 400 and rebound.json()["error"] == "invalid_host"


def test_code_flow_then_refresh_rotation_and_replay_revokes_the_family(
    sandbox: RunningSandbox,
) -> None:
    client_id = _desktop(sandbox)
    email, password = login(sandbox.credentials)
    first = sign_in_tokens(sandbox.url, client_id, email, password)
    assert first["signed_in_as"].lower() == email.lower()
    api = httpx.Client(base_url=sandbox.api_url, timeout=10)
    bearer = {"Authorization": f"Bearer {first['access_token']}"}
    assert api.get("/practice", headers=bearer).status_code == 200

    refresh = {"grant_type": "refresh_token", "client_id": client_id}
    second = exchange(sandbox.url, {**refresh, "refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    rotated = second.json()
    assert rotated["refresh_token"] != first["refresh_token"]

    replay = exchange(sandbox.url, {**refresh, "refresh_token": first["refresh_token"]})
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # the whole family is revoked: the newest refresh token and its access token too
    newest = exchange(sandbox.url, {**refresh, "refresh_token": rotated["refresh_token"]})
    assert newest.status_code == 400 and newest.json()["error"] == "invalid_grant"
    latest_bearer = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert api.get("/practice", headers=latest_bearer).status_code == 401


def test_codes_are_single_use_and_bound_to_the_verifier_and_address(
    sandbox: RunningSandbox,
) -> None:
    client_id = _desktop(sandbox)
    email, password = login(sandbox.credentials)
    pkce = Pkce.new()
    code = returned(post_sign_in(sandbox.url, authorize_params(client_id, pkce), email, password))[
        "code"
    ]
    wrong_verifier = exchange(sandbox.url, _code_form(client_id, code, Pkce.new().verifier))
    assert wrong_verifier.status_code == 400 and wrong_verifier.json()["error"] == "invalid_grant"
    # the failed attempt spent the code: the right verifier is now too late
    spent = exchange(sandbox.url, _code_form(client_id, code, pkce.verifier))
    assert spent.status_code == 400

    pkce = Pkce.new()
    code = returned(post_sign_in(sandbox.url, authorize_params(client_id, pkce), email, password))[
        "code"
    ]
    other_address = {
        **_code_form(client_id, code, pkce.verifier),
        "redirect_uri": REDIRECT_URI + "x",
    }
    assert exchange(sandbox.url, other_address).status_code == 400

    pkce = Pkce.new()
    code = returned(post_sign_in(sandbox.url, authorize_params(client_id, pkce), email, password))[
        "code"
    ]
    assert exchange(sandbox.url, _code_form(client_id, code, pkce.verifier)).status_code == 200
    replayed = exchange(sandbox.url, _code_form(client_id, code, pkce.verifier))
    assert replayed.status_code == 400 and replayed.json()["error"] == "invalid_grant"


def test_plain_pkce_and_non_loopback_addresses_are_refused(sandbox: RunningSandbox) -> None:
    client_id = _desktop(sandbox)
    plain = {**authorize_params(client_id, Pkce.new()), "code_challenge_method": "plain"}
    answer = httpx.get(sandbox.url + "/oauth/authorize", params=plain, timeout=10)
    assert answer.status_code == 303
    assert returned(answer) == {"error": "invalid_request", "state": "state-1"}

    for address in (
        "https://attacker.example/callback",
        "http://localhost:45678/callback",
        "http://127.0.0.1/callback",
        "http://10.0.0.5:45678/callback",
    ):
        params = authorize_params(client_id, Pkce.new(), redirect_uri=address)
        page = httpx.get(sandbox.url + "/oauth/authorize", params=params, timeout=10)
        assert page.status_code == 400, address
        assert "location" not in page.headers
        assert "not a loopback address" in page.text

    unknown = authorize_params("someone-else", Pkce.new())
    assert (
        httpx.get(sandbox.url + "/oauth/authorize", params=unknown, timeout=10).status_code == 400
    )


def test_wrong_passwords_are_refused_then_throttled(sandbox: RunningSandbox) -> None:
    client_id = _desktop(sandbox)
    email, password = login(sandbox.credentials)
    params = authorize_params(client_id, Pkce.new())
    statuses = [post_sign_in(sandbox.url, params, email, "wrong").status_code for _ in range(10)]
    assert statuses == [401] * 10
    locked = post_sign_in(sandbox.url, params, email, password)  # even the right one
    assert locked.status_code == 429
    assert int(locked.headers["retry-after"]) >= 1
    assert "Too many wrong passwords" in locked.text


def test_revocation_ends_the_sign_in(sandbox: RunningSandbox) -> None:
    client_id = _desktop(sandbox)
    email, password = login(sandbox.credentials)
    tokens = sign_in_tokens(sandbox.url, client_id, email, password)
    revoked = httpx.post(
        sandbox.api_url + "/oauth/revoke",
        data={"token": tokens["refresh_token"], "client_id": client_id},
        timeout=10,
    )
    assert revoked.status_code == 200
    refused = exchange(
        sandbox.url,
        {
            "grant_type": "refresh_token",
            "client_id": client_id,
            "refresh_token": tokens["refresh_token"],
        },
    )
    assert refused.status_code == 400
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert httpx.get(sandbox.api_url + "/practice", headers=bearer, timeout=10).status_code == 401


def test_the_page_signs_in_and_comes_back(sandbox: RunningSandbox) -> None:
    email, password = login(sandbox.credentials, 1)
    with httpx.Client(base_url=sandbox.url, timeout=10) as browser:
        first = browser.get("/?q=Smith")
        assert first.status_code == 303
        form = browser.get(first.headers["location"])
        assert form.status_code == 200 and 'name="next" value="/?q=Smith"' in form.text
        signed = browser.post(
            "/sign-in", data={"email": email, "password": password, "next": "/?q=Smith"}
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/?q=Smith"
        assert "httponly" in signed.headers["set-cookie"].lower()
        page = browser.get("/?q=Smith")
        assert page.status_code == 200 and "contacts online" in page.text
        away = browser.post(
            "/sign-in", data={"email": email, "password": password, "next": "//evil.example/"}
        )
        assert urlsplit(away.headers["location"]).netloc == ""
