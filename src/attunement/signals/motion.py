"""Movement flags from a wristband's accelerometer.

Movement of the wrist disturbs the electrode contact of wrist EDA and the optical pulse signal,
so windows of strong movement are worth flagging before synchrony is read into them.
:func:`motion_flags` uses ENMO, the Euclidean norm of the three axes minus one g (the part of
the acceleration that is not gravity), negative values set to 0 (van Hees et al., 2013),
averaged over short windows. The default threshold, 0.1 g (100 mg), is about where wrist-worn
ENMO reaches moderate activity in adults (Hildebrand et al., 2014): far above a seated person
gesturing gently, well below walking or fidgeting with the arm.

Signal values are in 1/64 g (the Empatica E4's unit, :data:`attunement.model.SIGNAL_UNITS`).

References
----------
van Hees, V. T., et al. (2013). Separating movement and gravity components in an acceleration
signal and implications for the assessment of human daily physical activity. PLoS ONE, 8(4),
e61691.
Hildebrand, M., van Hees, V. T., Hansen, B. H., & Ekelund, U. (2014). Age group comparability
of raw accelerometer output from wrist- and hip-worn monitors. Medicine & Science in Sports &
Exercise, 46(9), 1816–1824.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from attunement.errors import AttunementWarning, InputError
from attunement.model import Signal
from attunement.signals.align import _number

__all__ = ["ACC_UNITS_PER_G", "METHOD", "motion_flags"]

#: Accelerometer units per g (the E4 records in 1/64 g).
ACC_UNITS_PER_G = 64.0

METHOD = {
    "name": "motion_flags",
    "description": (
        "Movement was flagged in 1 s windows whose mean ENMO (the accelerometer's vector "
        "magnitude minus 1 g, negative values set to 0) exceeded 0.1 g."
    ),
    "parameters": {"threshold_g": 0.1, "window_s": 1.0},
    "citation": (
        "van Hees, V. T., et al. (2013). Separating movement and gravity components in an "
        "acceleration signal. PLoS ONE, 8(4), e61691; Hildebrand, M., et al. (2014). Medicine & "
        "Science in Sports & Exercise, 46(9), 1816-1824."
    ),
}


def motion_flags(acc: Signal, *, threshold_g: float = 0.1, window_s: float = 1.0) -> pd.DataFrame:
    """Flag windows of strong movement from a three-axis accelerometer.

    Parameters
    ----------
    acc : Signal
        Kind ``'acc'``, regular, values of shape (n, 3) in 1/64 g; NaN marks missing samples.
    threshold_g : float, default 0.1
        A window is flagged when its mean ENMO exceeds this many g.
    window_s : float, default 1.0
        Window length in seconds (a whole number of samples); windows do not overlap and the
        last one may be shorter.

    Returns
    -------
    pandas.DataFrame
        One row per window: ``start_s`` and ``end_s`` (the signal's clock), ``enmo_g`` (mean
        ENMO of the finite samples, g; NaN for a window without any) and ``flagged`` (bool;
        False where ``enmo_g`` is NaN).

    Raises
    ------
    InputError
        For a signal that is not ``acc``, is irregular or has not three columns, and for a
        threshold or window that is not positive or not a whole number of samples.

    Warns
    -----
    AttunementWarning
        When windows have no finite sample (their ``enmo_g`` is NaN).

    Examples
    --------
    >>> still = np.tile([0.0, 0.0, 64.0], (64, 1))   # 2 s at rest: 1 g straight down
    >>> moving = still.copy(); moving[32:, 0] = 64.0  # then 1 g more sideways
    >>> motion_flags(Signal("acc", "client", 32.0, moving, start=0.0))["flagged"].tolist()
    [False, True]
    """
    if not isinstance(acc, Signal):
        raise InputError(f"got {type(acc).__name__}; expected a Signal", field="acc")
    if acc.kind != "acc":
        raise InputError(f"is a {acc.kind!r} signal; expected 'acc'", field="acc")
    if acc.times is not None:
        raise InputError("is irregularly sampled; expected a regular series", field="acc")
    if acc.values.ndim != 2 or acc.values.shape[1] != 3:
        raise InputError(
            f"has values of shape {acc.values.shape}; expected three columns (x, y, z)",
            field="acc",
        )
    threshold_g = _number(threshold_g, "threshold_g", unit=" of g")
    window_s = _number(window_s, "window_s", unit=" of seconds")
    size = window_s * acc.sampling_rate
    w = round(size)
    if w < 1 or abs(size - w) > 1e-6:
        raise InputError(
            f"is {window_s:g} s, {size:g} samples at {acc.sampling_rate:g} Hz; expected a whole "
            "number of samples",
            field="window_s",
        )
    n = len(acc)
    n_windows = -(-n // w)
    magnitude = np.sqrt(np.sum(acc.values**2, axis=1)) / ACC_UNITS_PER_G
    enmo = np.maximum(magnitude - 1.0, 0.0)
    padded = np.full(n_windows * w, np.nan)
    padded[:n] = enmo
    blocks = padded.reshape(n_windows, w)
    count = np.sum(np.isfinite(blocks), axis=1)
    total = np.nansum(blocks, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    empty = int(np.count_nonzero(count == 0))
    if empty:
        warnings.warn(
            f"{acc.role} acc: {empty} of {n_windows} windows have no finite sample; their "
            "enmo_g is NaN and they are not flagged",
            AttunementWarning,
            stacklevel=2,
        )
    starts = acc.start + np.arange(n_windows) * w / acc.sampling_rate
    ends = np.minimum(starts + w / acc.sampling_rate, acc.start + n / acc.sampling_rate)
    return pd.DataFrame(
        {
            "start_s": starts,
            "end_s": ends,
            "enmo_g": mean,
            "flagged": np.nan_to_num(mean, nan=0.0) > threshold_g,
        }
    )
