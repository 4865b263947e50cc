"""Per-turn pitch (F0) and intensity from the session audio, with Praat through parselmouth.

Pitch and intensity are analysed once over the whole recording, then summarised over the
analysis frames whose centre falls inside each turn (``start_s <= t < end_s``), so an hour of
audio costs one Praat pass, not one per turn. Audio second 0 is session second
``audio_start_s`` (0 unless the recording started later than the transcript's clock).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import parselmouth

from attunement.errors import AttunementWarning, InputError
from attunement.model import ROLES, Signal

__all__ = [
    "PITCH_METHODS",
    "PROSODY_COLUMNS",
    "signals_from_audio",
    "turn_prosody",
    "turn_prosody_method",
]

#: ``pitch_method`` -> the parselmouth.Sound method that runs Praat's pitch analysis.
PITCH_METHODS: Mapping[str, str] = {
    "ac": "to_pitch_ac",  # autocorrelation (Boersma 1993): Praat's default, for intonation
    "cc": "to_pitch_cc",  # cross-correlation: Praat's choice for voice analysis (jitter)
}

PROSODY_COLUMNS: tuple[str, ...] = (
    "turn",
    "role",
    "speaker",
    "start_s",
    "end_s",
    "n_frames",
    "n_voiced_frames",
    "voiced_fraction",
    "f0_mean_hz",
    "f0_median_hz",
    "intensity_mean_db",
)

#: ``pitch_method`` -> how a methods paragraph names Praat's analysis.
_PITCH_METHOD_TEXT: Mapping[str, str] = {"ac": "autocorrelation", "cc": "cross-correlation"}


def turn_prosody_method(
    *,
    pitch_floor: float = 75.0,
    pitch_ceiling: float = 500.0,
    pitch_ranges: Mapping[str, tuple[float, float]] | None = None,
    time_step: float = 0.01,
    pitch_method: str = "ac",
) -> dict[str, Any]:
    """The methods-paragraph entry of :func:`turn_prosody` run with these parameters.

    Parameters
    ----------
    pitch_floor, pitch_ceiling, pitch_ranges, time_step, pitch_method
        As given to :func:`turn_prosody`.

    Returns
    -------
    dict
        ``name`` ('turn_prosody'), ``description`` (written from the parameters),
        ``parameters`` (``pitch_floor``, ``pitch_ceiling``, ``time_step``, ``pitch_method``,
        and ``pitch_ranges`` when given, as role -> [floor, ceiling]) and ``citation``.

    Raises
    ------
    InputError
        For an unknown ``pitch_method`` (the message lists the choices).

    Examples
    --------
    >>> "pitch floor 100 Hz" in turn_prosody_method(pitch_floor=100)["description"]
    True
    """
    if pitch_method not in PITCH_METHODS:
        raise InputError(
            f"is {pitch_method!r}; expected one of {', '.join(PITCH_METHODS)}",
            field="pitch_method",
        )
    floor, ceiling, step = float(pitch_floor), float(pitch_ceiling), float(time_step)
    ranges = {str(role): [float(lo), float(hi)] for role, (lo, hi) in (pitch_ranges or {}).items()}
    per_role = "".join(
        f"; for the {role}'s turns, floor {lo:g} Hz and ceiling {hi:g} Hz"
        for role, (lo, hi) in ranges.items()
    )
    parameters: dict[str, Any] = {
        "pitch_floor": floor,
        "pitch_ceiling": ceiling,
        "time_step": step,
        "pitch_method": pitch_method,
    }
    if ranges:
        parameters["pitch_ranges"] = ranges
    return {
        "name": "turn_prosody",
        "description": (
            "Fundamental frequency (F0) and intensity were computed with Praat (Boersma & "
            f"Weenink) through Parselmouth (Jadoul et al., 2018): pitch by "
            f"{_PITCH_METHOD_TEXT[pitch_method]} (pitch floor {floor:g} Hz, ceiling "
            f"{ceiling:g} Hz, {step * 1000:g} ms steps{per_role}) and intensity with the pitch "
            "floor; for each turn, mean and median F0 over its voiced frames and the "
            "energy-averaged mean intensity in dB."
        ),
        "parameters": parameters,
        "citation": (
            "Boersma, P. (1993). Accurate short-term analysis of the fundamental frequency and "
            "the harmonics-to-noise ratio of a sampled sound. Proceedings of the Institute of "
            "Phonetic Sciences, 17, 97-110. Jadoul, Y., Thompson, B., & de Boer, B. (2018). "
            "Introducing Parselmouth: A Python interface to Praat. Journal of Phonetics, 71, 1-15."
        ),
    }


SoundLike = parselmouth.Sound | tuple[np.ndarray, float]


def _positive(value: Any, name: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        out = math.nan
    if not (math.isfinite(out) and out > 0):
        raise InputError(f"is {value!r}; expected a positive number", field=name)
    return out


def _as_sound(sound: Any) -> parselmouth.Sound:
    """A parselmouth.Sound from a Sound or a ``(samples, sampling_rate)`` pair."""
    if isinstance(sound, parselmouth.Sound):
        if sound.n_samples == 0:
            raise InputError("has no samples; expected audio", field="sound")
        return sound
    try:
        samples, rate = sound
    except (TypeError, ValueError):
        raise InputError(
            f"is a {type(sound).__name__}; expected a parselmouth.Sound or a "
            "(samples, sampling_rate) pair such as attunement.io.audio.read_audio returns",
            field="sound",
        ) from None
    rate = _positive(rate, "sampling_rate")
    samples = np.asarray(samples, dtype=float)
    if samples.ndim != 1 or samples.size == 0:
        raise InputError(
            f"samples have shape {samples.shape}; expected one channel of samples, shape (n,)",
            field="sound",
        )
    if not np.isfinite(samples).all():
        raise InputError("samples contain NaN or infinity; expected finite values", field="sound")
    return parselmouth.Sound(samples, sampling_frequency=rate)


def _check_range(floor: Any, ceiling: Any, where: str) -> tuple[float, float]:
    floor = _positive(floor, f"{where}pitch_floor")
    ceiling = _positive(ceiling, f"{where}pitch_ceiling")
    if ceiling <= floor:
        raise InputError(
            f"pitch ceiling {ceiling:g} Hz is not above the floor {floor:g} Hz; expected "
            "floor < ceiling (e.g. 75-300 Hz for low voices, 100-500 Hz for high voices)",
            field=f"{where}pitch_ceiling",
        )
    return floor, ceiling


def _praat(sound: parselmouth.Sound, what: str, method: str, **kwargs: float) -> Any:
    try:
        return getattr(sound, method)(**kwargs)
    except parselmouth.PraatError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else "error"
        raise InputError(
            f"Praat could not compute {what} for {sound.duration:.3f} s of audio ({first}); "
            "expected audio that Praat can analyse",
            field="sound",
        ) from None


def _pitch(sound: parselmouth.Sound, floor: float, ceiling: float, step: float, method: str):
    if method not in PITCH_METHODS:
        raise InputError(
            f"is {method!r}; expected one of {', '.join(PITCH_METHODS)}", field="pitch_method"
        )
    pitch = _praat(
        sound,
        "pitch",
        PITCH_METHODS[method],
        time_step=step,
        pitch_floor=floor,
        pitch_ceiling=ceiling,
    )
    return pitch.xs(), pitch.selected_array["frequency"].astype(float)


def _intensity(sound: parselmouth.Sound, floor: float, step: float):
    intensity = _praat(sound, "intensity", "to_intensity", minimum_pitch=floor, time_step=step)
    return intensity.xs(), intensity.values[0].astype(float)


def _check_length(sound: parselmouth.Sound, floor: float, lowest_floor: float) -> None:
    """Praat's intensity needs 6.4 periods of the floor, its pitch analysis 3."""
    needed = max(6.4 / floor, 3.0 / lowest_floor)
    if sound.duration < needed:
        raise InputError(
            f"audio is {sound.duration:.3f} s long; expected at least {needed:.3f} s for a "
            f"{min(floor, lowest_floor):g} Hz pitch floor",
            field="sound",
        )


def _seconds(turns: pd.DataFrame, column: str) -> np.ndarray:
    """A time column as float seconds; missing values become NaN, anything else is refused."""
    raw = turns[column]
    values = pd.to_numeric(raw, errors="coerce")
    bad = values.isna() & raw.notna()
    if bad.any():
        position = int(np.flatnonzero(bad.to_numpy())[0])
        raise InputError(
            f"the turn at index {turns.index[position]!r} holds {raw.iloc[position]!r}; expected "
            "seconds (a number) or a missing value",
            field=f"turns.{column}",
        )
    return values.to_numpy(dtype=float)


def _warn(message: str) -> None:
    warnings.warn(message, AttunementWarning, stacklevel=3)


def turn_prosody(
    sound: SoundLike,
    turns: pd.DataFrame,
    *,
    pitch_floor: float = 75.0,
    pitch_ceiling: float = 500.0,
    pitch_ranges: Mapping[str, tuple[float, float]] | None = None,
    time_step: float = 0.01,
    pitch_method: str = "ac",
    audio_start_s: float = 0.0,
) -> pd.DataFrame:
    """Mean F0 and intensity of every turn.

    Parameters
    ----------
    sound : parselmouth.Sound or (samples, sampling_rate)
        The session audio, e.g. :func:`attunement.io.audio.read_audio`'s result.
    turns : pandas.DataFrame
        Columns ``start_s``, ``end_s`` and ``role`` (and, if present, ``speaker`` and ``turn``),
        as :func:`attunement.language.turns.turns` gives.
    pitch_floor, pitch_ceiling : float
        Pitch search range in Hz (Praat's defaults 75 and 500 Hz suit most voices).
    pitch_ranges : mapping, optional
        Role -> ``(floor, ceiling)`` overriding the range for that role's turns, e.g.
        ``{"therapist": (75, 300), "client": (100, 500)}`` for a low and a high voice. Each
        distinct range costs one more pitch analysis of the whole recording. Intensity is
        analysed once, with ``pitch_floor`` setting its window (6.4 periods of the floor).
    time_step : float
        Seconds between analysis frames.
    pitch_method : {'ac', 'cc'}
        Praat's autocorrelation or cross-correlation pitch analysis (see :data:`PITCH_METHODS`).
    audio_start_s : float
        Session-clock time of the first audio sample.

    Returns
    -------
    pandas.DataFrame
        One row per turn, with the index of ``turns``: ``turn``, ``role``, ``speaker``,
        ``start_s``, ``end_s``, ``n_frames`` (analysis frames inside the turn),
        ``n_voiced_frames``, ``voiced_fraction``, ``f0_mean_hz`` and ``f0_median_hz`` (over the
        voiced frames), ``intensity_mean_db`` (energy average, ``10 log10(mean 10^(dB/10))``,
        as Praat's *Get mean* with the *energy* method; Praat's dB are relative to 2e-5 Pa for
        samples in pascal). Values are NaN for turns without timing or outside the audio, and
        F0 is NaN for turns without voiced frames; each case is warned about.

    Raises
    ------
    InputError
        For a bad ``sound``, a ``turns`` table without the columns, or bad options.

    Examples
    --------
    >>> rate = 16000
    >>> t = np.arange(rate) / rate
    >>> tone = 0.5 * np.sign(np.sin(2 * np.pi * 120 * t))  # 1 s at 120 Hz
    >>> turns = pd.DataFrame({"start_s": [0.1], "end_s": [0.9], "role": ["client"]})
    >>> row = turn_prosody((tone, rate), turns).iloc[0]
    >>> round(row["f0_mean_hz"]), float(row["voiced_fraction"])
    (120, 1.0)
    """
    if not isinstance(turns, pd.DataFrame):
        raise InputError(f"is a {type(turns).__name__}; expected a pandas DataFrame", field="turns")
    missing = [c for c in ("start_s", "end_s", "role") if c not in turns.columns]
    if missing:
        raise InputError(
            f"lacks column(s) {', '.join(missing)}; expected start_s, end_s and role "
            "(see attunement.language.turns.turns)",
            field="turns",
        )
    floor, ceiling = _check_range(pitch_floor, pitch_ceiling, "")
    step = _positive(time_step, "time_step")
    offset = float(audio_start_s)
    if not math.isfinite(offset):
        raise InputError(f"is {audio_start_s!r}; expected a finite time", field="audio_start_s")
    ranges: dict[str, tuple[float, float]] = {}
    for role, pair in (pitch_ranges or {}).items():
        if role not in ROLES:
            raise InputError(
                f"names role {role!r}; expected one of {', '.join(ROLES)}", field="pitch_ranges"
            )
        try:
            lo, hi = pair
        except (TypeError, ValueError):
            raise InputError(
                f"gives {pair!r} for {role}; expected (floor, ceiling) in Hz", field="pitch_ranges"
            ) from None
        ranges[role] = _check_range(lo, hi, f"pitch_ranges[{role}].")
    snd = _as_sound(sound)
    _check_length(snd, floor, min([floor, *(lo for lo, _ in ranges.values())]))

    roles = turns["role"].astype(str).to_numpy()
    start_s, end_s = _seconds(turns, "start_s"), _seconds(turns, "end_s")
    start, end = start_s - offset, end_s - offset
    n = len(turns)
    untimed = ~(np.isfinite(start) & np.isfinite(end))
    start = np.where(untimed, 0.0, start)
    end = np.where(untimed, 0.0, end)

    f0_mean = np.full(n, np.nan)
    f0_median = np.full(n, np.nan)
    n_voiced = np.zeros(n, dtype=np.int64)
    n_frames = np.zeros(n, dtype=np.int64)
    by_range: dict[tuple[float, float], list[int]] = {}
    for i, role in enumerate(roles):
        by_range.setdefault(ranges.get(role, (floor, ceiling)), []).append(i)
    for (lo, hi), members in by_range.items():
        rows = np.asarray(members, dtype=np.intp)
        times, f0 = _pitch(snd, lo, hi, step, pitch_method)
        first = np.searchsorted(times, start[rows], side="left")
        last = np.searchsorted(times, end[rows], side="left")
        last = np.maximum(first, last)
        voiced = f0 > 0
        cum_voiced = np.r_[0, np.cumsum(voiced)]
        cum_f0 = np.r_[0.0, np.cumsum(np.where(voiced, f0, 0.0))]
        nv = cum_voiced[last] - cum_voiced[first]
        with np.errstate(invalid="ignore", divide="ignore"):
            f0_mean[rows] = np.where(nv > 0, (cum_f0[last] - cum_f0[first]) / nv, np.nan)
        for k, (a, b) in zip(rows, zip(first, last, strict=True), strict=True):
            if b > a:
                segment = f0[a:b]
                segment = segment[segment > 0]
                if segment.size:
                    f0_median[k] = float(np.median(segment))
        n_voiced[rows] = nv
        n_frames[rows] = last - first

    times, db = _intensity(snd, floor, step)
    first = np.searchsorted(times, start, side="left")
    last = np.maximum(first, np.searchsorted(times, end, side="left"))
    cum_energy = np.r_[0.0, np.cumsum(10.0 ** (db / 10.0))]
    count = last - first
    with np.errstate(invalid="ignore", divide="ignore"):
        energy = (cum_energy[last] - cum_energy[first]) / count
        intensity = np.where(count > 0, 10.0 * np.log10(energy), np.nan)

    n_frames[untimed] = 0
    n_voiced[untimed] = 0
    no_frames = n_frames == 0
    f0_mean[no_frames] = np.nan
    f0_median[no_frames] = np.nan
    intensity[no_frames] = np.nan
    with np.errstate(invalid="ignore", divide="ignore"):
        voiced_fraction = np.where(no_frames, np.nan, n_voiced / np.maximum(n_frames, 1))

    duration = snd.duration
    if untimed.any():
        _warn(
            f"{int(untimed.sum())} of {n} turns have no start or end time; their prosody is NaN "
            "(a timed transcript is needed)"
        )
    beyond = ~untimed & ((end > duration) | (start < 0))
    if beyond.any():
        _warn(
            f"{int(beyond.sum())} turns reach outside the audio (0 to {duration:.3f} s on the "
            f"audio clock, session time {offset:g} to {offset + duration:.3f} s); only their "
            "recorded part is measured, NaN where none is"
        )
    empty = no_frames & ~untimed & ~beyond
    if empty.any():
        _warn(
            f"{int(empty.sum())} turns contain no analysis frame (shorter than {step:g} s or "
            "outside the audio); their prosody is NaN"
        )
    unvoiced = ~no_frames & (n_voiced == 0)
    if unvoiced.any():
        _warn(f"{int(unvoiced.sum())} turns have no voiced frame; their F0 is NaN")

    speaker = turns["speaker"].to_numpy() if "speaker" in turns.columns else roles
    turn_ids = turns["turn"].to_numpy() if "turn" in turns.columns else np.arange(n)
    return pd.DataFrame(
        {
            "turn": turn_ids,
            "role": roles,
            "speaker": speaker,
            "start_s": start_s,
            "end_s": end_s,
            "n_frames": n_frames,
            "n_voiced_frames": n_voiced,
            "voiced_fraction": voiced_fraction,
            "f0_mean_hz": f0_mean,
            "f0_median_hz": f0_median,
            "intensity_mean_db": intensity,
        },
        index=turns.index,
    )


def signals_from_audio(
    sound: SoundLike,
    *,
    role: str = "other",
    turns: pd.DataFrame | None = None,
    pitch_floor: float = 75.0,
    pitch_ceiling: float = 500.0,
    time_step: float = 0.01,
    pitch_method: str = "ac",
    audio_start_s: float = 0.0,
) -> tuple[Signal, Signal]:
    """F0 and intensity contours of the audio as :class:`attunement.model.Signal` objects.

    Parameters
    ----------
    sound : parselmouth.Sound or (samples, sampling_rate)
    role : {'therapist', 'client', 'other'}
        Whose voice the contours are attributed to.
    turns : pandas.DataFrame, optional
        With ``start_s``, ``end_s`` and ``role``: when given, frames outside ``role``'s turns
        are NaN, so the contours hold only that person's voice (on a shared recording).
    pitch_floor, pitch_ceiling, time_step, pitch_method, audio_start_s
        As in :func:`turn_prosody`.

    Returns
    -------
    f0, intensity : Signal
        Kinds ``f0`` (Hz; NaN where unvoiced) and ``intensity`` (dB), ``sampling_rate`` =
        1 / ``time_step``, ``start`` = session time of the first analysis frame.

    Examples
    --------
    >>> rate = 16000
    >>> tone = 0.5 * np.sign(np.sin(2 * np.pi * 200 * np.arange(rate) / rate))
    >>> f0, intensity = signals_from_audio((tone, rate), role="client")
    >>> f0.kind, f0.sampling_rate, round(float(np.nanmedian(f0.values)))
    ('f0', 100.0, 200)
    """
    if role not in ROLES:
        raise InputError(f"is {role!r}; expected one of {', '.join(ROLES)}", field="role")
    floor, ceiling = _check_range(pitch_floor, pitch_ceiling, "")
    step = _positive(time_step, "time_step")
    offset = float(audio_start_s)
    if not math.isfinite(offset):
        raise InputError(f"is {audio_start_s!r}; expected a finite time", field="audio_start_s")
    snd = _as_sound(sound)
    _check_length(snd, floor, floor)
    p_times, f0 = _pitch(snd, floor, ceiling, step, pitch_method)
    i_times, db = _intensity(snd, floor, step)
    f0 = np.where(f0 > 0, f0, np.nan)
    if turns is not None:
        if not isinstance(turns, pd.DataFrame) or not {"start_s", "end_s", "role"} <= set(
            turns.columns
        ):
            raise InputError(
                "expected a DataFrame with columns start_s, end_s and role", field="turns"
            )
        own = turns["role"].astype(str).to_numpy() == role
        starts = _seconds(turns, "start_s")[own] - offset
        ends = _seconds(turns, "end_s")[own] - offset
        timed = np.isfinite(starts) & np.isfinite(ends)
        if not timed.any():
            _warn(f"no timed {role} turns: the {role}'s F0 and intensity contours are all NaN")
        f0 = np.where(_inside(p_times, starts[timed], ends[timed]), f0, np.nan)
        db = np.where(_inside(i_times, starts[timed], ends[timed]), db, np.nan)
    meta = {
        "source": "praat",
        "pitch_method": pitch_method,
        "pitch_floor": floor,
        "pitch_ceiling": ceiling,
    }
    rate = 1.0 / step
    return (
        Signal("f0", role, rate, f0, offset + float(p_times[0]), meta=meta),
        Signal("intensity", role, rate, db, offset + float(i_times[0]), meta=meta),
    )


def _inside(times: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Whether each time lies in any ``[start, end)`` interval."""
    keep = ends > starts
    starts, ends = starts[keep], ends[keep]
    delta = np.zeros(times.size + 1, dtype=np.int64)
    np.add.at(delta, np.searchsorted(times, starts, side="left"), 1)
    np.add.at(delta, np.searchsorted(times, ends, side="left"), -1)
    return np.cumsum(delta[:-1]) > 0
