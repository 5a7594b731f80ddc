#!/usr/bin/env bash
# Builds the Linux bundle dist/contacts-migration/ from packaging/contacts_migration.spec.
#
#   bash packaging/build_linux.sh [--force]
#
# Needs the [build] extra (scripts/setup.sh installs it). A build is skipped when the
# sources, the spec and the installed packages are unchanged since the last one (their
# hash is kept in build/bundle.sha256); --force rebuilds. Prints the time and the size.
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON="${PYTHON:-.venv/bin/python}"
DIST=dist/contacts-migration
STAMP=build/bundle.sha256

source_hash() {
  "$PYTHON" - <<'PY'
import hashlib, subprocess, sys
from pathlib import Path

digest = hashlib.sha256(sys.version.encode())
roots = ["engine", "sampledata", "contacts_migration", "gui", "sandbox", "resources", "packaging"]
files = sorted(p for r in roots for p in Path(r).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
for path in [Path("pyproject.toml"), *files]:
    digest.update(str(path).encode() + b"\0" + path.read_bytes() + b"\0")
freeze = subprocess.run([sys.executable, "-m", "pip", "freeze", "--all"], capture_output=True, text=True)
digest.update(freeze.stdout.encode())
print(digest.hexdigest())
PY
}

wanted="$(source_hash)"
if [ "${1:-}" != "--force" ] && [ -x "$DIST/contacts-migration" ] && [ -f "$STAMP" ] \
    && [ "$(cat "$STAMP")" = "$wanted" ]; then
  echo "Bundle is up to date: $DIST ($(du -sh "$DIST" | cut -f1)); --force rebuilds."
  exit 0
fi

"$PYTHON" -c "import PyInstaller" 2>/dev/null || {
  echo "PyInstaller is not installed: run bash scripts/setup.sh (it installs the [build] extra)." >&2
  exit 3
}
rm -f "$STAMP"
# PyInstaller's cache (and --clean, which empties it) in this checkout, not the user's
# ~/.cache: two builds at once from two clones (CI runs side by side) would otherwise
# wipe or half-write each other's binary cache index.
export PYINSTALLER_CONFIG_DIR="$PWD/build/pyinstaller-cache"
started=$(date +%s)
"$PYTHON" -m PyInstaller --noconfirm --clean --log-level WARN \
  --distpath dist --workpath build/pyinstaller packaging/contacts_migration.spec
elapsed=$(( $(date +%s) - started ))
mkdir -p build
echo "$wanted" > "$STAMP"
echo "Built $DIST in ${elapsed} s; size $(du -sh "$DIST" | cut -f1) ($(du -sb "$DIST" | cut -f1) bytes)."
