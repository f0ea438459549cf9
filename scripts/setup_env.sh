#!/usr/bin/env bash
# Creates .venv (if missing) and installs the requirements file given as $1 into it. Run with bash by run.sh
# and test.sh (not sourced) so both README commands work on a fresh clone with nothing installed by hand.
set -euo pipefail
requirements="$1"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
# Reinstall only when the requirements changed since the last successful install (saves ~10 s per run).
stamp=".venv/.installed-$(basename "$requirements")"
if [ ! -f "$stamp" ] || ! cmp -s <(cat requirements*.txt) "$stamp"; then
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$requirements"
  cat requirements*.txt > "$stamp"
fi
