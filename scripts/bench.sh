#!/usr/bin/env bash
# Runs a benchmark: `scripts/bench.sh pipeline` (Bot API emulator), `docker` (starts dockerd), `gpu` (emulated box), `host` (real sshd, the Mac's wrapper),
# `checks`, `storm` (real Alertmanager), `outage` (Telegram away for 20 s to 2 min), `render` (charts, real VictoriaMetrics) or `image` (builds the container image; starts dockerd).
set -euo pipefail
cd "$(dirname "$0")/.."
[ -d node_modules ] || npm ci --no-audit --no-fund
case "${1:-pipeline}" in
  pipeline) exec npx tsx bench/pipeline.bench.ts ;;
  gpu) exec npx tsx bench/gpu.bench.ts ;;
  host) exec npx tsx bench/host.bench.ts ;;
  checks) exec npx tsx bench/checks.bench.ts ;;
  storm) exec npx tsx bench/storm.bench.ts ;;
  outage) exec npx tsx bench/outage.bench.ts ;;
  render) exec npx tsx bench/render.bench.ts ;;
  docker)
    source scripts/test-env.sh
    trap stop_test_env EXIT
    node --expose-gc --import tsx bench/docker.bench.ts ;;
  image)
    source scripts/test-env.sh
    trap stop_test_env EXIT
    build_bot_image
    npx tsx bench/image.bench.ts ;;
  *) echo "usage: scripts/bench.sh pipeline|docker|gpu|host|checks|storm|outage|render|image" >&2; exit 2 ;;
esac
