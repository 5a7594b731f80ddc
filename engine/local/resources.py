"""One way to find bundled files (icons, terms, SQL, mapping files).

Works from a source checkout, from an installed wheel (where ``resources/`` is packaged
as ``contacts_migration/resources``) and from a PyInstaller bundle (``sys._MEIPASS``).
"""

from __future__ import annotations

import sys
from functools import cache
from pathlib import Path

#: The folder holding ``engine/`` (a checkout, or site-packages for a wheel).
_ROOT = Path(__file__).resolve().parents[2]


@cache
def resources_root() -> Path:
    candidates: list[Path] = []
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:
        candidates.append(Path(frozen_root) / "resources")
    candidates.append(_ROOT / "resources")
    candidates.append(_ROOT / "contacts_migration" / "resources")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "The program's resource files are missing (looked in "
        + ", ".join(str(c) for c in candidates)
        + "). Reinstall Contacts Migration."
    )


def resource_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. ``resource_path("sql", "sqlite", "schema.sql")``."""
    return resources_root().joinpath(*parts)
