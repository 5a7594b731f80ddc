"""Text from outside, made safe to show: control characters become visible escapes.

A service's error message, a database value inside a message or a proxy's page can hold
ESC and BEL (terminal escape sequences: retitle the window, rewrite the screen), CR and
LF (a fake line that looks like the program's own), or bidirectional overrides (text
that reads differently from what it is). Every message a person sees from the CLI or the
GUI goes through :func:`visible`, once, in the engine: :class:`engine.errors.UserFacingError`
and :class:`engine.status.model.Status` apply it to what they carry.
"""

from __future__ import annotations

import unicodedata
from typing import Final

#: Categories never shown raw: controls, format characters (bidi overrides, zero
#: widths), line and paragraph separators, surrogates, private use, unassigned.
_HIDDEN: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"})


def _escape(ch: str) -> str:
    code = ord(ch)
    if code < 0x100:
        return f"\\x{code:02x}"
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def visible(text: str) -> str:
    """``text`` with every control or invisible formatting character shown as an escape
    (``\\x1b``, ``\\n``-as-``\\x0a``, ``\\u202e``); ordinary text, spaces included,
    is unchanged."""
    if text.isascii() and text.isprintable():
        return text  # the common case, fast
    return "".join(
        _escape(ch) if ch != " " and unicodedata.category(ch) in _HIDDEN else ch for ch in text
    )
