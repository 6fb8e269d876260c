#!/usr/bin/env bash
# The one test command: installs and starts what the tests need, type-checks, runs every test, stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
source scripts/test-env.sh
trap stop_test_env EXIT

npx tsc --noEmit
npx vitest run "$@"
