"""Named measurements built from geometry on a `Pose`.

A measurement that cannot be made (a landmark not seen) carries a reason the user can act on
instead of a value: "cannot measure" is a value here, never NaN and never an exception.
"""

from posecheck.metrics.context import Context, Limb, Unmeasurable
from posecheck.metrics.joints import MAIN_JOINTS, JointAngle, main_joint_angles

__all__ = ["MAIN_JOINTS", "Context", "JointAngle", "Limb", "Unmeasurable", "main_joint_angles"]

# Registering the body metrics is a side effect of importing the module.
from posecheck.metrics import body as _body  # noqa: F401
from posecheck.metrics import desk as _desk  # noqa: F401
from posecheck.metrics import floor as _floor  # noqa: F401
from posecheck.metrics import supine as _supine  # noqa: F401
from posecheck.metrics import upright as _upright  # noqa: F401
from posecheck.metrics.registry import (
    METRICS,
    Measured,
    Measurement,
    Metric,
    get_metric,
    measure,
)

__all__ += ["METRICS", "Measured", "Measurement", "Metric", "get_metric", "measure"]
