"""``credentials.json``: the practice id, the sandbox URL and the two OAuth2 clients.

Written once with fresh secrets (mode 0600, like any secret on disk) and reused on every
later start, so the agent and viewers keep working across restarts; only "url" changes
when the port does. The database keeps digests of the secrets, never the secrets.
"""

from __future__ import annotations

import json
import secrets
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from engine.contract.wire import Scope
from engine.errors import SettingsError
from engine.local.private_files import make_private, write_private_text
from sandbox.auth import sha256_hex
from sandbox.storage import Store

CREDENTIALS_FILE_NAME: Final = "credentials.json"
DEFAULT_PRACTICE_NAME: Final = "Demo Practice"


@dataclass(frozen=True)
class ClientCredentials:
    client_id: str
    client_secret: str


@dataclass(frozen=True)
class Credentials:
    practice_id: str
    url: str
    clients: dict[Scope, ClientCredentials]

    def as_json(self) -> dict[str, Any]:
        return {
            "practice_id": self.practice_id,
            "url": self.url,
            "clients": {
                scope.value: {"client_id": c.client_id, "client_secret": c.client_secret}
                for scope, c in self.clients.items()
            },
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
        }
        if set(clients) != set(Scope):
            raise problem
        return Credentials(str(data["practice_id"]), str(data.get("url", "")), clients)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise problem from None


def write_private_json(path: Path, data: Any) -> None:
    """Replace ``path`` atomically with owner-only permissions from the first byte."""
    write_private_text(path, json.dumps(data, indent=2) + "\n")


def ensure_credentials(
    data_dir: Path, store: Store, url: str, practice_name: str | None
) -> tuple[Credentials, Path]:
    """Create the practice and clients on first start; reuse (and update url) after."""
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
    credentials = Credentials(practice_id, url, clients)
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
    write_private_json(path, Credentials(existing.practice_id, existing.url, clients).as_json())
    return new
