"""How the client's voice moved in the response: pitch and loudness variability.

From the client's pitch (F0) and intensity contours
(:func:`attunement.prosody.features.signals_from_audio`, frames outside the client's turns
already NaN), each response interval (:func:`attunement.moments.words.client_responses`'
``start_s`` to ``end_s``) gets:

- ``f0_sd_st``: the standard deviation of pitch in semitones (12 log2 F0) over its voiced
  frames: how much the voice rose and fell, independent of how high it is;
- ``intensity_sd_db``: the standard deviation of intensity (dB) over the same voiced frames
  (each intensity frame read at the nearest pitch frame), so that pauses between words do not
  count as loudness changes.

Fewer than :data:`MIN_VOICED_FRAMES` voiced frames give NaN.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["MIN_VOICED_FRAMES", "voice_variability"]

#: Fewest voiced frames for a response's variability (0.2 s at 10 ms frames).
MIN_VOICED_FRAMES = 20


def _times(start: float, rate: float, n: int) -> np.ndarray:
    return float(start) + np.arange(n) / float(rate)


def voice_variability(
    f0: np.ndarray,
    intensity: np.ndarray,
    *,
    f0_rate: float,
    f0_start: float,
    intensity_rate: float,
    intensity_start: float,
    starts: np.ndarray,
    ends: np.ndarray,
) -> pd.DataFrame:
    """Pitch and loudness variability of the client in each response interval.

    Parameters
    ----------
    f0 : array_like of float
        Pitch contour (Hz; NaN or 0 where unvoiced or not the client).
    intensity : array_like of float
        Intensity contour (dB).
    f0_rate, f0_start, intensity_rate, intensity_start : float
        Each contour's frame rate (Hz) and the session-clock time of its first frame.
    starts, ends : array_like of float
        Each response's interval (NaN: none).

    Returns
    -------
    pandas.DataFrame
        One row per interval: ``n_voiced_frames``, ``f0_sd_st``, ``intensity_sd_db`` (NaN
        with fewer than :data:`MIN_VOICED_FRAMES` voiced frames).

    Examples
    --------
    >>> t = np.arange(300) / 100
    >>> up_down = np.where(np.arange(300) % 2, 1, -1)  # a semitone above or below 200 Hz
    >>> f0 = np.where(t < 2, 200 * 2 ** (up_down / 12), np.nan)
    >>> db = np.full(300, 60.0)
    >>> got = voice_variability(f0, db, f0_rate=100, f0_start=0, intensity_rate=100,
    ...                         intensity_start=0, starts=[0.0, 2.5], ends=[2.0, 3.0])
    >>> got.round(2).values.tolist()
    [[200.0, 1.0, 0.0], [0.0, nan, nan]]
    """
    pitch = np.asarray(f0, dtype=float)
    loud = np.asarray(intensity, dtype=float)
    p_times = _times(f0_start, f0_rate, pitch.size)
    i_times = _times(intensity_start, intensity_rate, loud.size)
    voiced = np.isfinite(pitch) & (pitch > 0)
    with np.errstate(invalid="ignore", divide="ignore"):
        semitones = np.where(voiced, 12 * np.log2(np.where(voiced, pitch, 1.0)), np.nan)
    # the intensity at each pitch frame: its nearest intensity frame
    db_at = np.full(pitch.size, np.nan)
    if loud.size:
        nearest = np.rint((p_times - intensity_start) * intensity_rate)
        nearest = np.clip(nearest, 0, loud.size - 1).astype(int)
        close = np.abs(i_times[nearest] - p_times) <= 1 / intensity_rate
        db_at = np.where(close, loud[nearest], np.nan)
    lo = np.searchsorted(p_times, np.asarray(starts, dtype=float), side="left")
    hi = np.searchsorted(p_times, np.asarray(ends, dtype=float), side="left")
    rows = []
    for a, b, s, e in zip(lo, hi, np.asarray(starts, float), np.asarray(ends, float), strict=True):
        if not (np.isfinite(s) and np.isfinite(e)) or b <= a:
            rows.append((0, np.nan, np.nan))
            continue
        v = voiced[a:b]
        k = int(v.sum())
        if k < MIN_VOICED_FRAMES:
            rows.append((k, np.nan, np.nan))
            continue
        st = semitones[a:b][v]
        db = db_at[a:b][v]
        db = db[np.isfinite(db)]
        rows.append(
            (
                k,
                float(np.std(st, ddof=1)),
                float(np.std(db, ddof=1)) if db.size >= MIN_VOICED_FRAMES else np.nan,
            )
        )
    return pd.DataFrame(rows, columns=["n_voiced_frames", "f0_sd_st", "intensity_sd_db"])
