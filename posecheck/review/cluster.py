"""Where review work runs on Dask: a local cluster of N worker processes started for the run (no
set-up), or a running cluster given by its scheduler's address; and what the client needs from
it while the work runs: frames finished across all workers, and a cancel every task notices.

    with connect(workers=2) as client:                   # or scheduler="tcp://host:8786"
        progress = ProgressCollector(client, bar, total=frames)
        ...
        progress.close()

`POSECHECK_DASK_SCHEDULER` stands in for the address when none is given. Any script that
starts a local cluster needs the `if __name__ == "__main__":` guard: Dask starts its workers
with `spawn`, which imports the main module again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import uuid
from collections.abc import Callable, Iterator
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from distributed.diagnostics.plugin import WorkerPlugin

from posecheck.errors import InputError
from posecheck.review.tasks import PROGRESS_TOPIC

SCHEDULER_ENV = "POSECHECK_DASK_SCHEDULER"
#: How long to wait for a scheduler to answer, and for a cluster to have a worker, in seconds.
CONNECT_TIMEOUT_S = 10
WORKERS_TIMEOUT_S = 30
#: Worker deaths a task may cause on a local cluster before Dask gives up on it (Dask's own
#: default is 3): a video that crashes MediaPipe every time is reported after two tries. A
#: user's cluster keeps its own setting.
ALLOWED_FAILURES = 2


def scheduler_address(given: str | None) -> str | None:
    """The scheduler to use: the one given, else $POSECHECK_DASK_SCHEDULER, else None (local)."""
    address = given or os.environ.get(SCHEDULER_ENV, "").strip() or None
    if address is not None and "://" not in address:
        address = f"tcp://{address}"
    return address


class QuietStderr(WorkerPlugin):
    """On a local cluster MediaPipe's native chatter would go to the worker's stderr, which is
    the user's terminal: point it at a file in the worker's folder instead, on every worker
    including those the nanny restarts (POSECHECK_DEBUG=1 keeps it)."""

    name = "posecheck-quiet-stderr"
    idempotent = True

    def setup(self, worker: Any) -> None:
        if os.environ.get("POSECHECK_DEBUG"):
            return
        log = os.open(os.path.join(worker.local_directory, "native.log"),
                      os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)  # fmt: skip
        os.dup2(log, 2)
        os.close(log)


@contextlib.contextmanager
def connect(workers: int, scheduler: str | None = None) -> Iterator[Any]:
    """A Dask client: to `scheduler` if given, else to a new local cluster of `workers`
    single-threaded worker processes, closed on leaving. Raises `InputError` when the
    scheduler cannot be reached, has no workers, or lacks posecheck."""
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}")
    import dask
    from distributed import Client, LocalCluster

    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError, ValueError) as exc:
            raise InputError(
                f"Cannot reach the Dask scheduler at {scheduler} ({exc or type(exc).__name__})."
            ) from None
        try:
            preflight(client, scheduler)
            yield client
        finally:
            client.close()
        return
    settings = {
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
        # The statistical profiler samples the task thread every 10 ms; MediaPipe's Python API
        # hands each call to a native thread and back, and every extra Python thread delays
        # the hand-off (see posecheck.review.parallel). Off for posecheck's own clusters.
        "distributed.worker.profile.enabled": False,
        "logging.distributed": "error",
    }
    with dask.config.set(settings):
        cluster = LocalCluster(
            n_workers=workers, threads_per_worker=1, processes=True,
            silence_logs=logging.CRITICAL, dashboard_address=None,
            scheduler_kwargs={"dashboard": False, "http_prefix": None},
        )  # fmt: skip
        try:
            client = Client(cluster)
        except BaseException:
            cluster.close()
            raise
    try:
        client.register_plugin(QuietStderr())
        yield client
    finally:
        client.close()
        cluster.close()


def _posecheck_version() -> str | None:
    try:
        return version("posecheck")
    except PackageNotFoundError:
        return None


def preflight(client: Any, address: str) -> None:
    """Before anything is sent to a user's cluster: it has workers, and the scheduler and every
    worker run this posecheck (the scheduler unpickles the task graph, and Dask's own version
    check knows only Dask's packages). Raises `InputError` naming the machine and the fix."""
    try:
        client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
    except TimeoutError:
        raise InputError(
            f"The Dask cluster at {address} has no workers: start some with "
            f"`dask worker {address}`."
        ) from None
    wanted = _posecheck_version()
    fix = f"install posecheck {wanted} there (the same version as here)"
    found = client.run_on_scheduler(_posecheck_version)
    if found != wanted:
        what = "has no posecheck" if found is None else f"runs posecheck {found}"
        raise InputError(f"The Dask scheduler at {address} {what}: {fix}.")
    odd = [
        f"{worker} ({'no posecheck' if result is None else result})"
        for worker, result in client.run(_posecheck_version).items()
        if result != wanted
    ]
    if odd:
        raise InputError(f"Dask workers without posecheck {wanted}: {', '.join(odd)}; {fix}.")


def worker_count(client: Any) -> int:
    return len(client.scheduler_info().get("workers", {}))


class ProgressCollector:
    """Frames finished across all workers, from the tasks' cumulative reports.

    Each task's latest count replaces its previous one (a task retried after a lost worker
    starts again from 0 instead of counting twice). `callback(key, done, total)` is called on
    the client's event loop thread after each report: keep it short."""

    def __init__(
        self, client: Any, callback: Callable[[str, int, int | None], None] | None = None
    ) -> None:
        self.client = client
        self.callback = callback
        self.done_by_key: dict[str, int] = {}
        self.topic = PROGRESS_TOPIC
        client.subscribe_topic(self.topic, self._handle)

    def _handle(self, event: tuple[float, dict[str, Any]]) -> None:
        _, message = event
        key, done = str(message["key"]), int(message["done"])
        self.done_by_key[key] = done
        if self.callback is not None:
            total = message.get("total")
            self.callback(key, done, None if total is None else int(total))

    @property
    def done(self) -> int:
        return sum(self.done_by_key.values())

    def close(self) -> None:
        with contextlib.suppress(Exception):  # the client may be closing already
            self.client.unsubscribe_topic(self.topic)


class CancelFlag:
    """A Dask Event the tasks of one run look at (through `Reporter`) to stop early."""

    def __init__(self, client: Any) -> None:
        from distributed import Event

        self.name = f"posecheck-cancel-{uuid.uuid4().hex[:12]}"
        self._event = Event(self.name, client=client)
        self.set_ = False

    def set(self) -> None:
        if not self.set_:
            self.set_ = True
            with contextlib.suppress(Exception):
                self._event.set()


def task_key(kind: str, index: int) -> str:
    """A unique Dask key for one task (its progress reports carry it)."""
    return f"posecheck-{kind}-{index}-{uuid.uuid4().hex[:8]}"
