"""Review on a real Dask cluster: a scheduler and two workers started inside the test as separate
processes on 127.0.0.1, as a user starts them (`dask scheduler`, `dask worker`), and
`posecheck review` sending its work there. Real model, real clips (short copies in tmp)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from posecheck.review import ReviewOutputs, StretchReview
from posecheck.review.batch import review_many
from posecheck.review.chunks import Grid, landmark_chunk, plan_chunks
from posecheck.review.landmark_stream import LandmarkStream
from posecheck.review.scale import review_video
from posecheck.specs import get_stretch
from tests.review.test_review import trimmed

pytestmark = pytest.mark.media

BIN = Path(sys.executable).parent
#: 2 s chunks: three in a 5 s clip.
GRID = Grid(2000, 1000)
DASK, POSECHECK = BIN / "dask", BIN / "posecheck"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def scheduler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The address of a running cluster: one scheduler, two single-threaded workers (each with
    a nanny that restarts it when it dies), each in its own session so teardown ends them all."""
    folder = tmp_path_factory.mktemp("dask")
    address = f"tcp://127.0.0.1:{free_port()}"
    procs: list[subprocess.Popen[bytes]] = []

    def start(*args: str) -> None:
        log = (folder / f"{len(procs)}.log").open("wb")
        procs.append(subprocess.Popen([str(DASK), *args], stdout=log, stderr=subprocess.STDOUT,
                                      start_new_session=True, cwd=folder))  # fmt: skip

    start("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1],
          "--no-dashboard")  # fmt: skip
    for _ in range(2):
        start("worker", address, "--nworkers", "1", "--nthreads", "1", "--no-dashboard",
              "--host", "127.0.0.1", "--local-directory", str(folder))  # fmt: skip
    from distributed import Client

    try:
        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


@pytest.fixture(scope="module")
def clips(media: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    folder = tmp_path_factory.mktemp("clips")
    return [
        trimmed(media / "02_deep_squat" / "squats_gym_side.mp4", 5, folder / "squats.mp4"),
        trimmed(media / "12_exercise_videos" / "bridge_side_physio.mp4", 3, folder / "bridge.mp4"),
        trimmed(media / "03_childs_pose" / "childs_pose_side.mp4", 5, folder / "childs.mp4"),
    ]


def run(*args: str | Path, data: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(POSECHECK), *map(str, args)], capture_output=True, text=True, timeout=600,
        env={**os.environ, "POSECHECK_DATA_DIR": str(data), **env}, check=False,
    )  # fmt: skip


def brief(review: dict[str, Any]) -> dict[str, Any]:
    summary = review["summary"]
    return {k: summary[k] for k in ("frames", "good_form_s", "in_position_s", "reps", "segments",
                                    "checks")}  # fmt: skip


def test_a_batch_through_the_scheduler_matches_the_local_review(
    scheduler: str, clips: list[Path], tmp_path: Path
) -> None:
    missing = tmp_path / "not_there.mp4"
    videos = [clips[0], missing, clips[1]]
    args = ["review", *videos, "--stretch", "deep-squat", "--json", "-", "--no-cache"]
    remote = run(*args, "--out-dir", tmp_path / "remote", data=tmp_path / "data",
                 POSECHECK_DASK_SCHEDULER=scheduler)  # fmt: skip
    local = run(*args, "--out-dir", tmp_path / "local", data=tmp_path / "data")
    assert remote.returncode == local.returncode == 1  # one video failed
    assert "Traceback" not in remote.stderr
    got, want = json.loads(remote.stdout)["reviews"], json.loads(local.stdout)["reviews"]
    assert [r["file"] for r in got] == [str(v) for v in videos]  # in the order given
    assert got[1]["error"] == f"The video file {missing} does not exist." == want[1]["error"]
    assert [brief(r) for r in (got[0], got[2])] == [brief(r) for r in (want[0], want[2])]
    for name in ("squats.csv", "bridge.csv"):
        assert (tmp_path / "remote" / name).read_bytes() == (tmp_path / "local" / name).read_bytes()
    assert sorted(p.name for p in (tmp_path / "remote").iterdir()) == [
        "bridge.csv", "bridge.json", "squats.csv", "squats.json"]
    # History rows in the order given, wherever the reviews ran and whichever finished first.
    sessions = json.loads(run("history", "--json", data=tmp_path / "data").stdout)["sessions"]
    saved = [Path(s["video"]).name for s in sorted(sessions, key=lambda s: s["id"])]
    assert saved == ["squats.mp4", "bridge.mp4"] * 2


def test_a_worker_killed_mid_batch_has_its_review_done_again(
    scheduler: str, clips: list[Path], tmp_path: Path
) -> None:
    from distributed import Client

    frames: dict[Path, int] = {}
    killed: list[str] = []
    with Client(scheduler, timeout=30) as client:
        client.wait_for_workers(2, timeout=120)
        pids = client.run(os.getpid)

        def kill_a_busy_worker() -> None:
            deadline = time.monotonic() + 300
            while time.monotonic() < deadline and not killed:
                # Once some frames are done, so the kill lands in the middle of a review.
                busy = [a for a, keys in client.processing().items() if keys]
                if busy and sum(frames.values()) > 30:
                    os.kill(pids[busy[0]], signal.SIGKILL)
                    killed.append(busy[0])
                time.sleep(0.2)

        killer = threading.Thread(target=kill_a_busy_worker, daemon=True)
        killer.start()
        items = review_many(
            clips, partial(StretchReview, get_stretch("deep-squat")), scheduler=scheduler,
            out_dir=tmp_path / "out",
            progress=lambda path, done, _total: frames.__setitem__(path, done),
        )  # fmt: skip
        killer.join(1)
        client.wait_for_workers(2, timeout=120)  # the nanny started a new worker process
    assert killed, "no worker was busy to kill"
    assert all(item.ok for item in items), [item.error for item in items]
    assert [item.path for item in items] == clips
    # The progress counted every frame once, across the workers (a retried review starts
    # again from 0 rather than counting twice).
    assert {p: frames[p] for p in clips} == {item.path: item.summary.frames  # type: ignore[union-attr]
                                             for item in items}  # fmt: skip


def test_a_long_video_in_chunks_on_the_cluster_has_the_landmarks_of_its_chunks(
    scheduler: str, clips: list[Path], tmp_path: Path
) -> None:
    """The chunks computed on the cluster (the video's bytes sent there) equal the same grid
    computed here, bit for bit: the same results wherever they run."""
    clip = clips[2]
    reviewed = review_video(
        clip, partial(StretchReview, get_stretch("childs-pose")),
        ReviewOutputs(csv=tmp_path / "c.csv"), scheduler=scheduler, send_files=True,
        grid=GRID,
    )  # fmt: skip
    assert reviewed.route == "chunks" and len(reviewed.chunks) == 3
    here = LandmarkStream.concat([landmark_chunk(clip, c, grid=GRID).stream
                                  for c in plan_chunks(5000, GRID)])  # fmt: skip
    there = reviewed.result.landmarks
    assert there is not None
    np.testing.assert_array_equal(there.t_ms, here.t_ms)
    np.testing.assert_array_equal(there.landmarks, here.landmarks)
    rows = (tmp_path / "c.csv").read_text().splitlines()
    assert len(rows) == reviewed.result.summary.frames + 1
