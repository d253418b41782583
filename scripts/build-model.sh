#!/usr/bin/env bash
# Rebuilds models/pose_landmarker_full.task in a throwaway virtual environment with the
# mediapipe 0.10.21 wheel, then checks it against the committed file's sha256.
set -euo pipefail
cd "$(dirname "$0")/.."
expected=$(sed -n 's/^BUNDLED_MODEL_SHA256 = "\(.*\)"$/\1/p' posecheck/settings.py)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "mediapipe==0.10.21" "numpy<2"
"$work/venv/bin/python" scripts/build_model.py "$work/pose_landmarker_full.task"
actual=$(sha256sum "$work/pose_landmarker_full.task" | cut -d' ' -f1)
if [ "$actual" != "$expected" ]; then
  echo "The rebuilt model differs: sha256 $actual, expected $expected." >&2
  echo "If the change is intended, update BUNDLED_MODEL_SHA256 and models/README.md." >&2
  cp "$work/pose_landmarker_full.task" models/pose_landmarker_full.task.new
  echo "The new file is at models/pose_landmarker_full.task.new" >&2
  exit 1
fi
cp "$work/pose_landmarker_full.task" models/pose_landmarker_full.task
echo "models/pose_landmarker_full.task rebuilt: identical to the committed file (sha256 $actual)."
