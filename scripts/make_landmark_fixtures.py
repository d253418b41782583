"""Write committed landmark fixtures from the shared media: numbers derived from the photos.

    .venv/bin/python scripts/make_landmark_fixtures.py [NAME ...]

Each fixture in FIXTURES becomes tests/fixtures/landmarks/NAME.json holding the media path,
image size and the pose (or null). Rerun after changing the model; the golden test then
compares fresh detections against these files.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from posecheck.estimator import Estimator
from posecheck.images import read_image
from posecheck.media import media_dir

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "landmarks"

#: name -> (media path, crop (x0, y0, x1, y1) in pixels or None)
FIXTURES: dict[str, tuple[str, tuple[int, int, int, int] | None]] = {
    "kneeling_hip_flexor_side": ("01_hip_flexor_low_lunge/kneeling_hip_flexor_side.jpg", None),
    "mediapipe_test_image": ("99_misc_reference/mediapipe_pose_test_image.jpg", None),
    "childs_pose_side": ("03_childs_pose/childs_pose_side.jpg", None),
    "cobra_side": ("06_cobra_sphinx/cobra_side.jpg", None),
    "side_upright_chair_man": ("10_desk_sitting/side_upright_chair_man.jpg", None),
    "standing_front_woman": ("09_standing_posture/standing_front_woman.jpg", None),
    "squat_two_phase_side": ("02_deep_squat/squat_two_phase_side.jpg", None),
    # The brick wall left of the kneeling woman: a real photo with nobody in it.
    "empty_wall": ("01_hip_flexor_low_lunge/kneeling_hip_flexor_side.jpg", (0, 0, 600, 450)),
}


def make(name: str, estimator: Estimator) -> dict[str, object]:
    source, crop = FIXTURES[name]
    image = read_image(media_dir() / source)
    if crop is not None:
        x0, y0, x1, y1 = crop
        image = image[y0:y1, x0:x1]
    pose = estimator.process(image)
    height, width = image.shape[:2]
    return {
        "source": source,
        "crop": list(crop) if crop else None,
        "image_size": [width, height],
        "people": pose.people if pose else 0,
        "pose": pose.to_json() if pose else None,
    }


def main(names: list[str]) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with Estimator() as estimator:
        for name in names or list(FIXTURES):
            data = make(name, estimator)
            (OUT / f"{name}.json").write_text(json.dumps(data, indent=1) + "\n")
            print(f"{name}: people={data['people']}")


if __name__ == "__main__":
    main(sys.argv[1:])
