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
from typing import Final

import httpx

from engine.errors import InsecureServiceUrl

SECURE_SCHEME: Final = "https"
PLAIN_SCHEME: Final = "http"
#: Host names that always mean this computer.
LOOPBACK_NAMES: Final = frozenset({"localhost", "localhost.", "ip6-localhost"})


def is_loopback_host(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: bytes that never leave this computer."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


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
        "computer (127.0.0.1 or localhost).",
    )
