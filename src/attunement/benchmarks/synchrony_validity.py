"""Validity of the synchrony figures: do they tell real pairs from chance, and are their chance
tests calibrated? Measured in one run (``attunement benchmark synchrony-validity``).

Two parts:

1. **Real recordings** (optional, ``data=``): a folder laid out as EmoPairCompete's public
   flattening (``DAY/team_info.csv`` with ``ID, Team, Puzzler``;
   ``DAY/ID_n/round_r/phaseP/{EDA,HR}.csv`` with a ``time`` column on one clock per day), read
   with :func:`attunement.io.signal_csv.read_signal_csv` and aligned and cleaned by
   :func:`attunement.signals.align.prepare_pair`, as ``attunement sync`` does. Each recording of
   a pair (one round and phase, about 5 minutes) is one observation. *Real* pairs: the two
   people of a team, on their shared clock. *Other-day pseudo-pairs*: a person of one day with
   a person of another day, the same round and phase, aligned on elapsed time (no shared
   room, partner or moment). *Same-day other-team pairs*: two people of different teams of
   the same day, the same round and phase, on the shared clock (the same task timing, another
   partner: what separates partner coupling from a shared stimulus). For each candidate figure:
   the AUC of real against other-day pairs with its one-sided Mann-Whitney p-value and
   rank-biserial effect size, the AUC against same-day other-team pairs, the false-positive
   rate of the figure's chance test on the other-day pseudo-pairs (at alpha 0.05 and 0.01,
   whatever the length rule says) and its power on the real pairs.
2. **Simulated independent pairs** of 3 to 90 minutes: skin conductance at 4 Hz (a drifting
   tonic level, bursts of skin-conductance responses of realistic shape, E4 quantisation, the
   low-pass of :func:`attunement.signals.eda.eda_process`) and heart rate at 1 Hz (a drifting
   level, a quasi-periodic AR(2) part and the E4's running average). Every pair is independent,
   so every p-value at or below alpha is a false positive: the rate at 0.05 and 0.01 and a
   Kolmogorov-Smirnov test of uniform p-values, for the headline test beside the rMEA-style
   figure's segment-shuffle test (the previous default) in the same run.
3. **Simulated independent speakers, turn by turn** (:func:`run_turn_calibration`): the
   chance test of the turn-level figures (vocal synchrony, affect alignment, turn-level
   language style matching) on turn values that drift, beside client-turn shuffles.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import signal as sps
from scipy import stats

from attunement.errors import AttunementWarning, InputError
from attunement.model import Session, Signal
from attunement.signals.align import prepare_pair
from attunement.synchrony import concordance, surrogates
from attunement.synchrony.headline import HEADLINES, headline_test, prepare_series

__all__ = [
    "CANDIDATES",
    "Candidate",
    "run_calibration",
    "run_turn_calibration",
    "run_validity",
    "simulated_null",
]

KINDS = ("eda", "hr")
RATES = {"eda": 4.0, "hr": 1.0}
LENGTHS_MIN = (3, 5, 10, 20, 45, 90)


@dataclass(frozen=True)
class Candidate:
    """A synchrony figure and its chance test (``test`` None: the figure has none)."""

    name: str
    preparation: str
    window_s: float
    statistic: str
    absolute: bool
    test: str | None = "circular_shift"
    band_lag_s: float | None = None
    headline: bool = False  # the figure results.json reports: run through headline_test


#: The figures compared, by signal kind; ``headline`` is what results.json reports.
_DIFF, _HP, _LEVEL = "difference", "highpass", "level"
CANDIDATES: dict[str, tuple[Candidate, ...]] = {
    "eda": (
        Candidate(
            "headline: |z| of first differences, 15 s",
            _DIFF, 15, "grand_average", True, headline=True,
        ),
        Candidate(
            "rMEA |z| of levels, 30 s (previous)",
            _LEVEL, 30, "grand_average", True, "segment_shuffle",
        ),
        Candidate("signed lag-0 z of levels, 30 s", _LEVEL, 30, "lag_zero", False),
        Candidate(
            "signed z within ±2.5 s of differences, 15 s",
            _DIFF, 15, "lag_band", False, band_lag_s=2.5,
        ),
        Candidate("Marci SCI (slopes)", _LEVEL, 0, "sci", False, None),
    ),
    "hr": (
        Candidate(
            "headline: signed z within ±2.5 s of high-passed, 15 s",
            _HP, 15, "lag_band", False, band_lag_s=2.5, headline=True,
        ),
        Candidate(
            "rMEA |z| of levels, 30 s (previous)",
            _LEVEL, 30, "grand_average", True, "segment_shuffle",
        ),
        Candidate("signed lag-0 z of levels, 30 s", _LEVEL, 30, "lag_zero", False),
        Candidate("|z| of first differences, 15 s", _DIFF, 15, "grand_average", True),
    ),
}  # fmt: skip


def _evaluate(
    c: Candidate, kind: str, x: np.ndarray, y: np.ndarray, *, n_surrogates: int, seed: int
) -> tuple[float, float]:
    """(figure, p-value) of one candidate on one aligned pair; NaN where undefined."""
    rate = RATES[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        try:
            if c.statistic == "sci":
                return concordance.marci_sci(x, y, sampling_rate=rate).sci, math.nan
            if c.headline:
                found = headline_test(
                    x, y, kind=kind, sampling_rate=rate, n_surrogates=n_surrogates, seed=seed
                )  # the raw p-value: the length rule is reported apart
                return found.value, float(found.test.chance.p_value)
            spec = HEADLINES[kind]
            px = prepare_series(x, preparation=c.preparation, sampling_rate=rate)
            py = prepare_series(y, preparation=c.preparation, sampling_rate=rate)
            lag, step = spec.lag_s, spec.step_s
            shift = c.window_s + 2 * lag if c.test == "circular_shift" else None
            res = surrogates.surrogate_test(
                px, py, sampling_rate=rate, window_s=c.window_s, lag_s=lag, step_s=step,
                absolute=c.absolute, statistic=c.statistic, band_lag_s=c.band_lag_s,
                method=c.test, n_surrogates=n_surrogates, seed=seed, min_shift_s=shift,
            )  # fmt: skip
            return float(res.chance.observed), float(res.chance.p_value)
        except InputError:
            return math.nan, math.nan


# -- real recordings -----------------------------------------------------------------------------


def _read(path: Path, kind: str, role: str) -> Signal | None:
    from attunement.io.signal_csv import read_signal_csv

    if not path.is_file():
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)  # times without a zone: read as UTC
        return read_signal_csv(path, kind=kind, role=role)[0]


def _recordings(root: Path) -> tuple[pd.DataFrame, dict]:
    """The teams (``day``, ``person``, ``team``) and ``(day, person, round, phase)`` -> path."""
    days = sorted(p for p in root.iterdir() if (p / "team_info.csv").is_file())
    if not days:
        raise InputError(
            "holds no DAY/team_info.csv; expected the EmoPairCompete layout (see "
            "attunement benchmark synchrony-validity --help)",
            path=root,
        )
    teams, paths = [], {}
    for day in days:
        path = day / "team_info.csv"
        try:
            info = pd.read_csv(path, dtype={"ID": str})
            rows = list(zip(info["ID"], pd.to_numeric(info["Team"]).astype(int), strict=True))
        except (KeyError, ValueError, TypeError, UnicodeDecodeError, pd.errors.ParserError):
            raise InputError(
                "could not be read as a team table; expected CSV columns ID (the person's "
                "folder, e.g. ID_1) and Team (a whole number shared by the two of a team)",
                path=path,
            ) from None
        for person, team in rows:
            teams.append({"day": day.name, "person": person, "team": team})
            for folder in sorted((day / person).glob("round_*/phase*")):
                paths[(day.name, person, folder.parent.name, folder.name)] = folder
    if not paths:
        raise InputError(
            "holds no DAY/ID_n/round_r/phaseP folders; expected the EmoPairCompete layout",
            path=root,
        )
    return pd.DataFrame(teams), paths


def _pair(kind: str, a: Path, b: Path, *, elapsed: bool):
    name = "EDA.csv" if kind == "eda" else "HR.csv"
    t, c = _read(a / name, kind, "therapist"), _read(b / name, kind, "client")
    if t is None or c is None:
        return None
    if elapsed:  # another day: align on the time since each recording started
        c = replace(c, start=t.start)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        try:
            pair = prepare_pair(Session("pair", signals=(t, c)), kind)
        except InputError:
            return None
    return None if pair is None else (pair.therapist, pair.client)


def _pairs(root: Path) -> Iterator[tuple[str, tuple, Path, Path, bool]]:
    """(group, key, therapist folder, client folder, align on elapsed time) of every pair."""
    teams, paths = _recordings(root)
    sessions = sorted({(r, p) for (_, _, r, p) in paths})
    by_day = {d: g for d, g in teams.groupby("day")}
    for day, g in by_day.items():
        for (_, a), (_, b) in itertools.combinations(g.iterrows(), 2):
            group = "real" if a["team"] == b["team"] else "same_day"
            for r, p in sessions:
                ka, kb = (day, a["person"], r, p), (day, b["person"], r, p)
                if ka in paths and kb in paths:
                    yield group, (day, a["person"], b["person"], r, p), paths[ka], paths[kb], False
    for d1, d2 in itertools.combinations(sorted(by_day), 2):
        for a, b in itertools.product(by_day[d1]["person"], by_day[d2]["person"]):
            for r, p in sessions:
                ka, kb = (d1, a, r, p), (d2, b, r, p)
                if ka in paths and kb in paths:
                    yield "other_day", (d1 + "/" + d2, a, b, r, p), paths[ka], paths[kb], True


def _auc(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    """AUC of ``pos`` above ``neg`` and the one-sided Mann-Whitney p-value."""
    pos, neg = pos[np.isfinite(pos)], neg[np.isfinite(neg)]
    if not (pos.size and neg.size):
        return math.nan, math.nan
    u = stats.mannwhitneyu(pos, neg, alternative="greater")
    return float(u.statistic / (pos.size * neg.size)), float(u.pvalue)


def run_validity(
    data: str | Path,
    *,
    kinds: tuple[str, ...] = KINDS,
    n_surrogates: int = 199,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """Each candidate figure on real recordings (see the module's description).

    Returns
    -------
    pandas.DataFrame
        One row per kind and figure: ``kind``, ``figure``, ``n_real``, ``n_other_day``,
        ``n_same_day``, ``auc_other_day``, ``p_other_day``, ``rank_biserial``,
        ``auc_same_day``, ``p_same_day``, ``fpr_05``, ``fpr_01`` (of the chance test on the
        other-day pseudo-pairs), ``power_05`` (real pairs with p <= 0.05), ``testable``
        (share of recordings long enough for the headline's length rule; NaN for the others).
    """
    root = Path(data)
    if not root.is_dir():
        raise InputError("is not a folder; expected the EmoPairCompete layout", path=root)
    pairs = list(_pairs(root))
    rows = []
    for kind in kinds:
        values: dict[str, dict[str, list[tuple[float, float]]]] = {
            c.name: {"real": [], "other_day": [], "same_day": []} for c in CANDIDATES[kind]
        }
        n_windows = []
        for i, (group, _key, a, b, elapsed) in enumerate(pairs):
            got = _pair(kind, a, b, elapsed=elapsed)
            if got is None:
                continue
            if progress is not None and i % 100 == 0:
                progress(f"{kind}: pair {i + 1} of {len(pairs)}")
            x, y = got
            for c in CANDIDATES[kind]:
                values[c.name][group].append(
                    _evaluate(c, kind, x, y, n_surrogates=n_surrogates, seed=seed)
                )
            if group == "real":
                spec = HEADLINES[kind]
                span = spec.window_s + spec.lag_s
                n_windows.append((x.size / RATES[kind] - span) // spec.step_s + 1)
        for c in CANDIDATES[kind]:
            got = {g: np.array(v, dtype=float).reshape(-1, 2) for g, v in values[c.name].items()}
            real, other, same = got["real"], got["other_day"], got["same_day"]
            auc_o, p_o = _auc(real[:, 0], other[:, 0])
            auc_s, p_s = _auc(real[:, 0], same[:, 0])
            null_p = other[:, 1][np.isfinite(other[:, 1])]
            real_p = real[:, 1][np.isfinite(real[:, 1])]
            rows.append(
                {
                    "kind": kind,
                    "figure": c.name,
                    "n_real": len(real),
                    "n_other_day": len(other),
                    "n_same_day": len(same),
                    "auc_other_day": auc_o,
                    "p_other_day": p_o,
                    "rank_biserial": 2 * auc_o - 1,
                    "auc_same_day": auc_s,
                    "p_same_day": p_s,
                    "fpr_05": float(np.mean(null_p <= 0.05)) if null_p.size else math.nan,
                    "fpr_01": float(np.mean(null_p <= 0.01)) if null_p.size else math.nan,
                    "power_05": float(np.mean(real_p <= 0.05)) if real_p.size else math.nan,
                    "testable": (
                        float(np.mean(np.array(n_windows) >= HEADLINES[kind].min_windows))
                        if c.headline and n_windows
                        else math.nan
                    ),
                }
            )
    return pd.DataFrame(rows)


# -- simulated independent pairs -----------------------------------------------------------------


def _ou(rng: np.random.Generator, n: int, dt: float, tau: float, sd: float) -> np.ndarray:
    """Ornstein-Uhlenbeck process (time constant ``tau`` s, standard deviation ``sd``)."""
    a = math.exp(-dt / tau)
    e = rng.standard_normal(n) * sd * math.sqrt(1 - a * a)
    first = rng.standard_normal() * sd
    return np.r_[first, sps.lfilter([1.0], [1.0, -a], e[1:], zi=[a * first])[0]]


_EDA_LOWPASS = sps.butter(4, 1.0, btype="lowpass", output="sos", fs=4.0)


def _sim_eda(rng: np.random.Generator, seconds: float) -> np.ndarray:
    fs = 4.0
    n, dt = round(seconds * fs), 1 / fs
    level = math.exp(rng.normal(math.log(3), 0.8))
    k = int(20 * fs)
    drift = np.convolve(
        _ou(rng, n + k, dt, rng.uniform(60, 600), level * rng.uniform(0.05, 0.3)),
        np.ones(k) / k,
        mode="valid",
    )[:n]
    tonic = level + drift + np.cumsum(rng.standard_normal(n)) * level * rng.uniform(5e-5, 4e-4)
    tonic += np.linspace(0, 1, n) * level * rng.normal(0, 0.1) * (seconds / 600) ** 0.5
    rate = math.exp(rng.uniform(math.log(0.3), math.log(6))) / 60
    lograte = _ou(rng, n, dt, rng.uniform(30, 180), rng.uniform(0.3, 1.2))
    onsets = rng.random(n) < rate * np.exp(lograte - lograte.var() / 2) * dt
    amp = np.zeros(n)
    amp[onsets] = np.exp(rng.normal(math.log(0.05 * level**0.5), 1.2, int(onsets.sum())))
    t1, t2 = rng.uniform(0.5, 1.0), rng.uniform(2, 6)
    tk = np.arange(int(40 * fs)) * dt
    kernel = np.exp(-tk / t2) - np.exp(-tk / t1)
    x = tonic + np.convolve(amp, kernel / kernel.max())[:n] + rng.normal(0, 0.001, n)
    return sps.sosfiltfilt(_EDA_LOWPASS, np.round(x / 0.0013) * 0.0013)


def _sim_hr(rng: np.random.Generator, seconds: float) -> np.ndarray:
    n, pad = round(seconds), 80
    m = n + pad
    slow = _ou(rng, m, 1.0, rng.uniform(30, 300), rng.uniform(2, 6))
    period, radius = rng.uniform(5, 15), rng.uniform(0.7, 0.95)
    a1, a2 = 2 * radius * math.cos(2 * math.pi / period), -radius * radius
    fast = sps.lfilter([1.0], [1.0, -a1, -a2], rng.standard_normal(m))
    fast *= rng.uniform(0.3, 1.5) / fast.std()
    x = rng.normal(72, 8) + slow + fast + np.cumsum(rng.standard_normal(m)) * rng.uniform(0, 0.15)
    k = int(rng.integers(15, 41))  # the E4's heart rate is a running average of beats
    x = np.convolve(x, np.ones(k) / k, mode="same")
    return x[pad // 2 : pad // 2 + n] + rng.normal(0, 0.01, n)


def simulated_null(kind: str, seconds: float, *, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """One independent pair of simulated ``kind`` series (see the module's description)."""
    rng = np.random.default_rng(seed)
    sim = _sim_eda if kind == "eda" else _sim_hr
    return sim(rng, seconds), sim(rng, seconds)


def run_calibration(
    *,
    kinds: tuple[str, ...] = KINDS,
    lengths_min: tuple[float, ...] = LENGTHS_MIN,
    n_pairs: int = 200,
    n_surrogates: int = 99,
    seed: int = 0,
    progress: Callable[[str], None] | None = None,
) -> pd.DataFrame:
    """False-positive rates of the headline test and the previous one on independent pairs.

    Returns
    -------
    pandas.DataFrame
        One row per kind, test and length: ``kind``, ``test``, ``minutes``, ``n_windows``,
        ``testable`` (the length rule allows a p-value), ``n_pairs``, ``fpr_05``, ``fpr_01``,
        ``ks_p`` (Kolmogorov-Smirnov test of uniform p-values, each jittered within its
        ``1 / (n_surrogates + 1)`` step).
    """
    rows = []
    tests = {
        "headline (circular shift)": lambda c: c.headline,
        "rMEA |z| of levels (segment shuffle)": lambda c: c.test == "segment_shuffle",
    }
    for kind in kinds:
        chosen = {t: next(c for c in CANDIDATES[kind] if f(c)) for t, f in tests.items()}
        spec = HEADLINES[kind]
        for minutes in lengths_min:
            if progress is not None:
                progress(f"{kind}: {minutes:g} min")
            p = {t: [] for t in chosen}
            for i in range(n_pairs):
                x, y = simulated_null(kind, minutes * 60, seed=seed * 1_000_003 + i)
                for t, c in chosen.items():
                    p[t].append(_evaluate(c, kind, x, y, n_surrogates=n_surrogates, seed=i)[1])
            n_windows = int((minutes * 60 - spec.window_s - spec.lag_s) // spec.step_s + 1)
            jitter = np.random.default_rng(seed).uniform(0, 1 / (n_surrogates + 1), n_pairs)
            for t, found in p.items():
                v = np.array(found)
                ok = np.isfinite(v)
                testable = n_windows >= spec.min_windows or not t.startswith("headline")
                rows.append(
                    {
                        "kind": kind,
                        "test": t,
                        "minutes": minutes,
                        "n_windows": n_windows,
                        "testable": testable,
                        "n_pairs": int(ok.sum()),
                        "fpr_05": float(np.mean(v[ok] <= 0.05)),
                        "fpr_01": float(np.mean(v[ok] <= 0.01)),
                        "ks_p": float(stats.kstest(v[ok] - jitter[ok], "uniform").pvalue),
                    }
                )  # fmt: skip
    return pd.DataFrame(rows)


def _ar_turns(rng: np.random.Generator, n: int, phi: float) -> np.ndarray:
    return sps.lfilter([1.0], [1.0, -phi], rng.standard_normal(n))


def run_turn_calibration(
    *,
    n_turns: tuple[int, ...] = (60, 200, 600),
    autocorrelations: tuple[float, ...] = (0.0, 0.5, 0.8),
    n_pairs: int = 200,
    n_surrogates: int = 99,
    seed: int = 0,
) -> pd.DataFrame:
    """False-positive rates of the turn-level chance test (vocal synchrony, affect alignment and
    turn LSM share it) on independent speakers whose turn values drift, beside client-turn
    shuffles (the previous test) in the same run.

    Each pair: therapist and client values per turn, each an independent AR(1) series with
    turn-to-turn autocorrelation ``phi``, alternating turns. The product's
    :func:`attunement.language._pairs.align_turn_values` (rotations) gives one p-value; the
    same z-scored values against ``n_surrogates`` shuffles of the client's turns give the other.

    Returns
    -------
    pandas.DataFrame
        ``test``, ``n_turns``, ``autocorrelation``, ``n_pairs``, ``fpr_05``, ``fpr_01``.
    """
    from attunement.language._pairs import align_turn_values, rowwise_pearson, turn_pairs

    rows = []
    rng = np.random.default_rng(seed)
    for n, phi in itertools.product(n_turns, autocorrelations):
        roles = np.array(["therapist", "client"] * (n // 2))
        table = pd.DataFrame({"role": roles, "speaker": roles})
        first, second = turn_pairs(roles)
        clients = np.flatnonzero(roles == "client")
        found: dict[str, list[float]] = {"rotations (headline)": [], "shuffles (previous)": []}
        for k in range(n_pairs):
            values = np.empty(roles.size)
            values[roles == "therapist"] = _ar_turns(rng, clients.size, phi)
            values[roles == "client"] = _ar_turns(rng, clients.size, phi)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AttunementWarning)
                got = align_turn_values(
                    values, table, max_lag_turns=0, n_surrogates=n_surrogates, seed=k,
                    min_pairs=5, what="benchmark", parameters={}, stacklevel=2,
                )  # fmt: skip
            found["rotations (headline)"].append(got.summary.p_value)
            z = values.copy()
            for role in ("therapist", "client"):
                own = roles == role
                z[own] = (z[own] - z[own].mean()) / z[own].std()
            index = np.broadcast_to(np.arange(roles.size), (n_surrogates, roles.size)).copy()
            index[:, clients] = rng.permuted(
                np.broadcast_to(clients, (n_surrogates, clients.size)), axis=1
            )
            observed = rowwise_pearson(z[first], z[second])
            sur = rowwise_pearson(z[index[:, first]], z[index[:, second]])
            found["shuffles (previous)"].append((1 + np.sum(sur >= observed)) / (1 + sur.size))
        for test, p in found.items():
            v = np.array(p, dtype=float)
            rows.append(
                {
                    "test": test,
                    "n_turns": n,
                    "autocorrelation": phi,
                    "n_pairs": int(np.isfinite(v).sum()),
                    "fpr_05": float(np.mean(v[np.isfinite(v)] <= 0.05)),
                    "fpr_01": float(np.mean(v[np.isfinite(v)] <= 0.01)),
                }
            )
    return pd.DataFrame(rows)
