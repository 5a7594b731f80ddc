"""The program as a screen reader meets it: the real Linux accessibility bus (AT-SPI on
a private D-Bus session, Qt's accessibility on) on a real X desktop (Xvfb, openbox,
trayer), driven by the keyboard only (xdotool), read with ``pyatspi`` as Orca would.

One run goes Maintenance Map → wizard (Yes, the checks, the Terms, the migration,
finish) → the status window → troubleshooting → a red light and back to green, and after
every step asserts from the accessible tree: the words are exposed (names carry the
visible text, headings are headings, windows have their roles), focus sits on a showing,
enabled object, and the changes that matter were announced once.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final

from engine import FrontEnd
from engine.local.paths import APP_NAME
from engine.status.model import Reason
from engine.texts import REASON_WORDS
from tests.gui.accessibility_bus import AccessibilityBus, accessibility_bus
from tests.gui.desktop import Desktop, real_desktop
from tests.gui.support import run_sql
from tests.sandbox_harness import RunningSandbox

REPO: Final = Path(__file__).resolve().parents[2]
Tree = list[dict[str, Any]]
#: The migration of 300 contacts, the checks and the red/green turns on a busy machine.
STEP_TIMEOUT: Final = 120.0
#: A table the login check reads: renamed away, the light turns red at once (a schema
#: fault is not retried), renamed back it turns green.
SETTINGS_TABLE: Final = "PracticeSetting"


@contextmanager
def program(
    bus: AccessibilityBus, db: Path, sandbox: RunningSandbox, home: Path, log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """The program as a person starts it (``gui``), its stderr in ``log``."""
    env = dict(bus.env)
    env["CONTACTS_MIGRATION_HOME"] = str(home)
    credentials = sandbox.data_dir / "credentials.json"
    command = [sys.executable, "-m", "contacts_migration", "gui", "--source", f"sqlite:{db}"]
    command += ["--credentials", str(credentials)]
    with log.open("wb") as errors:
        process = subprocess.Popen(
            command, env=env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=errors
        )
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def key(desktop: Desktop, *keys: str) -> None:
    """Keys pressed on the real keyboard (XTEST): they go where the focus is."""
    for name in keys:
        desktop.run("xdotool", "key", "--clearmodifiers", name)


def find(tree: Tree, role: str, name: str | None = None, contains: str | None = None) -> Tree:
    return [
        item
        for item in tree
        if item["role"] == role
        and (name is None or item["name"] == name)
        and (contains is None or contains in item["name"])
    ]


def focused(tree: Tree) -> Tree:
    """What holds the keyboard focus (windows say "active", not "focused"; the unnamed
    viewport inside a focused text view says "focused" too, and is left out)."""
    return [
        item
        for item in tree
        if "focused" in item["states"] and not (item["role"] == "filler" and not item["name"])
    ]


def focus_on(tree: Tree, role: str, contains: str) -> bool:
    return any(item["role"] == role and contains in item["name"] for item in focused(tree))


def assert_focus_usable(tree: Tree, step: str) -> None:
    """Exactly one object has focus, and a person can use it: showing (the walk only
    keeps showing objects), enabled, focusable."""
    holders = focused(tree)
    assert len(holders) == 1, f"{step}: focus on {[(i['role'], i['name']) for i in holders]}"
    states = holders[0]["states"]
    for state in ("showing", "enabled", "sensitive", "focusable"):
        assert state in states, f"{step}: the focused {holders[0]} is not {state}"


def announced(events: list[dict[str, Any]], words: str) -> list[dict[str, Any]]:
    return [e for e in events if e["type"] == "object:announcement" and words in e["text"]]


def test_a_screen_reader_user_activates_and_follows_the_sync(
    practice_db: Path, sandbox: RunningSandbox, isolated_home: Path, tmp_path: Path
) -> None:
    with (
        real_desktop(1024, 768, tray=True) as desktop,
        accessibility_bus(desktop, APP_NAME) as bus,
        bus.listening(tmp_path / "announcements.jsonl") as events,
        program(bus, practice_db, sandbox, isolated_home, tmp_path / "gui.log"),
    ):
        bus.last_tree_file = tmp_path / "last-tree.json"
        # The Maintenance Map: a frame, its title a heading, focus on Activate.
        tree = bus.wait_for_tree(
            lambda t: (
                bool(find(t, "frame", contains="Maintenance Map"))
                and focus_on(t, "push button", "Activate Contacts Migration")
            ),
            "the Maintenance Map with focus on Activate",
        )
        assert find(tree, "heading", "Maintenance Map")
        assert find(tree, "heading", "Online")
        assert_focus_usable(tree, "Maintenance Map")

        # Enter on a Maintenance Map button presses it.
        key(desktop, "Return")
        tree = bus.wait_for_tree(
            lambda t: (
                bool(find(t, "dialog", contains="Activate Contacts Migration"))
                and bool(find(t, "heading", "Activate Contacts Migration"))  # the page title
                and focus_on(t, "push button", "Yes")
            ),
            "the wizard's first page with focus on Yes",
        )
        assert_focus_usable(tree, "the confirmation page")

        # Yes: the checks run, then focus is on the way on (never on a disabled button).
        key(desktop, "Return")
        tree = bus.wait_for_tree(
            lambda t: bool(find(t, "label", "Everything is ready.")) and bool(focused(t)),
            "the checks to pass",
            timeout=STEP_TIMEOUT,
        )
        assert find(tree, "heading", "Checking everything is ready")
        assert_focus_usable(tree, "the checks page")
        assert focus_on(tree, "push button", "Next")
        # Tab order follows the screen: Check again (above) comes before Back and Next.
        key(desktop, "shift+Tab")
        back = bus.wait_for_tree(lambda t: focus_on(t, "push button", "Back"), "focus on Back")
        assert_focus_usable(back, "Shift+Tab from Next")
        key(desktop, "shift+Tab")
        again = bus.wait_for_tree(
            lambda t: focus_on(t, "push button", "Check again"), "focus on Check again"
        )
        assert_focus_usable(again, "Shift+Tab from Back")
        # Space presses it: while the checks run it is disabled, so focus leaves it for a
        # usable control, and comes back to the page's way on when they pass.
        key(desktop, "space")
        tree = bus.wait_for_tree(
            lambda t: (
                bool(find(t, "label", "Everything is ready."))
                and focus_on(t, "push button", "Next")
            ),
            "the checks to pass again, focus on Next",
            timeout=STEP_TIMEOUT,
        )
        assert_focus_usable(tree, "after Check again")
        key(desktop, "shift+Tab", "shift+Tab")
        bus.wait_for_tree(
            lambda t: focus_on(t, "push button", "Check again"), "focus on Check again again"
        )

        # Enter with focus on Check again still presses the default button (Next).
        key(desktop, "Return")
        tree = bus.wait_for_tree(
            lambda t: (
                bool(find(t, "heading", "Terms of use"))
                and focus_on(t, "label", "Terms of use")  # read-only text
            ),
            "the Terms page with focus on the Terms",
            timeout=STEP_TIMEOUT,
        )
        assert_focus_usable(tree, "the Terms page")
        agree = find(tree, "push button", contains="Agree and activate")
        assert agree, "the irreversible step says what it does"
        assert "enabled" not in agree[0]["states"] or "sensitive" not in agree[0]["states"]
        key(desktop, "Tab")
        tree = bus.wait_for_tree(
            lambda t: focus_on(t, "check box", "I agree"), "focus on the agreement box"
        )
        key(desktop, "space")
        bus.wait_for_tree(
            lambda t: any(
                "sensitive" in item["states"]
                for item in find(t, "push button", contains="Agree and activate")
            ),
            "Agree and activate to be enabled",
        )
        key(desktop, "Return")

        # The migration, then the finish page: focus on Close, "in sync" announced once.
        tree = bus.wait_for_tree(
            lambda t: (
                bool(find(t, "heading", "Contacts Migration is active"))
                and focus_on(t, "push button", "Close")
            ),
            "the finish page with focus on Close",
            timeout=STEP_TIMEOUT,
        )
        assert_focus_usable(tree, "the finish page")
        summary = [item for item in tree if "contacts are online" in item["name"]]
        assert summary, "the finish page's summary is exposed with its words"
        bus.wait_for_tree(
            lambda _t: bool(announced(events(), "Contacts are in sync")),
            "the migration's end to be announced",
        )
        assert len(announced(events(), "Contacts are in sync")) == 1
        key(desktop, "Return")  # Close
        bus.wait_for_tree(
            lambda t: not find(t, "dialog", contains="Activate Contacts Migration"),
            "the wizard to close",
        )

        # The status window from anywhere in the Maintenance Map: a frame, focus on the
        # one action, Troubleshooting there whatever the light.
        bus.wait_for_tree(
            lambda t: any(
                "active" in item["states"] for item in find(t, "frame", contains="Maintenance Map")
            ),
            "the Maintenance Map to be the active window again",
        )
        key(desktop, "ctrl+shift+s")
        tree = bus.wait_for_tree(
            lambda t: (
                bool(find(t, "frame", contains="Contacts Migration status"))
                and focus_on(t, "push button", "Sync now")
            ),
            "the status window with focus on Sync now",
        )
        assert_focus_usable(tree, "the status window")
        assert find(tree, "heading", "Sync is active and running normally")
        assert find(tree, "push button", contains="Troubleshooting")
        # The counts line ticks on screen ("checked 5 s ago"); its spoken name carries a
        # clock time that stands still, so a screen reader is not told of a change every
        # second.
        tree = bus.wait_for_tree(
            lambda t: any(
                item["name"].startswith("Contacts online:")
                and re.search(r"\d\d:\d\d:\d\d", item["name"])
                for item in t
            ),
            "the counts line with the time the sync was last confirmed",
            timeout=STEP_TIMEOUT,
        )
        online = [item for item in tree if item["name"].startswith("Contacts online:")]
        assert "ago" not in online[0]["name"]

        # Enter presses the focused Sync now; what it found is announced and exposed in
        # full (it was exposed as "What Sync now found").
        key(desktop, "Return")
        bus.wait_for_tree(
            lambda _t: bool(announced(events(), "Checked")),
            "Sync now's outcome to be announced",
            timeout=STEP_TIMEOUT,
        )
        outcome = announced(events(), "Checked")[0]["text"]
        tree = bus.wait_for_tree(
            lambda t: any(item["name"] == outcome for item in t), "Sync now's outcome in full"
        )
        assert_focus_usable(tree, "after Sync now")

        # A red light with its reason is announced once; so is the way back to green.
        run_sql(practice_db, f'ALTER TABLE "{SETTINGS_TABLE}" RENAME TO "{SETTINGS_TABLE}Gone"')
        tree = bus.wait_for_tree(
            lambda t: bool(find(t, "heading", "Sync is inactive")),
            "the light to turn red",
            timeout=STEP_TIMEOUT,
        )
        bus.wait_for_tree(
            lambda _t: bool(announced(events(), "Sync is inactive")), "the red to be announced"
        )
        assert_focus_usable(tree, "the status window, red")

        # Troubleshooting by keyboard from the status window: what it means and every
        # step to fix it, in full words.
        key(desktop, "alt+t")
        words = REASON_WORDS[Reason.DATABASE_SCHEMA]
        steps = words.steps_for(FrontEnd.GUI)
        tree = bus.wait_for_tree(
            lambda t: (
                bool(find(t, "dialog", contains="Contacts Migration troubleshooting"))
                and bool(find(t, "heading", "How to fix it"))
                and bool(focused(t))
            ),
            "the troubleshooting window, red",
        )
        assert_focus_usable(tree, "troubleshooting, red")
        assert find(tree, "heading", "What this means")
        assert [item for item in tree if item["name"] == words.meaning]
        step_lists = [item for item in tree if steps[0] in item["name"]]
        assert step_lists, "the steps are exposed with their words"
        for step in steps:
            assert step in step_lists[0]["name"]

        run_sql(practice_db, f'ALTER TABLE "{SETTINGS_TABLE}Gone" RENAME TO "{SETTINGS_TABLE}"')
        tree = bus.wait_for_tree(
            lambda t: any(item["name"].startswith("Everything is working") for item in t),
            "troubleshooting to say the light is green again",
            timeout=STEP_TIMEOUT,
        )
        assert_focus_usable(tree, "troubleshooting, green")
        bus.wait_for_tree(
            lambda _t: bool(announced(events(), "Sync is running again")),
            "the way back to green to be announced",
        )
        assert len(announced(events(), "Sync is inactive")) == 1
        assert len(announced(events(), "Sync is running again")) == 1
        # the status window renders the same status in its own slot: wait for it too,
        # rather than read it from the snapshot that showed troubleshooting green
        tree = bus.wait_for_tree(
            lambda t: bool(find(t, "heading", "Sync is active and running normally")),
            "the status window's heading to say green again",
            timeout=STEP_TIMEOUT,
        )
        assert find(tree, "push button", contains="Save diagnostics file")
        assert find(tree, "push button", contains="Copy diagnostics")


def test_a_failed_check_takes_focus_and_is_announced(
    practice_db: Path, sandbox: RunningSandbox, isolated_home: Path, tmp_path: Path
) -> None:
    """An error takes focus (a screen reader reads it at once) and is announced; once
    fixed, Check again brings focus back to the way on."""
    run_sql(practice_db, f'ALTER TABLE "{SETTINGS_TABLE}" RENAME TO "{SETTINGS_TABLE}Gone"')
    with (
        real_desktop(1024, 768) as desktop,
        accessibility_bus(desktop, APP_NAME) as bus,
        bus.listening(tmp_path / "announcements.jsonl") as events,
        program(bus, practice_db, sandbox, isolated_home, tmp_path / "gui.log"),
    ):
        bus.last_tree_file = tmp_path / "last-tree.json"
        bus.wait_for_tree(
            lambda t: focus_on(t, "push button", "Activate Contacts Migration"),
            "the Maintenance Map with focus on Activate",
        )
        key(desktop, "Return")
        bus.wait_for_tree(lambda t: focus_on(t, "push button", "Yes"), "focus on Yes")
        key(desktop, "Return")
        tree = bus.wait_for_tree(
            lambda t: (
                bool(find(t, "label", contains="Fix the problems below"))
                and bool(focused(t))
                and focused(t)[0]["role"] == "label"
            ),
            "the failed check's problem to take focus",
            timeout=STEP_TIMEOUT,
        )
        assert_focus_usable(tree, "a failed check")
        assert "What to do:" in focused(tree)[0]["name"], "focus is on the problem and its fix"
        bus.wait_for_tree(
            lambda _t: bool(announced(events(), "Fix the problems below")),
            "the failed check to be announced",
        )
        assert len(announced(events(), "Fix the problems below")) == 1

        run_sql(practice_db, f'ALTER TABLE "{SETTINGS_TABLE}Gone" RENAME TO "{SETTINGS_TABLE}"')
        key(desktop, "alt+c")  # Check again
        tree = bus.wait_for_tree(
            lambda t: (
                bool(find(t, "label", "Everything is ready."))
                and focus_on(t, "push button", "Next")
            ),
            "the checks to pass, focus on Next",
            timeout=STEP_TIMEOUT,
        )
        assert_focus_usable(tree, "checks passed after the fix")
