#!/usr/bin/env bash
# Sets up a working copy on Debian/Ubuntu: system packages when missing, a .venv, the
# project with its development extras. Safe to run again: it only adds what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

# System packages the tests and the demo use: unixODBC with the PostgreSQL and SQLite
# drivers, a PostgreSQL server for the ODBC tests, and the libraries Qt needs to draw
# (on a screen, under Xvfb, or offscreen); a real desktop for the GUI tests (the openbox
# window manager, the trayer system tray, xdotool/xwininfo/xprop, ImageMagick's import
# for screenshots); binutils (objdump, strip) for the PyInstaller build; Debian's chromium
# and its driver for the browser tests (the contacts page, the sign-in); the Linux
# accessibility bus (AT-SPI), a D-Bus session launcher and the system python3's pyatspi
# for the screen-reader tests (tests/gui/test_accessibility_bus.py).
APT_PACKAGES=(
  python3-venv
  unixodbc libsqliteodbc odbc-postgresql postgresql
  xvfb xauth libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0 fonts-dejavu-core
  trayer openbox xdotool x11-utils imagemagick
  binutils
  chromium chromium-driver
  tdsodbc
  dbus-daemon dbus-bin dbus-x11 at-spi2-core python3-pyatspi
)

missing=()
for package in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" \
    || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing system packages: ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

PYTHON="${PYTHON:-python3}"
"$PYTHON" - <<'PY' || { echo "Python 3.11 or newer is needed (found: $("$PYTHON" --version 2>&1))." >&2; exit 1; }
import sys
raise SystemExit(0 if sys.version_info >= (3, 11) else 1)
PY
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
.venv/bin/python -m pip install -q --upgrade pip
.venv/bin/python -m pip install -q -e '.[dev,build]'
