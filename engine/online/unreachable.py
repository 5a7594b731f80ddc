"""What was seen when the online service could not be used, and the advice for each.

Apart from :mod:`engine.online.network` (which reads the kind from an httpx error) so the
error tree (:mod:`engine.errors`) can carry the words without importing the network code.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Unreachable(StrEnum):
    """What was observed when the online service could not be used; each has its advice."""

    NO_NETWORK = "no_network"
    NAME_NOT_FOUND = "name_not_found"
    REFUSED = "refused"
    NOT_ANSWERING = "not_answering"
    DROPPED = "dropped"
    PROXY = "proxy"
    CERTIFICATE = "certificate"
    FAILING = "failing"


#: One plain sentence and the advice for each observation, in words a practice manager
#: can act on (the settings-file details are in ``engine.texts.OBSERVED_WORDS``'s "For IT").
UNREACHABLE_TEXT: Final[dict[Unreachable, tuple[str, str]]] = {
    Unreachable.NO_NETWORK: (
        "This computer has no network connection.",
        "Check this computer's network cable or Wi-Fi; it will retry by itself.",
    ),
    Unreachable.NAME_NOT_FOUND: (
        "The online service's address can't be found.",
        "Check this computer can open web sites; if it can, ask IT to check the online "
        "service's address. It will retry by itself.",
    ),
    Unreachable.REFUSED: (
        "The online service is not accepting connections.",
        "The service may be down or restarting; it will retry by itself. If this lasts, "
        "call the online service's support.",
    ),
    Unreachable.NOT_ANSWERING: (
        "The online service is not answering.",
        "The service, or the internet connection to it, is slow or down; it will retry by itself.",
    ),
    Unreachable.DROPPED: (
        "The connection to the online service keeps breaking.",
        "Check the VPN or internet connection of this computer; it will retry by itself.",
    ),
    Unreachable.PROXY: (
        "The proxy server refused the connection to the online service.",
        "Ask IT to let the online service's address through the practice's proxy.",
    ),
    Unreachable.CERTIFICATE: (
        "The online service's secure connection can't be trusted.",
        "Ask IT: the practice's network or security software may be inspecting secure "
        "connections. Nothing is sent until this is fixed.",
    ),
    Unreachable.FAILING: (
        "The online service is answering with errors.",
        "The problem is on the service's side; it will retry by itself. If this lasts, "
        "send a diagnostics file to support.",
    ),
}
