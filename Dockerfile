# mana-ops container image. Three stages: the build (all dependencies, esbuild bundle), the production
# dependencies, and the runtime (node, tini, the bundle, production node_modules; a non-root user).
#
# BASE_IMAGE is any Debian-based image with Node.js of a line package.json's engines names on PATH. The default is
# the official Node 24 LTS image (maintained until 2028-04-30); where no registry is reachable, `scripts/image.sh
# base` makes one of Debian trixie with the same official Node 24 build, taken from the npm registry.
ARG BASE_IMAGE=node:24-bookworm-slim

FROM ${BASE_IMAGE} AS build
# A base with node but without npm (Debian's nodejs package) gets Debian's npm for the build only.
RUN command -v npm >/dev/null || (apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends npm >/dev/null \
      && rm -rf /var/lib/apt/lists/*)
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json ./
COPY src ./src
RUN npm run build --silent

# Production dependencies only, installed afresh (npm prune leaves optional dev packages behind).
FROM build AS deps
RUN rm -rf node_modules && npm ci --omit=dev --no-audit --no-fund --loglevel=error && rm -rf node_modules/.cache

FROM ${BASE_IMAGE} AS runtime
# tini as PID 1: signals reach node, and zombies are reaped. tzdata: the estate's clock is read from the system's
# time-zone files (a few KB) rather than Intl, whose first use costs the process about 10 MB of ICU data.
# Each installed only where the base lacks it.
RUN (command -v tini >/dev/null && [ -e /usr/share/zoneinfo/Europe/Berlin ]) || (apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends tini tzdata >/dev/null \
      && rm -rf /var/lib/apt/lists/*)
RUN groupadd --system --gid 10001 manaops \
    && useradd --system --uid 10001 --gid manaops --home-dir /app --no-create-home --shell /usr/sbin/nologin manaops
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY config/estate.example.yml ./config/estate.example.yml
COPY docker/healthcheck.sh /usr/local/bin/mana-ops-healthcheck
# Telegram mode: a container without a token must say so and stop, not open the console on a closed stdin.
# A small young generation keeps RSS well inside the 128 MB limit (measured in bench/image.bench.ts).
ENV NODE_ENV=production \
    MANA_OPS_MODE=telegram \
    HTTP_PORT=8080 \
    ESTATE_FILE=/app/config/estate.yml
USER 10001:10001
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["/usr/local/bin/mana-ops-healthcheck"]
ENTRYPOINT ["tini", "--", "node", "--enable-source-maps", "--max-semi-space-size=2", "--max-old-space-size=96"]
CMD ["dist/main.js"]
