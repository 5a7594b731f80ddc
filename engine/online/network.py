"""How the program reaches the online service from a practice's network.

Practices sit behind corporate proxies and TLS-inspecting firewalls whose root
certificate IT installed in the operating system's certificate store, not in Python's
certifi bundle. So HTTPS is verified against the OS store (``truststore``) plus an
optional CA file from the settings, the system proxy is honoured (environment variables;
on Windows also the Internet Options proxy and its bypass list), and an explicit proxy
from the settings wins over both. An untrusted certificate is never accepted: it is an
:class:`UntrustedCertificate` error that says what to do.
"""

from __future__ import annotations

import errno
import logging
import socket
import ssl
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import httpx

from engine.errors import SettingsError, UntrustedCertificate
from engine.online.answers import ACCEPT_ENCODING, read_bounded
from engine.online.unreachable import Unreachable

log = logging.getLogger(__name__)

#: ``[online] proxy`` values that are not URLs.
PROXY_SYSTEM: Final = "system"
PROXY_NONE: Final = "none"
PROXY_SCHEMES: Final = ("http", "https")
#: Never through the system proxy: a proxy's loopback is not this computer's.
LOOPBACK_PATTERNS: Final = ("all://localhost", "all://127.0.0.1", "all://[::1]")
#: The mount pattern for every plain-http request: always direct, never a proxy.
PLAIN_HTTP_PATTERN: Final = "http://"
_INTERNET_SETTINGS: Final = r"Software\Microsoft\Windows\CurrentVersion\Internet Settings"


@dataclass(frozen=True)
class NetworkOptions:
    """The ``[online] proxy`` and ``[online] ca_file`` settings, resolved."""

    #: None or "system": the system proxy; "none": connect directly; else a proxy URL.
    proxy: str | None = None
    #: A PEM file of extra CA certificates, trusted on top of the OS store.
    ca_file: Path | None = None


def check_proxy(value: str) -> str | None:
    """The problem with an ``[online] proxy`` value, or None when it is usable."""
    if value.lower() in (PROXY_SYSTEM, PROXY_NONE):
        return None
    try:
        url = httpx.URL(value)
    except httpx.InvalidURL as error:
        return f"'{value}' is not a URL ({error})"
    if url.scheme not in PROXY_SCHEMES or not url.host:
        return (
            f"'{value}' is not a proxy this program can use "
            "(use http://HOST:PORT, https://HOST:PORT, 'system' or 'none')"
        )
    return None


def ssl_context(options: NetworkOptions) -> ssl.SSLContext:
    """The OS certificate store, plus ``ca_file`` when set; hostnames always checked."""
    import truststore

    context = truststore.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if options.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(options.ca_file))
        except FileNotFoundError as error:
            raise SettingsError(
                f"The CA file {options.ca_file} named in [online] ca_file does not exist.",
                "Correct the path in settings.toml, or remove the setting.",
            ) from error
        except (OSError, ssl.SSLError) as error:
            raise SettingsError(
                f"The CA file {options.ca_file} named in [online] ca_file can't be used ({error}).",
                "It must hold PEM certificates (-----BEGIN CERTIFICATE-----).",
            ) from error
    return context


def bypass_patterns(override: str) -> list[str]:
    """httpx mount patterns for a Windows ``ProxyOverride`` list (``a.com;*.corp;<local>``).

    ``<local>`` (names without a dot) has no httpx pattern; loopback, which it covers in
    practice, is always direct anyway. Patterns httpx can't express (``10.*``) are skipped.
    """
    patterns: list[str] = list(LOOPBACK_PATTERNS)
    for raw in override.replace(",", ";").split(";"):
        entry = raw.strip().lower()
        if not entry:
            continue
        if entry == "<local>":
            continue
        if "*" in entry.lstrip("*") or entry.endswith("."):
            log.debug("proxy bypass entry %r can't be expressed; ignored", entry)
        else:
            patterns.append(f"all://{entry}")
    return patterns


def _windows_proxy_override() -> str:
    """The Internet Options bypass list of the current user ('' when none or not Windows)."""
    if sys.platform != "win32":
        return ""
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, _INTERNET_SETTINGS) as key:
            enabled, _ = winreg.QueryValueEx(key, "ProxyEnable")
            if not enabled:
                return ""
            value, _ = winreg.QueryValueEx(key, "ProxyOverride")
            return str(value)
    except OSError:
        return ""


def system_proxies() -> dict[str, str]:
    """What ``urllib.request.getproxies()`` finds: environment variables, and on Windows
    the Internet Options proxy (registry) when no variable is set. For diagnostics."""
    return {scheme: url for scheme, url in urllib.request.getproxies().items() if url}


def client_arguments(
    options: NetworkOptions | None, transport: httpx.AsyncBaseTransport | None = None
) -> dict[str, Any]:
    """``httpx.AsyncClient`` keyword arguments for these options.

    A given ``transport`` (tests) is used as it is: httpx then skips environment proxies.
    """
    options = options or NetworkOptions()
    arguments: dict[str, Any] = {"verify": ssl_context(options), "transport": transport}
    # Plain http is allowed only to this computer, so it never goes through a proxy
    # (system or configured): a proxy would see it in clear and resolve names its way.
    direct: dict[str, None] = {PLAIN_HTTP_PATTERN: None}
    proxy = options.proxy
    if proxy is None or proxy.lower() == PROXY_SYSTEM:
        # trust_env: HTTP(S)_PROXY / ALL_PROXY / NO_PROXY, and through urllib's
        # getproxies() the Windows registry proxy when no variable is set.
        arguments["trust_env"] = True
        arguments["mounts"] = {
            pattern: None for pattern in bypass_patterns(_windows_proxy_override())
        } | direct
    elif proxy.lower() == PROXY_NONE:
        arguments["trust_env"] = False
    else:
        problem = check_proxy(proxy)
        if problem:
            raise SettingsError(f"The setting [online] proxy is wrong: {problem}.")
        arguments["proxy"] = proxy
        arguments["trust_env"] = False
        arguments["mounts"] = direct
    return arguments


class _ExplainingClient(httpx.AsyncClient):
    """An AsyncClient that turns a refused certificate into :class:`UntrustedCertificate`
    instead of a bare connection error, so the person sees what is wrong, and reads every
    answer within a decoded-size limit (:mod:`engine.online.answers`)."""

    async def send(self, request: httpx.Request, **kwargs: Any) -> httpx.Response:
        kwargs.pop("stream", None)  # every answer is read here, bounded
        request.headers["Accept-Encoding"] = ACCEPT_ENCODING
        try:
            response = await super().send(request, stream=True, **kwargs)
        except httpx.ConnectError as error:
            reason = certificate_problem(error)
            if reason is None:
                raise
            raise UntrustedCertificate(request.url.host, reason) from error
        return await read_bounded(response)


def certificate_problem(error: BaseException) -> str | None:
    """The verification failure behind a connection error, if that is what it was."""
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return str(seen.verify_message or seen.reason or seen)
        if "CERTIFICATE_VERIFY_FAILED" in str(seen):
            text = str(seen)
            _, _, detail = text.partition("certificate verify failed: ")
            return detail.split(" (_ssl")[0] or "certificate verify failed"
        seen = seen.__cause__ or seen.__context__
    return None


def async_client(
    options: NetworkOptions | None,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    **kwargs: Any,
) -> httpx.AsyncClient:
    """An ``httpx.AsyncClient`` set up for the practice's network (see the module doc)."""
    return _ExplainingClient(**client_arguments(options, transport), **kwargs)


_NO_NETWORK_ERRNOS: Final = frozenset({errno.ENETUNREACH, errno.ENETDOWN, errno.EHOSTUNREACH})


def unreachable_kind(error: BaseException) -> Unreachable:
    """Read what went wrong from the shape of an httpx error and its causes."""
    if isinstance(error, httpx.ProxyError):
        return Unreachable.PROXY
    if isinstance(error, httpx.TimeoutException):
        return Unreachable.NOT_ANSWERING
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, socket.gaierror):
            if seen.errno in (socket.EAI_AGAIN, getattr(socket, "EAI_NODATA", -9999)):
                return Unreachable.NO_NETWORK
            return Unreachable.NAME_NOT_FOUND
        if isinstance(seen, ConnectionRefusedError):
            return Unreachable.REFUSED
        if isinstance(seen, ssl.SSLError):
            return Unreachable.CERTIFICATE
        if isinstance(seen, OSError) and seen.errno in _NO_NETWORK_ERRNOS:
            return Unreachable.NO_NETWORK
        seen = seen.__cause__ or seen.__context__
    text = str(error).lower()
    if "name or service not known" in text or "nodename nor servname" in text:
        return Unreachable.NAME_NOT_FOUND
    if "temporary failure in name resolution" in text:
        return Unreachable.NO_NETWORK
    if "connection refused" in text or "connect call failed" in text:
        return Unreachable.REFUSED
    if "network is unreachable" in text:
        return Unreachable.NO_NETWORK
    if isinstance(error, httpx.ConnectError):
        return Unreachable.REFUSED
    return Unreachable.DROPPED
