"""Adjacent therapist/client turn pairs and their turn-rotation surrogates.

Shared by the turn-level measures (language style matching, affect alignment, vocal synchrony).
A *pair* joins a turn to the other person's turn that follows it; at lag ``k`` it joins a turn to
the other person's turn ``k`` exchanges later (``1 + 2k`` turns on, counting only therapist and
client turns). Turns of anyone else (role ``other``) are skipped. The surrogates rotate the
client's turns along the session (circular shifts of at least two turns beyond the largest
lag) and keep the therapist's in place, which destroys who answered whom while keeping both
people's distributions, their drift and their turn-to-turn autocorrelation.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from attunement.errors import AttunementWarning, InputError
from attunement.synchrony.result import MeasurementResult, Method, one_row
from attunement.synchrony.stats import SurrogateSummary, summarize_surrogates

DIRECTIONS: tuple[str, ...] = ("both", "therapist_to_client", "client_to_therapist")
ALIGNMENT_COLUMNS: tuple[str, ...] = (
    "direction",
    "lag_turns",
    "n_pairs",
    "r",
    "surrogate_mean",
    "surrogate_sd",
    "effect_size",
    "p_value",
    "n_surrogates",
)
_CHUNK = 128  # surrogates handled at once: bounds memory at 128 x n_pairs values


def require_columns(frame: Any, columns: Sequence[str], what: str) -> pd.DataFrame:
    """Check that ``frame`` is a DataFrame with ``columns``."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"{what} is a {type(frame).__name__}; expected a pandas DataFrame")
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError(
            f"{what} lacks column(s) {', '.join(missing)}; expected {', '.join(columns)} "
            "(see attunement.language.turns.turns)"
        )
    return frame


def as_text(value: object) -> str:
    """A cell of a text column as a string: ``""`` for a missing value of any kind.

    pandas 2 keeps ``None`` in an object column, pandas 3's string dtype holds ``NaN``, and
    nullable columns hold ``pd.NA``; each is missing text, never the word "nan".

    Examples
    --------
    >>> [as_text(v) for v in ("Hi", None, float("nan"), pd.NA, 3)]
    ['Hi', '', '', '', '3']
    """
    if isinstance(value, str):
        return value
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return str(value)


def check_options(
    *, n_surrogates: int, seed: int | None, min_pairs: int, max_lag_turns: int
) -> None:
    """Refuse nonsense options with a message naming the option."""
    for name, value, low in (
        ("n_surrogates", n_surrogates, 0),
        ("min_pairs", min_pairs, 2),
        ("max_lag_turns", max_lag_turns, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InputError(f"is {value!r}; expected a whole number >= {low}", field=name)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int | np.integer)):
        raise InputError(f"is {seed!r}; expected a whole number or None", field="seed")


def turn_pairs(roles: np.ndarray, *, lag_turns: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Positions of paired turns.

    Returns
    -------
    first, second : numpy.ndarray of int
        Row positions of each pair's earlier and later turn; their roles differ.
    """
    keep = np.flatnonzero(np.isin(roles, ("therapist", "client")))
    step = 1 + 2 * lag_turns
    if keep.size <= step:
        empty = np.zeros(0, dtype=np.intp)
        return empty, empty
    first, second = keep[:-step], keep[step:]
    differ = roles[first] != roles[second]
    return first[differ], second[differ]


def direction_of(roles: np.ndarray, first: np.ndarray) -> np.ndarray:
    """``therapist_to_client`` where the pair starts with the therapist, else ``client_to_...``."""
    return np.where(roles[first] == "therapist", "therapist_to_client", "client_to_therapist")


#: Smallest rotation of the client's turns, beyond the largest lag, in turns.
MIN_ROTATION_TURNS = 2


def rotated_positions(
    roles: np.ndarray,
    eligible: np.ndarray,
    n_surrogates: int,
    rng: np.random.Generator,
    *,
    min_shift: int = MIN_ROTATION_TURNS,
) -> np.ndarray:
    """Row positions after rotating the eligible client turns along the session.

    The client's ``k`` eligible turns keep their order but move ``s`` places on (circularly),
    with ``s`` drawn uniformly from ``min_shift ... k - min_shift``: client turn ``j`` takes
    the value of client turn ``j - s``. When there are no more different rotations than
    ``n_surrogates``, each is used once instead (so a short session's smallest p-value is
    ``1 / (number of rotations + 1)``, never below what its rotations can show). Unlike a
    shuffle, a rotation keeps the drift and autocorrelation of the client's series, which a
    shuffle destroys; with both people's values drifting over a session, shuffles made the
    test liberal (p <= 0.05 for 12-25% of independent pairs with turn-to-turn autocorrelation
    0.5-0.8; rotations 5-7%).

    Returns
    -------
    numpy.ndarray
        Shape (n_rotations, n_turns), ``n_rotations`` at most ``n_surrogates``: row ``s`` maps
        each position to the turn whose value it takes in surrogate ``s``; therapist and
        ineligible turns map to themselves. With fewer than ``2 * min_shift`` eligible client
        turns there is no rotation: zero rows.

    Examples
    --------
    >>> roles = np.array(["therapist", "client"] * 3)
    >>> rotated_positions(roles, np.ones(6, bool), 10, np.random.default_rng(0), min_shift=1)
    array([[0, 5, 2, 1, 4, 3],
           [0, 3, 2, 5, 4, 1]])
    """
    n = roles.shape[0]
    clients = np.flatnonzero((roles == "client") & eligible)
    k = clients.size
    if k < 2 * min_shift or not n_surrogates:
        return np.zeros((0, n), dtype=np.intp)
    if k - 2 * min_shift + 1 <= n_surrogates:
        shifts = np.arange(min_shift, k - min_shift + 1)
    else:
        shifts = rng.integers(min_shift, k - min_shift, size=n_surrogates, endpoint=True)
    index = np.broadcast_to(np.arange(n), (shifts.size, n)).copy()
    index[:, clients] = clients[(np.arange(k)[None, :] - shifts[:, None]) % k]
    return index


def rotation_text(n_surrogates: int, seed: int | None, *, min_shift: int) -> str:
    """How the chance level was made, for a methods paragraph (:func:`rotated_positions`).

    Examples
    --------
    >>> rotation_text(50, 0, min_shift=2)[:58]
    "50 rotations of the client's turns along the session (circ"
    """
    n = int(n_surrogates)
    return (
        f"{n} rotation{'' if n == 1 else 's'} of the client's turns along the session "
        f"(circular shifts of at least {min_shift} turns, each shift used once where there are "
        "fewer; a shuffle of the turns would destroy their drift and was liberal)"
        + ("" if seed is None else f" (random seed {seed})")
    )


def rowwise_pearson(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Pearson r of each row of ``x`` with the same row of ``y`` (NaN where a row is constant)."""
    xc = x - x.mean(axis=-1, keepdims=True)
    yc = y - y.mean(axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        r = (xc * yc).sum(axis=-1) / np.sqrt((xc * xc).sum(axis=-1) * (yc * yc).sum(axis=-1))
    return np.clip(r, -1.0, 1.0)


def summarize(observed: float, surrogates: np.ndarray) -> SurrogateSummary:
    """:func:`summarize_surrogates`, or an all-NaN comparison when no surrogates were asked for."""
    if surrogates.size == 0:
        nan = float("nan")
        return SurrogateSummary(float(observed), nan, nan, nan, nan, 0)
    return summarize_surrogates(observed, surrogates)


def warn(message: str, stacklevel: int) -> None:
    warnings.warn(message, AttunementWarning, stacklevel=stacklevel + 1)


def standardize_within_speaker(
    values: np.ndarray, speakers: np.ndarray, roles: np.ndarray, *, what: str, stacklevel: int
) -> np.ndarray:
    """z-scores computed separately for each therapist or client speaker (NaN elsewhere)."""
    z = np.full(values.shape, np.nan)
    dyad = np.isin(roles, ("therapist", "client"))
    for speaker in pd.unique(speakers[dyad]):
        rows = np.flatnonzero((speakers == speaker) & dyad & np.isfinite(values))
        v = values[rows]
        sd = float(v.std(ddof=1)) if v.size > 1 else 0.0
        if sd > 0:
            z[rows] = (v - v.mean()) / sd
        else:
            found = (
                f"all {v.size} of their turns with a value have the same value"
                if v.size > 1
                else f"only {v.size} of their turns has a value"
            )
            warn(
                f"{what}: speaker {speaker!r}: {found}; at least two different values are "
                "needed to standardise, so their turns are left out (NaN)",
                stacklevel + 1,
            )
    return z


@dataclass(frozen=True, slots=True)
class TurnAlignment:
    """Correlation of a turn-level value between adjacent therapist and client turns, as
    :func:`align_turn_values` computes it (:class:`TurnAlignmentResult` adds the method).

    Attributes
    ----------
    table : pandas.DataFrame
        One row per direction and lag: ``direction`` (``both``, ``therapist_to_client`` - a
        therapist turn and the client turn after it - or ``client_to_therapist``),
        ``lag_turns`` (0 = adjacent turns; k = the other person's turn k exchanges later),
        ``n_pairs``, ``r`` (Pearson r of the within-speaker z-scores; NaN with fewer than
        ``min_pairs`` pairs), ``surrogate_mean``, ``surrogate_sd``, ``effect_size``,
        ``p_value`` (one-sided, r above chance) and ``n_surrogates``.
    pairs : pandas.DataFrame
        The adjacent pairs (lag 0): ``first_turn`` and ``second_turn`` (row labels of the turn
        table), ``direction``, ``first_value`` and ``second_value`` (as given, not standardised).
    summary : SurrogateSummary
        The headline figure: both directions at lag 0.
    parameters : mapping
        The options used.
    """

    table: pd.DataFrame
    pairs: pd.DataFrame
    summary: SurrogateSummary
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @property
    def r(self) -> float:
        """The headline correlation (both directions, adjacent turns)."""
        return self.summary.observed


@dataclass(frozen=True, slots=True, eq=False)
class TurnAlignmentResult(MeasurementResult):
    """The result of a turn-level alignment measurement (:func:`attunement.language.affect.\
affect_alignment`): a :class:`TurnAlignment` in the shape of every measurement.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per direction and lag (:data:`ALIGNMENT_COLUMNS`): ``direction`` (``both``,
        ``therapist_to_client`` - a therapist turn and the client turn after it - or
        ``client_to_therapist``), ``lag_turns`` (0 = adjacent turns), ``n_pairs``, ``r``
        (Pearson r of the within-speaker z-scores; NaN with too few pairs),
        ``surrogate_mean``, ``surrogate_sd``, ``effect_size``, ``p_value`` (one-sided, r above
        chance) and ``n_surrogates``.
    summary : pandas.DataFrame
        One row, the headline figure (both directions, adjacent turns): ``r``,
        ``surrogate_mean``, ``surrogate_sd``, ``effect_size``, ``p_value``, ``n_surrogates``
        and ``n_pairs``.
    method : Method
        How it was computed, from the parameters that ran.
    pairs : pandas.DataFrame
        The adjacent pairs (lag 0): ``first_turn`` and ``second_turn`` (row labels of the turn
        table), ``direction``, ``first_value`` and ``second_value`` (as given, not
        standardised).
    parameters : mapping
        The options used.
    """

    pairs: pd.DataFrame
    parameters: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_alignment(cls, found: TurnAlignment, method: Method) -> TurnAlignmentResult:
        """``found`` with its headline as the one-row summary and ``method`` bound to it.

        Parameters
        ----------
        found : TurnAlignment
            What :func:`align_turn_values` computed.
        method : Method
            The measurement's method, of the parameters that ran.

        Returns
        -------
        TurnAlignmentResult
        """
        table = found.table
        head = table[(table["direction"] == "both") & (table["lag_turns"] == 0)]
        n_pairs = int(head["n_pairs"].iloc[0]) if len(head) else 0
        s = found.summary
        summary = one_row(
            r=float(s.observed),
            surrogate_mean=float(s.surrogate_mean),
            surrogate_sd=float(s.surrogate_sd),
            effect_size=float(s.effect_size),
            p_value=float(s.p_value),
            n_surrogates=int(s.n_surrogates),
            n_pairs=n_pairs,
        )
        return cls(
            table=table,
            summary=summary,
            method=method,
            pairs=found.pairs,
            parameters=dict(found.parameters),
        )

    @property
    def r(self) -> float:
        """The headline correlation (both directions, adjacent turns)."""
        return float(self["r"])

    @property
    def chance(self) -> SurrogateSummary:
        """The headline correlation beside its rotations."""
        return SurrogateSummary(
            self.r,
            float(self["surrogate_mean"]),
            float(self["surrogate_sd"]),
            float(self["effect_size"]),
            float(self["p_value"]),
            int(self["n_surrogates"]),
        )


def align_turn_values(
    values: np.ndarray,
    turn_table: pd.DataFrame,
    *,
    max_lag_turns: int,
    n_surrogates: int,
    seed: int | None,
    min_pairs: int,
    what: str,
    parameters: Mapping[str, Any],
    stacklevel: int,
) -> TurnAlignment:
    """Correlate a per-turn value across therapist/client turn pairs, against turn shuffles.

    Values are z-scored within each speaker first, so that pooling both directions compares
    each person with their own typical level (voices differ in pitch, people in their usual
    valence). ``stacklevel`` is what :func:`warnings.warn` would be given here to point at the
    user's code (3 when called directly by a public function).
    """
    check_options(
        n_surrogates=n_surrogates, seed=seed, min_pairs=min_pairs, max_lag_turns=max_lag_turns
    )
    roles = turn_table["role"].astype(str).to_numpy()
    speakers = (
        turn_table["speaker"].astype(str).to_numpy() if "speaker" in turn_table else roles.copy()
    )
    values = np.asarray(values, dtype=float)
    present = set(roles) & {"therapist", "client"}
    if present != {"therapist", "client"}:
        found = ", ".join(sorted(set(roles))) or "no turns"
        warn(
            f"{what}: needs turns by both therapist and client; found {found}, so it is NaN",
            stacklevel,
        )
        values = np.full(values.shape, np.nan)
        z = values
    else:
        z = standardize_within_speaker(values, speakers, roles, what=what, stacklevel=stacklevel)
    rng = np.random.default_rng(seed)
    index = rotated_positions(
        roles, np.isfinite(z), n_surrogates, rng, min_shift=max_lag_turns + MIN_ROTATION_TURNS
    )
    rows = []
    short = []
    headline: SurrogateSummary | None = None
    for lag in range(max_lag_turns + 1):
        first, second = turn_pairs(roles, lag_turns=lag)
        finite = np.isfinite(z[first]) & np.isfinite(z[second])
        first, second = first[finite], second[finite]
        direction = direction_of(roles, first)
        for name in DIRECTIONS:
            sel = np.ones(first.size, bool) if name == "both" else direction == name
            a, b = first[sel], second[sel]
            if a.size < min_pairs:
                short.append(f"{name} at lag {lag} ({a.size})")
                observed = float("nan")
                surrogates = np.full(n_surrogates, np.nan)
            else:
                observed = float(rowwise_pearson(z[a], z[b]))
                surrogates = np.concatenate(
                    [
                        rowwise_pearson(z[index[k : k + _CHUNK, a]], z[index[k : k + _CHUNK, b]])
                        for k in range(0, index.shape[0], _CHUNK)
                    ]
                    or [np.zeros(0)]
                )
            summary = summarize(observed, surrogates)
            if lag == 0 and name == "both":
                headline = summary
            rows.append(
                {
                    "direction": name,
                    "lag_turns": lag,
                    "n_pairs": int(a.size),
                    "r": summary.observed,
                    "surrogate_mean": summary.surrogate_mean,
                    "surrogate_sd": summary.surrogate_sd,
                    "effect_size": summary.effect_size,
                    "p_value": summary.p_value,
                    "n_surrogates": summary.n_surrogates,
                }
            )
    if short and present == {"therapist", "client"}:
        warn(
            f"{what}: too few turn pairs with values (at least {min_pairs} needed, min_pairs) "
            f"for {', '.join(short)}; r is NaN there",
            stacklevel,
        )
    first, second = turn_pairs(roles, lag_turns=0)
    finite = np.isfinite(z[first]) & np.isfinite(z[second])
    first, second = first[finite], second[finite]
    pairs = pd.DataFrame(
        {
            "first_turn": turn_table.index.to_numpy()[first],
            "second_turn": turn_table.index.to_numpy()[second],
            "direction": direction_of(roles, first),
            "first_value": values[first],
            "second_value": values[second],
        }
    )
    table = pd.DataFrame(rows, columns=list(ALIGNMENT_COLUMNS))
    return TurnAlignment(table, pairs, headline, dict(parameters))  # type: ignore[arg-type]
