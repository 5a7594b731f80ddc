#!/usr/bin/env bash
# The README's demo command: sets up, then runs the demo practice end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/contacts-migration demo "$@"
