"""Electrodermal activity (skin conductance) from a wristband: cleaning and tonic/phasic parts.

Wrist devices such as the Empatica E4 sample EDA at 4 Hz. NeuroKit2's ``eda_clean`` skips its
3 Hz low-pass below 6 Hz, so a 4 Hz recording would keep its quantisation steps and spikes.
:func:`eda_process` therefore low-passes itself:

1. **Short holes.** Runs of missing samples spanning at most ``max_interp_s`` seconds are
   bridged linearly so the filters can run; longer runs split the recording into segments and
   stay NaN in every output column. Nothing is ever filled with a mean.
2. **Clean.** A zero-phase Butterworth low-pass (order 4, 1 Hz, ``scipy.signal.sosfiltfilt``),
   per segment: skin-conductance responses are slower than 1 Hz, and 1 Hz is the cut-off used
   for 4 Hz wrist EDA by EDA Explorer (Taylor et al., 2015). At rates of 2 Hz or less the data
   hold nothing above 1 Hz and the step is skipped.
3. **Tonic / phasic.** ``nk.eda_phasic`` on the cleaned segment. The default ``'highpass'``
   method (NeuroKit2's default, after Biopac AcqKnowledge) splits at 0.05 Hz with zero-phase
   Butterworth filters: deterministic, linear-time (an hour at 4 Hz takes milliseconds) and
   without the convex solver cvxEDA needs (cvxopt, not a dependency). ``'smoothmedian'``
   (tonic = 4 s running median) is the alternative.

References
----------
Makowski, D., et al. (2021). NeuroKit2: A Python toolbox for neurophysiological signal
processing. Behavior Research Methods, 53, 1689–1696.
Taylor, S., Jaques, N., Chen, W., Fedor, S., Sano, A., & Picard, R. (2015). Automatic
identification of artifacts in electrodermal activity data. Proceedings of IEEE EMBC 2015,
1934–1937.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from attunement.errors import AttunementWarning, InputError
from attunement.signals._checks import _check_rate, _check_seconds, _number

__all__ = ["PHASIC_METHODS", "eda_method", "eda_process"]

#: ``phasic_method`` name -> NeuroKit2's name for it.
PHASIC_METHODS: dict[str, str] = {"highpass": "highpass", "smoothmedian": "smoothmedian"}

#: Fewest samples a segment needs for the zero-phase filters (their edge padding).
MIN_SEGMENT_SAMPLES = 16

#: ``component`` of :func:`eda_method` -> the series synchrony was computed on.
_COMPONENT_TEXT: dict[str, str] = {
    "clean": "the low-passed skin conductance",
    "phasic": "the phasic part",
    "tonic": "the tonic part",
    "raw": "the raw skin conductance",
}


def eda_method(
    *,
    lowpass_hz: float | None = 1.0,
    order: int = 4,
    max_interp_s: float = 2.0,
    phasic_method: str = "highpass",
    component: str | None = None,
) -> dict[str, Any]:
    """The methods-paragraph entry of :func:`eda_process` run with these parameters.

    Parameters
    ----------
    lowpass_hz, order, max_interp_s, phasic_method
        As given to :func:`eda_process`; ``lowpass_hz`` None when the low-pass was skipped
        (a recording sampled at twice the cut-off or less).
    component : {'clean', 'phasic', 'tonic', 'raw'}, optional
        The column that later measures used (e.g.
        :func:`attunement.signals.align.prepare_pair`'s ``eda_component``); named in the
        description when given.

    Returns
    -------
    dict
        ``name`` ('eda_process'), ``description`` (written from the parameters),
        ``parameters`` (``lowpass_hz``, ``order``, ``max_interp_s``, ``phasic_method``, and
        ``component`` when given) and ``citation``.

    Raises
    ------
    InputError
        For an unknown ``phasic_method`` or ``component`` (the message lists the choices).

    Examples
    --------
    >>> eda_method(lowpass_hz=0.5)["description"][:58]
    'Skin conductance was low-pass filtered at 0.5 Hz (zero-pha'
    """
    if phasic_method not in PHASIC_METHODS:
        raise InputError(
            f"is {phasic_method!r}; expected one of {', '.join(PHASIC_METHODS)}",
            field="phasic_method",
        )
    if component is not None and component not in _COMPONENT_TEXT:
        raise InputError(
            f"is {component!r}; expected one of {', '.join(_COMPONENT_TEXT)}", field="component"
        )
    if lowpass_hz is None:
        cleaned = "Skin conductance was not low-pass filtered (its sampling rate left no content "
        cleaned += "above the cut-off)"
    else:
        cleaned = (
            f"Skin conductance was low-pass filtered at {float(lowpass_hz):g} Hz (zero-phase "
            f"order-{int(order)} Butterworth; skipped for recordings sampled at "
            f"{2 * float(lowpass_hz):g} Hz or less)"
        )
    phasic = (
        "a 0.05 Hz zero-phase Butterworth high-pass"
        if phasic_method == "highpass"
        else "a 4 s running median as the tonic part"
    )
    used = "" if component is None else f" Synchrony was computed on {_COMPONENT_TEXT[component]}."
    parameters: dict[str, Any] = {
        "lowpass_hz": None if lowpass_hz is None else float(lowpass_hz),
        "order": int(order),
        "max_interp_s": float(max_interp_s),
        "phasic_method": phasic_method,
    }
    if component is not None:
        parameters["component"] = component
    return {
        "name": "eda_process",
        "description": (
            f"{cleaned}, and was split into tonic and phasic parts with {phasic} (NeuroKit2); "
            "holes "
            f"of up to {float(max_interp_s):g} s were bridged linearly and longer ones left "
            f"missing.{used}"
        ),
        "parameters": parameters,
        "citation": (
            "Makowski, D., et al. (2021). NeuroKit2: A Python toolbox for neurophysiological "
            "signal processing. Behavior Research Methods, 53, 1689-1696; Taylor, S., et al. "
            "(2015). Automatic identification of artifacts in electrodermal activity data. IEEE "
            "EMBC, 1934-1937."
        ),
    }


_COLUMNS = ("eda_raw", "eda_clean", "eda_tonic", "eda_phasic")


def _bridge_short_holes(
    x: np.ndarray, rate: float, max_interp_s: float
) -> tuple[np.ndarray, int, list[tuple[float, float]]]:
    """Fill runs of NaN spanning at most ``max_interp_s`` linearly; return the long gaps.

    A run's span is the time between the finite samples around it. Leading and trailing NaN are
    not bridged.
    """
    ok = np.isfinite(x)
    valid = np.flatnonzero(ok)
    missing = np.flatnonzero(~ok)
    step = np.diff(valid)
    short = (step > 1) & (step / rate <= max_interp_s + 1e-9)
    left = np.searchsorted(valid, missing) - 1
    inner = (left >= 0) & (left < valid.size - 1)
    fill = np.zeros(missing.size, dtype=bool)
    fill[inner] = short[left[inner]]
    out = x.copy()
    out[missing[fill]] = np.interp(missing[fill], valid, x[valid])
    long_gaps = [
        (float(valid[i] / rate), float(valid[i + 1] / rate))
        for i in np.flatnonzero((step > 1) & ~short)
    ]
    return out, int(fill.sum()), long_gaps


def _segments(ok: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True."""
    edges = np.diff(np.r_[0, ok.astype(np.int8), 0])
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1), strict=True))


def eda_process(
    values: np.ndarray,
    *,
    sampling_rate: float,
    lowpass_hz: float = 1.0,
    order: int = 4,
    max_interp_s: float = 2.0,
    phasic_method: str = "highpass",
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Clean skin conductance and split it into tonic and phasic parts.

    Parameters
    ----------
    values : array of float, shape (n,)
        Skin conductance in µS; NaN marks missing samples.
    sampling_rate : float
        Hz (4 for the Empatica E4).
    lowpass_hz : float, default 1.0
        Cut-off of the zero-phase Butterworth low-pass; skipped when at or above the Nyquist
        frequency (``sampling_rate / 2``).
    order : int, default 4
        Butterworth order (doubled in effect by the forward-backward pass).
    max_interp_s : float, default 2.0
        Longest hole (time between the finite samples around it) bridged linearly.
    phasic_method : {'highpass', 'smoothmedian'}, default 'highpass'
        NeuroKit2's decomposition method (:data:`PHASIC_METHODS`).

    Returns
    -------
    frame : pandas.DataFrame
        Same length as ``values``: ``eda_raw`` (the input), ``eda_clean`` (low-passed),
        ``eda_tonic`` and ``eda_phasic`` (µS; their sum is the clean signal
        except within a few filter lengths of a segment's edges). NaN where the input had a
        hole longer than ``max_interp_s``, before its first and after its last finite sample,
        and in segments shorter than 16 samples.
    info : dict
        ``sampling_rate``, ``lowpass_hz`` (None when skipped), ``order``, ``phasic_method``,
        ``n_interpolated`` (samples bridged), ``gaps`` (list of ``(from_s, to_s)`` seconds from
        sample 0: the finite samples around each hole left NaN) and ``method``
        (:func:`eda_method` of these parameters).

    Raises
    ------
    InputError
        For values that are not one-dimensional or empty, a rate or cut-off that is not
        positive, or an unknown ``phasic_method``.

    Warns
    -----
    AttunementWarning
        When there is no finite value, or a segment is too short to filter (left NaN).

    Examples
    --------
    >>> t = np.arange(240) / 4
    >>> frame, info = eda_process(2 + 0.1 * np.sin(2 * np.pi * 0.02 * t), sampling_rate=4)
    >>> list(frame.columns), len(frame), info["lowpass_hz"]
    (['eda_raw', 'eda_clean', 'eda_tonic', 'eda_phasic'], 240, 1.0)
    """
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise InputError(f"EDA values have shape {x.shape}; expected one value per sample")
    if x.size == 0:
        raise InputError("EDA has no samples; expected a recording")
    rate = _check_rate(sampling_rate, "sampling_rate")
    cutoff = _number(lowpass_hz, "lowpass_hz", unit=" of Hz")
    if isinstance(order, bool) or not isinstance(order, (int, np.integer)) or order < 1:
        raise InputError(f"is {order!r}; expected a positive whole number", field="order")
    max_interp_s = _check_seconds(max_interp_s, "max_interp_s")
    if phasic_method not in PHASIC_METHODS:
        raise InputError(
            f"is {phasic_method!r}; expected one of {', '.join(PHASIC_METHODS)}",
            field="phasic_method",
        )
    use_lowpass = cutoff < rate / 2
    info: dict[str, Any] = {
        "sampling_rate": rate,
        "lowpass_hz": cutoff if use_lowpass else None,
        "order": int(order),
        "phasic_method": phasic_method,
        "n_interpolated": 0,
        "gaps": [],
        "method": eda_method(
            lowpass_hz=cutoff if use_lowpass else None,
            order=int(order),
            max_interp_s=max_interp_s,
            phasic_method=phasic_method,
        ),
    }
    clean = np.full(x.size, np.nan)
    tonic = np.full(x.size, np.nan)
    phasic = np.full(x.size, np.nan)
    if not np.isfinite(x).any():
        warnings.warn(
            f"EDA has no finite value in its {x.size} samples; every output is NaN",
            AttunementWarning,
            stacklevel=2,
        )
        return pd.DataFrame(dict(zip(_COLUMNS, (x, clean, tonic, phasic), strict=True))), info

    bridged, n_filled, gaps = _bridge_short_holes(x, rate, max_interp_s)
    info["n_interpolated"] = n_filled
    info["gaps"] = gaps
    import neurokit2 as nk
    from scipy.signal import butter, sosfiltfilt

    sos = None
    if use_lowpass:
        sos = butter(int(order), cutoff, btype="lowpass", output="sos", fs=rate)
    too_short = []
    for lo, hi in _segments(np.isfinite(bridged)):
        if hi - lo < MIN_SEGMENT_SAMPLES:
            too_short.append((lo / rate, hi / rate))
            continue
        seg = bridged[lo:hi]
        seg_clean = sosfiltfilt(sos, seg) if sos is not None else seg
        parts = nk.eda_phasic(seg_clean, sampling_rate=rate, method=PHASIC_METHODS[phasic_method])
        clean[lo:hi] = seg_clean
        tonic[lo:hi] = parts["EDA_Tonic"].to_numpy()
        phasic[lo:hi] = parts["EDA_Phasic"].to_numpy()
    if too_short:
        shown = ", ".join(f"{a:.2f} s to {b:.2f} s" for a, b in too_short[:10])
        more = f" and {len(too_short) - 10} more" if len(too_short) > 10 else ""
        warnings.warn(
            f"EDA segments between longer holes are too short to filter (fewer than "
            f"{MIN_SEGMENT_SAMPLES} samples): {shown}{more} (seconds from the first sample); "
            "left NaN",
            AttunementWarning,
            stacklevel=2,
        )
    frame = pd.DataFrame(dict(zip(_COLUMNS, (x, clean, tonic, phasic), strict=True)))
    return frame, info
