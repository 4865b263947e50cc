"""How surrogates are drawn: shuffled segments and circular shifts of a series, and the
shuffled window pairings of :func:`attunement.synchrony.surrogates.surrogate_test`.

:func:`segment_shuffle` and :func:`circular_shift` make surrogate series for any measure (both
are also available from :mod:`attunement.synchrony.surrogates`); the private helpers below
them draw the same surrogates as index arrays, which the surrogate test applies to many client
series at once without copying them.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from attunement.errors import InputError
from attunement.synchrony._kernel import _Plan, _samples, _series

__all__ = ["circular_shift", "segment_shuffle"]

#: Fewer different surrogates than this (and than asked for) earn a warning.
_FEW_DISTINCT = 100

#: Rounds of drawing segment orders before a recording counts as too short to shuffle.
_MAX_ROUNDS = 20


def segment_shuffle(
    x: np.ndarray,
    *,
    sampling_rate: float,
    segment_s: float,
    rng: np.random.Generator,
    size: int | None = None,
) -> np.ndarray:
    """Cut ``x`` into segments of ``segment_s`` seconds and put them in a random order.

    The last segment is shorter when the length is not a multiple of the segment; it is
    shuffled with the others, so the surrogate has the length of ``x``.

    Parameters
    ----------
    x : array_like of float, 1-D
        The series (NaN allowed: missing samples move with their segment).
    sampling_rate : float
        Samples per second (Hz).
    segment_s : float
        Segment length in seconds (a whole number of samples).
    rng : numpy.random.Generator
        Source of randomness, e.g. ``np.random.default_rng(0)``.
    size : int, optional
        Number of surrogates; by default one, returned as a 1-D array.

    Returns
    -------
    numpy.ndarray
        The surrogate (shape of ``x``), or ``(size, len(x))`` surrogates.

    Raises
    ------
    InputError
        If ``x`` is not a 1-D series, ``segment_s`` is not a positive whole number of samples,
        or the series holds fewer than two segments.

    Examples
    --------
    >>> segment_shuffle(np.arange(6.0), sampling_rate=1, segment_s=2,
    ...                 rng=np.random.default_rng(3)).tolist()
    [4.0, 5.0, 2.0, 3.0, 0.0, 1.0]
    """
    arr = _series(x, "x")
    fs = _rate(sampling_rate)
    seg = _samples(segment_s, fs, "segment_s", minimum=1)
    orders = _segment_orders(arr.size, seg, _generator(rng), 1 if size is None else size)
    index = _segment_index(arr.size, seg, orders)
    out = arr[index]
    return out if size is not None else out[0]


def circular_shift(
    x: np.ndarray,
    *,
    sampling_rate: float,
    min_shift_s: float,
    rng: np.random.Generator,
    size: int | None = None,
) -> np.ndarray:
    """Rotate ``x`` by a random offset at least ``min_shift_s`` away from no shift.

    The offset (in samples) is uniform on ``m ... n - m``, with ``m`` the minimum shift in
    samples and ``n`` the length, so that the surrogate is at least ``min_shift_s`` away from
    the original alignment in either direction; sample ``t`` of the result is ``x[t - k]``.

    Parameters
    ----------
    x : array_like of float, 1-D
        The series.
    sampling_rate : float
        Samples per second (Hz).
    min_shift_s : float
        Smallest shift in seconds (a positive whole number of samples, at most half the
        series).
    rng : numpy.random.Generator
        Source of randomness.
    size : int, optional
        Number of surrogates; by default one, returned as a 1-D array.

    Returns
    -------
    numpy.ndarray
        The surrogate (shape of ``x``), or ``(size, len(x))`` surrogates.

    Raises
    ------
    InputError
        If ``x`` is not a 1-D series or ``min_shift_s`` is not a positive whole number of
        samples of at most half the series.

    Examples
    --------
    >>> y = circular_shift(np.arange(10.0), sampling_rate=1, min_shift_s=3,
    ...                    rng=np.random.default_rng(0))
    >>> y.tolist()
    [3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 0.0, 1.0, 2.0]
    """
    arr = _series(x, "x")
    fs = _rate(sampling_rate)
    m = _samples(min_shift_s, fs, "min_shift_s", minimum=1)
    index = _shift_index(
        arr.size, _shifts(arr.size, m, _generator(rng), 1 if size is None else size)
    )
    out = arr[index]
    return out if size is not None else out[0]


def _rate(sampling_rate: float) -> float:
    try:
        fs = float(sampling_rate)
    except (TypeError, ValueError):
        fs = math.nan
    if not (math.isfinite(fs) and fs > 0):
        raise InputError(
            f"expected a positive sampling rate in Hz, got {sampling_rate!r}",
            field="sampling_rate",
        )
    return fs


def _generator(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise InputError(
            f"expected a numpy.random.Generator, e.g. numpy.random.default_rng(0), got "
            f"{type(rng).__name__}",
            field="rng",
        )
    return rng


def _count(n: object, name: str) -> int:
    if isinstance(n, bool) or not isinstance(n, int | np.integer) or n < 1:
        raise InputError(f"expected a positive whole number, got {n!r}", field=name)
    return int(n)


def _segment_orders(n: int, seg: int, rng: np.random.Generator, size: int) -> np.ndarray:
    n_seg = -(-n // seg)
    if n_seg < 2:
        raise InputError(
            f"a segment of {seg} samples leaves fewer than two segments in {n} samples; "
            "expected a shorter segment",
            field="segment_s",
        )
    return rng.permuted(np.broadcast_to(np.arange(n_seg), (_count(size, "size"), n_seg)), axis=1)


def _segment_index(n: int, seg: int, orders: np.ndarray) -> np.ndarray:
    """(size, n) source indices that lay out the segments in ``orders``."""
    starts = np.arange(orders.shape[1]) * seg
    lengths = np.minimum(seg, n - starts)
    src, length = starts[orders], lengths[orders]
    dest = np.cumsum(length, axis=1) - length
    offset = np.repeat((src - dest).ravel(), length.ravel()).reshape(orders.shape[0], n)
    return offset + np.arange(n)


def _shifts(n: int, m: int, rng: np.random.Generator, size: int) -> np.ndarray:
    if 2 * m > n:
        raise InputError(
            f"a shift of at least {m} samples from either end of {n} samples is impossible; "
            f"expected at most {n // 2} samples",
            field="min_shift_s",
        )
    return rng.integers(m, n - m, size=_count(size, "size"), endpoint=True)


def _shift_index(n: int, shifts: np.ndarray) -> np.ndarray:
    return (np.arange(n) - shifts[:, None]) % n


# -- window pairings of the segment shuffle ------------------------------------------------


def _window_partners(
    plan: _Plan, per_segment: int, rng: np.random.Generator, size: int
) -> np.ndarray:
    """(size, n_windows) client windows paired with each therapist window.

    The windows are cut into segments of ``per_segment`` consecutive windows whose order is
    shuffled; a draw is kept only if no window is paired with a client block that overlaps its
    own (so the true alignment never enters a surrogate).
    """
    n_windows = plan.n_windows
    n_seg = -(-n_windows // per_segment)
    apart = -(-plan.span // plan.inc)  # windows apart for two blocks not to overlap
    starts = np.arange(n_seg) * per_segment
    lengths = np.minimum(per_segment, n_windows - starts)
    kept: list[np.ndarray] = []
    n_kept = 0
    for _ in range(_MAX_ROUNDS):
        orders = rng.permuted(np.broadcast_to(np.arange(n_seg), (4 * size, n_seg)), axis=1)
        length = lengths[orders]
        moved = starts[orders] - (np.cumsum(length, axis=1) - length)
        ok = (np.abs(moved) >= apart).all(axis=1)
        kept.append(orders[ok])
        n_kept += int(ok.sum())
        if n_kept >= size:
            return _segment_index(n_windows, per_segment, np.concatenate(kept)[:size])
    raise InputError(
        f"the recording is too short to shuffle segments: {n_windows} windows in segments of "
        f"{per_segment} leave almost no order in which every window meets a client block that "
        "does not overlap its own; expected a longer recording, or method='circular_shift'",
        field="method",
    )


def _possible_orders(plan: _Plan, per_segment: int) -> int | None:
    """How many segment orders :func:`_window_partners` can draw; None when too many to count."""
    n_windows = plan.n_windows
    n_seg = -(-n_windows // per_segment)
    if math.factorial(n_seg) > 50 * _FEW_DISTINCT:
        return None
    apart = -(-plan.span // plan.inc)
    starts = np.arange(n_seg) * per_segment
    lengths = np.minimum(per_segment, n_windows - starts)
    orders = np.array(list(itertools.permutations(range(n_seg))), dtype=int)
    length = lengths[orders]
    moved = starts[orders] - (np.cumsum(length, axis=1) - length)
    return int((np.abs(moved) >= apart).all(axis=1).sum())


def _windows_per_segment(plan: _Plan, segment_s: float | None) -> int:
    """Windows per shuffled segment: whole steps, at least one window plus the lag."""
    apart = -(-plan.span // plan.inc)
    if segment_s is None:
        return apart
    seg = _samples(segment_s, plan.sampling_rate, "segment_s", minimum=1)
    if seg % plan.inc or seg < plan.span:
        raise InputError(
            f"{segment_s:g} s is not a whole number of steps of {plan.step_s:g} s at least as "
            f"long as one window plus the lag ({plan.span / plan.sampling_rate:g} s); expected "
            f"e.g. {apart * plan.step_s:g} s",
            field="segment_s",
        )
    return seg // plan.inc
