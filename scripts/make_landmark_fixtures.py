"""Write committed landmark fixtures from the shared media: numbers derived from photos and clips.

    .venv/bin/python scripts/make_landmark_fixtures.py [NAME ...]

Three kinds of fixture, all run through `posecheck.estimator.Estimator`:

* FIXTURES: a photo (optionally cropped), IMAGE mode -> tests/fixtures/landmarks/NAME.json
* FRAMES: one frame of a clip at `time_s` (the first frame whose time is >= time_s), decoded
  with PyAV, IMAGE mode -> tests/fixtures/landmarks/NAME.json (same schema; `time_s` set)
* SEQUENCES: a stretch of a clip in VIDEO mode (every decoded frame between start and end is
  fed to the tracker, with timestamps in ms from the stream; one frame every `step_s` is
  written) -> tests/fixtures/sequences/NAME.json = {"source", "image_size", "start_s", "end_s",
  "step_s", "frames": [{"t_ms", "pose"}]}, one frame per line.

Landmark files: {"source", "time_s" (null for photos), "frame_time_s", "crop", "image_size",
"people", "pose": {"person", "landmarks": 33 x [x, y, z, visibility, presence],
"world_landmarks": 33 x [x, y, z]} or null}. Numbers are rounded to 5 decimals. What each
fixture shows (stretch, side, view, form) is recorded in tests/fixtures/examples.toml.

With no NAME every fixture is (re)written; rerun after changing the model, then review the
diff: the golden tests compare fresh detections against these files. The media itself never
enters the repository.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from posecheck.estimator import Estimator, RunningMode
from posecheck.images import read_image
from posecheck.media import media_dir
from posecheck.pose import Pose

ROOT = Path(__file__).resolve().parent.parent / "tests" / "fixtures"
OUT = ROOT / "landmarks"
SEQ_OUT = ROOT / "sequences"
DECIMALS = 5

Crop = tuple[int, int, int, int] | None

#: name -> (media path, crop (x0, y0, x1, y1) in pixels or None)
FIXTURES: dict[str, tuple[str, Crop]] = {
    "kneeling_hip_flexor_side": ("01_hip_flexor_low_lunge/kneeling_hip_flexor_side.jpg", None),
    "mediapipe_test_image": ("99_misc_reference/mediapipe_pose_test_image.jpg", None),
    "childs_pose_side": ("03_childs_pose/childs_pose_side.jpg", None),
    "cobra_side": ("06_cobra_sphinx/cobra_side.jpg", None),
    "side_upright_chair_man": ("10_desk_sitting/side_upright_chair_man.jpg", None),
    "standing_front_woman": ("09_standing_posture/standing_front_woman.jpg", None),
    "squat_two_phase_side": ("02_deep_squat/squat_two_phase_side.jpg", None),
    # The brick wall left of the kneeling woman: a real photo with nobody in it.
    "empty_wall": ("01_hip_flexor_low_lunge/kneeling_hip_flexor_side.jpg", (0, 0, 600, 450)),
    # --- stretches in position (tests/fixtures/examples.toml says what each one shows)
    "rear_foot_elevated_lunge_chair": (
        "01_hip_flexor_low_lunge/rear_foot_elevated_lunge_chair.jpg",
        None,
    ),
    "deep_squat_side_small": ("02_deep_squat/deep_squat_side_small.jpg", None),
    "malasana_front": ("02_deep_squat/malasana_front.jpg", None),
    "squat_parallel_side": ("02_deep_squat/squat_parallel_side.jpg", None),
    # Two stacked photos: cow on top, cat below (the strip between them belongs to neither).
    "cat_cow_side_cow": ("04_cat_cow_all_fours/cat_cow_side.jpg", (0, 0, 1024, 500)),
    "cat_cow_side_cat": ("04_cat_cow_all_fours/cat_cow_side.jpg", (0, 536, 1024, 1024)),
    # --- other poses entirely (negatives)
    "tree_02": ("11_yoga_poses/tree_02.jpg", None),
    "tree_04": ("11_yoga_poses/tree_04.jpg", None),
    "goddess_2": ("11_yoga_poses/goddess_2.jpeg", None),
    "goddess_14": ("11_yoga_poses/goddess_14.jpg", None),
    "downdog_side_pragya": ("11_yoga_poses/downdog_side_pragya.jpg", None),
    "plank_forearm_woman_side": ("11_yoga_poses/plank_forearm_woman_side.jpg", None),
    "plank_forearm_man_side": ("11_yoga_poses/plank_forearm_man_side.jpg", None),
    "warrior2_front_ooibowei": ("11_yoga_poses/warrior2_front_ooibowei.jpg", None),
    "warrior2_9": ("11_yoga_poses/warrior2_9.jpg", None),
    "standing_front_arms_overhead": ("09_standing_posture/standing_front_arms_overhead.jpg", None),
    "seated_fold_grass_side": ("08_forward_fold_hamstring/seated_fold_grass_side.jpg", None),
    "bird_dog_side": ("04_cat_cow_all_fours/bird_dog_side.jpg", None),
    # --- desk and standing posture
    **{
        name: (f"10_desk_sitting/{name}.jpg", None)
        for name in (
            "side_desk_ball_chair_forward_head",
            "side_desk_laptop_woman",
            "side_desk_neck_pain_woman",
            "side_desk_upright_annotated",
            "side_desk_upright_woman_2",
            "side_hunchback_desk_man",
            "side_leaning_forward_man",
            "side_man_sitting_chair",
            "side_recline_man",
            "side_reclined_angle_overlay",
            "side_slouch_woman_chair",
            "front_high_desk_woman",
            "front_recline_student",
            "front_recline_student_2",
            "front_slumped_office",
            "webcam_front_two_people",
        )
    },
    "side_desk_upright_woman": ("10_desk_sitting/side_desk_upright_woman.webp", None),
    **{
        name: (f"09_standing_posture/{name}.jpg", None)
        for name in (
            "text_neck_phone_side",
            "standing_side_upright_woman",
            "standing_side_man_turtleneck",
            "standing_side_businessman",
            "standing_side_woman_front_label",
        )
    },
    "business_person_front_upper": ("09_standing_posture/business_person_front_upper.png", None),
    # --- floor stretches from one studio (free-exercise-db): the first real figure-four and
    # band-hamstring photos, their look-alikes, and partner-assisted stretches (two people)
    **{
        f"fedb_{name.lower().replace('-', '_')}": (f"14_floor_stretch_photos/fedb_{name}.jpg", None)
        for name in (
            "Ankle_On_The_Knee_1",
            "Seated_Glute_0",
            "Seated_Glute_1",
            "Piriformis-SMR_0",
            "Piriformis-SMR_1",
            "Hamstring_Stretch_0",
            "Hamstring_Stretch_1",
            "Lying_Crossover_0",
            "Lying_Crossover_1",
            "Pelvic_Tilt_Into_Bridge_0",
            "IT_Band_and_Glute_Stretch_1",
        )
    },
    # --- laptop webcam, front view: pairs of one person upright and not (13_front_webcam)
    **{
        name: (f"13_front_webcam/{name}.png", None)
        for name in (
            "hcpg_good_posture",
            "hcpg_setup",
            "hcpg_bad_posture",
            "pds_good_posture",
            "pds_bad_posture",
        )
    },
    **{
        name: (f"13_front_webcam/{name}.jpg", None)
        for name in ("posturecv_debug1", "posturecv_debug2")
    },
    # The man alone (the woman left of x = 560 cropped away): the other person of the two-people
    # webcam frame, for telling a second person from the calibrated user.
    "webcam_front_two_people_man": (
        "10_desk_sitting/webcam_front_two_people.jpg",
        (560, 0, 1280, 720),
    ),
}

#: Clips used by FRAMES and SEQUENCES (paths inside the media folder).
LUNGES_SIDE = "01_hip_flexor_low_lunge/lunges_side.mp4"
GOBLET_SQUAT_FRONT = "02_deep_squat/goblet_squat_front.mp4"
CHILDS_POSE_SIDE = "03_childs_pose/childs_pose_side.mp4"
CHILDS_TO_DOWNDOG_SIDE = "03_childs_pose/childs_to_downdog_side.mp4"
FIRE_HYDRANT_ALLFOURS = "04_cat_cow_all_fours/fire_hydrant_allfours.mp4"
BENT_LEG_TWIST_SUPINE = "05_knee_to_chest_twist/bent_leg_twist_supine.mp4"
KNEE_TO_CHEST_BENCH_SIDE = "05_knee_to_chest_twist/knee_to_chest_bench_side.mp4"
LYING_TWIST_STRETCH = "05_knee_to_chest_twist/lying_twist_stretch.mp4"
SEATED_SPINAL_TWIST = "05_knee_to_chest_twist/seated_spinal_twist.mp4"
COBRA_CLOSEUP_SIDE = "06_cobra_sphinx/cobra_closeup_side.mp4"
COBRA_FEMALE_SIDE = "06_cobra_sphinx/cobra_female_side.mp4"
SPHINX_SIDE_PORTRAIT = "06_cobra_sphinx/sphinx_side_portrait.mp4"
CHEST_OPENER_HANDS_BEHIND_BACK = "07_chest_opener/chest_opener_hands_behind_back.mp4"
STANDING_FORWARD_BEND_SMALL = "08_forward_fold_hamstring/standing_forward_bend_small.mp4"
BRIDGE_SIDE_PHYSIO = "12_exercise_videos/bridge_side_physio.mp4"
STANDING_QUAD_STRETCH_WALL = "12_exercise_videos/standing_quad_stretch_wall.mp4"

#: name -> (clip path, time in seconds, crop or None)
FRAMES: dict[str, tuple[str, float, Crop]] = {
    "lunges_side_t5_0": (LUNGES_SIDE, 5.0, None),
    "lunges_side_t12_0": (LUNGES_SIDE, 12.0, None),
    "goblet_squat_front_t3_2": (GOBLET_SQUAT_FRONT, 3.2, None),
    "goblet_squat_front_t3_4": (GOBLET_SQUAT_FRONT, 3.4, None),
    "standing_forward_bend_small_t2_0": (STANDING_FORWARD_BEND_SMALL, 2.0, None),
    "standing_forward_bend_small_t8_2": (STANDING_FORWARD_BEND_SMALL, 8.2, None),
    "childs_to_downdog_side_t14_5": (CHILDS_TO_DOWNDOG_SIDE, 14.5, None),
    "chest_opener_hands_behind_back_t4_0": (CHEST_OPENER_HANDS_BEHIND_BACK, 4.0, None),
    "chest_opener_hands_behind_back_t9_5": (CHEST_OPENER_HANDS_BEHIND_BACK, 9.5, None),
    "chest_opener_hands_behind_back_t8_7": (CHEST_OPENER_HANDS_BEHIND_BACK, 8.7, None),
    "childs_pose_clip_t2_0": (CHILDS_POSE_SIDE, 2.0, None),
    "childs_pose_clip_t1_5": (CHILDS_POSE_SIDE, 1.5, None),
    "childs_pose_clip_t2_8": (CHILDS_POSE_SIDE, 2.8, None),
    "knee_to_chest_bench_side_t28_0": (KNEE_TO_CHEST_BENCH_SIDE, 28.0, None),
    "knee_to_chest_bench_side_t34_9": (KNEE_TO_CHEST_BENCH_SIDE, 34.9, None),
    "childs_pose_clip_t9_0": (CHILDS_POSE_SIDE, 9.0, None),
    "childs_to_downdog_side_t0_5": (CHILDS_TO_DOWNDOG_SIDE, 0.5, None),
    "fire_hydrant_allfours_t10_7": (FIRE_HYDRANT_ALLFOURS, 10.7, None),
    "childs_to_downdog_side_t4_8": (CHILDS_TO_DOWNDOG_SIDE, 4.8, None),
    "lying_twist_stretch_t12_0": (LYING_TWIST_STRETCH, 12.0, None),
    "lying_twist_stretch_t25_0": (LYING_TWIST_STRETCH, 25.0, None),
    "knee_to_chest_bench_side_t6_5": (KNEE_TO_CHEST_BENCH_SIDE, 6.5, None),
    "bridge_side_physio_t0_0": (BRIDGE_SIDE_PHYSIO, 0.0, None),
    "bridge_side_physio_t1_2": (BRIDGE_SIDE_PHYSIO, 1.2, None),
    "bridge_side_physio_t2_0": (BRIDGE_SIDE_PHYSIO, 2.0, None),
    "sphinx_side_portrait_t9_5": (SPHINX_SIDE_PORTRAIT, 9.5, None),
    "sphinx_side_portrait_t19_0": (SPHINX_SIDE_PORTRAIT, 19.0, None),
    "cobra_female_side_t5_6": (COBRA_FEMALE_SIDE, 5.6, None),
    "cobra_closeup_side_t10_3": (COBRA_CLOSEUP_SIDE, 10.3, None),
    "bent_leg_twist_supine_t16_0": (BENT_LEG_TWIST_SUPINE, 16.0, None),
    "knee_to_chest_bench_side_t24_5": (KNEE_TO_CHEST_BENCH_SIDE, 24.5, None),
    "knee_to_chest_bench_side_t10_5": (KNEE_TO_CHEST_BENCH_SIDE, 10.5, None),
    "seated_spinal_twist_t2_5": (SEATED_SPINAL_TWIST, 2.5, None),
    "seated_spinal_twist_t6_0": (SEATED_SPINAL_TWIST, 6.0, None),
    # negative: standing quad stretch at a wall
    "standing_quad_stretch_wall_t3_3": (STANDING_QUAD_STRETCH_WALL, 3.3, None),
    # negative for the chest opener: one hand holds the foot behind the back, the other the wall
    "standing_quad_stretch_wall_t20_0": (STANDING_QUAD_STRETCH_WALL, 20.0, None),
    "standing_quad_stretch_wall_t26_0": (STANDING_QUAD_STRETCH_WALL, 26.0, None),
}

#: name -> (clip path, start s, end s (None: to the end), step s)
SEQUENCES: dict[str, tuple[str, float, float | None, float]] = {
    "squats_gym_side_seq": ("02_deep_squat/squats_gym_side.mp4", 0.0, None, 0.1),
    "bridge_side_physio_seq": (BRIDGE_SIDE_PHYSIO, 0.0, None, 0.05),
    "lunges_side_seq": (LUNGES_SIDE, 3.0, 9.0, 0.1),
    "childs_pose_clip_seq": (CHILDS_POSE_SIDE, 0.0, None, 0.1),
    # issue 11: front-view squat reps; an all-fours look-alike for cat-cow (no cycles) and for
    # routine segmentation; knee-to-chest held per side (right, left, both) for routines.
    "goblet_squat_front_seq": (GOBLET_SQUAT_FRONT, 0.0, None, 0.1),
    "fire_hydrant_allfours_seq": (FIRE_HYDRANT_ALLFOURS, 0.0, 23.0, 0.2),
    "knee_to_chest_bench_side_seq": (KNEE_TO_CHEST_BENCH_SIDE, 6.0, 38.0, 0.2),
}


# --- decoding -------------------------------------------------------------------------------


def _frames(path: Path, start_s: float = 0.0) -> Iterator[tuple[float, NDArray[np.uint8]]]:
    """(time in seconds, BGR frame) for every decoded frame from about `start_s` on.

    Seeks to the keyframe before `start_s` when that is far in; callers skip the earlier frames.
    """
    import av

    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        if start_s > 1.0 and stream.time_base is not None:
            container.seek(int((start_s - 1.0) / stream.time_base), stream=stream, backward=True)
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            yield float(frame.time), np.asarray(frame.to_ndarray(format="bgr24"), dtype=np.uint8)


def read_frame(path: Path, time_s: float) -> tuple[float, NDArray[np.uint8]]:
    """The first frame whose time is >= time_s (to a microsecond), and its actual time."""
    for t, image in _frames(path, time_s):
        if t >= time_s - 1e-6:
            return t, image
    raise ValueError(f"{path} has no frame at or after {time_s} s")


# --- writing --------------------------------------------------------------------------------


def _round(rows: Any) -> list[list[float]]:
    return [[round(float(v), DECIMALS) + 0.0 for v in row] for row in rows]


def pose_json(pose: Pose | None) -> dict[str, Any] | None:
    if pose is None:
        return None
    data = pose.to_json()
    return {
        "person": True,
        "landmarks": _round(data["landmarks"]),
        "world_landmarks": _round(data["world_landmarks"]),
    }


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def format_landmark_file(data: dict[str, Any]) -> str:
    """Readable but compact: one key per line, one landmark row per line."""
    lines = ["{"]
    for key, value in data.items():
        if key != "pose":
            lines.append(f" {_dumps(key)}: {_dumps(value)},")
    pose = data.get("pose")
    if pose is None:
        lines.append(' "pose": null')
    else:
        lines.append(' "pose": {')
        lines.append(f'  "person": {_dumps(pose["person"])},')
        for key, last in (("landmarks", False), ("world_landmarks", True)):
            rows = ",\n   ".join(_dumps(row) for row in pose[key])
            lines.append(f'  "{key}": [\n   {rows}\n  ]' + ("" if last else ","))
        lines.append(" }")
    lines.append("}")
    return "\n".join(lines) + "\n"


def format_sequence_file(data: dict[str, Any]) -> str:
    """One key per line, one frame per line."""
    lines = ["{"]
    for key, value in data.items():
        if key != "frames":
            lines.append(f" {_dumps(key)}: {_dumps(value)},")
    frames = ",\n  ".join(_dumps(frame) for frame in data["frames"])
    lines.append(f' "frames": [\n  {frames}\n ]')
    lines.append("}")
    return "\n".join(lines) + "\n"


# --- the three kinds ------------------------------------------------------------------------


def _crop(image: NDArray[np.uint8], crop: Crop) -> NDArray[np.uint8]:
    if crop is None:
        return image
    x0, y0, x1, y1 = crop
    return image[y0:y1, x0:x1]


def make(name: str, estimator: Estimator) -> dict[str, Any]:
    """A still fixture: a photo from FIXTURES or a clip frame from FRAMES (IMAGE mode)."""
    time_s: float | None = None
    frame_time: float | None = None
    if name in FRAMES:
        source, time_s, crop = FRAMES[name]
        frame_time, image = read_frame(media_dir() / source, time_s)
        frame_time = round(frame_time, 4)
    else:
        source, crop = FIXTURES[name]
        image = read_image(media_dir() / source)
    image = _crop(image, crop)
    pose = estimator.process(image)
    height, width = image.shape[:2]
    return {
        "source": source,
        "time_s": time_s,
        "frame_time_s": frame_time,
        "crop": list(crop) if crop else None,
        "image_size": [width, height],
        "people": pose.people if pose else 0,
        "pose": pose_json(pose),
    }


def make_sequence(name: str) -> dict[str, Any]:
    """A VIDEO-mode run over part of a clip, keeping one frame every `step_s`."""
    source, start_s, end_s, step_s = SEQUENCES[name]
    frames: list[dict[str, Any]] = []
    size: list[int] | None = None
    due = start_s
    with Estimator(RunningMode.VIDEO) as estimator:
        for t, image in _frames(media_dir() / source, start_s):
            if t < start_s - 1e-6:
                continue
            if end_s is not None and t > end_s + 1e-6:
                break
            height, width = image.shape[:2]
            size = [width, height]
            t_ms = round(t * 1000)
            pose = estimator.process(image, t_ms)
            if t >= due - 1e-6:
                frames.append({"t_ms": t_ms, "pose": pose_json(pose)})
                while due <= t + 1e-6:
                    due = round(due + step_s, 6)
    if size is None:
        raise ValueError(f"{source} has no frames between {start_s} and {end_s} s")
    return {
        "source": source,
        "image_size": size,
        "start_s": start_s,
        "end_s": end_s,
        "step_s": step_s,
        "frames": frames,
    }


def main(names: list[str]) -> None:
    known = set(FIXTURES) | set(FRAMES) | set(SEQUENCES)
    unknown = [name for name in names if name not in known]
    if unknown:
        sys.exit(f"unknown fixture(s): {', '.join(unknown)}")
    names = names or [*FIXTURES, *FRAMES, *SEQUENCES]
    stills = [name for name in names if name not in SEQUENCES]
    OUT.mkdir(parents=True, exist_ok=True)
    if stills:
        with Estimator() as estimator:
            for name in stills:
                data = make(name, estimator)
                (OUT / f"{name}.json").write_text(format_landmark_file(data))
                print(f"{name}: people={data['people']}")
    for name in names:
        if name in SEQUENCES:
            SEQ_OUT.mkdir(parents=True, exist_ok=True)
            sequence = make_sequence(name)
            path = SEQ_OUT / f"{name}.json"
            path.write_text(format_sequence_file(sequence))
            frames = sequence["frames"]
            found = sum(frame["pose"] is not None for frame in frames)
            size_kb = path.stat().st_size / 1024
            print(f"{name}: {found}/{len(frames)} frames with a person, {size_kb:.0f} KB")


if __name__ == "__main__":
    main(sys.argv[1:])
