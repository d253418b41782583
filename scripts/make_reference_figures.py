"""Write posecheck/specs/figures.json: for each catalog stretch, the stick figure the Coach page
draws as the target pose, taken from the best real in-position fixture (good form first, real
before a nearest-pose substitute; never one judged faulty, since the figure is the target).
Figure-four's only real example is faulty (head and shoulders curled up), so its figure is the
supine knees-bent fixture with one ankle placed over the other knee.

    .venv/bin/python scripts/make_reference_figures.py
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import numpy as np

from posecheck.landmarks import Landmark
from posecheck.metrics import Context, Limb
from posecheck.pose import Pose
from posecheck.specs import CATALOG_DIR, catalog

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
OUT = CATALOG_DIR.parent / "figures.json"


def load(name: str) -> Pose:
    data = json.loads((FIXTURES / "landmarks" / f"{name}.json").read_text())
    width, height = data["image_size"]
    return Pose.from_json(data["pose"], (width, height))


#: Where the automatic choice is not the clearest drawing: the chair stretch's substitutes are a
#: downward dog and a flat-back standing hinge; the hinge is closer (legs straight, trunk level).
PREFERRED = {"chair-stretch": "standing_forward_bend_small_t2_0"}


def choose(examples: dict[str, dict[str, object]], stretch: str) -> str | None:
    candidates = [
        (bool(info.get("nearest_pose_substitute")), info.get("form") != "good", name)
        for name, info in examples.items()
        if info.get("kind") == "stretch" and info.get("stretch") == stretch
        and info.get("in_position") and info.get("form") != "faulty" and not info.get("sequence")
    ]
    return min(candidates)[2] if candidates else None


def figure_four() -> tuple[Pose, str]:
    """The supine knees-bent pose with the worked ankle moved onto the other knee."""
    name = "knee_to_chest_bench_side_t6_5"
    pose = load(name)
    ctx = Context(pose)
    near = ctx.side_of(Limb.NEAR)
    far = "left" if near == "right" else "right"
    px = pose.pixels[:, :2].copy()
    knee = px[Landmark[f"{far.upper()}_KNEE"]]
    hip = px[Landmark[f"{near.upper()}_HIP"]]
    # Crossed leg: thigh out toward the other knee, ankle resting just on top of that knee.
    ankle = knee + np.array([0.0, -0.08 * np.linalg.norm(knee - hip)])
    new_knee = hip + 0.55 * (knee - hip) + np.array([0.0, -0.45 * np.linalg.norm(knee - hip)])
    for part, point in (("KNEE", new_knee), ("ANKLE", ankle), ("HEEL", ankle),
                        ("FOOT_INDEX", ankle + np.array([0.1 * np.linalg.norm(knee - hip), 0]))):
        px[Landmark[f"{near.upper()}_{part}"]] = point
    width, height = pose.image_size
    normalized = pose.normalized.copy()
    normalized[:, 0], normalized[:, 1] = px[:, 0] / width, px[:, 1] / height
    return Pose(normalized, pose.visibility, pose.presence, pose.world, pose.image_size), (
        f"{name} with one ankle placed over the other knee (the one real example is faulty)"
    )


def main() -> None:
    with (FIXTURES / "examples.toml").open("rb") as f:
        examples = tomllib.load(f)
    figures = {}
    for stretch in catalog():
        name = PREFERRED.get(stretch) or choose(examples, stretch)
        if name is not None:
            pose, source = load(name), name
        elif stretch == "figure-four":
            pose, source = figure_four()
        else:
            raise SystemExit(f"no fixture to draw {stretch} from")
        # Pixel-aspect coordinates scaled into a unit box: the figure keeps its proportions.
        xy = pose.pixels[:, :2]
        seen = (pose.visibility >= 0.5) & (pose.presence >= 0.5)
        box = xy[seen]
        low, size = box.min(axis=0), float((box.max(axis=0) - box.min(axis=0)).max())
        unit = (xy - low) / size
        figures[stretch] = {
            "source": source,
            "xy": [[round(float(x), 4), round(float(y), 4)] for x, y in unit],
            "seen": [bool(s) for s in seen],
        }
        print(f"{stretch:<22}{source}")
    OUT.write_text(json.dumps(figures, indent=1) + "\n")


if __name__ == "__main__":
    main()
