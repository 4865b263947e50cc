"""Both people's signals on one clock: a common regular grid, trimmed to their overlap.

Two wristbands start and stop at different moments, may record at different rates, and lose
samples (a loose strap, a full memory). Synchrony needs the two series sample by sample on the
same times, so :func:`align_pair` puts them on one regular grid:

* **Grid.** It starts at the later of the two first (finite) samples, ends at the earlier of
  the two last ones, and steps ``1 / sampling_rate`` seconds (default: the lower of the two
  rates, so nothing is invented by upsampling).
* **Resampling.** A regular series sampled faster than the grid is first anti-alias filtered,
  as :func:`scipy.signal.decimate` does: a zero-phase low-pass (here an order-8 Butterworth,
  whose flat pass band keeps slow signals unchanged) at 0.8 times the grid's Nyquist
  frequency; then every series is read at the grid times by linear interpolation, so the
  grid need not fall on the faster series' samples. A series already on the grid is copied
  exactly. Irregular series (e.g. event-timed exports) are interpolated linearly between
  their samples.
* **Gaps.** A stretch without data longer than ``max_gap_s`` (a run of NaN in a regular
  series, or a jump between the times of an irregular one) stays NaN on the grid, and an
  :class:`~attunement.errors.AttunementWarning` names each such gap: whose, from, to. Shorter
  holes are bridged by linear interpolation between their neighbours (never by a mean).
"""

from __future__ import annotations

import logging
import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from attunement.errors import AttunementWarning, InputError
from attunement.model import Signal
from attunement.signals._checks import (
    _TIME_TOL,
    ANTI_ALIAS_FRACTION,
    ANTI_ALIAS_ORDER,
    _check_rate,
    _check_seconds,
    _describe_gaps,
    _on_grid,
)
from attunement.signals.eda import eda_process
from attunement.signals.heart import heart_rate

if TYPE_CHECKING:
    from attunement.model import Session

__all__ = [
    "PAIR_KINDS",
    "AlignedPair",
    "Gap",
    "align_pair",
    "alignment_method",
    "prepare_pair",
]

logger = logging.getLogger(__name__)

#: Kinds :func:`prepare_pair` knows how to prepare.
PAIR_KINDS: tuple[str, ...] = ("eda", "hr")

#: Which EDA series :func:`prepare_pair` pairs, by name.
EDA_COMPONENTS: tuple[str, ...] = ("clean", "phasic", "tonic", "raw")


def alignment_method(
    *, sampling_rate: float | None = None, max_gap_s: float = 2.0, min_overlap_s: float = 0.0
) -> dict[str, Any]:
    """The methods-paragraph entry of :func:`align_pair` run with these parameters.

    Parameters
    ----------
    sampling_rate : float, optional
        The grid rate given (Hz); None: the lower of the two rates.
    max_gap_s, min_overlap_s : float
        As given to :func:`align_pair`.

    Returns
    -------
    dict
        ``name`` ('alignment'), ``description`` (written from the parameters), ``parameters``
        (``sampling_rate``, ``max_gap_s``, ``min_overlap_s``) and ``citation`` (None).

    Examples
    --------
    >>> alignment_method(max_gap_s=4)["description"][-75:]
    'Gaps longer than 4 s were left missing; shorter ones were bridged linearly.'
    """
    grid = (
        "at the lower of their sampling rates"
        if sampling_rate is None
        else f"at {float(sampling_rate):g} Hz"
    )
    overlap = (
        f" (at least {float(min_overlap_s):g} s)" if min_overlap_s and min_overlap_s > 0 else ""
    )
    return {
        "name": "alignment",
        "description": (
            f"Both people's signals were placed on one regular grid on the session clock, {grid}, "
            f"and trimmed to the time both were recording{overlap}; faster series were "
            f"anti-alias filtered (zero-phase order-{ANTI_ALIAS_ORDER} Butterworth low-pass at "
            f"{ANTI_ALIAS_FRACTION:g} times the grid's Nyquist frequency), then read at the grid "
            "times by linear interpolation. Gaps longer than "
            f"{float(max_gap_s):g} s were left missing; shorter ones were bridged linearly."
        ),
        "parameters": {
            "sampling_rate": None if sampling_rate is None else float(sampling_rate),
            "max_gap_s": float(max_gap_s),
            "min_overlap_s": float(min_overlap_s),
        },
        "citation": None,
    }


class Gap(NamedTuple):
    """A stretch of the common grid without data from one person.

    ``start_s`` and ``end_s`` are the session-clock times of the last sample before and the first
    sample after the gap; the grid points strictly between them are NaN.
    """

    who: str
    start_s: float
    end_s: float


@dataclass(frozen=True, slots=True, eq=False)
class AlignedPair:
    """Two people's series of one kind, sample by sample on one regular grid.

    Attributes
    ----------
    therapist, client : numpy.ndarray
        Same length, read-only; NaN where a person had no data (see ``gaps``).
    sampling_rate : float
        Grid rate in Hz.
    start : float
        Session-clock time of sample 0.
    gaps : tuple of Gap
        Every stretch left NaN, in time order per person.
    kind : str
        The signal kind (``'eda'``, ``'hr'``, ...).
    """

    therapist: np.ndarray
    client: np.ndarray
    sampling_rate: float
    start: float
    gaps: tuple[Gap, ...] = ()
    kind: str = ""

    def __len__(self) -> int:
        return int(self.therapist.shape[0])

    @property
    def duration(self) -> float:
        """Seconds from the first to the last grid point."""
        return (len(self) - 1) / self.sampling_rate if len(self) else 0.0

    def times(self) -> np.ndarray:
        """Session-clock time of every grid point."""
        return self.start + np.arange(len(self)) / self.sampling_rate


def _label(sig: Signal, who: str) -> str:
    return f"{who} {sig.kind}"


def _finite_samples(sig: Signal, who: str) -> tuple[np.ndarray, np.ndarray]:
    """Times and values of the finite samples of a one-dimensional signal."""
    if sig.values.ndim != 1:
        raise InputError(
            f"{_label(sig, who)} has {sig.values.shape[1]} columns; expected one value per "
            "sample (reduce multi-axis signals such as acc to one series first)"
        )
    ok = np.isfinite(sig.values)
    if not ok.any():
        raise InputError(
            f"{_label(sig, who)} has no finite value in its {len(sig)} samples; expected a "
            "recording with data"
        )
    return sig.time_axis()[ok], sig.values[ok]


def align_pair(
    therapist: Signal,
    client: Signal,
    *,
    sampling_rate: float | None = None,
    max_gap_s: float = 2.0,
    min_overlap_s: float = 0.0,
) -> AlignedPair:
    """Put the therapist's and the client's signal on one regular grid over their overlap.

    Parameters
    ----------
    therapist, client : Signal
        One-dimensional signals of the same kind, on the session clock; regular (with a
        sampling rate) or irregular (with times). NaN marks missing samples.
    sampling_rate : float, optional
        Grid rate in Hz. Default: the lower of the two regular rates.
    max_gap_s : float, default 2.0
        Longest stretch without data that is bridged by linear interpolation; longer ones stay
        NaN and are named in a warning. 0 keeps every missing sample missing.
    min_overlap_s : float, default 0.0
        Shortest acceptable overlap in seconds (e.g. one analysis window).

    Returns
    -------
    AlignedPair

    Raises
    ------
    InputError
        When the kinds differ, a signal is not one-dimensional or has no finite value, both are
        irregular and no ``sampling_rate`` is given, the recordings do not overlap (naming both
        spans), or the overlap is shorter than ``min_overlap_s`` or than two grid samples.

    Warns
    -----
    AttunementWarning
        Naming each gap longer than ``max_gap_s`` (whose, from, to) left NaN.

    Examples
    --------
    >>> t = Signal("eda", "therapist", 4.0, np.linspace(1.0, 2.1, 12), start=0.0)  # 0-2.75 s
    >>> c = Signal("eda", "client", 2.0, [5.0, 5.1, 5.2, 5.3], start=1.0)  # 1-2.5 s
    >>> pair = align_pair(t, c)
    >>> pair.sampling_rate, pair.start, len(pair), pair.times().tolist()
    (2.0, 1.0, 4, [1.0, 1.5, 2.0, 2.5])
    >>> pair.client.tolist()
    [5.0, 5.1, 5.2, 5.3]
    """
    for who, sig in (("therapist", therapist), ("client", client)):
        if not isinstance(sig, Signal):
            raise InputError(f"got {type(sig).__name__}; expected a Signal", field=who)
    if therapist.kind != client.kind:
        raise InputError(
            f"the therapist's signal is {therapist.kind!r} but the client's is "
            f"{client.kind!r}; expected two signals of the same kind"
        )
    max_gap_s = _check_seconds(max_gap_s, "max_gap_s")
    min_overlap_s = _check_seconds(min_overlap_s, "min_overlap_s")
    if sampling_rate is None:
        rates = [s.sampling_rate for s in (therapist, client) if s.times is None]
        if not rates:
            raise InputError(
                f"both {therapist.kind} signals are irregularly sampled; give sampling_rate "
                "(Hz) for the common grid",
                field="sampling_rate",
            )
        rate = float(min(rates))
    else:
        rate = _check_rate(sampling_rate, "sampling_rate")

    t_times, t_values = _finite_samples(therapist, "therapist")
    c_times, c_values = _finite_samples(client, "client")
    lo = max(t_times[0], c_times[0])
    hi = min(t_times[-1], c_times[-1])
    spans = (
        f"therapist {therapist.kind} has data from {t_times[0]:.2f} s to {t_times[-1]:.2f} s, "
        f"client from {c_times[0]:.2f} s to {c_times[-1]:.2f} s"
    )
    if hi < lo:
        raise InputError(f"the recordings do not overlap: {spans}; expected a common stretch")
    n = math.floor((hi - lo) * rate + 1e-9) + 1
    if n < 2 or (n - 1) / rate < min_overlap_s - _TIME_TOL:
        raise InputError(
            f"the recordings overlap for only {hi - lo:.2f} s ({spans}); expected at least "
            f"{max(min_overlap_s, 1 / rate):g} s"
        )
    grid = lo + np.arange(n) / rate

    aligned: dict[str, np.ndarray] = {}
    gaps: list[Gap] = []
    for who, sig, times, values in (
        ("therapist", therapist, t_times, t_values),
        ("client", client, c_times, c_values),
    ):
        out, found = _on_grid(sig, times, values, grid, rate, max_gap_s)
        found = [(a, b) for a, b in found if np.any(np.isnan(out[(grid > a) & (grid < b)]))]
        if found:
            warnings.warn(
                f"{who} {sig.kind}: no data from {_describe_gaps(found)} (longer than "
                f"max_gap_s = {max_gap_s:g} s); left NaN",
                AttunementWarning,
                stacklevel=2,
            )
        gaps.extend(Gap(who, a, b) for a, b in found)
        out.setflags(write=False)
        aligned[who] = out
    logger.debug("aligned %s on %d samples at %g Hz from %g s", therapist.kind, n, rate, lo)
    return AlignedPair(
        aligned["therapist"], aligned["client"], rate, float(lo), tuple(gaps), therapist.kind
    )


def _processed_eda(sig: Signal, component: str) -> Signal:
    if sig.times is not None:
        raise InputError(
            f"{sig.role} eda is irregularly sampled; expected a regular series with a sampling rate"
        )
    if sig.values.ndim != 1:
        raise InputError(f"{sig.role} eda has {sig.values.shape[1]} columns; expected one")
    frame, _ = eda_process(sig.values, sampling_rate=sig.sampling_rate)
    return Signal(
        "eda",
        sig.role,
        sig.sampling_rate,
        frame[f"eda_{component}"].to_numpy(),
        start=sig.start,
        meta={**sig.meta, "processed": f"eda_{component}"},
    )


def prepare_pair(
    session: Session,
    kind: str,
    *,
    eda_component: str = "clean",
    sampling_rate: float | None = None,
    max_gap_s: float = 2.0,
    min_overlap_s: float = 0.0,
) -> AlignedPair | None:
    """Prepare both people's EDA or heart rate from a session and align them.

    EDA: each person's series goes through :func:`attunement.signals.eda.eda_process` and the
    ``eda_component`` column is paired. The default is the cleaned (low-passed) skin conductance:
    windowed correlations remove each window's mean themselves, and the concordance index of
    Marci et al. (2007) is defined on the slopes of the skin-conductance signal itself, not on a
    filtered phasic part. Heart rate: each person's from ``HR.csv`` or from inter-beat
    intervals, by :func:`attunement.signals.heart.heart_rate`.

    Parameters
    ----------
    session : Session
    kind : {'eda', 'hr'}
    eda_component : {'clean', 'phasic', 'tonic', 'raw'}, default 'clean'
    sampling_rate, max_gap_s, min_overlap_s
        As in :func:`align_pair`.

    Returns
    -------
    AlignedPair or None
        None when the therapist or the client lacks the signal.

    Raises
    ------
    InputError
        For an unknown ``kind`` or ``eda_component`` and as :func:`align_pair`.

    Examples
    --------
    >>> from attunement.model import Session
    >>> prepare_pair(Session("s"), "hr") is None
    True
    """
    if kind not in PAIR_KINDS:
        raise InputError(f"is {kind!r}; expected one of {', '.join(PAIR_KINDS)}", field="kind")
    if eda_component not in EDA_COMPONENTS:
        raise InputError(
            f"is {eda_component!r}; expected one of {', '.join(EDA_COMPONENTS)}",
            field="eda_component",
        )
    pair: dict[str, Signal] = {}
    for role in ("therapist", "client"):
        if kind == "eda":
            sig = session.signal("eda", role)
            prepared = None if sig is None else _processed_eda(sig, eda_component)
        else:
            prepared = heart_rate(hr=session.signal("hr", role), ibi=session.signal("ibi", role))
        if prepared is None:
            logger.info("session %s: no %s for the %s; no pair", session.id, kind, role)
            return None
        pair[role] = prepared
    return align_pair(
        pair["therapist"],
        pair["client"],
        sampling_rate=sampling_rate,
        max_gap_s=max_gap_s,
        min_overlap_s=min_overlap_s,
    )
