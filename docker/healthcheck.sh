#!/bin/bash
# The image's HEALTHCHECK: GET /healthz on the bot's own port. bash's /dev/tcp instead of curl (not in the image)
# or a second node process (~40 MB counted against the container's 128 MB limit). The body, which names the
# failing part (telegram, redis, monitor), goes to stdout: `docker inspect` keeps it in State.Health.Log.
port="${HEALTHCHECK_PORT:-${HTTP_PORT:-8080}}"
exec 3<>"/dev/tcp/127.0.0.1/${port}" 2>/dev/null || { echo "nothing listens on port ${port}"; exit 1; }
printf 'GET /healthz HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
IFS= read -r -t 4 status <&3 || { echo "no answer from /healthz within 4 s"; exit 1; }
body=""
while IFS= read -r -t 4 line <&3; do body="$line"; done
echo "${body:-$status}"
case "$status" in
  "HTTP/1."?" 200 "*) exit 0 ;;
  *) exit 1 ;;
esac
