"""Attack (issue #22, 3): "plain http only to this computer" fooled through a proxy.

With ``HTTP_PROXY`` set, ``http://127.0.0.2``, ``http://localhost.``,
``http://contacts.localhost``, ``http://ip6-localhost`` and ``http://[0:0:0:0:0:0:0:1]``
passed the loopback rule, yet the sign-in (client secret in clear) went to the proxy.
Now plain http never goes through a proxy (system or configured), loopback addresses in
any spelling connect directly, and names are accepted only when they resolve to loopback
(just ``localhost``); the other spellings are refused before anything is sent."""

from __future__ import annotations

import threading

import pytest

from engine.errors import InsecureServiceUrl, OnlineError
from engine.online.client import Credentials, OnlineClient
from engine.online.network import NetworkOptions
from engine.online.service_url import service_url_problem
from tests.security.hostile_server import hostile_server

SECRET = "the-client-secret"
REFUSED_NAMES = ("localhost.", "contacts.localhost", "ip6-localhost", "LOCALHOST.")
UNAUTHORIZED = (
    b"HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: 43\r\n"
    b'Connection: close\r\n\r\n{"error":"invalid_client","message":"no"}\r\n'
)


@pytest.mark.parametrize("name", REFUSED_NAMES)
def test_localhost_spellings_that_resolve_elsewhere_are_refused(name: str) -> None:
    assert service_url_problem(f"http://{name}:8765") is not None
    with pytest.raises(InsecureServiceUrl):
        OnlineClient(f"http://{name}:8765", Credentials("sync-1", SECRET))


@pytest.mark.parametrize("host", ["127.0.0.2", "[0:0:0:0:0:0:0:1]", "[::1]", "localhost"])
@pytest.mark.parametrize("configured", [None, "proxy-url"])
async def test_plain_http_never_goes_through_a_proxy(
    host: str, configured: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bytes] = []
    lock = threading.Lock()

    def proxy(head: bytes) -> bytes:
        with lock:
            seen.append(head)
        return UNAUTHORIZED

    with hostile_server(proxy) as proxy_url:
        monkeypatch.setenv("HTTP_PROXY", proxy_url)
        monkeypatch.setenv("http_proxy", proxy_url)
        monkeypatch.setenv("ALL_PROXY", proxy_url)
        monkeypatch.delenv("NO_PROXY", raising=False)
        monkeypatch.delenv("no_proxy", raising=False)
        options = NetworkOptions(proxy=proxy_url if configured else None)
        # Port 9 (discard) on loopback: nothing listens, so a direct request is refused.
        async with OnlineClient(
            f"http://{host}:9", Credentials("sync-1", SECRET), network=options
        ) as client:
            with pytest.raises(OnlineError) as caught:
                await client.practice()
    assert seen == [], seen[0][:200]
    assert "rejected" not in str(caught.value)  # not the proxy's answer
