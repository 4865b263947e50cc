"""Does the moments test find a response that is there, and only then?

``attunement benchmark moments`` simulates sessions itself and runs the real comparison
(:func:`attunement.moments.session.being_seen`) on each:

* **A session** (:func:`simulate_session`): therapist and client take turns for ``minutes``
  (therapist turns 2-10 s, client turns of a log-normal 2-30 s, pauses of 0.3-1.5 s: about
  250 therapist turns an hour). Which therapist turns are empathic moments follows a two-state
  Markov chain, so moments come in runs (a stretch of reflective listening): ``moment_share``
  of the turns on average, a moment followed by another with probability 0.4.
* **The client's signals**, two kinds of noise (``noise``):

  - ``'scr'``: skin conductance as a wristband records it at 4 Hz -- a tonic level drifting
    slowly (AR(1), time constant 60 s), spontaneous skin-conductance responses (about 2 a
    minute, Bateman-shaped, exponential amplitudes) and sensor noise; heart rate at 1 Hz, a
    drifting level plus beat-to-beat noise; reply lengths log-normal and independent;
  - ``'ar'``: autocorrelated noise only -- skin conductance and heart rate AR(1) with time
    constants of 20 s and 15 s, and reply lengths whose logarithm is AR(1) along the session
    (0.6 from one reply to the next) -- the case where a test that ignores the order of the
    turns calls chance structure a response.

  The therapist's skin conductance is independent noise of the same kind, so the local
  synchrony is a pure null.
* **The response** (``effect`` in SDs): after every moment the client's skin conductance
  gets a response shaped like a skin-conductance response (peak 3.5 s after the turn's end),
  the heart rate a 10 s rise, and the reply more words; each is scaled, session by session,
  so that it raises its response measure by ``effect`` times that measure's SD over the
  session's turns without a response. ``effect=0``: no response, every p < 0.05 a false
  positive.

Each row says how often p < 0.05 over ``n_sessions`` sessions, with its Clopper-Pearson 95%
interval, beside Welch's t-test on the same numbers (the peer: it treats the turns as
independent), and the mean realised Cohen's d. For the responses that
:func:`~attunement.moments.session.being_seen` takes against a local baseline (the words), the
row also gives the rate of the same shift test on the values themselves, without it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import signal as sps
from scipy import stats

from attunement.moments import physiology
from attunement.moments.session import BASELINED, being_seen
from attunement.moments.shifts import shift_test
from attunement.signals.align import AlignedPair

__all__ = ["SimulatedSession", "run_moments_benchmark", "simulate_session"]

EDA_RATE = 4.0
HR_RATE = 1.0
#: Responses the benchmark tests: response column -> how the table names it.
MEASURES = {
    "scr_us": "skin-conductance response",
    "hr_change_bpm": "heart-rate change",
    "words": "words in reply",
    "eda_local_r": "local EDA synchrony",
}


@dataclass(frozen=True, slots=True)
class SimulatedSession:
    """One simulated session.

    Attributes
    ----------
    coded : pandas.DataFrame
        A coded table (``role``, ``text``, ``start_s``, ``end_s``, ``unit``,
        ``reflection_type``: 'complex' on the moments, ``client_talk``).
    eda, hr : AlignedPair
        Both people's skin conductance (4 Hz) and heart rate (1 Hz).
    moments : numpy.ndarray of bool
        Which therapist turns are moments.
    """

    coded: pd.DataFrame
    eda: AlignedPair
    hr: AlignedPair
    moments: np.ndarray


def _ar1(n: int, tau_samples: float, sd: float, rng: np.random.Generator) -> np.ndarray:
    """A stationary AR(1) series of SD ``sd`` whose autocorrelation falls by e every
    ``tau_samples`` samples."""
    phi = np.exp(-1.0 / tau_samples)
    e = rng.normal(0.0, sd * np.sqrt(1 - phi**2), n)
    e[0] = rng.normal(0.0, sd)
    return sps.lfilter([1.0], [1.0, -phi], e)


def _bateman(rate: float, tau1: float = 0.75, tau2: float = 2.0, length_s: float = 12.0):
    t = np.arange(0, length_s, 1 / rate)
    k = np.exp(-t / tau2) - np.exp(-t / tau1)
    return k / k.max()


def _add_at(x: np.ndarray, kernel: np.ndarray, times: np.ndarray, rate: float, amp) -> None:
    amp = np.broadcast_to(np.asarray(amp, float), np.shape(times))
    for t0, a in zip(times, amp, strict=True):
        i = round(t0 * rate)
        if i >= x.size:
            continue
        j = min(x.size, i + kernel.size)
        x[max(i, 0) : j] += a * kernel[max(0, -i) : j - i]


def _labels(n: int, share: float, stay: float, rng: np.random.Generator) -> np.ndarray:
    start = share * (1 - stay) / (1 - share)
    out = np.zeros(n, dtype=bool)
    out[0] = rng.random() < share
    for i in range(1, n):
        out[i] = rng.random() < (stay if out[i - 1] else start)
    return out


def _scaled(measure: Callable[[np.ndarray], np.ndarray], null: np.ndarray, add, moments, effect):
    """The amplitude that raises ``measure`` by ``effect`` SDs on the moments (3 steps)."""
    base = measure(null)
    target = effect * float(np.nanstd(base))
    if target <= 0:
        return 0.0
    amp = target
    for _ in range(3):
        rise = float(np.nanmean((measure(add(null, amp)) - base)[moments]))
        if not rise > 0:
            break
        amp *= target / rise
    return amp


def simulate_session(
    *,
    minutes: float = 60.0,
    effect: float = 0.5,
    noise: str = "scr",
    moment_share: float = 0.2,
    seed: int = 0,
) -> SimulatedSession:
    """One simulated session whose client responds (``effect`` > 0) or not after the moments.

    Parameters
    ----------
    minutes : float, default 60
    effect : float, default 0.5
        The built-in response, in SDs of each response measure (0: none).
    noise : {'scr', 'ar'}, default 'scr'
        The client's signals without a response (see the module).
    moment_share : float, default 0.2
        Share of the therapist's turns that are moments, on average.
    seed : int, default 0

    Returns
    -------
    SimulatedSession

    Examples
    --------
    >>> s = simulate_session(minutes=10, seed=1)
    >>> int(s.moments.size) > 30, s.eda.sampling_rate, sorted(set(s.coded["role"]))
    (True, 4.0, ['client', 'therapist'])
    """
    if noise not in ("scr", "ar"):
        raise ValueError(f"noise is {noise!r}; expected 'scr' or 'ar'")
    rng = np.random.default_rng(seed)
    total = minutes * 60.0
    rows, t = [], 5.0
    while t < total - 40:
        d = rng.uniform(2, 10)
        rows.append(("therapist", t, t + d))
        t += d + rng.uniform(0.3, 1.5)
        d = float(np.clip(rng.lognormal(np.log(6), 0.6), 2, 30))
        rows.append(("client", t, t + d))
        t += d + rng.uniform(0.3, 1.5)
    n_t = len(rows) // 2
    moments = _labels(n_t, moment_share, 0.4, rng)
    ends = np.array([r[2] for r in rows if r[0] == "therapist"])

    # reply lengths
    if noise == "ar":
        log_words = np.log(15) + _ar1(n_t, 1 / -np.log(0.6), 0.6, rng)
    else:
        log_words = rng.normal(np.log(15), 0.6, n_t)
    words = np.exp(log_words)
    words = words + effect * np.std(words) * moments
    n_words = np.maximum(1, np.rint(words)).astype(int)

    # skin conductance
    n = int(total * EDA_RATE)
    kernel = _bateman(EDA_RATE)

    def eda_null() -> np.ndarray:
        if noise == "ar":
            return 2.0 + _ar1(n, 20 * EDA_RATE, 0.2, rng) + rng.normal(0, 0.005, n)
        x = 2.0 + _ar1(n, 60 * EDA_RATE, 0.3, rng) + rng.normal(0, 0.005, n)
        onsets = np.sort(rng.uniform(0, total, rng.poisson(2 * minutes)))
        _add_at(x, kernel, onsets, EDA_RATE, rng.exponential(0.05, onsets.size))
        return x

    client_eda, therapist_eda = eda_null(), eda_null()
    at = ends[moments] + 1.5  # onset; the Bateman peak follows about 2 s later

    def with_scr(x, amp):
        y = x.copy()
        _add_at(y, kernel, at, EDA_RATE, amp)
        return y

    def scr(x):
        return physiology.scr_responses(x, sampling_rate=EDA_RATE, start=0.0, times=ends)

    amp = _scaled(scr, client_eda, with_scr, moments, effect)
    client_eda = with_scr(client_eda, amp) if amp else client_eda

    # heart rate
    m = int(total * HR_RATE)
    if noise == "ar":
        client_hr = 72 + _ar1(m, 15 * HR_RATE, 3.0, rng)
    else:
        client_hr = 72 + _ar1(m, 60 * HR_RATE, 4.0, rng) + rng.normal(0, 1.5, m)
    bump = np.sin(np.pi * np.arange(0, 10, 1 / HR_RATE) / 10) ** 2

    def with_hr(x, a):
        y = x.copy()
        _add_at(y, bump, ends[moments], HR_RATE, a)
        return y

    def hr(x):
        return physiology.hr_responses(x, sampling_rate=HR_RATE, start=0.0, times=ends)

    amp = _scaled(hr, client_hr, with_hr, moments, effect)
    client_hr = with_hr(client_hr, amp) if amp else client_hr
    therapist_hr = 72 + _ar1(m, 30 * HR_RATE, 3.0, rng)

    coded_rows = []
    k = 0
    for unit, (role, start, end) in enumerate(rows):
        if role == "therapist":
            text, kind = (
                "You feel it." if moments[k] else "What then?",
                ("complex" if moments[k] else None),
            )
            talk = None
        else:
            text, kind, talk = " ".join(["so"] * int(n_words[k - 1])), None, "neutral"
        coded_rows.append((role, text, start, end, unit, kind, talk))
        if role == "therapist":
            k += 1
    coded = pd.DataFrame(
        coded_rows,
        columns=["role", "text", "start_s", "end_s", "unit", "reflection_type", "client_talk"],
    )
    return SimulatedSession(
        coded,
        AlignedPair(therapist_eda, client_eda, EDA_RATE, 0.0, kind="eda"),
        AlignedPair(therapist_hr, client_hr, HR_RATE, 0.0, kind="hr"),
        moments,
    )


def _interval(k: int, n: int) -> tuple[float, float]:
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=0.95, method="exact")
    return float(ci.low), float(ci.high)


def run_moments_benchmark(
    *,
    n_sessions: int = 200,
    minutes: float = 60.0,
    effect: float = 0.5,
    moment_share: float = 0.2,
    n_permutations: int = 1000,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Detection and false-positive rates of the moments test on simulated sessions.

    Parameters
    ----------
    n_sessions : int, default 200
        Sessions per condition (noise kind x response or none).
    minutes : float, default 60
    effect : float, default 0.5
        The built-in response in SDs.
    moment_share : float, default 0.2
        Share of the therapist's turns that are moments.
    n_permutations : int, default 1000
    seed : int, default 0
    progress : callable, optional
        Called with a line of text per condition.

    Returns
    -------
    pandas.DataFrame
        One row per noise kind, condition and response: ``noise``, ``condition``
        ('response <effect> SD' or 'no response'), ``response``, ``sessions``,
        ``rate`` (share with p < 0.05: the detection rate with a response, the false-positive
        rate without), ``ci95_low``, ``ci95_high``, ``t_test_rate`` (Welch's t-test on the same
        numbers), ``no_baseline_rate`` (for a response taken against its local baseline, the
        same shift test on the values themselves; NaN for the others), ``mean_d`` (realised
        Cohen's d), ``mean_moments`` (moments per session) and ``ms_per_session`` (the
        comparison of all responses, the simulation not counted).
        ``attrs['seconds']`` is the run time.
    """
    started = time.perf_counter()
    rows = []
    conditions = [(noise, eff) for noise in ("scr", "ar") for eff in (effect, 0.0)]
    for c, (noise, eff) in enumerate(conditions):
        found = {key: [] for key in MEASURES}
        spent, n_moments = 0.0, []
        for i in range(n_sessions):
            sim = simulate_session(
                minutes=minutes,
                effect=eff,
                noise=noise,
                moment_share=moment_share,
                seed=seed + 1_000_003 * c + i,
            )
            t0 = time.perf_counter()
            res = being_seen(sim.coded, eda=sim.eda, hr=sim.hr, n_permutations=n_permutations)
            spent += time.perf_counter() - t0
            n_moments.append(int(sim.moments.sum()))
            labels = res.table["is_moment"].to_numpy(bool)
            for key in MEASURES:
                test = res.tests[key]
                x = res.table[key].to_numpy(float)
                ok = np.isfinite(x)
                welch = stats.ttest_ind(x[ok & labels], x[ok & ~labels], equal_var=False).pvalue
                plain = (
                    shift_test(x, labels, n_permutations=n_permutations)["p_value"]
                    if key in BASELINED
                    else np.nan
                )
                found[key].append((test["p_value"], welch, plain, test["effect_size"]))
        condition = f"response {eff:g} SD" if eff else "no response"
        for key, name in MEASURES.items():
            if key == "eda_local_r" and eff:
                continue  # only the client responds: synchrony has no built-in effect
            p, welch, plain, d = (np.array(v, float) for v in zip(*found[key], strict=True))
            k = int(np.sum(p < 0.05))
            low, high = _interval(k, p.size)
            rows.append(
                {
                    "noise": noise,
                    "condition": condition,
                    "response": name,
                    "sessions": p.size,
                    "rate": k / p.size,
                    "ci95_low": low,
                    "ci95_high": high,
                    "t_test_rate": float(np.mean(welch < 0.05)),
                    "no_baseline_rate": float(np.mean(plain < 0.05))
                    if key in BASELINED
                    else float("nan"),
                    "mean_d": float(np.nanmean(d)),
                    "mean_moments": float(np.mean(n_moments)),
                    "ms_per_session": 1000 * spent / n_sessions,
                }
            )
        if progress is not None:
            progress(f"{noise}, {condition}: {n_sessions} sessions")
    table = pd.DataFrame(rows)
    table.attrs["seconds"] = time.perf_counter() - started
    return table
