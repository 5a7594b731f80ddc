"""The current Terms of use: bundled HTML plus its version, shown before activation."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any, Final

from engine.local.resources import resource_path

TERMS_FILE: Final = ("terms", "terms-of-use.html")
VERSION_FILE: Final = ("terms", "VERSION")
_HEADING = re.compile(r"<h1>(.*?)</h1>", re.DOTALL)


@dataclass(frozen=True)
class Terms:
    version: str
    title: str
    html: str

    def as_json(self) -> dict[str, Any]:
        return {"version": self.version, "title": self.title, "html": self.html}


@cache
def current_terms() -> Terms:
    html = resource_path(*TERMS_FILE).read_text(encoding="utf-8")
    version = resource_path(*VERSION_FILE).read_text(encoding="utf-8").strip()
    heading = _HEADING.search(html)
    title = heading.group(1).strip() if heading else "Terms of use"
    return Terms(version=version, title=title, html=html)
