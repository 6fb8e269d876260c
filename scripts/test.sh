#!/usr/bin/env bash
# The one test command: installs and starts what the tests need, type-checks, runs every test, stops it all.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
source scripts/test-env.sh
trap stop_test_env EXIT

# The image (about a minute) only when the run includes its test: all of them, or a path naming it.
if [ $# -eq 0 ] || [[ " $* " == *image* ]]; then
  build_bot_image &
  image_build=$!
fi
npx tsc --noEmit
if [ -n "${image_build:-}" ]; then wait "$image_build"; fi
npx vitest run "$@"
