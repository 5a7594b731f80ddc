"""How the program proves who it is to the online service."""

from __future__ import annotations

from dataclasses import dataclass, field

from engine.online.sign_in import TokenKeeper


@dataclass(frozen=True)
class Credentials:
    client_id: str
    client_secret: str
    #: A browser sign-in's tokens (refresh-token grant) instead of the secret; None:
    #: client credentials (IT's unattended installs).
    sign_in: TokenKeeper | None = field(default=None, compare=False, repr=False)
