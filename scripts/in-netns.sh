#!/usr/bin/env bash
# Runs a command in a private network namespace whose loopback also carries 127.0.0.2, for the
# browser tests: aiortc's ICE skips 127.0.0.1, and nothing in here can reach the outside.
set -euo pipefail
if [ "${POSECHECK_IN_NETNS:-}" != 1 ]; then
  if [ "$(id -u)" -eq 0 ]; then
    exec env POSECHECK_IN_NETNS=1 unshare --net "$0" "$@"
  fi
  exec env POSECHECK_IN_NETNS=1 unshare --user --map-root-user --net "$0" "$@"
fi
ip link set lo up
ip addr add 127.0.0.2/8 dev lo
exec "$@"
