"""Shared argument checks and grid helpers of the signal modules.

:mod:`~attunement.signals.align`, :mod:`~attunement.signals.eda`,
:mod:`~attunement.signals.heart` and :mod:`~attunement.signals.motion` validate their numeric
arguments the same way, and :func:`~attunement.signals.align.align_pair` and
:func:`~attunement.signals.heart.heart_rate` read a series onto a regular grid the same way
(anti-alias low-pass, linear interpolation, long gaps left NaN). Those pieces live here, below
all of them, so that the signal modules import one module instead of one another.
"""

from __future__ import annotations

import math

import numpy as np

from attunement.errors import InputError
from attunement.model import Signal

#: Tolerance when comparing times (seconds) and sampling rates (relative).
_TIME_TOL = 1e-9
#: Anti-alias low-pass before reading a faster series at a slower grid: Butterworth of this
#: order (zero-phase, so in effect twice that), cut off at this fraction of the grid's Nyquist
#: frequency, as scipy.signal.decimate does with its Chebyshev filter (a Butterworth keeps the
#: level of slow signals exactly).
ANTI_ALIAS_ORDER = 8
ANTI_ALIAS_FRACTION = 0.8


# -- argument checks ---------------------------------------------------------------------------


def _number(value: float, name: str, *, unit: str, zero_ok: bool = False) -> float:
    """``value`` as a finite float, > 0 (or >= 0 with ``zero_ok``), else an InputError."""
    expected = f"a {'non-negative' if zero_ok else 'positive'} number{unit}"
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise InputError(f"is {value!r}; expected {expected}", field=name) from None
    if isinstance(value, bool) or not (
        math.isfinite(number) and (number >= 0 if zero_ok else number > 0)
    ):
        raise InputError(f"is {value!r}; expected {expected}", field=name)
    return number


def _check_rate(value: float, name: str) -> float:
    return _number(value, name, unit=" of Hz")


def _check_seconds(value: float, name: str) -> float:
    return _number(value, name, unit=" of seconds", zero_ok=True)


# -- reading a series onto a regular grid ------------------------------------------------------


def _gap_threshold(sig: Signal, max_gap_s: float) -> float:
    """Spacing between finite samples above which the stretch between them is a gap."""
    if sig.times is None:
        # Normal spacing is 1 / rate: only a run of missing samples makes a gap.
        return max(max_gap_s, 1.5 / sig.sampling_rate)
    return max_gap_s


def _low_pass(x: np.ndarray, cutoff: float, rate: float) -> np.ndarray:
    """Zero-phase Butterworth low-pass that leaves a straight line unchanged at any length.

    The line through the first and last sample is taken out, the rest padded with zeros for
    several periods of the cut-off (so the filter starts and ends at rest), filtered, and the
    line put back.
    """
    from scipy.signal import butter, sosfiltfilt

    n = x.size
    trend = x[0] + (x[-1] - x[0]) * np.arange(n) / max(n - 1, 1)
    pad = math.ceil(6 * rate / cutoff)
    rest = np.concatenate([np.zeros(pad), x - trend, np.zeros(pad)])
    sos = butter(ANTI_ALIAS_ORDER, cutoff, output="sos", fs=rate)
    return sosfiltfilt(sos, rest, padtype=None)[pad : pad + n] + trend


def _on_grid(
    sig: Signal,
    times: np.ndarray,
    values: np.ndarray,
    grid: np.ndarray,
    rate: float,
    max_gap_s: float,
) -> tuple[np.ndarray, list[tuple[float, float]]]:
    """Read ``sig`` at the ``grid`` times (``rate`` Hz); NaN inside gaps longer than ``max_gap_s``.

    ``times`` and ``values`` are the finite samples of ``sig``; the grid lies within their span.
    """
    step = np.diff(times)
    where = np.flatnonzero(step > _gap_threshold(sig, max_gap_s) + _TIME_TOL)
    gaps = [(float(times[i]), float(times[i + 1])) for i in where]
    if sig.times is not None:
        out = np.interp(grid, times, values)
    else:
        src_rate = float(sig.sampling_rate)
        if rate < src_rate * (1 - _TIME_TOL):
            # Missing samples are bridged only so that the filter can run; gaps are put back
            # as NaN below.
            filled = np.interp(sig.time_axis(), times, values)
            low = _low_pass(filled, ANTI_ALIAS_FRACTION * rate / 2, src_rate)
            out = np.interp((grid - sig.start) * src_rate, np.arange(low.size), low)
        else:
            pos = (grid - sig.start) * src_rate
            nearest = np.round(pos)
            pos = np.where(np.abs(pos - nearest) < 1e-6, nearest, pos)
            index = np.round((times - sig.start) * src_rate)
            out = np.interp(pos, index, values)
    for lo, hi in gaps:
        out[(grid > lo + _TIME_TOL) & (grid < hi - _TIME_TOL)] = np.nan
    return out, gaps


def _describe_gaps(gaps: list[tuple[float, float]], limit: int = 10) -> str:
    """The ``(from_s, to_s)`` gaps as text for a warning: the first ``limit``, then a count."""
    shown = ", ".join(f"{lo:.2f} s to {hi:.2f} s" for lo, hi in gaps[:limit])
    if len(gaps) > limit:
        shown += f" and {len(gaps) - limit} more"
    return shown
