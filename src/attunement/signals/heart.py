"""Heart rate on a regular grid, from a heart-rate series or from inter-beat intervals.

The Empatica E4 exports both ``HR.csv`` (1 Hz, its own average of the beats) and ``IBI.csv``
(the time of each detected beat and the interval that ends there). :func:`heart_rate` prefers
``HR.csv``; without it, it derives the instantaneous heart rate 60 / interval, places it at each
beat's time and interpolates linearly onto a regular grid.

Physiological plausibility: intervals outside 0.3–2.0 s (heart rates above 200 or below 30 bpm)
are artefacts of beat detection and are dropped, as are heart-rate samples outside 30–200 bpm.
Where no beat was kept for more than ``max_gap_s`` seconds the grid stays NaN (with a warning),
never bridged by a straight line.
"""

from __future__ import annotations

import math
import warnings
from typing import Any

import numpy as np

from attunement.errors import AttunementWarning, InputError
from attunement.model import Signal
from attunement.signals._checks import _check_rate, _check_seconds, _describe_gaps, _on_grid

__all__ = ["MAX_INTERVAL_S", "MIN_INTERVAL_S", "heart_rate", "heart_rate_method"]

#: Shortest and longest plausible inter-beat interval (s): 200 and 30 beats per minute.
MIN_INTERVAL_S = 0.3
MAX_INTERVAL_S = 2.0


def _check_kind(sig: Signal | None, kind: str, name: str) -> None:
    if sig is None:
        return
    if not isinstance(sig, Signal):
        raise InputError(f"got {type(sig).__name__}; expected a Signal", field=name)
    if sig.kind != kind:
        raise InputError(f"is a {sig.kind!r} signal; expected {kind!r}", field=name)
    if sig.values.ndim != 1:
        raise InputError(f"has {sig.values.shape[1]} columns; expected one", field=name)


def _warn_gaps(role: str, gaps: list[tuple[float, float]], max_gap_s: float) -> None:
    if gaps:
        warnings.warn(
            f"{role} heart rate: no beat from {_describe_gaps(gaps)} (longer than max_gap_s = "
            f"{max_gap_s:g} s); left NaN",
            AttunementWarning,
            stacklevel=3,
        )


def heart_rate_method(*, sampling_rate: float = 1.0, max_gap_s: float = 5.0) -> dict[str, Any]:
    """The methods-paragraph entry of :func:`heart_rate` run with these parameters.

    Parameters
    ----------
    sampling_rate, max_gap_s : float
        As given to :func:`heart_rate`.

    Returns
    -------
    dict
        ``name`` ('heart_rate'), ``description`` (written from the parameters), ``parameters``
        (``sampling_rate``, ``min_interval_s``, ``max_interval_s``, ``max_gap_s``) and
        ``citation`` (None).

    Examples
    --------
    >>> heart_rate_method(max_gap_s=3)["parameters"]["max_gap_s"]
    3.0
    """
    rate, max_gap_s = float(sampling_rate), float(max_gap_s)
    return {
        "name": "heart_rate",
        "description": (
            "Heart rate was taken from the wristband's heart-rate series or, without one, "
            "computed as 60 / inter-beat interval at each beat, and read onto a regular "
            f"{rate:g} Hz grid by linear interpolation; intervals outside "
            f"{MIN_INTERVAL_S:g}-{MAX_INTERVAL_S:g} s (heart rates outside "
            f"{60 / MAX_INTERVAL_S:g}-{60 / MIN_INTERVAL_S:g} bpm) were dropped as implausible "
            f"and stretches without a beat for more than {max_gap_s:g} s were left missing."
        ),
        "parameters": {
            "sampling_rate": rate,
            "min_interval_s": MIN_INTERVAL_S,
            "max_interval_s": MAX_INTERVAL_S,
            "max_gap_s": max_gap_s,
        },
        "citation": None,
    }


def heart_rate(
    *,
    hr: Signal | None = None,
    ibi: Signal | None = None,
    sampling_rate: float = 1.0,
    max_gap_s: float = 5.0,
) -> Signal | None:
    """Heart rate in beats per minute on a regular grid.

    Parameters
    ----------
    hr : Signal, optional
        Kind ``'hr'`` (e.g. E4 ``HR.csv``). Used when given; resampled when its rate differs
        from ``sampling_rate``.
    ibi : Signal, optional
        Kind ``'ibi'``, irregular: ``times`` are beat times, ``values`` the interval (s) ending
        at each beat. Used when ``hr`` is None.
    sampling_rate : float, default 1.0
        Rate of the returned grid (Hz).
    max_gap_s : float, default 5.0
        Longest stretch without a (plausible) beat or heart-rate sample bridged linearly.

    Returns
    -------
    Signal or None
        Kind ``'hr'``, the input's role, regular at ``sampling_rate`` from the first to the last
        usable sample; ``meta['source']`` is ``'hr'`` or ``'ibi'``. None when neither input is
        given or fewer than two usable samples remain (with a warning).

    Raises
    ------
    InputError
        When an input has the wrong kind or is not one-dimensional, the IBI signal has no beat
        times, or ``sampling_rate`` / ``max_gap_s`` is not a positive / non-negative number.

    Warns
    -----
    AttunementWarning
        For implausible intervals or heart rates dropped, gaps left NaN, or too few beats.

    Examples
    --------
    >>> beats = np.arange(1, 12) * 0.75          # a beat every 0.75 s: 80 bpm
    >>> ibi = Signal("ibi", "client", None, np.full(11, 0.75), start=0.75, times=beats)
    >>> out = heart_rate(ibi=ibi)
    >>> out.kind, out.sampling_rate, out.values[:3].tolist()
    ('hr', 1.0, [80.0, 80.0, 80.0])
    """
    _check_kind(hr, "hr", "hr")
    _check_kind(ibi, "ibi", "ibi")
    rate = _check_rate(sampling_rate, "sampling_rate")
    max_gap_s = _check_seconds(max_gap_s, "max_gap_s")
    if hr is not None:
        source, base = "hr", hr
        times, values = hr.time_axis(), hr.values
        low, high = 60 / MAX_INTERVAL_S, 60 / MIN_INTERVAL_S
        what = f"heart-rate samples outside {low:g}-{high:g} bpm"
    elif ibi is not None:
        if ibi.times is None:
            raise InputError(
                "has no beat times; expected an irregular signal whose times are the beats",
                field="ibi",
            )
        source, base = "ibi", ibi
        times = ibi.times
        with np.errstate(divide="ignore", invalid="ignore"):
            values = 60.0 / ibi.values
        low, high = 60 / MAX_INTERVAL_S, 60 / MIN_INTERVAL_S
        what = f"inter-beat intervals outside {MIN_INTERVAL_S:g}-{MAX_INTERVAL_S:g} s"
    else:
        return None
    finite = np.isfinite(values)
    plausible = finite & (values >= low - 1e-9) & (values <= high + 1e-9)
    dropped = int(np.count_nonzero(finite & ~plausible))
    if dropped:
        warnings.warn(
            f"{base.role} {source}: dropped {dropped} {what} as implausible",
            AttunementWarning,
            stacklevel=2,
        )
    times, values = times[plausible], values[plausible]
    if times.size < 2 or times[-1] - times[0] < 1 / rate:
        warnings.warn(
            f"{base.role} {source}: {times.size} usable sample(s); expected at least two "
            f"spanning one grid step; no heart rate",
            AttunementWarning,
            stacklevel=2,
        )
        return None
    n = math.floor((times[-1] - times[0]) * rate + 1e-9) + 1
    grid = times[0] + np.arange(n) / rate
    if source == "hr" and hr.times is None:
        # Regular samples: dropped ones become holes; faster series are anti-aliased.
        kept = np.where(plausible, hr.values, np.nan)
        probe = Signal("hr", base.role, hr.sampling_rate, kept, start=hr.start)
    else:
        # Irregular samples: gaps are jumps between the times of the usable samples.
        probe = Signal("hr", base.role, None, values, start=float(times[0]), times=times)
    out, gaps = _on_grid(probe, times, values, grid, rate, max_gap_s)
    _warn_gaps(base.role, gaps, max_gap_s)
    return Signal(
        "hr",
        base.role,
        rate,
        out,
        start=float(grid[0]),
        meta={**base.meta, "source": source},
    )
