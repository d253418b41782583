"""Photo check page: a photo in, the detected skeleton and its main joint angles out, or, for a
chosen stretch, the same verdict `posecheck check` gives."""

from __future__ import annotations

import threading

import cv2
import streamlit as st

from posecheck.coach import judge_still
from posecheck.errors import PosecheckError
from posecheck.estimator import Estimator
from posecheck.images import IMAGE_TYPES, decode_image
from posecheck.metrics import main_joint_angles
from posecheck.overlay import CoachAnnotator, Image, LabelAnnotator, SkeletonAnnotator
from posecheck.pose import Pose
from posecheck.specs import StretchSpec, catalog


@st.cache_resource(show_spinner="Loading the pose model…")
def _shared_estimator() -> tuple[Estimator, threading.Lock]:
    # One IMAGE-mode landmarker for every browser session; the lock serialises calls into it.
    return Estimator(), threading.Lock()


def photo_page() -> None:
    st.title("Photo check")
    st.write(
        "Upload a photo of one person. posecheck finds 33 body landmarks, draws the skeleton "
        "and measures the main joint angles. Nothing leaves this computer."
    )
    specs = catalog()
    choice = st.selectbox(
        "Check it as",
        ["", *specs],
        key="photo_stretch",
        format_func=lambda i: specs[i].name if i else "just the joint angles",
    )
    upload = st.file_uploader("Photo", type=list(IMAGE_TYPES))
    if upload is None:
        st.info("Choose a photo to begin: a side view of a stretch works best.")
        return
    try:
        image = decode_image(upload.getvalue(), upload.name)
        estimator, lock = _shared_estimator()
        with lock:
            pose = estimator.process(image)
    except PosecheckError as error:
        st.error(str(error))
        return

    if pose is None:
        st.warning(
            "No person found in this photo. Make sure one whole person is in the frame "
            "and well lit."
        )
        st.image(cv2.cvtColor(image, cv2.COLOR_BGR2RGB), caption=upload.name)
        return

    if choice:
        show_stretch_check(image, pose, specs[choice], upload.name)
        return

    angles = main_joint_angles(pose)
    labels = {joint.vertex: f"{angle:.0f}°" for joint, angle in angles.items() if angle is not None}
    drawn = LabelAnnotator().annotate(SkeletonAnnotator().annotate(image, pose), pose, labels)
    left, right = st.columns([3, 1])
    with left:
        st.image(cv2.cvtColor(drawn, cv2.COLOR_BGR2RGB), caption=upload.name)
    with right:
        if pose.others_present:
            st.warning(
                f"{pose.people} people found; measuring the largest one. "
                "For reliable results have only one person in the frame."
            )
        st.subheader("Joint angles")
        st.caption("Degrees at the joint: 180 is straight. Measured in the image plane.")
        st.table(
            {
                "joint": [joint.name for joint in angles],
                "angle": [f"{a:.0f}°" if a is not None else "not visible" for a in angles.values()],
            }
        )
        hidden = sum(1 for a in angles.values() if a is None)
        if hidden:
            st.caption(
                f"{hidden} joint(s) not visible from this side: posecheck reports them as "
                "not visible instead of guessing."
            )


def show_stretch_check(image: Image, pose: Pose, spec: StretchSpec, name: str) -> None:
    result = judge_still(spec, pose)
    left, right = st.columns([3, 1])
    with left:
        drawn = CoachAnnotator().annotate(image, result)
        st.image(cv2.cvtColor(drawn, cv2.COLOR_BGR2RGB), caption=name)
    with right:
        st.subheader(spec.name)
        if not result.in_position:
            st.warning("Not in position for this stretch: " + (result.cue or ""))
        elif result.form_ok:
            st.success("In position, good form.")
        else:
            st.warning(result.cue or "In position: adjust.")
        st.table(
            {
                "check": [v.check.id for v in result.verdicts],
                "status": [v.status.value for v in result.verdicts],
                "value": [
                    "" if v.measurement.value is None else f"{v.measurement.value:.0f}"
                    for v in result.verdicts
                ],
            }
        )


photo_page()
