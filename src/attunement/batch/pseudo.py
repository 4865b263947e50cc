"""Pseudo-dyads across the sessions of a batch: each session's synchrony against chance.

A session's EDA or heart-rate synchrony is compared with the synchrony of *pseudo-dyads*: its
therapist with the clients of other sessions, and the therapists of other sessions with its
client (Bernieri, Reznick & Rosenthal, 1988), as :func:`attunement.synchrony.pseudo_dyad_test`
does. The figure is the session's own headline (:data:`attunement.synchrony.headline.HEADLINES`):
each series prepared as the headline prepares it (EDA first-differenced, heart rate
high-passed), then the grand average of the absolute (EDA) or the signed mean over the lags
near zero (heart rate) Fisher z of the windowed cross-lagged correlation, with the headline's
windows, lags and steps. A pseudo-pair is truncated to the shorter of its
two series (both start at their first sample).

How a batch does it, in bounded memory:

1. **Pairs.** Each worker returns the aligned pairs its session's synchrony used
   (:func:`session_pairs`; nothing when the session has none), and the batch process writes
   them, as the results arrive, to one compressed ``.npz`` file per session in
   ``OUT/.attunement-batch/pairs/`` (:class:`PairStore`), tagged with the source file's
   fingerprint, so a resumed batch can test every session done so far without analysing it
   again.
2. **Partners.** Comparing every session with every other grows with the square of the corpus.
   Each session is therefore compared with ``partners`` others (:func:`ring_partners`): the
   sessions are placed on a ring in an order drawn from a hash of ``seed`` and each session id,
   and every session is paired with its ``ceil(partners / 2)`` neighbours on either side (so
   ``partners`` rounded up to an even number). Partnership is mutual, each ordered pseudo-pair
   (therapist of one session, client of another) is computed once, and a session gets
   ``2 * n_partners`` pseudo-pairs, so its smallest possible p-value is
   ``1 / (2 * n_partners + 1)``. With ``partners >= k - 1`` for ``k`` sessions, every session
   is paired with every other, exactly as :func:`~attunement.synchrony.pseudo_dyad_test`. The
   choice is deterministic (the same ids and seed give the same partners, whatever the engine,
   the number of workers or the input order), and adding a session changes only its neighbours'
   partners.
3. **Test.** The ring is walked once; only the pairs of the current session's neighbourhood
   (``2 * ceil(partners / 2) + 1`` sessions) are held in memory at a time.

Sessions are paired only with sessions whose aligned pair has the same sampling rate: the
aligned rate is the lower of the two devices' rates, and resampling one session's pair to
another's rate would test a different series from the one its own synchrony used. A session
without a partner at its rate gets no pseudo-dyad figures, and a warning says how many.

Columns (:data:`PSEUDO_COLUMNS`), one set per kind in :data:`PSEUDO_KINDS`:
``{kind}_synchrony_pseudo_effect_size`` (observed minus the pseudo-pairs' mean, divided by their
standard deviation) and ``{kind}_synchrony_pseudo_p_value`` (one-sided, ``(1 + #{pseudo >=
observed}) / (1 + n)``), as :func:`attunement.synchrony.summarize_surrogates`; None where there
is no figure: the session failed or has no pair of that kind, fewer than two sessions have the
signal at its rate, or the figures are undefined.

References
----------
Bernieri, F. J., Reznick, J. S., & Rosenthal, R. (1988). Synchrony, pseudosynchrony, and
dissynchrony: Measuring the entrainment process in mother-infant interactions. Journal of
Personality and Social Psychology, 54(2), 243-253.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import shutil
import warnings
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony.headline import HEADLINES
from attunement.synchrony.stats import SurrogateSummary, summarize_surrogates
from attunement.synchrony.wclc import wclc_batch

__all__ = [
    "DEFAULT_PSEUDO_PARTNERS",
    "PSEUDO_COLUMNS",
    "PSEUDO_KINDS",
    "PairStore",
    "check_partners",
    "pseudo_dyad_columns",
    "ring_partners",
    "ring_pseudo_dyad_test",
    "session_pairs",
]

logger = logging.getLogger(__name__)

#: Signals whose synchrony is tested against pseudo-dyads.
PSEUDO_KINDS: tuple[str, ...] = ("eda", "hr")
#: Partner sessions per session, by default.
DEFAULT_PSEUDO_PARTNERS = 100
#: The columns added to sessions.parquet.
PSEUDO_COLUMNS: tuple[str, ...] = tuple(
    f"{kind}_synchrony_pseudo_{what}"
    for kind in PSEUDO_KINDS
    for what in ("effect_size", "p_value")
)
#: Bytes of the correlations of one call of :func:`attunement.synchrony.wclc_batch`: bounds
#: its output, and the therapist's kernel is prepared once per call.
_CHUNK_BYTES = 32 * 2**20

#: One session's aligned pair: (sampling rate in Hz, therapist series, client series).
Pair = tuple[float, np.ndarray, np.ndarray]


def check_partners(partners: object) -> int:
    """Check ``pseudo_partners``: a whole number, 0 (no pseudo-dyads) or more.

    Raises
    ------
    InputError
        For anything else.

    Examples
    --------
    >>> check_partners(100)
    100
    """
    if isinstance(partners, bool) or not isinstance(partners, int) or partners < 0:
        raise InputError(
            f"is {partners!r}; expected a whole number of partner sessions, 0 to turn "
            "pseudo-dyads off",
            field="pseudo_partners",
        )
    return partners


def session_pairs(results: Any) -> dict[str, Pair] | None:
    """The aligned pairs a session's physiological synchrony used, by kind; None when none.

    Parameters
    ----------
    results : SessionResults
        What :func:`attunement.analyze_session` returned.

    Returns
    -------
    dict or None
        ``{kind: (sampling_rate, therapist, client)}`` for each kind of :data:`PSEUDO_KINDS`
        whose synchrony was measured.
    """
    physiology = getattr(getattr(results, "resonance", None), "physiology", None) or {}
    pairs = {}
    for kind in PSEUDO_KINDS:
        found = physiology.get(kind)
        if found is not None:
            pair = found.pair
            pairs[kind] = (
                float(pair.sampling_rate),
                np.asarray(pair.therapist, dtype=float),
                np.asarray(pair.client, dtype=float),
            )
    return pairs or None


class PairStore:
    """One compressed ``.npz`` per session in a folder: its aligned pairs and file fingerprint.

    Parameters
    ----------
    folder : path-like
        Created when missing.

    Examples
    --------
    >>> import tempfile
    >>> store = PairStore(tempfile.mkdtemp())
    >>> t, c = np.arange(8.0), np.arange(8.0)[::-1]
    >>> store.put("/data/s1.toml", "10:5", {"eda": (4.0, t, c)})
    >>> store.describe("/data/s1.toml", "10:5")
    {'eda': 4.0}
    >>> store.describe("/data/s1.toml", "11:5") is None  # the file changed since
    True
    >>> store.load("/data/s1.toml", "eda")[1].tolist()
    [7.0, 6.0, 5.0, 4.0, 3.0, 2.0, 1.0, 0.0]
    """

    def __init__(self, folder: str | os.PathLike[str]) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    @staticmethod
    def name(key: str) -> str:
        """The file name of a session's pairs (a hash of its key)."""
        return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32] + ".npz"

    def path(self, key: str) -> Path:
        """Where a session's pairs are."""
        return self.folder / self.name(key)

    def put(self, key: str, fingerprint: str, pairs: Mapping[str, Pair] | None) -> None:
        """Store a session's pairs (written under a temporary name, then renamed); with no
        pairs, forget any stored before."""
        path = self.path(key)
        if not pairs:
            path.unlink(missing_ok=True)
            return
        arrays: dict[str, np.ndarray] = {"key": np.array(key), "fingerprint": np.array(fingerprint)}
        for kind, (rate, therapist, client) in pairs.items():
            arrays[f"{kind}_rate"] = np.array(float(rate))
            arrays[f"{kind}_therapist"] = np.asarray(therapist, dtype=float)
            arrays[f"{kind}_client"] = np.asarray(client, dtype=float)
        tmp = path.with_name(path.name + ".tmp")
        with tmp.open("wb") as fh:
            np.savez_compressed(fh, **arrays)
        os.replace(tmp, path)

    def describe(self, key: str, fingerprint: str) -> dict[str, float] | None:
        """``{kind: sampling_rate}`` of the stored pairs (their arrays are not read); None when
        none are stored for this fingerprint of the file, or the file is unreadable."""
        path = self.path(key)
        if not path.exists():
            return None
        try:
            with np.load(path, allow_pickle=False) as npz:
                if str(npz["key"]) != key or str(npz["fingerprint"]) != fingerprint:
                    return None
                return {
                    kind: float(npz[f"{kind}_rate"])
                    for kind in PSEUDO_KINDS
                    if f"{kind}_rate" in npz.files
                }
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            logger.warning("%s: unreadable stored pairs (%s); the session is left out", path, exc)
            return None

    def load(self, key: str, kind: str) -> tuple[np.ndarray, np.ndarray]:
        """The stored ``(therapist, client)`` series of one kind."""
        with np.load(self.path(key), allow_pickle=False) as npz:
            return npz[f"{kind}_therapist"], npz[f"{kind}_client"]

    def prune(self, keep: Iterable[str]) -> None:
        """Delete the stored pairs of every session not in ``keep`` (and temporary files)."""
        names = {self.name(key) for key in keep}
        for path in self.folder.iterdir():
            if path.name not in names:
                with contextlib.suppress(FileNotFoundError, IsADirectoryError):
                    path.unlink()

    def clear(self) -> None:
        """Forget every stored pair."""
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True, exist_ok=True)


# --- choosing partners ---------------------------------------------------------------------------


def _ring_order(names: Sequence[str], seed: int) -> list[int]:
    def rank(i: int) -> tuple[bytes, int]:
        return hashlib.sha256(f"{seed}\0{names[i]}".encode()).digest(), i

    return sorted(range(len(names)), key=rank)


def _reach(n: int, partners: int) -> int:
    """Neighbours on either side of the ring; ``n // 2`` means everyone."""
    half = math.ceil(partners / 2)
    return n // 2 if 2 * half >= n - 1 else half


def _around(p: int, n: int, reach: int) -> list[int]:
    return sorted({(p + d) % n for d in range(-reach, reach + 1)} - {p})


def ring_partners(names: Sequence[str], partners: int, *, seed: int = 0) -> list[list[int]]:
    """Which sessions each session is paired with (indices into ``names``).

    Parameters
    ----------
    names : sequence of str
        Unique session ids.
    partners : int
        Partners per session (rounded up to an even number); ``len(names) - 1`` or more pairs
        every session with every other.
    seed : int
        Seed of the ring's order.

    Returns
    -------
    list of list of int
        For each session, its partners in ascending order; partnership is mutual.

    Examples
    --------
    >>> ring_partners(["a", "b", "c"], 100)
    [[1, 2], [0, 2], [0, 1]]
    >>> [len(p) for p in ring_partners([f"s{i}" for i in range(10)], 3)]
    [4, 4, 4, 4, 4, 4, 4, 4, 4, 4]
    """
    n = len(names)
    order = _ring_order(names, seed)
    reach = _reach(n, check_partners(partners))
    out: list[list[int]] = [[] for _ in range(n)]
    for p in range(n):
        out[order[p]] = sorted(order[q] for q in _around(p, n, reach))
    return out


# --- the test ------------------------------------------------------------------------------------


def _n_windows(n: int, opts: dict[str, float]) -> int:
    """Windows of a series of ``n`` samples, as :func:`attunement.synchrony.wclc` lays them
    out: ``window + lag`` samples each, ``step`` apart, from the first sample."""
    rate = opts["sampling_rate"]
    win, lag, step = (round(opts[k] * rate) for k in ("window_s", "lag_s", "step_s"))
    return max(0, -(-(n - win - lag + 1) // step))


def _grand_averages(
    therapist: np.ndarray,
    clients: Sequence[np.ndarray],
    opts: dict[str, float],
    *,
    absolute: bool = True,
    band: int | None = None,
) -> np.ndarray:
    """Grand average of the (absolute) Fisher z of ``therapist`` with each client series, over
    all lags or, with ``band``, over the lags within ``band`` samples of zero.

    Each pairing counts only the windows of the shorter series, as if both were truncated to
    it. Every window is computed from its own samples, so the client series are cut or padded
    to the therapist's length and run through one :func:`~attunement.synchrony.wclc_batch`
    kernel, and the windows that reach beyond the shorter series are left out.
    """
    n = therapist.size
    out = np.full(len(clients), np.nan)
    keep = [_n_windows(min(n, c.size), opts) for c in clients]
    lag = round(opts["lag_s"] * opts["sampling_rate"])
    n_lags = 2 * lag + 1
    lags = slice(None) if band is None else slice(lag - band, lag + band + 1)
    rows = max(1, _CHUNK_BYTES // (8 * n_lags * max(1, _n_windows(n, opts))))
    for lo in range(0, len(clients), rows):
        chunk = clients[lo : lo + rows]
        stack = np.zeros((len(chunk), n))
        for i, c in enumerate(chunk):
            stack[i, : min(n, c.size)] = c[:n]
        try:
            z = wclc_batch(therapist, stack, **opts, fisher_z=True, absolute=absolute)
        except InputError as exc:
            logger.debug("pseudo-pairs not computed: %s", exc)
            continue
        for i in range(len(chunk)):
            cells = z[i, : keep[lo + i], lags]
            ok = np.isfinite(cells)
            if ok.any():
                out[lo + i] = cells[ok].mean()
    return out


def ring_pseudo_dyad_test(
    names: Sequence[str],
    fetch: Callable[[int], tuple[np.ndarray, np.ndarray]],
    *,
    partners: int,
    sampling_rate: float,
    window_s: float,
    lag_s: float,
    step_s: float,
    seed: int = 0,
    absolute: bool = True,
    band_lag_s: float | None = None,
) -> list[SurrogateSummary]:
    """Each session's synchrony against the pseudo-dyads of its :func:`ring_partners`.

    The figure is the grand average of the absolute (or, with ``absolute=False``, signed)
    Fisher z of the windowed cross-lagged correlation, over every lag or over those within
    ``band_lag_s`` of zero; a session's surrogates are its therapist with each partner's
    client and each partner's therapist with its client, each truncated to the shorter series. With
    ``partners >= len(names) - 1`` the result is that of
    :func:`attunement.synchrony.pseudo_dyad_test` (to about 1e-12).

    Parameters
    ----------
    names : sequence of str
        Unique session ids (they choose the partners).
    fetch : callable
        ``fetch(i) -> (therapist, client)``: session ``i``'s series, at ``sampling_rate``. It is
        called about once per session (a few more near the ring's seam), and only the sessions
        of one neighbourhood are held at a time.
    partners : int
        As for :func:`ring_partners`.
    sampling_rate, window_s, lag_s, step_s
        As for :func:`attunement.synchrony.wclc`.
    seed : int
        Seed of the partners' choice.
    absolute : bool, default True
    band_lag_s : float, optional
        Average only the lags within this many seconds of zero (lag 0 included).

    Returns
    -------
    list of SurrogateSummary
        One per session, in the order of ``names``; a session alone gets an all-NaN summary.

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> pairs = []
    >>> for _ in range(4):
    ...     t = np.convolve(rng.standard_normal(300), np.ones(5) / 5, "same")
    ...     pairs.append((t, t + 0.1 * rng.standard_normal(300)))
    >>> out = ring_pseudo_dyad_test(["a", "b", "c", "d"], pairs.__getitem__, partners=3,
    ...                             sampling_rate=1, window_s=30, lag_s=5, step_s=10)
    >>> [s.p_value for s in out]
    [0.14285714285714285, 0.14285714285714285, 0.14285714285714285, 0.14285714285714285]
    """
    n = len(names)
    reach = _reach(n, check_partners(partners))
    if n < 2 or reach == 0:
        nan = float("nan")
        return [SurrogateSummary(nan, nan, nan, nan, nan, 0) for _ in range(n)]
    opts = {"sampling_rate": sampling_rate, "window_s": window_s, "lag_s": lag_s, "step_s": step_s}
    band = None if band_lag_s is None else math.floor(band_lag_s * sampling_rate + 1e-9)
    order = _ring_order(names, seed)
    degree = len(_around(0, n, reach))
    observed = np.full(n, np.nan)
    pseudo = np.full((n, 2 * degree), np.nan)
    filled = np.zeros(n, dtype=int)
    held: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    undefined = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        for p in range(n):
            around = _around(p, n, reach)
            needed = {p, *around}
            for q in [q for q in held if q not in needed]:
                del held[q]
            for q in sorted(needed - held.keys()):
                held[q] = fetch(order[q])
            therapist, client = held[p]
            figures = _grand_averages(
                therapist, [client] + [held[q][1] for q in around], opts, absolute=absolute,
                band=band,
            )  # fmt: skip
            observed[p] = figures[0]
            undefined += int(np.count_nonzero(~np.isfinite(figures[1:])))
            for q, value in zip(around, figures[1:], strict=True):
                pseudo[p, filled[p]] = value
                pseudo[q, filled[q]] = value
                filled[p] += 1
                filled[q] += 1
    if undefined:
        logger.warning(
            "%d of %d pseudo-pairs give no defined synchrony value; they are left out",
            undefined,
            n * degree,
        )
    summaries: list[SurrogateSummary | None] = [None] * n
    for p in range(n):
        summaries[order[p]] = summarize_surrogates(float(observed[p]), pseudo[p])
    return summaries  # type: ignore[return-value]


def _value(x: float) -> float | None:
    return float(x) if math.isfinite(x) else None


def pseudo_dyad_columns(
    sessions: Sequence[tuple[str, str, str] | None],
    store: PairStore,
    *,
    partners: int,
    seed: int = 0,
) -> dict[str, list[float | None]]:
    """The pseudo-dyad columns of a batch's sessions (see the module's description).

    Parameters
    ----------
    sessions : sequence of (key, fingerprint, session_id) or None
        The batch's rows in output order: each analysed session's work-item key, its file's
        fingerprint and its (unique) session id; None for a session that failed.
    store : PairStore
        Where the sessions' aligned pairs are.
    partners, seed
        As for :func:`ring_partners`.

    Returns
    -------
    dict
        Column name (:data:`PSEUDO_COLUMNS`) -> one value per row of ``sessions`` (None where
        there is no figure).
    """
    n_rows = len(sessions)
    columns: dict[str, list[float | None]] = {name: [None] * n_rows for name in PSEUDO_COLUMNS}
    groups: dict[tuple[str, float], list[int]] = {}
    for row, session in enumerate(sessions):
        if session is None:
            continue
        for kind, rate in (store.describe(session[0], session[1]) or {}).items():
            groups.setdefault((kind, rate), []).append(row)
    for kind in PSEUDO_KINDS:
        found = {rate: rows for (k, rate), rows in groups.items() if k == kind}
        alone = sum(len(rows) for rows in found.values() if len(rows) < 2)
        if alone and len(found) > 1:
            logger.warning(
                "%d sessions have no other session with %s at the same sampling rate (rates: "
                "%s Hz); they get no pseudo-dyad figures",
                alone,
                kind.upper(),
                ", ".join(f"{rate:g}" for rate in sorted(found)),
            )
        elif alone:
            logger.info("fewer than two sessions have %s; no pseudo-dyad figures", kind.upper())
        for rate, rows in sorted(found.items()):
            if len(rows) < 2:
                continue
            logger.info(
                "pseudo-dyads: %s of %d sessions at %g Hz, up to %d partners each",
                kind.upper(),
                len(rows),
                rate,
                min(len(rows) - 1, 2 * math.ceil(partners / 2)),
            )
            keys = [sessions[row][0] for row in rows]  # type: ignore[index]
            spec = HEADLINES[kind]

            def fetch(i, keys=keys, kind=kind, rate=rate, spec=spec):
                return tuple(spec.prepare(x, sampling_rate=rate) for x in store.load(keys[i], kind))

            summaries = ring_pseudo_dyad_test(
                [sessions[row][2] for row in rows],  # type: ignore[index]
                fetch,
                partners=partners,
                sampling_rate=rate,
                window_s=spec.window_s,
                lag_s=spec.lag_s,
                step_s=spec.step_s,
                seed=seed,
                absolute=spec.absolute,
                band_lag_s=spec.band_lag_s,
            )
            for row, summary in zip(rows, summaries, strict=True):
                columns[f"{kind}_synchrony_pseudo_effect_size"][row] = _value(summary.effect_size)
                columns[f"{kind}_synchrony_pseudo_p_value"][row] = _value(summary.p_value)
    return columns
