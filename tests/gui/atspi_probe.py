"""Reads the real accessibility bus (AT-SPI) the way a screen reader does. Run by the
system ``python3`` (it has ``pyatspi``; the project's virtualenv does not), as a
subprocess of tests/gui/test_accessibility_bus.py, with the test's D-Bus session.

``probe.py tree APP``: the showing part of APP's accessible tree as JSON on stdout (each
object's role, name, description, states, and the names of the objects labelling it).
``probe.py listen APP``: one JSON line per announcement (``object:announcement``) or
alert from APP, until killed.
"""

from __future__ import annotations

import json
import sys
from typing import Any

import pyatspi  # type: ignore[import-not-found]

#: Deeper than any window of the program; a guard against a cycle.
MAX_DEPTH = 40


def application(name: str) -> Any:
    desktop = pyatspi.Registry.getDesktop(0)
    for index in range(desktop.childCount):
        app = desktop.getChildAtIndex(index)
        if app is not None and app.name == name:
            return app
    return None


def node(accessible: Any, depth: int) -> dict[str, Any]:
    states = [pyatspi.stateToString(state) for state in accessible.getState().getStates()]
    labelled_by = []
    for relation in accessible.getRelationSet():
        if relation.getRelationType() == pyatspi.RELATION_LABELLED_BY:
            for target in range(relation.getNTargets()):
                labelled_by.append(relation.getTarget(target).name)
    return {
        "depth": depth,
        "role": accessible.getRoleName(),
        "name": accessible.name or "",
        "description": accessible.description or "",
        "states": states,
        "labelled_by": labelled_by,
    }


def walk(accessible: Any, depth: int, out: list[dict[str, Any]]) -> None:
    if accessible is None or depth > MAX_DEPTH:
        return
    entry = node(accessible, depth)
    if depth > 0 and "showing" not in entry["states"]:
        return  # hidden: a screen reader does not read it either
    out.append(entry)
    for index in range(accessible.childCount):
        walk(accessible.getChildAtIndex(index), depth + 1, out)


def tree(name: str) -> int:
    app = application(name)
    out: list[dict[str, Any]] = []
    if app is not None:
        walk(app, 0, out)
    json.dump(out, sys.stdout)
    return 0


def listen(name: str) -> int:
    def on_event(event: Any) -> None:
        try:
            source = event.source
            app = source.getApplication() if source is not None else None
            if app is None or app.name != name:
                return
            text = event.any_data if isinstance(event.any_data, str) else ""
            line = {
                "type": event.type,
                "text": text,
                "source_role": source.getRoleName(),
                "source_name": source.name or "",
            }
        except Exception as error:  # an object gone meanwhile: say so, keep listening
            line = {"type": "probe-error", "text": str(error)}
        print(json.dumps(line), flush=True)

    pyatspi.Registry.registerEventListener(on_event, "object:announcement")
    pyatspi.Registry.registerEventListener(on_event, "object:state-changed:showing")
    print(json.dumps({"type": "listening"}), flush=True)
    pyatspi.Registry.start()
    return 0


def main(argv: list[str]) -> int:
    command, name = argv[1], argv[2]
    return tree(name) if command == "tree" else listen(name)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
