#!/usr/bin/env bash
# Installs (Debian packages) and starts what the tests need, once: a private dockerd with a busybox image
# built offline (build_bot_image adds the bot's own image). Sourced by scripts/test.sh; exports MO_DOCKER_SOCK and MO_TEST_IMAGE for the tests.
set -euo pipefail

need_pkgs=()
command -v dockerd >/dev/null 2>&1 || need_pkgs+=(docker.io)
command -v redis-server >/dev/null 2>&1 || need_pkgs+=(redis-server)
[ -x /usr/sbin/sshd ] || need_pkgs+=(openssh-server)
[ -x /bin/busybox ] || need_pkgs+=(busybox-static)
command -v prometheus-alertmanager >/dev/null 2>&1 || need_pkgs+=(prometheus-alertmanager)
command -v docker-compose >/dev/null 2>&1 || need_pkgs+=(docker-compose)
command -v debootstrap >/dev/null 2>&1 || need_pkgs+=(debootstrap)
command -v victoria-metrics >/dev/null 2>&1 || need_pkgs+=(victoria-metrics)
[ -e /usr/share/zoneinfo/Europe/Berlin ] || need_pkgs+=(tzdata)
if [ ${#need_pkgs[@]} -gt 0 ]; then
  echo "test-env: installing ${need_pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${need_pkgs[@]}" >/dev/null
fi
# Debian starts redis-server, alertmanager and victoria-metrics as system services on install; the tests run their
# own on free loopback ports.

# Short path: unix socket paths must stay under 108 characters.
MO_ENV_DIR=$(mktemp -d /tmp/mo-XXXX)
export MO_ENV_DIR
export MO_DOCKER_SOCK="$MO_ENV_DIR/docker.sock"
export MO_TEST_IMAGE="mana-ops-test-busybox:latest"

dockerd --host "unix://$MO_DOCKER_SOCK" --data-root "$MO_ENV_DIR/data" --exec-root "$MO_ENV_DIR/exec" \
  --pidfile "$MO_ENV_DIR/dockerd.pid" --iptables=false --ip6tables=false --bridge=none --host-gateway-ip=127.0.0.1 \
  >"$MO_ENV_DIR/dockerd.log" 2>&1 &
for _ in $(seq 1 100); do
  DOCKER_HOST="unix://$MO_DOCKER_SOCK" docker version >/dev/null 2>&1 && break
  sleep 0.1
done
if ! DOCKER_HOST="unix://$MO_DOCKER_SOCK" docker version >/dev/null 2>&1; then
  echo "test-env: dockerd did not start; its log:" >&2
  tail -20 "$MO_ENV_DIR/dockerd.log" >&2
  exit 1
fi

# A busybox image without a registry: the static binary and its applet links, imported as a rootfs.
rootfs="$MO_ENV_DIR/rootfs"
mkdir -p "$rootfs/bin" "$rootfs/tmp" "$rootfs/www" "$rootfs/etc"
cp /bin/busybox "$rootfs/bin/busybox"
for applet in $(/bin/busybox --list); do
  [ "$applet" = busybox ] || ln -sf busybox "$rootfs/bin/$applet"
done
echo 'root:x:0:0:root:/:/bin/sh' >"$rootfs/etc/passwd"
tar -C "$rootfs" -c . | DOCKER_HOST="unix://$MO_DOCKER_SOCK" docker import \
  -c 'CMD ["/bin/sh"]' -c 'ENV PATH=/bin' - "$MO_TEST_IMAGE" >/dev/null
echo "test-env: dockerd ready at $MO_DOCKER_SOCK with $MO_TEST_IMAGE"

# The bot's image from the Dockerfile, on a Debian base made here (scripts/image.sh).
export MO_BOT_IMAGE="mana-ops:test"
build_bot_image() {
  DOCKER_HOST="unix://$MO_DOCKER_SOCK" bash scripts/image.sh all "$MO_BOT_IMAGE"
}

stop_test_env() {
  if [ -f "$MO_ENV_DIR/dockerd.pid" ]; then
    DOCKER_HOST="unix://$MO_DOCKER_SOCK" docker ps -aq 2>/dev/null | xargs -r env DOCKER_HOST="unix://$MO_DOCKER_SOCK" docker rm -f >/dev/null 2>&1 || true
    kill "$(cat "$MO_ENV_DIR/dockerd.pid")" 2>/dev/null || true
    for _ in $(seq 1 50); do [ -e "$MO_ENV_DIR/dockerd.pid" ] || break; sleep 0.1; done
  fi
  umount "$MO_ENV_DIR/exec/netns/default" 2>/dev/null || true
  umount -R "$MO_ENV_DIR/data" 2>/dev/null || true
  rm -rf "$MO_ENV_DIR" 2>/dev/null || true
}
