"""The headline skin-conductance and heart-rate synchrony figures, with calibrated chance tests.

Which figure a therapist is shown was chosen by validity, not by custom
(``attunement benchmark synchrony-validity``; ``docs/synchrony.md``). On independent
wristband recordings of people sitting together (real pairs against pseudo-pairs of people
from other days, and against other teams of the same day), the customary figure, the mean
absolute Fisher z of windowed cross-lagged correlation (WCLC) of the *levels*, did not tell
real pairs from chance (AUC 0.51), and its segment-shuffle test gave p < 0.05 for about 10% of
pseudo-pairs: slow drift makes two unrelated levels correlate strongly within a window, and
shuffling segments of windows breaks the runs of neighbouring windows, so the null
distribution came out too narrow. The headline figures remove the drift first, and their chance
test keeps each person's series whole:

- **EDA**: the mean |Fisher z| of WCLC of the two people's *first-differenced* cleaned skin
  conductance (15 s windows stepped 10 s, lags up to +-5 s): coupled moment-to-moment changes
  at any lag up to 5 s, in-phase or anti-phase.
- **Heart rate**: the *signed* mean Fisher z over the lags within +-2.5 s of 0.05 Hz
  high-passed heart rate (15 s windows stepped 10 s): in-phase accelerations and
  decelerations, the coupling that co-present partners showed beyond a shared task.

The chance test circularly shifts the client's prepared series by at least one window plus
both lags (25 s) from either end (Moulder et al., 2018), which keeps all of its autocorrelation,
its bursts and its amplitude distribution. On simulated independent pairs with realistic
autocorrelation its false-positive rate was 4-6% at alpha 0.05 from 10 minutes (EDA) and 5
minutes (heart rate) up to 90 minutes; below :attr:`HeadlineSpec.min_windows` defined windows
the p-value and effect size are None with the reason ("40 windows; at least 57 needed"), never
a miscalibrated number.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony import surrogates
from attunement.synchrony.result import MeasurementResult, Method, one_row

__all__ = [
    "HEADLINES",
    "PREPARATIONS",
    "HeadlineSpec",
    "HeadlineTest",
    "headline_method",
    "headline_test",
    "prepare_series",
]

#: How a series is prepared before its headline figure, with the text a methods paragraph uses.
PREPARATIONS: dict[str, str] = {
    "difference": "first-differenced (each sample minus the one before)",
    "highpass": "high-passed at {cutoff} Hz (2nd-order Butterworth, zero phase; NeuroKit2)",
    "level": "left as measured",
}


@dataclass(frozen=True, slots=True)
class HeadlineSpec:
    """What a headline figure is: preparation, windows, figure and the shortest testable length.

    Attributes
    ----------
    kind : str
        Signal kind (``eda`` or ``hr``).
    preparation : {"difference", "highpass", "level"}
        What is done to each series first (:data:`PREPARATIONS`).
    window_s, step_s, lag_s : float
        The windowed cross-lagged correlation.
    statistic : str
        :func:`attunement.synchrony.surrogates.surrogate_test`'s figure.
    absolute : bool
        Absolute (strength, either sign) or signed (in-phase) Fisher z.
    band_lag_s : float or None
        Half-width of the lags of ``statistic="lag_band"``.
    min_windows : int
        Fewest defined windows for a calibrated chance test.
    highpass_hz : float
        Cut-off of ``preparation="highpass"``.
    """

    kind: str
    preparation: str
    window_s: float
    step_s: float
    lag_s: float
    statistic: str
    absolute: bool
    min_windows: int
    band_lag_s: float | None = None
    highpass_hz: float = 0.05

    def prepare(self, values: np.ndarray, *, sampling_rate: float) -> np.ndarray:
        """``values`` prepared as this headline prepares each person's series
        (:func:`prepare_series`)."""
        return prepare_series(
            values,
            preparation=self.preparation,
            sampling_rate=sampling_rate,
            highpass_hz=self.highpass_hz,
        )

    @property
    def min_shift_s(self) -> float:
        """Smallest circular shift: one window plus both lags, so no lag of any window meets
        its own samples."""
        return self.window_s + 2 * self.lag_s

    @property
    def label(self) -> str:
        """The figure in words, for a report."""
        what = "mean |Fisher z|" if self.absolute else "signed mean Fisher z"
        lags = (
            f"lags within ±{self.band_lag_s:g} s"
            if self.statistic == "lag_band"
            else f"lags up to ±{self.lag_s:g} s"
        )
        prep = {"difference": "first-differenced", "highpass": "high-passed"}.get(
            self.preparation, ""
        )
        return (
            f"{what} of windowed cross-lagged correlations of {prep} series "
            f"({self.window_s:g} s windows, {lags})"
        ).replace("  ", " ")


#: The validated headline of each signal kind (see the module's description).
HEADLINES: dict[str, HeadlineSpec] = {
    "eda": HeadlineSpec(
        kind="eda",
        preparation="difference",
        window_s=15.0,
        step_s=10.0,
        lag_s=5.0,
        statistic="grand_average",
        absolute=True,
        min_windows=57,
    ),
    "hr": HeadlineSpec(
        kind="hr",
        preparation="highpass",
        window_s=15.0,
        step_s=10.0,
        lag_s=5.0,
        statistic="lag_band",
        absolute=False,
        band_lag_s=2.5,
        min_windows=27,
    ),
}


def prepare_series(
    values: np.ndarray, *, preparation: str, sampling_rate: float, highpass_hz: float = 0.05
) -> np.ndarray:
    """A series made ready for its headline figure; NaN (missing) samples stay NaN.

    Parameters
    ----------
    values : array_like of float, 1-D
    preparation : {"difference", "highpass", "level"}
        ``difference``: ``x[t] - x[t - 1]`` (NaN at the first sample and beside each missing
        one); ``highpass``: NeuroKit2's zero-phase Butterworth high-pass (order 2) at
        ``highpass_hz``, run over the holes bridged linearly, which are then missing again.
    sampling_rate : float
        Hz.
    highpass_hz : float, default 0.05

    Returns
    -------
    numpy.ndarray
        The same length as ``values``.

    Raises
    ------
    InputError
        For an unknown ``preparation`` (listing the choices).

    Examples
    --------
    >>> prepare_series(np.array([1.0, 3.0, np.nan, 4.0, 4.5]), preparation="difference",
    ...                sampling_rate=1).tolist()
    [nan, 2.0, nan, nan, 0.5]
    """
    if preparation not in PREPARATIONS:
        raise InputError(
            f"is {preparation!r}; expected one of: {', '.join(PREPARATIONS)}",
            field="preparation",
        )
    x = np.asarray(values, dtype=float)
    if preparation == "level":
        return x.copy()
    if preparation == "difference":
        out = np.full(x.shape, np.nan)
        out[1:] = np.diff(x)
        return out
    finite = np.isfinite(x)
    if finite.sum() < 2:
        return np.full(x.shape, np.nan)
    import neurokit2 as nk

    t = np.arange(x.size)
    bridged = np.interp(t, t[finite], x[finite])
    filtered = nk.signal_filter(
        bridged, sampling_rate=sampling_rate, lowcut=highpass_hz, method="butterworth", order=2
    )
    return np.where(finite, np.asarray(filtered, dtype=float), np.nan)


@dataclass(frozen=True, slots=True, eq=False)
class HeadlineTest(MeasurementResult):
    """Result of :func:`headline_test`.

    Attributes
    ----------
    table : pandas.DataFrame
        Per window (the rolling plot): ``start_s``, ``end_s``, ``observed``,
        ``surrogate_low``, ``surrogate_median``, ``surrogate_high`` (the test's table).
    summary : pandas.DataFrame
        One row: ``kind``, ``figure``, ``surrogate_mean``, ``surrogate_sd``, ``effect_size``,
        ``p_value``, ``n_surrogates``, ``n_windows``, ``min_windows``, ``chance_test``; the
        chance figures are NaN (``effect_size`` and ``p_value`` None) when not testable.
    method : Method
        The methods-paragraph entry, written from what ran (:func:`headline_method`).
    spec : HeadlineSpec
    test : attunement.synchrony.surrogates.SurrogateTest
        The circular-shift test of the prepared series.
    n_windows : int
        Windows with a defined figure.
    reason : str or None
        Why the chance test is not reported ("40 windows; at least 57 needed"); None when it is.
    """

    spec: HeadlineSpec
    test: surrogates.SurrogateTest
    n_windows: int
    reason: str | None

    @property
    def value(self) -> float:
        """The headline figure (NaN when no window is defined)."""
        return float(self.test["observed"])

    @property
    def p_value(self) -> float | None:
        """One-sided p-value against the circular shifts; None when not testable."""
        return None if self.reason else _finite(self.test["p_value"])

    @property
    def effect_size(self) -> float | None:
        """(figure - surrogate mean) / surrogate SD; None when not testable."""
        return None if self.reason else _finite(self.test["effect_size"])

    @property
    def chance_test(self) -> str:
        """Which chance test was used and whether it applies, in words."""
        return str(self["chance_test"])

    @property
    def notes(self) -> tuple[str, ...]:
        return self.test.notes


def _chance_test(test: surrogates.SurrogateTest, reason: str | None) -> str:
    """Which chance test was used and whether it applies, in words."""
    if reason:
        return f"not testable: {reason}"
    n = test.parameters["n_surrogates"]
    if test.surrogate_method == "circular_shift":
        shift = test.parameters["min_shift_s"]
        return f"circular shifts of at least {shift:g} s, {n} surrogates"
    return f"{test.surrogate_method.replace('_', ' ')} ({n} surrogates)"


def _finite(x: Any) -> float | None:
    x = float(x)
    return x if math.isfinite(x) else None


def _spec(kind: str) -> HeadlineSpec:
    if kind not in HEADLINES:
        raise InputError(f"is {kind!r}; expected one of: {', '.join(HEADLINES)}", field="kind")
    return HEADLINES[kind]


def headline_test(
    therapist: np.ndarray,
    client: np.ndarray,
    *,
    kind: str,
    sampling_rate: float,
    n_surrogates: int = 1000,
    seed: int = 0,
    method: str = "circular_shift",
) -> HeadlineTest:
    """The headline synchrony of ``kind`` with its calibrated chance test.

    Parameters
    ----------
    therapist, client : array_like of float, 1-D
        The two people's series on one clock (e.g. from
        :func:`attunement.signals.align.prepare_pair`); NaN marks a missing sample.
    kind : {"eda", "hr"}
        Which headline (:data:`HEADLINES`).
    sampling_rate : float
        Hz.
    n_surrogates : int, default 1000
    seed : int, default 0
        The same seed gives the same result.
    method : {"circular_shift", "segment_shuffle"}, default "circular_shift"
        The surrogates. Only circular shifts were found calibrated (``segment_shuffle`` is
        liberal for recordings under about 20 minutes); the other is kept for comparison.

    Returns
    -------
    HeadlineTest
        ``.table`` (per window: ``start_s``, ``end_s``, ``observed``, ``surrogate_low``,
        ``surrogate_median``, ``surrogate_high``), ``.summary`` (one row: ``kind``,
        ``figure``, ``surrogate_mean``, ``surrogate_sd``, ``effect_size``, ``p_value``,
        ``n_surrogates``, ``n_windows``, ``min_windows``, ``chance_test``), ``.method``
        (:func:`headline_method`), ``.test``, ``.reason``, ``.value``, ``.p_value``,
        ``.effect_size``.

    Raises
    ------
    InputError
        For an unknown ``kind`` or ``method``, or a recording too short for one window plus
        the lag or for the smallest shift.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> shared = np.cumsum(rng.standard_normal(1800))
    >>> t = shared + np.cumsum(rng.standard_normal(1800))
    >>> c = shared + np.cumsum(rng.standard_normal(1800))
    >>> res = headline_test(t, c, kind="hr", sampling_rate=1.0, n_surrogates=199)
    >>> res.n_windows, res.p_value < 0.05
    (179, True)
    >>> headline_test(t[:300], c[:300], kind="eda", sampling_rate=1.0, n_surrogates=19).reason
    '29 windows; at least 57 needed'
    """
    spec = _spec(kind)
    x, y = (spec.prepare(v, sampling_rate=sampling_rate) for v in (therapist, client))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)  # kept in the test's notes
        test = surrogates.surrogate_test(
            x,
            y,
            sampling_rate=sampling_rate,
            window_s=spec.window_s,
            lag_s=spec.lag_s,
            step_s=spec.step_s,
            fisher_z=True,
            absolute=spec.absolute,
            statistic=spec.statistic,
            band_lag_s=spec.band_lag_s,
            method=method,
            n_surrogates=n_surrogates,
            seed=seed,
            min_shift_s=spec.min_shift_s if method == "circular_shift" else None,
        )
    n_windows = int(np.isfinite(test.table["observed"].to_numpy(dtype=float)).sum())
    reason = None
    if n_windows < spec.min_windows:
        reason = f"{n_windows} windows; at least {spec.min_windows} needed"
    testable = reason is None
    chance = test.chance
    summary = one_row(
        kind=spec.kind,
        figure=float(chance.observed),
        surrogate_mean=float(chance.surrogate_mean) if testable else math.nan,
        surrogate_sd=float(chance.surrogate_sd) if testable else math.nan,
        effect_size=_finite(chance.effect_size) if testable else None,
        p_value=_finite(chance.p_value) if testable else None,
        n_surrogates=int(chance.n_surrogates),
        n_windows=n_windows,
        min_windows=spec.min_windows,
        chance_test=_chance_test(test, reason),
    )
    return HeadlineTest(
        table=test.table,
        summary=summary,
        method=headline_method(kind=kind, n_surrogates=n_surrogates, seed=seed, method=method),
        spec=spec,
        test=test,
        n_windows=n_windows,
        reason=reason,
    )


def headline_method(
    *, kind: str, n_surrogates: int = 1000, seed: int = 0, method: str = "circular_shift"
) -> Method:
    """The methods-paragraph entry of :func:`headline_test` run with these parameters.

    Parameters
    ----------
    kind, n_surrogates, seed, method
        As given to :func:`headline_test`.

    Returns
    -------
    Method
        ``name`` ('eda_headline_synchrony' or 'hr_headline_synchrony'), ``description``
        (written from the headline's settings and these parameters), ``parameters`` and
        ``citation``.

    Examples
    --------
    >>> headline_method(kind="eda", n_surrogates=50)["description"][:60]
    'Skin-conductance synchrony (the headline figure) is the mean'
    """
    spec = _spec(kind)
    name = {"eda": "Skin-conductance", "hr": "Heart-rate"}[kind]
    prep = PREPARATIONS[spec.preparation].format(cutoff=f"{spec.highpass_hz:g}")
    test = surrogates.surrogate_test_method(
        n_surrogates=n_surrogates,
        method=method,
        statistic=spec.statistic,
        absolute=spec.absolute,
        seed=seed,
        min_shift_s=spec.min_shift_s if method == "circular_shift" else None,
        band_lag_s=spec.band_lag_s,
    )
    description = (
        f"{name} synchrony (the headline figure) is the {spec.label}: both series were "
        f"{prep} before the correlation. {test['description']} Below {spec.min_windows} defined "
        "windows no p-value or effect size is given: on simulated independent pairs with "
        "realistic autocorrelation this test's false-positive rate was 4-6% at alpha 0.05 from "
        f"that length on (docs/synchrony.md)."
    )
    return Method(
        name=f"{kind}_headline_synchrony",
        description=description,
        parameters={
            "preparation": spec.preparation,
            "window_s": spec.window_s,
            "step_s": spec.step_s,
            "lag_s": spec.lag_s,
            **({"highpass_hz": spec.highpass_hz} if spec.preparation == "highpass" else {}),
            "min_windows": spec.min_windows,
            **test["parameters"],
        },
        citation=test["citation"],
    )
