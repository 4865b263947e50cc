"""What the body did after an utterance: windows of the client's signals locked to its end.

Every figure is read in fixed windows relative to the *end* of a therapist utterance (time 0):

- **skin-conductance response** (:func:`scr_responses`): the highest cleaned skin conductance
  from 1 to 6 s after the end minus the mean over the 2 s before it (µS). A
  skin-conductance response starts 1-3 s after what evokes it and peaks a few seconds later
  (Boucsein, 2012), so the window catches responses to what was just heard; the baseline is
  the level the response rises from;
- **heart-rate change** (:func:`hr_responses`): the mean heart rate over the 10 s after the
  end minus the mean over the 5 s before it (bpm);
- **local synchrony** (:func:`local_synchrony`): the Pearson r of both people's
  first-differenced skin conductance in the 30 s centred on the end (±15 s). Differences,
  as in the headline synchrony: two unrelated drifting levels correlate strongly inside 30 s.

A window whose samples are more than half missing (movement masked, a gap, outside the
recording) gives NaN; the synchrony window needs 80% of both people's samples. Nothing is
interpolated or mean-filled.

Why array slicing rather than NeuroKit2's event-related tools. ``nk.epochs_create`` cuts the
same windows (the tests check that its epochs give the same skin-conductance responses), but
it builds one DataFrame per event, and ``nk.eda_eventrelated`` reads NeuroKit2's own SCR
peak detection, which needs a gap-free signal. Here every utterance of a session is read at
once by index arithmetic on the aligned grid (an hour's 350 utterances in about a
millisecond), the permutation test then needs only these numbers, and a masked or missing
sample stays missing instead of being interpolated by the peak finder.

References
----------
Boucsein, W. (2012). *Electrodermal activity* (2nd ed.). Springer.
"""

from __future__ import annotations

import numpy as np

from attunement.errors import InputError

__all__ = [
    "HR_BASELINE_S",
    "HR_WINDOW_S",
    "MIN_COVERAGE",
    "SCR_BASELINE_S",
    "SCR_WINDOW_S",
    "SYNC_COVERAGE",
    "SYNC_HALF_WIDTH_S",
    "epochs",
    "event_average",
    "hr_responses",
    "local_synchrony",
    "scr_responses",
]

#: The skin-conductance response window after the utterance's end (s).
SCR_WINDOW_S: tuple[float, float] = (1.0, 6.0)
#: Its baseline: the seconds before the end.
SCR_BASELINE_S = 2.0
#: The heart-rate window after the end (s), and its baseline before it.
HR_WINDOW_S: tuple[float, float] = (0.0, 10.0)
HR_BASELINE_S = 5.0
#: Half the width of the local synchrony window (s).
SYNC_HALF_WIDTH_S = 15.0
#: Least share of finite samples in a response or baseline window.
MIN_COVERAGE = 0.5
#: Least share of both people's finite samples in a synchrony window.
SYNC_COVERAGE = 0.8


def _check(values: np.ndarray, sampling_rate: float, times: np.ndarray, name: str):
    x = np.asarray(values, dtype=float)
    if x.ndim != 1:
        raise InputError(f"has shape {x.shape}; expected one value per sample", field=name)
    rate = float(sampling_rate)
    if not np.isfinite(rate) or rate <= 0:
        raise InputError(f"is {sampling_rate!r}; expected a positive rate in Hz", field="rate")
    return x, rate, np.asarray(times, dtype=float).ravel()


def epochs(
    values: np.ndarray,
    *,
    sampling_rate: float,
    start: float,
    times: np.ndarray,
    window_s: tuple[float, float],
) -> tuple[np.ndarray, np.ndarray]:
    """The samples of ``values`` in a window around each of ``times``.

    Parameters
    ----------
    values : array_like of float, shape (n,)
        A regular series (NaN where missing).
    sampling_rate : float
        Its rate (Hz).
    start : float
        Session-clock time of sample 0.
    times : array_like of float, shape (k,)
        Event times on the session clock (NaN: no event; its row is all NaN).
    window_s : (float, float)
        From and to, in seconds relative to each event: the samples at times ``t`` with
        ``event + from <= t < event + to`` (to within a thousandth of a sample).

    Returns
    -------
    epochs : numpy.ndarray, shape (k, m)
        One row per event; NaN outside the recording.
    offsets : numpy.ndarray, shape (m,)
        Each column's time relative to the event, for an event on a sample (s).

    Examples
    --------
    >>> e, off = epochs(np.arange(10.0), sampling_rate=2, start=0, times=[1.0, 4.0],
    ...                 window_s=(0.0, 1.0))
    >>> e.tolist(), off.tolist()
    ([[2.0, 3.0], [8.0, 9.0]], [0.0, 0.5])
    """
    x, rate, t = _check(values, sampling_rate, times, "values")
    lo, hi = float(window_s[0]), float(window_s[1])
    m = max(round((hi - lo) * rate), 1)
    first = np.ceil((t + lo - start) * rate - 1e-3)
    ok = np.isfinite(first)
    index = np.where(ok, first, 0).astype(np.int64)[:, None] + np.arange(m)[None, :]
    inside = ok[:, None] & (index >= 0) & (index < x.size)
    out = np.full(index.shape, np.nan)
    out[inside] = x[index[inside]]
    return out, lo + np.arange(m) / rate


def _covered(window: np.ndarray, share: float) -> np.ndarray:
    return np.isfinite(window).sum(axis=1) >= share * window.shape[1]


def _nanreduce(func, window: np.ndarray, share: float) -> np.ndarray:
    ok = _covered(window, share)
    out = np.full(window.shape[0], np.nan)
    if ok.any():
        out[ok] = func(window[ok], axis=1)
    return out


def scr_responses(
    eda: np.ndarray,
    *,
    sampling_rate: float,
    start: float,
    times: np.ndarray,
    window_s: tuple[float, float] = SCR_WINDOW_S,
    baseline_s: float = SCR_BASELINE_S,
) -> np.ndarray:
    """The client's skin-conductance response after each utterance.

    Parameters
    ----------
    eda : array_like of float
        Cleaned skin conductance (µS) on a regular grid, NaN where missing or masked.
    sampling_rate, start
        Its rate (Hz) and the session-clock time of sample 0.
    times : array_like of float
        The utterances' end times (NaN: none).
    window_s : (float, float), default (1, 6)
        The response window after the end (s).
    baseline_s : float, default 2
        The baseline: this many seconds before the end.

    Returns
    -------
    numpy.ndarray
        Per utterance, max over the window minus mean over the baseline (µS); NaN where
        either window is more than half missing.

    Examples
    --------
    >>> t = np.arange(0, 60, 0.25)
    >>> eda = 2 + 0.5 * ((t >= 22) & (t < 25))  # a rise 2 s after an end at 20 s
    >>> scr_responses(eda, sampling_rate=4, start=0, times=[20.0, 40.0]).tolist()
    [0.5, 0.0]
    """
    after, _ = epochs(eda, sampling_rate=sampling_rate, start=start, times=times, window_s=window_s)
    before, _ = epochs(
        eda, sampling_rate=sampling_rate, start=start, times=times, window_s=(-baseline_s, 0.0)
    )
    return _nanreduce(np.nanmax, after, MIN_COVERAGE) - _nanreduce(np.nanmean, before, MIN_COVERAGE)


def hr_responses(
    hr: np.ndarray,
    *,
    sampling_rate: float,
    start: float,
    times: np.ndarray,
    window_s: tuple[float, float] = HR_WINDOW_S,
    baseline_s: float = HR_BASELINE_S,
) -> np.ndarray:
    """The client's heart-rate change after each utterance.

    Parameters
    ----------
    hr : array_like of float
        Heart rate (bpm) on a regular grid, NaN where missing.
    sampling_rate, start, times
        As in :func:`scr_responses`.
    window_s : (float, float), default (0, 10)
    baseline_s : float, default 5

    Returns
    -------
    numpy.ndarray
        Per utterance, mean over the window minus mean over the baseline (bpm); NaN where
        either window is more than half missing.

    Examples
    --------
    >>> hr = np.r_[np.full(20, 70.0), np.full(20, 76.0)]  # 1 Hz, up by 6 bpm at 20 s
    >>> hr_responses(hr, sampling_rate=1, start=0, times=[20.0]).tolist()
    [6.0]
    """
    after, _ = epochs(hr, sampling_rate=sampling_rate, start=start, times=times, window_s=window_s)
    before, _ = epochs(
        hr, sampling_rate=sampling_rate, start=start, times=times, window_s=(-baseline_s, 0.0)
    )
    return _nanreduce(np.nanmean, after, MIN_COVERAGE) - _nanreduce(
        np.nanmean, before, MIN_COVERAGE
    )


def local_synchrony(
    therapist: np.ndarray,
    client: np.ndarray,
    *,
    sampling_rate: float,
    start: float,
    times: np.ndarray,
    half_width_s: float = SYNC_HALF_WIDTH_S,
) -> np.ndarray:
    """Both people's skin-conductance synchrony around each utterance's end.

    Parameters
    ----------
    therapist, client : array_like of float
        Both people's cleaned skin conductance on one grid (an aligned pair).
    sampling_rate, start, times
        As in :func:`scr_responses`.
    half_width_s : float, default 15
        The window runs from this many seconds before the end to as many after.

    Returns
    -------
    numpy.ndarray
        Per utterance, the Pearson r of the two first-differenced series over the samples
        where both are finite; NaN where fewer than 80% of both are, or either is constant.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> a = np.cumsum(rng.normal(size=400))
    >>> r = local_synchrony(a, a + 0.01 * rng.normal(size=400), sampling_rate=4, start=0,
    ...                     times=[50.0])
    >>> bool(r[0] > 0.99)
    True
    """
    window = (-float(half_width_s), float(half_width_s))
    opts = dict(sampling_rate=sampling_rate, start=start, times=times, window_s=window)
    a, _ = epochs(therapist, **opts)
    b, _ = epochs(client, **opts)
    da, db = np.diff(a, axis=1), np.diff(b, axis=1)
    both = np.isfinite(da) & np.isfinite(db)
    ok = both.sum(axis=1) >= SYNC_COVERAGE * da.shape[1]
    out = np.full(a.shape[0], np.nan)
    if not ok.any():
        return out
    da, db, w = da[ok], db[ok], both[ok]
    n = w.sum(axis=1)
    da, db = np.where(w, da, 0.0), np.where(w, db, 0.0)
    ma, mb = da.sum(axis=1) / n, db.sum(axis=1) / n
    ca, cb = np.where(w, da - ma[:, None], 0.0), np.where(w, db - mb[:, None], 0.0)
    sab, saa, sbb = (ca * cb).sum(axis=1), (ca**2).sum(axis=1), (cb**2).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = sab / np.sqrt(saa * sbb)
    r[(saa <= 0) | (sbb <= 0)] = np.nan
    out[ok] = np.clip(r, -1.0, 1.0)
    return out


def event_average(
    values: np.ndarray,
    moments: np.ndarray,
    shifts: np.ndarray,
    *,
    sampling_rate: float,
    start: float,
    times: np.ndarray,
    window_s: tuple[float, float] = (-SCR_BASELINE_S, 10.0),
    baseline_s: float = SCR_BASELINE_S,
) -> dict[str, np.ndarray]:
    """The mean time course after the moments and after the other utterances, with the band
    the same average reaches over shifted moment labels (for the report's plot).

    Each epoch is expressed relative to its baseline (its mean over the ``baseline_s`` before
    the end); an epoch whose baseline is more than half missing is left out.

    Parameters
    ----------
    values : array_like of float
        A regular series (NaN where missing).
    moments : array_like of bool
        Which of ``times`` are moments.
    shifts : array_like of int
        The circular shifts of the labels (as :func:`attunement.moments.shifts.shift_test`
        used them).
    sampling_rate, start, times
        As in :func:`scr_responses`.
    window_s : (float, float), default (-2, 10)
    baseline_s : float, default 2

    Returns
    -------
    dict
        ``offset_s``; ``moments`` and ``others`` (mean baseline-corrected course of each
        group); ``chance_low`` and ``chance_high`` (2.5th and 97.5th percentiles, at each
        offset, of the moments' course under the shifts; NaN without shifts).

    Examples
    --------
    >>> x = np.zeros(400)
    >>> got = event_average(x, np.arange(10) % 2 == 0, np.arange(1, 10), sampling_rate=4,
    ...                     start=0, times=np.arange(10) * 9.0 + 5)
    >>> float(np.nanmax(np.abs(got["moments"]))), len(got["offset_s"])
    (0.0, 48)
    """
    labels = np.asarray(moments, dtype=bool)
    e, offsets = epochs(
        values, sampling_rate=sampling_rate, start=start, times=times, window_s=window_s
    )
    base = _nanreduce(np.nanmean, e[:, offsets < 0][:, -int(baseline_s * sampling_rate) :], 0.5)
    e = e - base[:, None]
    e[~np.isfinite(base)] = np.nan
    finite = np.isfinite(e)
    filled = np.where(finite, e, 0.0)

    def mean(mask: np.ndarray) -> np.ndarray:
        with np.errstate(invalid="ignore", divide="ignore"):
            return (mask.astype(float) @ filled) / (mask.astype(float) @ finite)

    shifted = np.array([mean(np.roll(labels, int(k))) for k in np.asarray(shifts, dtype=int)])
    nan = np.full(offsets.size, np.nan)
    low = np.nanquantile(shifted, 0.025, axis=0) if shifted.size else nan
    high = np.nanquantile(shifted, 0.975, axis=0) if shifted.size else nan
    return {
        "offset_s": offsets,
        "moments": mean(labels),
        "others": mean(~labels),
        "chance_low": low,
        "chance_high": high,
    }
