"""Moments of being seen: when the therapist responded with empathy, did the client respond?

:func:`being_seen` puts the measurements of this package together for one session:

1. the therapist's empathic moments and other utterances
   (:func:`attunement.moments.empathic.empathic_moments`);
2. the client's response after each of the therapist's utterances, time-locked to its end:
   the body (:mod:`attunement.moments.physiology`: skin-conductance response, heart-rate
   change, both people's local skin-conductance synchrony), the voice
   (:mod:`attunement.moments.voice`: pitch and loudness variability of the client's reply) and
   the words (:mod:`attunement.moments.words`: length, feeling words, first-person present,
   change talk, mental-state language);
3. for each response, the comparison of moments with the other utterances against circular
   shifts of the moment labels (:func:`attunement.moments.shifts.shift_test`); the word
   responses, which have no baseline of their own, each turn's value against its local
   baseline (:func:`attunement.moments.shifts.local_baseline`), so that a client who grows
   more talkative over the session, or talks at length in stretches, is not mistaken for a
   response.

The comparison says whether the client's response differed after the moments more than the
same split of the session's utterances reaches by chance; it does not say that the moments
caused the response (the therapist may also respond with empathy to what already moved the
client).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from attunement import metrics as m
from attunement.errors import InputError
from attunement.model import Session, Signal
from attunement.moments import empathic, physiology, shifts, voice, words
from attunement.signals.align import AlignedPair
from attunement.synchrony.result import MeasurementResult, Method, one_row

__all__ = [
    "BASELINED",
    "RESPONSE_COLUMNS",
    "BeingSeen",
    "being_seen",
    "being_seen_method",
    "client_signal",
    "metric_names",
]

#: The response columns of :func:`being_seen`'s table, in order (those of
#: :data:`attunement.metrics.MOMENT_RESPONSES`).
RESPONSE_COLUMNS: tuple[str, ...] = tuple(m.MOMENT_RESPONSES)
#: The responses taken against their local baseline before the test (the client's words:
#: the physiological responses have their own baseline just before the turn's end, and the
#: voice's are SDs within the reply).
BASELINED: tuple[str, ...] = words.COLUMNS
#: Where each response comes from.
_SOURCE = {
    "scr_us": "eda",
    "hr_change_bpm": "hr",
    "eda_local_r": "sync",
    "f0_sd_st": "voice",
    "intensity_sd_db": "voice",
    "words": "words",
    "feeling_words": "words",
    "first_person_present": "words",
    "change_talk": "words",
    "mentalizing": "words",
}
#: Why a source gives nothing.
_MISSING = {
    "eda": "no client skin conductance",
    "hr": "no client heart rate",
    "sync": "no skin conductance of both people on one clock",
    "voice": "no audio",
}


def _baselined_names() -> list[str]:
    """:data:`BASELINED` in words, for the methods paragraph ("the client's words in reply")."""
    out = []
    for column in BASELINED:
        label = m.MOMENT_RESPONSES[column].label
        for prefix in ("Client's ", "Client "):
            label = label.removeprefix(prefix)
        out.append(label[0].lower() + label[1:])
    return out


def metric_names() -> tuple[str, ...]:
    """The metrics :func:`being_seen` gives, in results.json's order.

    Examples
    --------
    >>> metric_names()[:3]
    ('n_empathic_moments', 'moment_client_scr', 'moment_client_scr_effect_size')
    """
    return m.names(m.N_EMPATHIC_MOMENTS, *m.MOMENT_RESPONSES.values())


def being_seen_method() -> Method:
    """The methods-paragraph entry of the responses :func:`being_seen` measures.

    Examples
    --------
    >>> being_seen_method()["parameters"]["scr_window_s"]
    [1.0, 6.0]
    """
    p = physiology
    return Method(
        name="moment_responses",
        description=(
            "The client's response to each of the therapist's coded turns was measured "
            "time-locked to the turn's end: the skin-conductance response (highest cleaned "
            f"skin conductance {p.SCR_WINDOW_S[0]:g}-{p.SCR_WINDOW_S[1]:g} s after the end "
            f"minus the mean over the {p.SCR_BASELINE_S:g} s before it), the heart-rate change "
            f"(mean {p.HR_WINDOW_S[0]:g}-{p.HR_WINDOW_S[1]:g} s after minus the "
            f"{p.HR_BASELINE_S:g} s before) and both people's local synchrony (Pearson r of "
            f"their first-differenced skin conductance within +-{p.SYNC_HALF_WIDTH_S:g} s of "
            "the end), each undefined where its window was more than half missing (the "
            f"synchrony window: less than {p.SYNC_COVERAGE:.0%} present), with movement "
            "masked as for synchrony; and from what the client said before the therapist "
            "spoke again, its length in words, feeling words, first-person present-tense "
            "statements and mental-state words per 100 words, the share of its coded units "
            "that were change talk, and, with audio, the SD of the client's pitch (semitones) "
            "and intensity (dB) over its voiced frames (at least "
            f"{voice.MIN_VOICED_FRAMES})."
        ),
        parameters={
            "scr_window_s": list(p.SCR_WINDOW_S),
            "scr_baseline_s": p.SCR_BASELINE_S,
            "hr_window_s": list(p.HR_WINDOW_S),
            "hr_baseline_s": p.HR_BASELINE_S,
            "sync_half_width_s": p.SYNC_HALF_WIDTH_S,
            "min_coverage": p.MIN_COVERAGE,
            "sync_coverage": p.SYNC_COVERAGE,
            "min_voiced_frames": voice.MIN_VOICED_FRAMES,
        },
        citation="Boucsein, Electrodermal Activity, 2nd ed., Springer, 2012",
    )


@dataclass(frozen=True, slots=True, eq=False)
class BeingSeen(MeasurementResult):
    """Result of :func:`being_seen`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per coded therapist unit: the columns of
        :class:`attunement.moments.empathic.EmpathicMoments`' table, then ``response_text``,
        ``response_start_s`` and ``response_end_s`` (what the client said next and when), then
        one column per response (:data:`RESPONSE_COLUMNS`: ``scr_us``, ``hr_change_bpm``,
        ``eda_local_r``, ``f0_sd_st``, ``intensity_sd_db``, ``words``, ``feeling_words``,
        ``first_person_present``, ``change_talk``, ``mentalizing``; NaN where undefined or
        not measured).
    summary : pandas.DataFrame
        One row: every name of :func:`metric_names` (NaN where undefined; the
        ``_chance_test`` columns text).
    method : Method
        :func:`being_seen_method`.
    tests : dict
        Response column -> its :class:`attunement.moments.shifts.ShiftTest`.
    curves : pandas.DataFrame
        For the report's time-locked plot: ``kind`` ('eda' or 'hr'), ``offset_s``,
        ``moments``, ``others``, ``chance_low``, ``chance_high`` (see
        :func:`attunement.moments.physiology.event_average`); empty without signals.
    methods : list of Method
        Every method that ran: the moments, the responses, the shift test.
    """

    tests: Mapping[str, shifts.ShiftTest] = field(default_factory=dict)
    curves: pd.DataFrame = field(default_factory=pd.DataFrame)
    methods: tuple[Method, ...] = ()

    def metrics(self) -> dict[str, Any]:
        """The summary as results.json's metrics hold it: None where undefined.

        Examples
        --------
        >>> coded = pd.DataFrame({"role": ["therapist", "client"], "text": ["Hi.", "Hi."],
        ...                       "unit": [0, 1]})
        >>> being_seen(coded).metrics()["moment_client_words_chance_test"]
        'not testable: 1 therapist utterances; at least 20 needed'
        """
        out = {}
        for k, v in self.as_dict().items():
            if isinstance(v, float) and not np.isfinite(v):
                v = None
            out[k] = v
        return out


def _series(source: AlignedPair | Signal | None) -> tuple[np.ndarray, float, float] | None:
    """The client's series of a pair or signal: (values, rate, start)."""
    if source is None:
        return None
    if isinstance(source, AlignedPair):
        return np.asarray(source.client, float), source.sampling_rate, source.start
    if isinstance(source, Signal) and source.times is None and source.values.ndim == 1:
        return np.asarray(source.values, float), float(source.sampling_rate), float(source.start)
    raise InputError(
        f"got {type(source).__name__}; expected an AlignedPair or a regular one-column Signal",
        field="signal",
    )


def client_signal(
    session: Session, kind: str, *, motion_threshold_g: float | None = 0.1
) -> Signal | None:
    """The client's own cleaned skin conductance or heart rate, for a session where the
    therapist wore no wristband (with both, :func:`being_seen` takes the aligned pair the
    synchrony measures use).

    Skin conductance goes through :func:`attunement.signals.eda.eda_process` (the cleaned
    component); heart rate through :func:`attunement.signals.heart.heart_rate`. Where the
    client's accelerometer is present, samples in its movement windows are set missing
    (:func:`attunement.signals.motion.motion_flags`), as for synchrony.

    Parameters
    ----------
    session : Session
    kind : {'eda', 'hr'}
    motion_threshold_g : float or None, default 0.1
        None: no masking.

    Returns
    -------
    Signal or None
        None when the client has no such signal.

    Examples
    --------
    >>> client_signal(Session("s"), "eda") is None
    True
    """
    from attunement.signals import eda as eda_signals
    from attunement.signals import motion
    from attunement.signals.heart import heart_rate

    if kind == "eda":
        sig = session.signal("eda", "client")
        if sig is None or sig.times is not None or sig.values.ndim != 1:
            return None
        frame, _ = eda_signals.eda_process(sig.values, sampling_rate=sig.sampling_rate)
        out = Signal("eda", "client", sig.sampling_rate, frame["eda_clean"].to_numpy(), sig.start)
    elif kind == "hr":
        out = heart_rate(hr=session.signal("hr", "client"), ibi=session.signal("ibi", "client"))
        if out is None:
            return None
    else:
        raise InputError(f"is {kind!r}; expected 'eda' or 'hr'", field="kind")
    acc = session.signal("acc", "client")
    if acc is not None and motion_threshold_g is not None:
        flags = motion.motion_flags(acc, threshold_g=motion_threshold_g)
        masked = motion.motion_mask(out.time_axis(), flags)
        if masked.any():
            out = Signal(
                out.kind,
                "client",
                out.sampling_rate,
                np.where(masked, np.nan, out.values),
                out.start,
                meta=out.meta,
            )
    return out


def being_seen(
    coded: pd.DataFrame,
    *,
    eda: AlignedPair | Signal | None = None,
    hr: AlignedPair | Signal | None = None,
    voice_contours: tuple[Signal, Signal] | None = None,
    n_permutations: int = 1000,
    seed: int = 0,
    baseline_turns: int | None = shifts.BASELINE_TURNS,
) -> BeingSeen:
    """The client's response to the therapist's empathic moments, against the other utterances.

    Parameters
    ----------
    coded : pandas.DataFrame
        :func:`attunement.coding.code_utterances`' table of one session.
    eda : AlignedPair or Signal, optional
        Both people's cleaned skin conductance on one grid (the movement-masked pair the
        synchrony measures use), or the client's alone (:func:`client_signal`; no local
        synchrony then).
    hr : AlignedPair or Signal, optional
        Heart rate (bpm), likewise.
    voice_contours : (Signal, Signal), optional
        The client's pitch and intensity contours
        (:func:`attunement.prosody.features.signals_from_audio` with ``role='client'`` and
        the session's turns).
    n_permutations : int, default 1000
        Most circular shifts per test (:func:`attunement.moments.shifts.shift_test`).
    seed : int, default 0
    baseline_turns : int or None, default :data:`attunement.moments.shifts.BASELINE_TURNS`
        Half-width, in therapist turns, of the local baseline the word responses
        (:data:`BASELINED`) are taken against before their test; None: compare the values
        themselves.

    Returns
    -------
    BeingSeen
        See :class:`BeingSeen`. The physiological and vocal responses need utterance times
        ("not testable: no utterance times" without them); the word responses do not.

    Raises
    ------
    InputError
        When ``coded`` lacks the columns of a coded table, a signal is of the wrong type, or
        ``baseline_turns`` is not a whole number of at least 2.

    Examples
    --------
    A client who says much more after the therapist's ten complex reflections:

    >>> chosen = {0, 3, 7, 12, 13, 20, 26, 29, 33, 38}
    >>> rows = []
    >>> for i in range(40):
    ...     rows.append(("therapist", "That sounds really painful." if i in chosen
    ...                  else "What happened then?", "complex" if i in chosen else None))
    ...     rows.append(("client", "Yes. " * (12 if i in chosen else 2), None))
    >>> coded = pd.DataFrame(rows, columns=["role", "text", "reflection_type"])
    >>> coded["unit"] = range(len(coded))
    >>> res = being_seen(coded)
    >>> res["n_empathic_moments"], res["moment_client_words_p_value"]
    (10, 0.025)

    Ten words more than after the other turns, and 9.2 more than the local baseline (the
    long replies after the other moments nearby raise it):

    >>> t = res.tests["words"]
    >>> t["mean_moments"] - t["mean_others"], round(res["moment_client_words"], 1)
    (10.0, 9.2)
    >>> round(being_seen(coded, baseline_turns=None)["moment_client_words"], 1)
    10.0
    >>> res["moment_client_scr_chance_test"]
    'not testable: no client skin conductance'
    """
    found = empathic.empathic_moments(coded)
    units = found.table
    labels = units["is_moment"].to_numpy(dtype=bool)
    ends = units["end_s"].to_numpy(dtype=float)
    timed = bool(units.size) and bool(np.isfinite(ends).any())
    responses = words.client_responses(coded, units)
    table = units.assign(
        response_text=responses["text"].to_numpy(),
        response_start_s=responses["start_s"].to_numpy(),
        response_end_s=responses["end_s"].to_numpy(),
    )
    values: dict[str, np.ndarray] = {}
    reasons: dict[str, str | None] = {}
    n = len(units)
    nan = np.full(n, np.nan)
    word_values = words.word_measures(responses)
    for column in word_values.columns:
        values[column], reasons[column] = word_values[column].to_numpy(dtype=float), None

    eda_series, hr_series = _series(eda), _series(hr)
    sources = {
        "eda": eda_series,
        "hr": hr_series,
        "sync": eda if isinstance(eda, AlignedPair) else None,
        "voice": voice_contours,
    }
    for column, source in _SOURCE.items():
        if source == "words":
            continue
        if sources[source] is None:
            values[column], reasons[column] = nan, _MISSING[source]
        elif not timed:
            values[column], reasons[column] = nan, "no utterance times"
        else:
            reasons[column] = None
    if timed and eda_series is not None:
        x, rate, start = eda_series
        values["scr_us"] = physiology.scr_responses(x, sampling_rate=rate, start=start, times=ends)
    if timed and hr_series is not None:
        x, rate, start = hr_series
        values["hr_change_bpm"] = physiology.hr_responses(
            x, sampling_rate=rate, start=start, times=ends
        )
    if timed and isinstance(eda, AlignedPair):
        values["eda_local_r"] = physiology.local_synchrony(
            eda.therapist, eda.client, sampling_rate=eda.sampling_rate, start=eda.start, times=ends
        )
    if timed and voice_contours is not None:
        f0, intensity = voice_contours
        got = voice.voice_variability(
            f0.values,
            intensity.values,
            f0_rate=f0.sampling_rate,
            f0_start=f0.start,
            intensity_rate=intensity.sampling_rate,
            intensity_start=intensity.start,
            starts=responses["start_s"].to_numpy(dtype=float),
            ends=responses["end_s"].to_numpy(dtype=float),
        )
        values["f0_sd_st"] = got["f0_sd_st"].to_numpy()
        values["intensity_sd_db"] = got["intensity_sd_db"].to_numpy()

    tests = {
        column: shifts.shift_test(
            values[column],
            labels,
            n_permutations=n_permutations,
            seed=seed,
            baseline_turns=baseline_turns if column in BASELINED else None,
            reason=reasons[column],
        )
        for column in RESPONSE_COLUMNS
    }
    for column in RESPONSE_COLUMNS:
        table[column] = values[column]

    summary: dict[str, Any] = {m.N_EMPATHIC_MOMENTS.name: found["n_moments"] if n else np.nan}
    for column, metric in m.MOMENT_RESPONSES.items():
        test = tests[column]
        summary[metric.name] = test["difference"]
        for part in metric.chance:  # the test's summary has a column of each name
            summary[m.companion(metric, part)] = test[part]

    curves = []
    for kind, series, column in (("eda", eda_series, "scr_us"), ("hr", hr_series, "hr_change_bpm")):
        test = tests[column]
        if not timed or series is None or test["n_shifts"] == 0:
            continue
        x, rate, start = series
        window = (-physiology.SCR_BASELINE_S, 10.0) if kind == "eda" else (-5.0, 15.0)
        baseline = physiology.SCR_BASELINE_S if kind == "eda" else physiology.HR_BASELINE_S
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            got = physiology.event_average(
                x,
                labels,
                test.table["shift"].to_numpy(),
                sampling_rate=rate,
                start=start,
                times=ends,
                window_s=window,
                baseline_s=baseline,
            )
        curves.append(pd.DataFrame({"kind": kind, **got}))
    curve_table = (
        pd.concat(curves, ignore_index=True)
        if curves
        else pd.DataFrame(
            columns=["kind", "offset_s", "moments", "others", "chance_low", "chance_high"]
        )
    )
    method = being_seen_method()
    return BeingSeen(
        table=table,
        summary=one_row(**summary),
        method=method,
        tests=tests,
        curves=curve_table,
        methods=(
            empathic.METHOD,
            method,
            shifts.shift_test_method(
                n_permutations=n_permutations,
                seed=seed,
                baseline_turns=baseline_turns,
                baselined=_baselined_names(),
            ),
        ),
    )
