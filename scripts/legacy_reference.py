"""Landmarks from mediapipe 0.10.21's legacy `mp.solutions.pose` on the same photos: an
independent reference for our bundled model and colour handling (the legacy pipeline ships its
own graph and does its own RGB handling).

Runs in the throwaway environment `make model` uses (mediapipe==0.10.21):
    VENV/bin/python scripts/legacy_reference.py MEDIA > tests/fixtures/legacy_reference.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import mediapipe as mp

PHOTOS = [
    "01_hip_flexor_low_lunge/kneeling_hip_flexor_side.jpg",
    "99_misc_reference/mediapipe_pose_test_image.jpg",
    "03_childs_pose/childs_pose_side.jpg",
    "10_desk_sitting/side_upright_chair_man.jpg",
]


def main() -> None:
    media = Path(sys.argv[1])
    out: dict[str, list[list[float]]] = {}
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        for name in PHOTOS:
            image = cv2.imread(str(media / name))
            result = pose.process(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
            out[name] = [
                [round(p.x, 5), round(p.y, 5), round(p.visibility, 4)]
                for p in result.pose_landmarks.landmark
            ]
    print(json.dumps({"mediapipe": mp.__version__, "model_complexity": 1, "photos": out}))


if __name__ == "__main__":
    main()
