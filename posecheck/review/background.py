"""A batch review on a thread of its own, for a page that reruns while it works: the same
`review_many` as the command line (one video at a time, streamed from disk), with progress a
page can poll, a cancel, and each finished review saved to the history as it finishes.

    job = BackgroundBatch(videos, partial(StretchReview, spec), side=None)
    job.start()
    job.snapshot()          # what is done so far, which video and frame is under way
    job.cancel()            # the video under way stops within a frame; finished ones are kept

Nothing here touches Streamlit; the page shows snapshots.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from posecheck.errors import PosecheckError
from posecheck.history import save_routine, save_session
from posecheck.review.batch import BatchItem, EngineFactory, review_many
from posecheck.store import Store, open_store


@dataclass(frozen=True)
class BatchSnapshot:
    """A batch at one moment.

    items: the finished reviews (and, after a cancel or a failure, the ones that will not be),
        in the order the videos were given; `saved` maps a video to its history id.
    current, frames, frames_total: the video under review and how far it got.
    """

    videos: tuple[Path, ...]
    items: tuple[BatchItem, ...]
    saved: dict[Path, int] = field(default_factory=dict)
    current: Path | None = None
    frames: int = 0
    frames_total: int | None = None
    running: bool = False
    cancelled: bool = False
    error: str | None = None
    history_error: str | None = None
    elapsed_s: float = 0.0

    @property
    def finished(self) -> int:
        return sum(item.summary is not None or item.error is not None for item in self.items)

    @property
    def fraction(self) -> float:
        """How much of the batch is done, counting the video under way by its frames."""
        if not self.videos:
            return 1.0
        partial = 0.0
        if self.running and self.frames_total:
            partial = min(1.0, self.frames / self.frames_total)
        return min(1.0, (len(self.items) + partial) / len(self.videos))


class BackgroundBatch:
    """`review_many` over `videos` with one worker, on a daemon thread; see the module doc."""

    def __init__(
        self,
        videos: list[Path],
        make_engine: EngineFactory,
        *,
        side: str | None = None,
        history: bool = True,
    ) -> None:
        if not videos:
            raise ValueError("a batch needs at least one video")
        self.videos = tuple(videos)
        self._make_engine = make_engine
        self._side = side
        self._history = history
        self._lock = threading.Lock()
        self._cancel = threading.Event()
        self._items: dict[Path, BatchItem] = {}
        self._saved: dict[Path, int] = {}
        self._current: Path | None = None
        self._frames = 0
        self._total: int | None = None
        self._running = False
        self._error: str | None = None
        self._history_error: str | None = None
        self._started = 0.0
        self._ended: float | None = None
        self._store: Store | None = None
        self._thread = threading.Thread(target=self._run, name="posecheck-batch", daemon=True)

    def start(self) -> None:
        with self._lock:
            self._running, self._started = True, time.monotonic()
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    def join(self, timeout: float | None = None) -> None:
        self._thread.join(timeout)

    def _progress(self, path: Path, done: int, total: int | None) -> None:
        with self._lock:
            self._current, self._frames, self._total = path, done, total

    def _done(self, item: BatchItem) -> None:
        saved = None
        if item.summary is not None and self._history and self._history_error is None:
            try:
                self._store = self._store or open_store()
                if item.summary.routine is not None:
                    # A routine is one history session per stretch found: link the first.
                    ids = save_routine(item.summary, source="review", video=item.path,
                                       store=self._store)  # fmt: skip
                    saved = ids[0] if ids else None
                else:
                    saved = save_session(item.summary, side=self._side, source="review",
                                         video=item.path, store=self._store)  # fmt: skip
            except PosecheckError as error:
                self._history_error = str(error)
        with self._lock:
            self._items[item.path] = item
            if saved is not None:
                self._saved[item.path] = saved

    def _run(self) -> None:
        try:
            items = review_many(
                list(self.videos), self._make_engine, workers=1, on_done=self._done,
                cancel=self._cancel, progress=self._progress,
            )  # fmt: skip
            with self._lock:
                for item in items:
                    self._items.setdefault(item.path, item)
        except PosecheckError as error:
            with self._lock:
                self._error = str(error)
        except Exception as exc:  # a bug: say so on the page rather than die silently
            with self._lock:
                self._error = f"The review stopped ({type(exc).__name__}: {exc})."
        finally:
            if self._store is not None:
                self._store.close()
            with self._lock:
                self._running, self._current = False, None
                self._ended = time.monotonic()

    def snapshot(self) -> BatchSnapshot:
        with self._lock:
            items = tuple(self._items[v] for v in self.videos if v in self._items)
            end = self._ended if self._ended is not None else time.monotonic()
            return BatchSnapshot(
                self.videos, items, dict(self._saved), self._current, self._frames,
                self._total, self._running, self._cancel.is_set(), self._error,
                self._history_error, end - self._started if self._started else 0.0,
            )  # fmt: skip
