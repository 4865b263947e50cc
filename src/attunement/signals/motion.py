"""Movement flags from a wristband's accelerometer.

Movement of the wrist disturbs the electrode contact of wrist EDA and the optical pulse signal,
so windows of strong movement are worth flagging before synchrony is read into them.
:func:`motion_flags` uses ENMO, the Euclidean norm of the three axes minus one g (the part of
the acceleration that is not gravity), negative values set to 0 (van Hees et al., 2013),
averaged over short windows. The default threshold, 0.1 g (100 mg), is about where wrist-worn
ENMO reaches moderate activity in adults (Hildebrand et al., 2014): far above a seated person
gesturing gently, well below walking or fidgeting with the arm.

Signal values are in 1/64 g (the Empatica E4's unit, :data:`attunement.model.SIGNAL_UNITS`).

:func:`mask_motion` then sets each person's samples of an aligned pair (skin conductance, heart
rate) that fall in that person's flagged windows to NaN, so that movement artefacts do not enter
synchrony as if they were arousal; :func:`motion_share` says what share of a recording was
flagged. Masking happens on the aligned grid, after :func:`~attunement.signals.align.align_pair`:
before it, the alignment would bridge masked stretches shorter than its ``max_gap_s`` by linear
interpolation (and report longer ones as recording gaps).

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
from attunement.signals._checks import _number
from attunement.signals.align import AlignedPair

__all__ = [
    "ACC_UNITS_PER_G",
    "METHOD",
    "mask_motion",
    "masking_method",
    "motion_flags",
    "motion_mask",
    "motion_share",
]

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


def masking_method(*, threshold_g: float = 0.1, window_s: float = 1.0) -> dict:
    """The provenance entry of motion masking with these parameters.

    Parameters
    ----------
    threshold_g, window_s : float
        As given to :func:`motion_flags`.

    Returns
    -------
    dict
        ``name`` ('motion_masking'), ``description`` (one sentence for a methods paragraph),
        ``parameters`` (``threshold_g``, ``window_s``) and ``citation``.

    Examples
    --------
    >>> masking_method(threshold_g=0.2)["description"][:44]
    'Windows of wrist movement above 0.2 g ENMO ('
    """
    return {
        "name": "motion_masking",
        "description": (
            f"Windows of wrist movement above {threshold_g:g} g ENMO (mean of {window_s:g} s "
            "windows of the accelerometer's vector magnitude minus 1 g, negative values set to "
            "0; van Hees et al., 2013) were excluded from skin-conductance and heart-rate "
            "synchrony: each person's samples in their own flagged windows were set missing "
            "before the windowed correlations and their chance controls were computed."
        ),
        "parameters": {"threshold_g": float(threshold_g), "window_s": float(window_s)},
        "citation": (
            "van Hees, V. T., et al. (2013). Separating movement and gravity components in an "
            "acceleration signal. PLoS ONE, 8(4), e61691."
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


_FLAG_COLUMNS = ("start_s", "end_s", "flagged")


def _check_flags(flags: pd.DataFrame, name: str) -> pd.DataFrame:
    if not isinstance(flags, pd.DataFrame):
        raise InputError(
            f"got {type(flags).__name__}; expected the DataFrame motion_flags returns", field=name
        )
    missing = [c for c in _FLAG_COLUMNS if c not in flags.columns]
    if missing:
        raise InputError(
            f"has no column {', '.join(missing)}; expected the columns of motion_flags "
            f"({', '.join(_FLAG_COLUMNS)})",
            field=name,
        )
    return flags


def motion_mask(times: np.ndarray, flags: pd.DataFrame) -> np.ndarray:
    """Which of ``times`` fall in a flagged window.

    Parameters
    ----------
    times : array_like
        Session-clock times in seconds.
    flags : pandas.DataFrame
        :func:`motion_flags` of the same person (windows ``start_s`` <= t < ``end_s``).

    Returns
    -------
    numpy.ndarray
        Boolean, the shape of ``times``; False outside the accelerometer's recording.

    Raises
    ------
    InputError
        When ``flags`` lacks the columns ``start_s``, ``end_s`` or ``flagged``.

    Examples
    --------
    >>> flags = pd.DataFrame({"start_s": [0.0, 1.0], "end_s": [1.0, 2.0],
    ...                       "flagged": [False, True]})
    >>> motion_mask(np.array([0.5, 1.0, 1.75, 2.0]), flags).tolist()
    [False, True, True, False]
    """
    flags = _check_flags(flags, "flags")
    times = np.asarray(times, dtype=float)
    out = np.zeros(times.shape, dtype=bool)
    chosen = flags.loc[flags["flagged"].to_numpy(dtype=bool)]
    if chosen.empty:
        return out
    starts = chosen["start_s"].to_numpy(dtype=float)
    ends = chosen["end_s"].to_numpy(dtype=float)
    order = np.argsort(starts, kind="stable")
    starts, ends = starts[order], ends[order]
    # A grid point a rounding error before a window's start belongs to the window.
    tol = 1e-9
    index = np.searchsorted(starts, times + tol, side="right") - 1
    inside = index >= 0
    out[inside] = times[inside] < ends[index[inside]] - tol
    return out


def mask_motion(
    pair: AlignedPair,
    *,
    therapist: pd.DataFrame | None = None,
    client: pd.DataFrame | None = None,
) -> AlignedPair:
    """Set each person's samples in their own flagged movement windows to NaN.

    Parameters
    ----------
    pair : AlignedPair
        Both people's series on one grid (:func:`~attunement.signals.align.align_pair`).
    therapist, client : pandas.DataFrame, optional
        :func:`motion_flags` of that person's accelerometer; None leaves the series as it is.

    Returns
    -------
    AlignedPair
        A new pair, the same but for NaN at the grid times inside flagged windows; ``gaps``
        are unchanged (they name stretches without a recording, not masked ones).

    Raises
    ------
    InputError
        When ``pair`` is not an AlignedPair or a flags table lacks its columns.

    Examples
    --------
    >>> from attunement.signals.align import AlignedPair
    >>> pair = AlignedPair(np.arange(4.0), np.arange(4.0), 1.0, 10.0, kind="eda")
    >>> flags = pd.DataFrame({"start_s": [10.0, 12.0], "end_s": [12.0, 14.0],
    ...                       "flagged": [False, True]})
    >>> mask_motion(pair, client=flags).client.tolist()
    [0.0, 1.0, nan, nan]
    """
    if not isinstance(pair, AlignedPair):
        raise InputError(f"got {type(pair).__name__}; expected an AlignedPair", field="pair")
    times = pair.times()
    series = {}
    for who, flags in (("therapist", therapist), ("client", client)):
        values = getattr(pair, who)
        if flags is not None:
            masked = motion_mask(times, _check_flags(flags, who))
            if masked.any():
                values = np.where(masked, np.nan, values)
                values.setflags(write=False)
        series[who] = values
    return AlignedPair(
        series["therapist"],
        series["client"],
        pair.sampling_rate,
        pair.start,
        pair.gaps,
        pair.kind,
    )


def motion_share(flags: pd.DataFrame) -> float:
    """Share of a recording's movement windows that are flagged.

    Parameters
    ----------
    flags : pandas.DataFrame
        :func:`motion_flags` of one accelerometer.

    Returns
    -------
    float
        Flagged windows / windows with an ENMO value (0 to 1); NaN when no window has one.

    Raises
    ------
    InputError
        When ``flags`` lacks the columns of :func:`motion_flags`.

    Examples
    --------
    >>> motion_share(pd.DataFrame({"start_s": [0.0, 1.0], "end_s": [1.0, 2.0],
    ...                            "enmo_g": [0.0, 0.3], "flagged": [False, True]}))
    0.5
    """
    flags = _check_flags(flags, "flags")
    if "enmo_g" in flags.columns:
        defined = np.isfinite(flags["enmo_g"].to_numpy(dtype=float))
    else:
        defined = np.ones(len(flags), dtype=bool)
    n = int(np.count_nonzero(defined))
    if n == 0:
        return float("nan")
    return float(np.count_nonzero(flags["flagged"].to_numpy(dtype=bool) & defined) / n)
