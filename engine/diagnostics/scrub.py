"""Scrubbing for support texts: the stored client secret, passwords in URLs and ODBC
strings, secret-looking keys and numbers shaped like tax file numbers never leave the
computer in a diagnostics file or on the clipboard.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, Final

MASK: Final = "***"
#: Keys whose values are never copied, whatever they hold.
SECRET_KEY = re.compile(r"secret|passw|pwd|token|credential|api[_-]?key|private", re.IGNORECASE)
#: What a person types between a TFN's groups: spaces of any kind (two of them too, a
#: no-break space), dashes of any kind, dots, slashes, underscores.
_SEP: Final = r"(?:[\s./_\\\-\u2010-\u2015\u2212]{1,3})?"
#: Nine (or eight) digits, maybe grouped 3-3-3 (or 3-3-2, 2-3-3) with separators: a
#: TFN's shape. Written in groups it is masked whatever its check digit (someone typed it
#: as a TFN, maybe wrongly); a bare run of digits only when the check passes.
TFN_LIKE = re.compile(
    r"(?<!\d)(?<!\d\.)"
    rf"(?:\d{{3}}{_SEP}\d{{3}}{_SEP}\d{{2,3}}|\d{{2}}{_SEP}\d{{3}}{_SEP}\d{{3}})"
    r"(?!\d)(?!\.\d)"
)
#: ``scheme://user:password@host``: the password part of a URL (proxies, ODBC). It runs
#: to the *last* ``@`` of the word, and may hold ``/``, ``#`` or ``?`` as people type
#: them (``alice:s/ecr#et@proxy``): over-masking a path is harmless, a leak is not.
URL_PASSWORD = re.compile(
    r"(?P<head>[a-z][a-z0-9+.-]*://[^:/@\s\"'<>]*:)[^\s\"'<>]*(?=@)", re.IGNORECASE
)
#: ``PWD=...`` / ``Password=...`` inside ODBC connection strings anywhere in a text, by
#: ODBC's rules: a braced value runs to the ``}`` that is not doubled (``}}`` is a
#: literal ``}``, ``;`` is ordinary inside), or to the end of the line when never closed;
#: a bare value runs to the next ``;``.
ODBC_PASSWORD = re.compile(
    r"(?P<key>\b(?:pwd|password)\s*=\s*)(?:\{(?:[^}\r\n]|\}\})*(?:\}(?!\})|$)|[^;\r\n\"']*)",
    re.IGNORECASE | re.MULTILINE,
)
#: Secrets shorter than this are not searched for (they would mask ordinary words).
MIN_SECRET_LENGTH: Final = 4
TFN_WEIGHTS: Final = (1, 4, 3, 7, 5, 8, 6, 9, 10)


def looks_like_tfn(digits: str) -> bool:
    """The ATO check: weighted digit sum divisible by 11 (9 digits; 8-digit TFNs too)."""
    if len(digits) == 8:
        weights: tuple[int, ...] = (10, 7, 8, 4, 6, 3, 5, 1)
    elif len(digits) == 9:
        weights = TFN_WEIGHTS
    else:
        return False
    return sum(int(d) * w for d, w in zip(digits, weights, strict=True)) % 11 == 0


class Scrubber:
    """Removes the known secrets, passwords in URLs and ODBC strings, and TFN-like numbers."""

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted(
            {s for s in secrets if len(s) >= MIN_SECRET_LENGTH}, key=len, reverse=True
        )

    def text(self, value: str) -> str:
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        value = URL_PASSWORD.sub(lambda m: m.group("head") + MASK, value)
        value = ODBC_PASSWORD.sub(lambda m: m.group("key") + MASK, value)
        return TFN_LIKE.sub(_mask_tfn, value)

    def data(self, value: Any, key: str = "") -> Any:
        """JSON-like data: secret-looking keys masked, every string scrubbed."""
        if key and SECRET_KEY.search(key) and value not in (None, "", False):
            return MASK
        if isinstance(value, dict):
            return {str(k): self.data(v, str(k)) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.data(v) for v in value]
        if isinstance(value, str):
            return self.text(value)
        return value


def url_without_password(url: str) -> str:
    """A proxy URL with its password masked, parsed the way a person writes it: the user
    info runs to the last ``@`` (so ``/``, ``#``, ``?`` or ``@`` inside it stay hidden)."""
    scheme, separator, rest = url.partition("://")
    userinfo, at, host = rest.rpartition("@")
    if not separator or not at:
        return url
    user, colon, _ = userinfo.partition(":")
    return f"{scheme}://{user}{':' + MASK if colon else ''}@{host}"


def _mask_tfn(match: re.Match[str]) -> str:
    digits = re.sub(r"\D", "", match.group(0))
    grouped = len(digits) != len(match.group(0))
    return "[TFN-like number removed]" if grouped or looks_like_tfn(digits) else match.group(0)
