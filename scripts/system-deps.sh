#!/usr/bin/env bash
# Installs the system packages the tests use (ffmpeg, Chromium) when they are missing.
set -euo pipefail
missing=()
command -v ffmpeg >/dev/null 2>&1 || missing+=(ffmpeg)
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "posecheck: the tests need these system packages: ${missing[*]}." >&2
  echo "Install them with: sudo apt-get install -y ${missing[*]}   (then run make test again)" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${missing[@]}" >/dev/null
