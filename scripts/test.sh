#!/usr/bin/env bash
# Install everything the tests need (Python packages into .venv, Debian's chromium for the browser tests, the JS
# checkers into node_modules from npm), lint and type-check, then run the whole test suite. Extra arguments go to
# pytest, e.g. ./scripts/test.sh -m "not e2e".
set -euo pipefail
cd "$(dirname "$0")/.."
apt_install() {
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  fi
}
command -v chromium >/dev/null 2>&1 || apt_install chromium
command -v npm >/dev/null 2>&1 || apt_install nodejs npm
bash scripts/setup_env.sh requirements-dev.txt
# typescript and eslint, pinned by package-lock.json; reinstalled only when the lock changed since the last install.
stamp="node_modules/.installed-package-lock.json"
if [ ! -f "$stamp" ] || ! cmp -s package-lock.json "$stamp"; then
  npm ci --no-audit --no-fund --ignore-scripts --loglevel=error
  cp package-lock.json "$stamp"
fi
.venv/bin/ruff check .
.venv/bin/ruff format --check .
.venv/bin/python -m explorer.shared.browser.contracts  # the contract.d.ts files are current
npx --no-install tsc -p tsconfig.json
npx --no-install eslint explorer
exec .venv/bin/python -m pytest "$@"
