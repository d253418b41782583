"""One Euro filtering of live landmarks: steady when the person holds still, quick when they move.

`OneEuroFilter` is the filter of Casiez, Roussel and Vogel (CHI 2012); `LandmarkSmoother` applies
it to a pose's (33, k) landmark array and starts afresh when the person was lost for a while.
"""

from __future__ import annotations

import math
from typing import overload

import numpy as np
from numpy.typing import NDArray

from posecheck.landmarks import NUM_LANDMARKS

__all__ = ["LandmarkSmoother", "OneEuroFilter"]

FloatArray = NDArray[np.float64]

# Landmark defaults for normalized coordinates (fractions of the frame) at about 30 fps, chosen
# by tests/test_smoothing.py with 0.004 of noise, about MediaPipe's jitter on a still person.
# min_cutoff=1, beta=10, d_cutoff=1 measured: a swaying person's error 0.48 of the raw noise
# (frame-to-frame shake 0.19 of raw); a brisk 0.5 frame/s ramp trails by 18 ms (159 ms with
# beta=0); a step is 90 % done after one frame (400 ms with beta=0). beta looks large only
# because speeds in normalized units are small: 0.5 /s raises the cutoff by beta * 0.5 Hz.
# A grid over min_cutoff 0.7-1.5, beta 3-20, d_cutoff 0.5-2 found no setting below 0.47 of the
# noise: the rest is lag on the sway itself, so more smoothing trades one error for another.
DEFAULT_MIN_CUTOFF = 1.0
DEFAULT_BETA = 10.0
DEFAULT_D_CUTOFF = 1.0
DEFAULT_MAX_GAP_S = 0.5


def _alpha(period_s: float, cutoff_hz: FloatArray | float) -> FloatArray:
    # Exponential smoothing factor of a first-order low-pass with time constant
    # tau = 1 / (2 pi fc) sampled every Te seconds: alpha = 1 / (1 + tau / Te).
    tau = 1.0 / (2.0 * math.pi * np.asarray(cutoff_hz, dtype=np.float64))
    result: FloatArray = 1.0 / (1.0 + tau / period_s)
    return result


def _require_positive(name: str, value: float, *, allow_zero: bool = False) -> float:
    ok = math.isfinite(value) and (value >= 0 if allow_zero else value > 0)
    if not ok:
        allowed = "a finite number >= 0" if allow_zero else "a finite number > 0"
        raise ValueError(f"{name} must be {allowed}, got {value!r}")
    return float(value)


class OneEuroFilter:
    """Adaptive low-pass filter for a scalar or an array of independent signals.

    - `min_cutoff` (Hz, > 0): the cutoff when the signal is still; lower removes more jitter.
    - `beta` (>= 0, Hz per unit/s of speed): how fast the cutoff rises with speed; higher
      means less lag on fast movement. 0 gives a plain low-pass with cutoff `min_cutoff`.
    - `d_cutoff` (Hz, > 0): the cutoff used to smooth the speed estimate itself.

    Each element of an array is filtered independently, with its own adaptive cutoff. `beta`
    depends on the units of the signal, so the generic default is 0; `LandmarkSmoother` carries
    defaults tuned for normalized landmarks.
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 0.0, d_cutoff: float = 1.0) -> None:
        self.min_cutoff = _require_positive("min_cutoff", min_cutoff)
        self.beta = _require_positive("beta", beta, allow_zero=True)
        self.d_cutoff = _require_positive("d_cutoff", d_cutoff)
        self._t: float | None = None
        self._x: FloatArray = np.zeros(0)
        self._dx: FloatArray = np.zeros(0)

    @property
    def last_time(self) -> float | None:
        """Timestamp of the last update in seconds, or None before the first one."""
        return self._t

    def reset(self) -> None:
        """Forget the past: the next update passes its input through unchanged."""
        self._t = None
        self._x = np.zeros(0)
        self._dx = np.zeros(0)

    @overload
    def update(self, value: float, t: float) -> float: ...

    @overload
    def update(self, value: FloatArray, t: float) -> FloatArray: ...

    def update(self, value: FloatArray | float, t: float) -> FloatArray | float:
        """Filter one sample taken at time `t` (seconds, strictly increasing) and return it.

        The result has the input's shape (a float for a float). The first sample after
        construction or `reset()` is returned unchanged.
        """
        x = np.array(value, dtype=np.float64)
        if not math.isfinite(t):
            raise ValueError(f"timestamp must be a finite number of seconds, got {t!r}")
        if not np.all(np.isfinite(x)):
            # One NaN would stay in the filter state for good; refuse it at the door.
            raise ValueError("values to filter must be finite (got NaN or infinity)")

        if self._t is None:
            self._t, self._x, self._dx = float(t), x, np.zeros_like(x)
            return self._out(x, value)

        if t <= self._t:
            raise ValueError(
                f"timestamps must strictly increase: got t={t!r} s after t={self._t!r} s "
                "(call reset() to start a new sequence)"
            )
        if x.shape != self._x.shape:
            raise ValueError(
                f"value shape changed from {self._x.shape} to {x.shape}; "
                "call reset() before filtering a different signal"
            )

        period = float(t) - self._t
        # Speed is taken against the previous *filtered* value, as in the paper's pseudocode
        # (some ports use the previous raw sample): it carries one noise sample instead of two,
        # and while the output trails a movement it reads high, which opens the cutoff sooner.
        dx = (x - self._x) / period
        dx_hat = self._dx + _alpha(period, self.d_cutoff) * (dx - self._dx)
        cutoff = self.min_cutoff + self.beta * np.abs(dx_hat)
        x_hat = self._x + _alpha(period, cutoff) * (x - self._x)

        self._t, self._x, self._dx = float(t), x_hat, dx_hat
        return self._out(x_hat, value)

    @staticmethod
    def _out(result: FloatArray, like: FloatArray | float) -> FloatArray | float:
        if isinstance(like, np.ndarray):
            return result.copy()
        return float(result) if result.ndim == 0 else result.copy()


class LandmarkSmoother:
    """One Euro filtering of a pose's landmarks, shape (33, k), for a live stream.

    If more than `max_gap_s` seconds pass between updates (the person left the frame, or
    detection failed for a while) the filter restarts from the new pose instead of dragging
    the skeleton across from where it was last seen.
    """

    def __init__(
        self,
        min_cutoff: float = DEFAULT_MIN_CUTOFF,
        beta: float = DEFAULT_BETA,
        d_cutoff: float = DEFAULT_D_CUTOFF,
        max_gap_s: float = DEFAULT_MAX_GAP_S,
    ) -> None:
        self.max_gap_s = _require_positive("max_gap_s", max_gap_s)
        self._filter = OneEuroFilter(min_cutoff=min_cutoff, beta=beta, d_cutoff=d_cutoff)

    @property
    def min_cutoff(self) -> float:
        """Cutoff in Hz while the landmarks are still."""
        return self._filter.min_cutoff

    @property
    def beta(self) -> float:
        """How fast the cutoff rises with landmark speed (Hz per normalized unit/s)."""
        return self._filter.beta

    @property
    def d_cutoff(self) -> float:
        """Cutoff in Hz of the speed estimate."""
        return self._filter.d_cutoff

    def reset(self) -> None:
        """Forget the past: the next update returns its input unchanged."""
        self._filter.reset()

    def update(self, points: FloatArray, t: float) -> FloatArray:
        """Smooth one frame of landmarks `points` (33, k) taken at time `t` seconds."""
        arr = np.asarray(points, dtype=np.float64)
        if arr.ndim != 2 or arr.shape[0] != NUM_LANDMARKS:
            raise ValueError(
                f"points must have shape ({NUM_LANDMARKS}, k) (one row per landmark), "
                f"got {arr.shape}"
            )
        last = self._filter.last_time
        if last is not None and t - last > self.max_gap_s:
            self._filter.reset()
        return self._filter.update(arr, t)
