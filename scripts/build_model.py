"""Build models/pose_landmarker_full.task from the BlazePose TFLite files in mediapipe 0.10.21.

Run by `make model` inside a throwaway virtual environment that has mediapipe==0.10.21 and
numpy<2 (its metadata writer needs a compiled module that current mediapipe no longer ships).
The output is byte-for-byte reproducible: zip entry times are pinned, see `_pinned_clock`.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import importlib.metadata
import os
import sys
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

WHEEL_VERSION = "0.10.21"

# Input normalization the two graphs were trained with (MediaPipe's own pose graphs):
# the detector takes RGB scaled to [-1, 1], the landmark model RGB scaled to [0, 1].
DETECTOR_MEAN, DETECTOR_STD = 127.5, 127.5
LANDMARKS_MEAN, LANDMARKS_STD = 0.0, 255.0

# 1980-01-01 00:00:00, the earliest time a zip entry can hold: any fixed value would do.
_ZIP_EPOCH = time.mktime((1980, 1, 1, 0, 0, 0, 0, 1, -1))


@contextlib.contextmanager
def _pinned_clock() -> Iterator[None]:
    """`create_model_asset_bundle` stamps entries with the time of day; pin it to one value."""
    real = zipfile.time.time  # type: ignore[attr-defined]
    zipfile.time.time = lambda: _ZIP_EPOCH  # type: ignore[attr-defined]
    try:
        yield
    finally:
        zipfile.time.time = real  # type: ignore[attr-defined]


def _with_metadata(model: bytes, name: str, mean: float, std: float) -> bytes:
    from mediapipe.tasks.python.metadata.metadata_writers import metadata_writer, writer_utils

    writer = metadata_writer.MetadataWriter.create(bytearray(model))
    writer.add_general_info(name, "BlazePose model from the mediapipe 0.10.21 wheel")
    writer.add_image_input(norm_mean=[mean], norm_std=[std])
    for _ in writer_utils.get_output_tensor_types(model):
        writer.add_feature_output()
    content, _json = writer.populate()
    return bytes(content)


def build(out: Path) -> str:
    version = importlib.metadata.version("mediapipe")
    if version != WHEEL_VERSION:
        sys.exit(
            f"build_model.py needs mediapipe=={WHEEL_VERSION}, found {version}; run `make model`."
        )
    import mediapipe
    from mediapipe.tasks.python.metadata.metadata_writers import model_asset_bundle_utils

    modules = Path(mediapipe.__file__).parent / "modules"
    detector = (modules / "pose_detection" / "pose_detection.tflite").read_bytes()
    landmarks = (modules / "pose_landmark" / "pose_landmark_full.tflite").read_bytes()
    bundle = {
        "pose_detector.tflite": _with_metadata(
            detector, "pose_detector", DETECTOR_MEAN, DETECTOR_STD
        ),
        "pose_landmarks_detector.tflite": _with_metadata(
            landmarks, "pose_landmarks_detector", LANDMARKS_MEAN, LANDMARKS_STD
        ),
    }
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_suffix(".tmp")
    with _pinned_clock():
        model_asset_bundle_utils.create_model_asset_bundle(bundle, str(tmp))
    os.replace(tmp, out)
    return hashlib.sha256(out.read_bytes()).hexdigest()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path, help="where to write the .task file")
    args = parser.parse_args()
    digest = build(args.out)
    print(f"{args.out}  sha256 {digest}")


if __name__ == "__main__":
    main()
