"""``credentials.json``: the practice id, the sandbox URL and the two OAuth2 clients.

Written once with fresh secrets (mode 0600, like any secret on disk) and reused on every
later start, so the agent and viewers keep working across restarts; only "url" changes
when the port does. The database keeps digests of the secrets, never the secrets.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Final

from engine.contract.wire import DESKTOP_CLIENT_ID, Scope
from engine.errors import SettingsError
from engine.local.private_files import make_private, write_private_text
from sandbox.auth import sha256_hex
from sandbox.storage import Store

CREDENTIALS_FILE_NAME: Final = "credentials.json"
DEFAULT_PRACTICE_NAME: Final = "Demo Practice"
DESKTOP_CLIENT: Final = "desktop"
#: The practice's online login when ``--login-email`` isn't given.
DEFAULT_LOGIN_EMAIL: Final = "practice.login@demo-practice.example"
#: A second person who can sign in but is not the practice's online login.
OTHER_PERSON_EMAIL: Final = "other.person@demo-practice.example"


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class SignInUser:
    """A person who signs in through the browser (the store keeps only the hash)."""

    email: str
    password: str


@dataclass(frozen=True)
class Credentials:
    practice_id: str
    url: str
    clients: dict[Scope, ClientCredentials]
    #: The desktop program's public client id (browser sign-in, no secret).
    desktop_client_id: str = ""
    users: tuple[SignInUser, ...] = ()

    def as_json(self) -> dict[str, Any]:
        clients: dict[str, Any] = {
            scope.value: {"client_id": c.client_id, "client_secret": c.client_secret}
            for scope, c in self.clients.items()
        }
        if self.desktop_client_id:
            clients[DESKTOP_CLIENT] = {"client_id": self.desktop_client_id}
        return {
            "practice_id": self.practice_id,
            "url": self.url,
            "clients": clients,
            "users": [{"email": u.email, "password": u.password} for u in self.users],
        }


def _new_client(scope: Scope) -> ClientCredentials:
    return ClientCredentials(f"{scope.value}-{secrets.token_hex(8)}", secrets.token_urlsafe(32))


def _load(path: Path) -> Credentials | None:
    if not path.exists():
        return None
    problem = SettingsError(
        f"The sandbox credentials file {path} is damaged.",
        "Delete it and start the sandbox again to create new credentials.",
    )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        clients = {
            Scope(scope): ClientCredentials(str(c["client_id"]), str(c["client_secret"]))
            for scope, c in data["clients"].items()
            if scope != DESKTOP_CLIENT
        }
        if set(clients) != set(Scope):
            raise problem
        desktop = str(data["clients"].get(DESKTOP_CLIENT, {}).get("client_id", ""))
        users = tuple(
            SignInUser(str(u["email"]), str(u["password"])) for u in data.get("users", [])
        )
        return Credentials(
            str(data["practice_id"]), str(data.get("url", "")), clients, desktop, users
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise problem from None


def write_private_json(path: Path, data: Any) -> None:
    """Replace ``path`` atomically with owner-only permissions from the first byte."""
    write_private_text(path, json.dumps(data, indent=2) + "\n")


def _sign_in_users(existing: Credentials | None, login_email: str | None) -> tuple[SignInUser, ...]:
    """The practice's online login (kept, or new with ``login_email``) and a second person."""
    old = {u.email.lower(): u for u in existing.users} if existing else {}
    first = existing.users[0].email if existing and existing.users else DEFAULT_LOGIN_EMAIL
    emails = [login_email or first]
    emails.append(OTHER_PERSON_EMAIL)
    return tuple(
        old.get(email.lower()) or SignInUser(email, secrets.token_urlsafe(12)) for email in emails
    )


def ensure_credentials(
    data_dir: Path,
    store: Store,
    url: str,
    practice_name: str | None,
    login_email: str | None = None,
) -> tuple[Credentials, Path]:
    """Create the practice, clients and sign-in users on first start; reuse (and update
    url, and the login's email when ``login_email`` differs) after."""
    path = data_dir / CREDENTIALS_FILE_NAME
    existing = _load(path)
    practice = store.practice()
    if practice is None:
        practice_id = existing.practice_id if existing else str(uuid.uuid4())
        store.create_practice(practice_id, practice_name or DEFAULT_PRACTICE_NAME)
    else:
        practice_id = practice.practice_id
        if practice_name and practice_name != practice.name:
            store.rename_practice(practice_name)
    clients = existing.clients if existing else {scope: _new_client(scope) for scope in Scope}
    desktop = DESKTOP_CLIENT_ID
    users = _sign_in_users(existing, login_email)
    credentials = Credentials(practice_id, url, clients, desktop, users)
    store.replace_clients(
        [(c.client_id, sha256_hex(c.client_secret), scope.value) for scope, c in clients.items()]
    )
    if existing != credentials:
        write_private_json(path, credentials.as_json())
    else:
        make_private(path)
    return credentials, path


def rotate_secret(data_dir: Path, store: Store, scope: Scope) -> ClientCredentials:
    """Give the client of ``scope`` a new secret (same id) and revoke its tokens, as a
    service does when a secret leaks: agents holding the old one are refused."""
    path = data_dir / CREDENTIALS_FILE_NAME
    existing = _load(path)
    if existing is None:
        raise SettingsError(f"There is no sandbox credentials file in {data_dir}.")
    old = existing.clients[scope]
    new = ClientCredentials(old.client_id, secrets.token_urlsafe(32))
    clients = {**existing.clients, scope: new}
    store.replace_clients(
        [(c.client_id, sha256_hex(c.client_secret), s.value) for s, c in clients.items()]
    )
    store.revoke_tokens(old.client_id)
    write_private_json(path, replace(existing, clients=clients).as_json())
    return new
