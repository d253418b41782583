"""Review of recorded sessions: a video in; the same engines as live run on every frame; a
typed summary, a per-frame CSV, an annotated H.264 video and fault thumbnails out.

    result = review("clip.mp4", StretchReview(get_stretch("bridge")), ReviewOutputs(csv=...))
    result.summary.good_form_s

    engines.py          the stretch coach and the desk monitor as review engines
    routine.py          a whole routine: which stretch is done when, each part judged by its coach
    pipeline.py         decode -> landmarks -> engine -> outputs, in overlapped stages
    parallel.py         the landmarker in its own process, pinned to a core
    batch.py            many videos at once (here, or one Dask task each)
    background.py       a batch on a thread for the app: progress, cancel
    landmark_stream.py  a video's landmarks as arrays: what chunks return and the cache keeps
    cache.py            stored landmark streams, keyed by the video's and the model's bytes
    chunks.py           the grid every review restarts its tracker on; one chunk's landmarks
    tasks.py, cluster.py  what runs on a Dask worker; connecting, progress and cancel
    remote.py           review tasks sent to a cluster, and their files written here
    scale.py            how one video is reviewed (stored landmarks, here, in chunks, a task)
"""

from posecheck.review.engines import PostureReview, ReviewEngine, StretchReview
from posecheck.review.pipeline import (
    LANDMARKER_MODES,
    MAX_SIDE,
    Observer,
    Progress,
    ReviewOutputs,
    ReviewResult,
    review,
)
from posecheck.review.routine import RoutineReview

__all__ = [
    "LANDMARKER_MODES",
    "MAX_SIDE",
    "Observer",
    "PostureReview",
    "Progress",
    "ReviewEngine",
    "ReviewOutputs",
    "ReviewResult",
    "RoutineReview",
    "StretchReview",
    "review",
]
