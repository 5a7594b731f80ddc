"""The online client on a practice's network: OS store + CA file, and proxies.

A real HTTPS server on loopback with a certificate from a test CA made here, and a tiny
loopback proxy that records what went through it (plain requests and CONNECT tunnels).
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import select
import socket
import ssl
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from engine.errors import OnlineError, SettingsError, TransientOnlineError, UntrustedCertificate
from engine.local.settings import Settings, load_settings, save_settings
from engine.online.client import Credentials, OnlineClient
from engine.online.network import (
    LOOPBACK_PATTERNS,
    NetworkOptions,
    bypass_patterns,
    client_arguments,
)
from tests.components import require_component

TERMS = {"version": "7", "title": "Terms", "html": "<p>ok</p>"}
PROXY_ENV = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")


# -- a test CA and a server certificate ------------------------------------------------


@dataclass(frozen=True)
class Pki:
    ca_file: Path
    cert_file: Path
    key_file: Path


def _make_pki(folder: Path, names: list[str], addresses: list[str]) -> Pki:
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError as error:
        require_component("cryptography", str(error))
    now = datetime.datetime.now(datetime.UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test Inspection CA")])
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    alt_names: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
    alt_names += [x509.IPAddress(ipaddress.ip_address(a)) for a in addresses]
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "online.test")]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName(alt_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.ExtendedKeyUsage([x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pki = Pki(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    pki.ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    pki.cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    pki.key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return pki


# -- a tiny online service (just sign-in and the terms) ----------------------------------


class _ServiceHandler(BaseHTTPRequestHandler):
    server: _Service

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.paths.append(self.path)
        self._answer({"access_token": "token", "expires_in": 3600})

    def do_GET(self) -> None:
        self.server.paths.append(self.path)
        self._answer(TERMS)


class _Service(ThreadingHTTPServer):
    daemon_threads = True
    paths: list[str]


@pytest.fixture
def https_service(tmp_path: Path) -> Iterator[tuple[str, Pki, _Service]]:
    """An HTTPS service on 127.0.0.1 whose certificate names 127.0.0.1 only."""
    pki = _make_pki(tmp_path, names=[], addresses=["127.0.0.1"])
    server = _Service(("127.0.0.1", 0), _ServiceHandler)
    server.paths = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(pki.cert_file, pki.key_file)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", pki, server
    finally:
        server.shutdown()
        server.server_close()


# -- a loopback proxy that records ----------------------------------------------------


@dataclass
class RecordingProxy:
    """Answers plain proxied requests itself (as the service) and tunnels CONNECT."""

    port: int = 0
    requests: list[str] = field(default_factory=list)
    _listener: socket.socket | None = None

    def start(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self) -> None:
        assert self._listener is not None
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client:
            head = b""
            while b"\r\n\r\n" not in head:
                chunk = client.recv(65536)
                if not chunk:
                    return
                head += chunk
            header, _, rest = head.partition(b"\r\n\r\n")
            lines = header.decode("latin-1").split("\r\n")
            self.requests.append(lines[0])
            method, target, _ = lines[0].split(" ", 2)
            if method == "CONNECT":
                host, _, port = target.rpartition(":")
                try:
                    upstream = socket.create_connection((host, int(port)), timeout=10)
                except OSError:  # an unknown host: say so, as a real proxy does
                    client.sendall(b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n")
                    return
                with upstream:
                    client.sendall(b"HTTP/1.1 200 Connection established\r\n\r\n")
                    _pump(client, upstream)
                return
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value)
            while len(rest) < length:
                rest += client.recv(65536)
            body = json.dumps(
                {"access_token": "t", "expires_in": 3600} if method == "POST" else TERMS
            ).encode()
            client.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
                + body
            )


def _pump(a: socket.socket, b: socket.socket) -> None:
    sockets = [a, b]
    while True:
        readable, _, _ = select.select(sockets, [], [], 10)
        if not readable:
            return
        for source in readable:
            data = source.recv(65536)
            if not data:
                return
            (b if source is a else a).sendall(data)


@pytest.fixture
def proxy() -> Iterator[RecordingProxy]:
    running = RecordingProxy()
    running.start()
    yield running
    running.stop()


@pytest.fixture(autouse=True)
def no_proxy_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_ENV:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


async def _terms(url: str, network: NetworkOptions | None) -> str:
    async with OnlineClient(url, Credentials("id", "secret"), network=network) as client:
        return (await client.terms()).version


# -- certificates ------------------------------------------------------------------------


async def test_ca_file_makes_the_inspecting_certificate_trusted(
    https_service: tuple[str, Pki, _Service],
) -> None:
    url, pki, server = https_service
    assert await _terms(url, NetworkOptions(ca_file=pki.ca_file)) == "7"
    assert server.paths == ["/api/v1/oauth/token", "/api/v1/terms/current"]


async def test_without_the_ca_the_certificate_is_refused_with_a_clear_message(
    https_service: tuple[str, Pki, _Service],
) -> None:
    url, _, server = https_service
    with pytest.raises(UntrustedCertificate) as caught:
        await _terms(url, NetworkOptions())
    assert isinstance(caught.value, OnlineError)
    message = str(caught.value)
    assert "not trusted" in message and "127.0.0.1" in message
    assert "ca_file" in message and "certificate store" in message
    assert server.paths == []  # nothing was sent over the untrusted connection


async def test_the_ca_file_does_not_excuse_a_wrong_host_name(
    https_service: tuple[str, Pki, _Service],
) -> None:
    url, pki, server = https_service
    wrong_name = url.replace("127.0.0.1", "localhost")  # the certificate names 127.0.0.1
    with pytest.raises(UntrustedCertificate):
        await _terms(wrong_name, NetworkOptions(ca_file=pki.ca_file))
    assert server.paths == []


def test_a_missing_or_bad_ca_file_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="does not exist"):
        client_arguments(NetworkOptions(ca_file=tmp_path / "missing.pem"))
    bad = tmp_path / "bad.pem"
    bad.write_text("not a certificate")
    with pytest.raises(SettingsError, match="can't be used"):
        client_arguments(NetworkOptions(ca_file=bad))


# -- proxies -----------------------------------------------------------------------------


async def test_an_explicit_proxy_carries_requests_to_a_remote_service(
    proxy: RecordingProxy,
) -> None:
    # The host does not exist: the proxy is asked to tunnel to it (and can't).
    with pytest.raises(TransientOnlineError):
        await _terms("https://online.invalid", NetworkOptions(proxy=proxy.url))
    assert proxy.requests == ["CONNECT online.invalid:443 HTTP/1.1"]


async def test_plain_http_to_a_remote_service_never_reaches_the_proxy(
    proxy: RecordingProxy,
) -> None:
    # Plain http would hand the secret to every hop: refused before anything is sent.
    with pytest.raises(SettingsError, match="https"):
        await _terms("http://online.invalid", NetworkOptions(proxy=proxy.url))
    assert proxy.requests == []


async def test_an_explicit_proxy_tunnels_https_and_tls_is_still_verified(
    proxy: RecordingProxy, https_service: tuple[str, Pki, _Service]
) -> None:
    url, pki, server = https_service
    authority = url.removeprefix("https://")
    assert await _terms(url, NetworkOptions(proxy=proxy.url, ca_file=pki.ca_file)) == "7"
    assert proxy.requests and all(r == f"CONNECT {authority} HTTP/1.1" for r in proxy.requests)
    assert server.paths == ["/api/v1/oauth/token", "/api/v1/terms/current"]
    with pytest.raises(UntrustedCertificate):
        await _terms(url, NetworkOptions(proxy=proxy.url))


async def test_the_system_proxy_from_the_environment_is_honoured(
    proxy: RecordingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with pytest.raises(TransientOnlineError):  # the proxy can't reach online.invalid
        await _terms("https://online.invalid", None)
    assert proxy.requests == ["CONNECT online.invalid:443 HTTP/1.1"]


async def test_proxy_none_ignores_the_environment(
    proxy: RecordingProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    with pytest.raises(TransientOnlineError):  # direct: online.invalid does not resolve
        await _terms("https://online.invalid", NetworkOptions(proxy="none"))
    assert proxy.requests == []


async def test_loopback_never_goes_through_the_system_proxy(
    proxy: RecordingProxy,
    monkeypatch: pytest.MonkeyPatch,
    https_service: tuple[str, Pki, _Service],
) -> None:
    url, pki, server = https_service
    monkeypatch.setenv("HTTPS_PROXY", proxy.url)
    assert await _terms(url, NetworkOptions(ca_file=pki.ca_file)) == "7"
    assert proxy.requests == []
    assert len(server.paths) == 2


def test_windows_bypass_list_becomes_direct_routes() -> None:
    patterns = bypass_patterns("intranet.example; *.corp.example;10.*;<local>")
    assert patterns == [*LOOPBACK_PATTERNS, "all://intranet.example", "all://*.corp.example"]


# -- settings ----------------------------------------------------------------------------


def test_proxy_and_ca_file_settings_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    save_settings(path, Settings(proxy="http://proxy.corp:3128", ca_file="C:/IT/root.pem"))
    loaded = load_settings(path)
    assert loaded.proxy == "http://proxy.corp:3128"
    assert loaded.ca_file == "C:/IT/root.pem"
    path.write_text('[online]\nproxy = "system"\n')
    assert load_settings(path).proxy is None


@pytest.mark.parametrize("value", ["socks5://proxy:1080", "proxy.corp:3128", "http://"])
def test_an_unusable_proxy_setting_names_the_key(tmp_path: Path, value: str) -> None:
    path = tmp_path / "settings.toml"
    path.write_text(f'[online]\nproxy = "{value}"\n')
    with pytest.raises(SettingsError, match=r"online\.proxy"):
        load_settings(path)


def test_a_settings_line_that_does_not_parse_is_named(tmp_path: Path) -> None:
    path = tmp_path / "settings.toml"
    path.write_text('[online]\nurl = "https://x"\nca_file = C:\\IT\\root.pem\n')
    with pytest.raises(SettingsError, match="line 3"):
        load_settings(path)
