"""The one rule for the online service's address: https, unless it is this computer.

Over plain ``http://`` the client secret, every token and every contact (names, dates
of birth, tax file numbers) would cross the practice's network and the internet in
clear. Only loopback (the local sandbox, a test server) may use plain http, because
those bytes never leave the computer. Every path that takes an address goes through
:func:`require_secure_service_url`: loading settings, ``activate``, the GUI's set-up,
and the online client itself before it sends anything.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Final

import httpx

from engine.errors import InsecureServiceUrl

SECURE_SCHEME: Final = "https"
PLAIN_SCHEME: Final = "http"
#: The one name plain http may use: it must also resolve to loopback only. Other
#: "localhost" spellings (``localhost.``, ``x.localhost``, ``ip6-localhost``) go to DNS
#: or a hosts file the rule can't vouch for, and a proxy would resolve them its own way.
LOOPBACK_NAME: Final = "localhost"


def _resolves_to_loopback_only(name: str) -> bool:
    """What connecting to ``name`` would reach: every address must be loopback."""
    try:
        found = socket.getaddrinfo(name, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return False
    addresses = {str(entry[4][0]).split("%")[0] for entry in found}
    return bool(addresses) and all(ipaddress.ip_address(a).is_loopback for a in addresses)


def is_loopback_host(host: str) -> bool:
    """True when a connection to ``host`` really stays on this computer: a 127.0.0.0/8 or
    ``::1`` address (any spelling), or ``localhost`` when it resolves to loopback only.
    (The agent never sends plain http through a proxy: see engine.online.network.)"""
    name = host.strip("[]").lower()
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        pass
    return name == LOOPBACK_NAME and _resolves_to_loopback_only(name)


def service_url_problem(url: str) -> str | None:
    """Why ``url`` can't be the online service's address, or None when it can."""
    if "://" not in url:  # half-typed: "127.0.0.1:37700", "practice.example.com"
        return f"'{url}' is missing its beginning: add https:// at the start"
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError, ValueError):
        return f"'{url}' is not a web address"
    scheme = parsed.scheme.lower()
    if not parsed.host:
        return f"'{url}' has no host name"
    if scheme == SECURE_SCHEME:
        return None
    if scheme == PLAIN_SCHEME and is_loopback_host(parsed.host):
        return None
    if scheme == PLAIN_SCHEME:
        return (
            f"'{url}' is plain http: the client secret and every contact would be sent unencrypted"
        )
    return f"'{url}' uses {scheme or 'no'} scheme; only https is accepted"


def require_secure_service_url(url: str, where: str = "") -> None:
    """Raise :class:`InsecureServiceUrl` naming the fix unless ``url`` is acceptable."""
    problem = service_url_problem(url)
    if problem is None:
        return
    place = f" ({where})" if where else ""
    raise InsecureServiceUrl(
        f"The online service address{place} is refused: {problem}.",
        "Use the service's https:// address; plain http:// is allowed only for this "
        "computer (127.0.0.1, [::1] or localhost).",
    )
