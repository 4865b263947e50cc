"""The core data model: utterances, signals and sessions on one session clock.

All times are float seconds on the session clock (0 = the start of the recording the transcript
refers to). Objects are frozen; analyses never mutate a :class:`Session`, they return results.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import pandas as pd

from attunement.errors import InputError

__all__ = ["ROLES", "SIGNAL_KINDS", "Session", "Signal", "Utterance"]

Role = Literal["therapist", "client", "other"]
ROLES: tuple[str, ...] = ("therapist", "client", "other")
SIGNAL_KINDS: tuple[str, ...] = ("eda", "hr", "ibi", "bvp", "temp", "acc", "f0", "intensity")
SIGNAL_UNITS: Mapping[str, str] = MappingProxyType(
    {
        "eda": "µS",
        "hr": "bpm",
        "ibi": "s",
        "bvp": "a.u.",
        "temp": "°C",
        "acc": "1/64 g",
        "f0": "Hz",
        "intensity": "dB",
    }
)


def _check_time(value: float | None, name: str) -> float | None:
    if value is None:
        return None
    value = float(value)
    if not math.isfinite(value):
        raise InputError(f"must be a finite number of seconds, got {value!r}", field=name)
    return value


@dataclass(frozen=True, slots=True)
class Utterance:
    """One utterance (a caption cue, a transcript line or a turn, as the source gives it).

    Parameters
    ----------
    index : int
        0-based position in the session.
    speaker : str
        The speaker's label: a role label such as ``"Therapist"`` unless names were kept.
    role : {'therapist', 'client', 'other'}
    start, end : float or None
        Session-clock seconds; None when the source has no timing.
    text : str
    """

    index: int
    speaker: str
    role: Role
    start: float | None
    end: float | None
    text: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise InputError(f"role is {self.role!r}; expected one of {', '.join(ROLES)}")
        object.__setattr__(self, "start", _check_time(self.start, "start"))
        object.__setattr__(self, "end", _check_time(self.end, "end"))
        if self.start is not None and self.end is not None and self.end < self.start:
            raise InputError(
                f"utterance {self.index} ends ({self.end:g} s) before it starts ({self.start:g} s)"
            )

    @property
    def n_words(self) -> int:
        """Number of whitespace-separated words."""
        return len(self.text.split())


@dataclass(frozen=True, slots=True, eq=False)
class Signal:
    """One physiological or vocal time series of one person.

    Parameters
    ----------
    kind : {'eda', 'hr', 'ibi', 'bvp', 'temp', 'acc', 'f0', 'intensity'}
    role : {'therapist', 'client', 'other'}
    sampling_rate : float or None
        Samples per second. Always given for regularly sampled series; None only for irregular
        series (inter-beat intervals, event-timed exports), which carry ``times`` instead.
    values : numpy.ndarray
        Shape (n,) or, for multi-axis kinds such as ``acc``, (n, k). NaN marks a missing sample.
    start : float
        Time of the first sample. Session-clock seconds once part of a :class:`Session`; readers of
        devices with a wall clock give Unix seconds until the session is assembled.
    times : numpy.ndarray, optional
        For irregular series: the time of each sample, on the same clock as ``start``.
    meta : mapping, optional
        Where the series came from (device, file, whether it is simulated).
    """

    kind: str
    role: Role
    sampling_rate: float | None
    values: np.ndarray
    start: float
    times: np.ndarray | None = None
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.kind not in SIGNAL_KINDS:
            raise InputError(
                f"signal kind is {self.kind!r}; expected one of {', '.join(SIGNAL_KINDS)}"
            )
        if self.role not in ROLES:
            raise InputError(f"role is {self.role!r}; expected one of {', '.join(ROLES)}")
        values = np.asarray(self.values, dtype=float)
        if values.ndim not in (1, 2):
            raise InputError(f"{self.kind} values have {values.ndim} dimensions; expected 1 or 2")
        values.setflags(write=False)
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "start", float(self.start))
        if not math.isfinite(self.start):
            raise InputError(f"{self.kind} start is {self.start!r}; expected a finite time")
        if self.times is None:
            if self.sampling_rate is None:
                raise InputError(f"{self.kind}: a regular signal needs a sampling rate in Hz")
            rate = float(self.sampling_rate)
            if not (math.isfinite(rate) and rate > 0):
                raise InputError(
                    f"{self.kind} sampling rate is {self.sampling_rate!r}; expected a positive "
                    "number of Hz"
                )
            object.__setattr__(self, "sampling_rate", rate)
        else:
            times = np.asarray(self.times, dtype=float)
            if times.shape != values.shape[:1]:
                raise InputError(
                    f"{self.kind} has {values.shape[0]} values but {times.shape[0]} times"
                )
            if times.size and np.any(np.diff(times) < 0):
                raise InputError(f"{self.kind} times go backwards; expected increasing times")
            times.setflags(write=False)
            object.__setattr__(self, "times", times)
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    def __len__(self) -> int:
        return int(self.values.shape[0])

    def __reduce__(self):  # read-only mappings do not pickle; worker processes need pickling
        return (
            Signal,
            (
                self.kind,
                self.role,
                self.sampling_rate,
                np.array(self.values),
                self.start,
                None if self.times is None else np.array(self.times),
                dict(self.meta),
            ),
        )

    @property
    def end(self) -> float:
        """Time just after the last sample (start + n / rate), or the last time if irregular."""
        if self.times is not None:
            return float(self.times[-1]) if len(self) else self.start
        return self.start + len(self) / self.sampling_rate

    @property
    def duration(self) -> float:
        """Span in seconds."""
        return self.end - self.start

    @property
    def unit(self) -> str:
        return SIGNAL_UNITS[self.kind]

    def time_axis(self) -> np.ndarray:
        """Time of every sample on this signal's clock."""
        if self.times is not None:
            return self.times
        return self.start + np.arange(len(self)) / self.sampling_rate

    def shifted(self, seconds: float) -> Signal:
        """The same signal with its clock moved by ``seconds`` (e.g. Unix time -> session time)."""
        times = None if self.times is None else self.times + seconds
        return replace(self, start=self.start + seconds, times=times)


@dataclass(frozen=True, slots=True, eq=False)
class Session:
    """A therapy session: its transcript, physiology and end-of-session ratings.

    Parameters
    ----------
    id : str
    utterances : tuple of Utterance
        In spoken order, indices 0..n-1.
    signals : tuple of Signal
    ratings : mapping
        End-of-session feedback, by role (filled by later readers; empty for now).
    meta : mapping
        Source information: ``inputs`` (file name, format, sha256), ``speakers`` (label -> role),
        optional ``audio`` path, ``clock_origin`` (ISO time of session second 0) and anything
        the source carried (e.g. AnnoMI's topic and quality label).

    Examples
    --------
    >>> s = Session("s1", (Utterance(0, "Therapist", "therapist", 0.0, 2.0, "How are you?"),))
    >>> s.utterances_frame()[["speaker", "role", "text"]].to_dict("records")
    [{'speaker': 'Therapist', 'role': 'therapist', 'text': 'How are you?'}]
    """

    id: str
    utterances: tuple[Utterance, ...] = ()
    signals: tuple[Signal, ...] = ()
    ratings: Mapping[str, Any] = field(default_factory=dict)
    meta: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id.strip():
            raise InputError(f"session id is {self.id!r}; expected a non-empty text")
        object.__setattr__(self, "utterances", tuple(self.utterances))
        object.__setattr__(self, "signals", tuple(self.signals))
        for i, u in enumerate(self.utterances):
            if u.index != i:
                raise InputError(f"utterance at position {i} has index {u.index}; expected {i}")
        object.__setattr__(self, "ratings", MappingProxyType(dict(self.ratings)))
        object.__setattr__(self, "meta", MappingProxyType(dict(self.meta)))

    def __reduce__(self):  # read-only mappings do not pickle; worker processes need pickling
        return (
            Session,
            (self.id, self.utterances, self.signals, dict(self.ratings), dict(self.meta)),
        )

    @property
    def has_timing(self) -> bool:
        """True when every utterance has a start time."""
        return bool(self.utterances) and all(u.start is not None for u in self.utterances)

    @property
    def speakers(self) -> dict[str, str]:
        """Speaker label -> role, in order of first appearance."""
        out: dict[str, str] = {}
        for u in self.utterances:
            out.setdefault(u.speaker, u.role)
        return out

    def time_span(self) -> tuple[float, float] | None:
        """Earliest and latest time seen in the transcript and signals, or None without timing.

        Examples
        --------
        >>> Session("s", (Utterance(0, "Client", "client", 13.0, 20.5, "Hi."),)).time_span()
        (13.0, 20.5)
        """
        times = [t for u in self.utterances for t in (u.start, u.end) if t is not None]
        for s in self.signals:
            if len(s):
                times.extend((s.start, s.end))
        if not times:
            return None
        return min(times), max(times)

    def signal(self, kind: str, role: str) -> Signal | None:
        """The first signal of ``kind`` worn by ``role``, or None."""
        for s in self.signals:
            if s.kind == kind and s.role == role:
                return s
        return None

    def utterances_frame(self) -> pd.DataFrame:
        """The transcript as a table.

        Returns
        -------
        pandas.DataFrame
            One row per utterance with columns ``index`` (int), ``speaker``, ``role``,
            ``start_s`` and ``end_s`` (float seconds, NaN without timing) and ``text``.
        """
        return pd.DataFrame(
            {
                "index": pd.array([u.index for u in self.utterances], dtype="int64"),
                "speaker": pd.array([u.speaker for u in self.utterances], dtype=object),
                "role": pd.array([u.role for u in self.utterances], dtype=object),
                "start_s": np.array(
                    [np.nan if u.start is None else u.start for u in self.utterances], dtype=float
                ),
                "end_s": np.array(
                    [np.nan if u.end is None else u.end for u in self.utterances], dtype=float
                ),
                "text": pd.array([u.text for u in self.utterances], dtype=object),
            }
        )
