"""posecheck: webcam posture and stretch-form checking on MediaPipe pose landmarks.

    frame (BGR) -> Estimator.process -> Pose -> geometry / metrics -> verdicts -> feedback

`Estimator` is the only part that touches MediaPipe; everything after it works on `Pose`.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

from posecheck.landmarks import Landmark
from posecheck.pose import Pose

try:
    __version__ = version("posecheck")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+unknown"

__all__ = ["Landmark", "Pose", "__version__"]
