"""Every top-level window opens whole inside the screen's available area, on a small
laptop screen (1024x600) and at 150 % scaling on 1280x800 (853x533 logical pixels).

The real program's windows on a real X server (Xvfb) with a real window manager
(openbox, which draws the frames) and a real tray (trayer, which takes a strip of the
screen); each frame is where the window manager put it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Final

import pytest

from tests.gui.desktop import real_desktop

REPO: Final = Path(__file__).resolve().parents[2]
WINDOWS: Final = {"launcher", "status", "troubleshooting", "quit", "wizard", "setup"}
PROBE_TIMEOUT: Final = 300


@pytest.mark.parametrize(
    ("width", "height", "scale"),
    [(1024, 600, "1"), (1280, 800, "1.5")],
    ids=["1024x600", "1280x800-at-150%"],
)
def test_every_window_fits_the_screen(width: int, height: int, scale: str, tmp_path: Path) -> None:
    out = tmp_path / "frames.json"
    with real_desktop(width, height, tray=True) as desktop:
        env = desktop.env
        env["QT_SCALE_FACTOR"] = scale
        env["CONTACTS_MIGRATION_HOME"] = os.environ["CONTACTS_MIGRATION_HOME"]
        done = subprocess.run(
            [sys.executable, "-m", "tests.gui.window_probe", str(out), str(tmp_path / "no.db")],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=PROBE_TIMEOUT,
            check=False,
        )
    assert done.returncode == 0, done.stderr[-3000:]
    frames = json.loads(out.read_text(encoding="utf-8"))
    assert set(frames) == WINDOWS
    outside = []
    for name, where in frames.items():
        x, y, w, h = where["frame"]
        ax, ay, aw, ah = where["available"]
        assert ah < round(height / float(scale)), "the tray's strip should not be available"
        if not (x >= ax and y >= ay and x + w <= ax + aw and y + h <= ay + ah and w and h):
            outside.append(f"{name}: frame {where['frame']} not inside {where['available']}")
    assert not outside, "\n".join(outside)
    # The set-up dialog showing a long problem: no field squashed, no words cut off.
    assert frames["setup"]["squashed"] == []
