"""What a screen reader sees of one program: its accessible tree (AT-SPI), as JSON.

Run with the system Python (Debian's python3-pyatspi is not in the virtualenv) on the
session bus of the program under test: ``/usr/bin/python3 demo_atspi_probe.py APP-NAME``
(the demo test's probe, with boxes to click; ``atspi_probe.py`` is the accessibility
tests' reader).
Prints one object per visible node: the window it is in, its role, name, states and its
box on the screen, so a test can find a button, see whether it is enabled, and click its
middle with a real mouse event. Never changes anything in the program.
"""

from __future__ import annotations

import json
import sys

import pyatspi  # type: ignore[import-not-found]

MAX_DEPTH = 40


def states(node: object) -> list[str]:
    found = node.getState()  # type: ignore[attr-defined]
    names = {
        pyatspi.STATE_ENABLED: "enabled",
        pyatspi.STATE_SHOWING: "showing",
        pyatspi.STATE_CHECKED: "checked",
        pyatspi.STATE_FOCUSED: "focused",
        pyatspi.STATE_ACTIVE: "active",
    }
    return [word for state, word in names.items() if found.contains(state)]


def walk(node: object, window: str, depth: int, out: list[dict[str, object]]) -> None:
    try:
        role = node.getRoleName()  # type: ignore[attr-defined]
        name = node.name  # type: ignore[attr-defined]
        flags = states(node)
    except Exception:  # a node that went away while being read
        return
    if depth == 1:
        window = name
    if "showing" in flags:
        try:
            box = node.queryComponent().getExtents(pyatspi.DESKTOP_COORDS)  # type: ignore[attr-defined]
            extents = [box.x, box.y, box.width, box.height]
        except Exception:
            extents = [0, 0, 0, 0]
        out.append({"window": window, "role": role, "name": name, "states": flags, "box": extents})
    if depth >= MAX_DEPTH:
        return
    try:
        count = node.childCount  # type: ignore[attr-defined]
    except Exception:
        return
    for index in range(count):
        try:
            child = node.getChildAtIndex(index)  # type: ignore[attr-defined]
        except Exception:
            continue
        if child is not None:
            walk(child, window, depth + 1, out)


def main() -> int:
    wanted = sys.argv[1]
    desktop = pyatspi.Registry.getDesktop(0)
    out: list[dict[str, object]] = []
    for index in range(desktop.childCount):
        app = desktop.getChildAtIndex(index)
        if app is not None and app.name == wanted:
            walk(app, "", 0, out)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
