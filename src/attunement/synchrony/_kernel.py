"""The computation kernel of windowed cross-lagged correlation (WCLC) and its surrogate tests.

:mod:`attunement.synchrony.wclc` (one pair, one therapist against many clients) and
:mod:`attunement.synchrony.surrogates` (surrogate and pseudo-dyad tests) run the same
arithmetic on the same window geometry, so it lives here, below both, instead of one of them
reaching into the other's internals:

* the window plan (:class:`_Plan`, from :func:`_plan`) and the validation of series and
  durations (:func:`_series`, :func:`_stack`, :func:`_samples`);
* the single-pair kernels (:func:`_pair_matrix`: running sums over mean-centred blocks, with
  two-pass recomputation where they could lose precision, and complete-pair correlations for
  windows with missing samples) and the batched kernel of one therapist series against many
  client series (:class:`_BatchKernel`, run under :func:`_one_blas_thread`);
* rMEA's Fisher z and absolute value (:func:`_transform`), the NaN-ignoring summaries
  (:func:`_finite_mean`, :func:`_row_max`) and the warning text on undefined cells
  (:func:`_undefined_message`).

The result of one pair (:class:`~attunement.synchrony.wclc.WCLCResult`) is assembled in
:mod:`attunement.synchrony.wclc`.

The semantics (rMEA::MEAccf) are described in :mod:`attunement.synchrony.wclc`.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from attunement.errors import InputError

#: rMEA bounds Fisher's z to +-10 (``atanh(+-1)`` is infinite).
Z_BOUND = 10.0
#: A correlation needs at least this many complete pairs.
MIN_PAIRS = 3
#: Tolerance, in samples, for a duration to count as a whole number of samples.
_WHOLE = 1e-9
#: Size of the working arrays of the kernel (bytes), to keep them in cache.
_CACHE_BYTES = 1 << 20
#: Largest ratio of raw to centred sum of squares for which window sums are trusted.
_Q_LIMIT = 100.0
#: Size of one block of client series in the batched kernel (bytes).
_BATCH_BYTES = 8 << 20


@dataclass(frozen=True, slots=True)
class _Plan:
    """Window geometry in samples (validated)."""

    sampling_rate: float
    window_s: float
    lag_s: float
    step_s: float
    n: int
    win: int
    lag: int
    inc: int

    @property
    def span(self) -> int:
        return self.win + self.lag

    @property
    def n_windows(self) -> int:
        return -(-(self.n - self.win - self.lag + 1) // self.inc)

    @property
    def starts(self) -> np.ndarray:
        return np.arange(self.n_windows) * self.inc

    @property
    def block_index(self) -> np.ndarray:
        """(n_windows, span) indices of the samples each window reads."""
        return self.starts[:, None] + np.arange(self.span)

    @property
    def lags(self) -> np.ndarray:
        return np.arange(-self.lag, self.lag + 1)

    @property
    def lags_s(self) -> np.ndarray:
        return self.lags / self.sampling_rate

    @property
    def x_offset(self) -> np.ndarray:
        """Offset (within a window's block) of the therapist's segment at each lag."""
        return np.maximum(-self.lags, 0)

    @property
    def y_offset(self) -> np.ndarray:
        """Offset (within a window's block) of the client's segment at each lag."""
        return np.maximum(self.lags, 0)


@dataclass(frozen=True, slots=True)
class _Undefined:
    """Why cells are NaN: counts of cells."""

    missing: int = 0  # in windows with more than half of a series missing
    flat: int = 0  # a series is constant within the window
    sparse: int = 0  # fewer than MIN_PAIRS complete pairs

    def __add__(self, other: _Undefined) -> _Undefined:
        return _Undefined(
            self.missing + other.missing, self.flat + other.flat, self.sparse + other.sparse
        )

    @property
    def total(self) -> int:
        return self.missing + self.flat + self.sparse


# -- validation --------------------------------------------------------------------------------


def _series(values: object, name: str) -> np.ndarray:
    """``values`` as a 1-D float64 array of finite numbers or NaN."""
    try:
        if isinstance(values, pd.Series | pd.Index):
            arr = values.to_numpy(dtype=float, na_value=np.nan)
        else:
            raw = np.asarray(values)
            if raw.dtype.kind in "cmMSUb":
                raise TypeError(f"values of type {raw.dtype}")
            arr = raw.astype(float)
    except (TypeError, ValueError) as exc:
        raise InputError(
            f"expected a series of numbers, got {type(values).__name__} ({exc})", field=name
        ) from None
    if arr.ndim != 1:
        raise InputError(f"expected a 1-D series, got an array of shape {arr.shape}", field=name)
    if np.isinf(arr).any():
        where = int(np.flatnonzero(np.isinf(arr))[0])
        raise InputError(
            f"infinite value at sample {where}; expected finite numbers or NaN for missing",
            field=name,
        )
    return arr


def _stack(values: object, n: int, name: str) -> np.ndarray:
    """``values`` as a (rows, n) float64 array of finite numbers or NaN."""
    try:
        raw = np.asarray(values)
        if raw.dtype.kind in "cmMSUb":
            raise TypeError(f"values of type {raw.dtype}")
        arr = raw.astype(float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"expected an array of numbers ({exc})", field=name) from None
    if arr.ndim != 2 or arr.shape[1] != n:
        raise InputError(f"expected an array of shape (rows, {n}), got {arr.shape}", field=name)
    if np.isinf(arr).any():
        raise InputError("infinite value; expected finite numbers or NaN for missing", field=name)
    return arr


def _samples(value: float, sampling_rate: float, name: str, *, minimum: int) -> int:
    """Seconds -> whole samples, or InputError naming ``name``."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise InputError(f"expected seconds as a number, got {value!r}", field=name) from None
    if not math.isfinite(v):
        raise InputError(f"expected a finite number of seconds, got {value!r}", field=name)
    exact = v * sampling_rate
    k = round(exact)
    if abs(exact - k) > _WHOLE:
        raise InputError(
            f"{v:g} s is {exact:.6g} samples at {sampling_rate:g} Hz; expected a whole number "
            "of samples",
            field=name,
        )
    if k < minimum:
        raise InputError(
            f"{v:g} s is {k} samples at {sampling_rate:g} Hz; expected at least {minimum}",
            field=name,
        )
    return int(k)


def _plan(n: int, *, sampling_rate: float, window_s: float, lag_s: float, step_s: float) -> _Plan:
    try:
        fs = float(sampling_rate)
    except (TypeError, ValueError):
        raise InputError(
            f"expected a sampling rate in Hz, got {sampling_rate!r}", field="sampling_rate"
        ) from None
    if not (math.isfinite(fs) and fs > 0):
        raise InputError(
            f"expected a positive sampling rate in Hz, got {sampling_rate!r}",
            field="sampling_rate",
        )
    win = _samples(window_s, fs, "window_s", minimum=MIN_PAIRS)
    lag = _samples(lag_s, fs, "lag_s", minimum=0)
    inc = _samples(step_s, fs, "step_s", minimum=1)
    if lag >= win:
        raise InputError(
            f"the lag ({lag} samples) must be shorter than the window ({win} samples)",
            field="lag_s",
        )
    if n < win + lag:
        raise InputError(
            f"the series have {n} samples ({n / fs:g} s at {fs:g} Hz); expected at least one "
            f"window plus the lag: {win + lag} samples ({(win + lag) / fs:g} s)",
            field="window_s",
        )
    return _Plan(fs, float(window_s), float(lag_s), float(step_s), int(n), win, lag, inc)


# -- kernels -----------------------------------------------------------------------------------


def _flat_after(change_counts: np.ndarray, starts: np.ndarray, win: int) -> np.ndarray:
    """Whether ``[start, start + win)`` is constant, from cumulated value changes.

    ``change_counts[..., t]`` is the number of ``t' < t`` with ``v[t' + 1] != v[t']``.
    """
    c = np.take(change_counts, starts + win - 1, axis=-1) - np.take(change_counts, starts, axis=-1)
    return c == 0


def _change_counts(v: np.ndarray) -> np.ndarray:
    """Cumulated count of value changes along the last axis (0 at position 0)."""
    out = np.zeros(v.shape, dtype=np.int32)
    np.cumsum(v[..., 1:] != v[..., :-1], axis=-1, out=out[..., 1:])
    return out


def _masked_cells(bx: np.ndarray, by: np.ndarray, plan: _Plan) -> tuple[np.ndarray, _Undefined]:
    """Correlations on complete pairs for windows that hold missing samples.

    ``bx``, ``by``: (rows, span) blocks; returns (rows, n_lags) and the undefined counts.
    """
    X = sliding_window_view(bx, plan.win, axis=-1)[:, plan.x_offset]
    Y = sliding_window_view(by, plan.win, axis=-1)[:, plan.y_offset]
    ok = ~(np.isnan(X) | np.isnan(Y))
    n = ok.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx = np.where(ok, X, 0.0).sum(axis=-1) / n
        my = np.where(ok, Y, 0.0).sum(axis=-1) / n
        cx = np.where(ok, X - mx[..., None], 0.0)
        cy = np.where(ok, Y - my[..., None], 0.0)
        r = np.einsum("rkt,rkt->rk", cx, cy) / (
            np.sqrt(np.einsum("rkt,rkt->rk", cx, cx)) * np.sqrt(np.einsum("rkt,rkt->rk", cy, cy))
        )
    flat = (np.where(ok, X, np.inf).min(axis=-1) == np.where(ok, X, -np.inf).max(axis=-1)) | (
        np.where(ok, Y, np.inf).min(axis=-1) == np.where(ok, Y, -np.inf).max(axis=-1)
    )
    sparse = n < MIN_PAIRS
    flat = (flat | ~np.isfinite(r)) & ~sparse
    r[sparse | flat] = np.nan
    return r, _Undefined(flat=int(flat.sum()), sparse=int(sparse.sum()))


def _missing_rows(bx: np.ndarray, by: np.ndarray, span: int) -> tuple[np.ndarray, np.ndarray]:
    """(too much missing, some missing) per window from (…, span) blocks."""
    nx = np.isnan(bx).sum(axis=-1)
    ny = np.isnan(by).sum(axis=-1)
    return (np.maximum(nx, ny) > span / 2), (nx + ny > 0)


def _pair_matrix(x: np.ndarray, y: np.ndarray, plan: _Plan) -> tuple[np.ndarray, _Undefined]:
    """Raw correlations, (n_windows, n_lags), with NaN where undefined."""
    idx = plan.block_index
    bx, by = x[idx], y[idx]
    n_lags = 2 * plan.lag + 1
    r = np.full((plan.n_windows, n_lags), np.nan)
    too_missing, some_missing = _missing_rows(bx, by, plan.span)
    undefined = _Undefined(missing=int(too_missing.sum()) * n_lags)

    clean = ~some_missing
    if clean.any():
        r[clean], flat = _clean_cells(bx[clean], by[clean], plan)
        undefined += _Undefined(flat=flat)
    dirty = some_missing & ~too_missing
    if dirty.any():
        r[dirty], more = _masked_cells(bx[dirty], by[dirty], plan)
        undefined += more
    return r, undefined


def _clean_cells(bx: np.ndarray, by: np.ndarray, plan: _Plan) -> tuple[np.ndarray, int]:
    """Correlations for complete windows; returns (rows, n_lags) and the flat count.

    Each block is centred on its own mean; the window sums then give the centred sums of
    squares and products without materialising every centred window. Where that would lose
    precision (a window's raw sum of squares over ``_Q_LIMIT`` times its centred one) the
    window is recomputed by :func:`_exact_cells`, so results stay within about 1e-12 of the
    two-pass arithmetic.
    """
    win, lag = plan.win, plan.lag
    xo, yo = plan.x_offset, plan.y_offset
    offsets = np.arange(lag + 1)
    # Flatness from the raw values: centring can merge values that differ in the last bits.
    flat_x = _flat_after(_change_counts(bx), offsets, win)
    flat_y = _flat_after(_change_counts(by), offsets, win)
    raw_x, raw_y = bx, by
    bx = bx - bx.mean(axis=-1, keepdims=True)
    by = by - by.mean(axis=-1, keepdims=True)
    vx = sliding_window_view(bx, win, axis=-1)  # (rows, lag + 1, win), no copy
    vy = sliding_window_view(by, win, axis=-1)
    sx, sy = vx.sum(axis=-1), vy.sum(axis=-1)
    qx = np.einsum("rkt,rkt->rk", vx, vx)
    qy = np.einsum("rkt,rkt->rk", vy, vy)
    sxx = qx - sx * sx / win
    syy = qy - sy * sy / win
    r = np.empty((bx.shape[0], 2 * lag + 1))
    # K >= 0: therapist at the window start, client K samples later.
    r[:, lag:] = np.einsum("rt,rkt->rk", bx[:, :win], vy) - sx[:, :1] * sy / win
    # K < 0: client at the window start, therapist |K| samples later (columns -1 ... -lag).
    if lag:
        r[:, lag - 1 :: -1] = (
            np.einsum("rkt,rt->rk", vx[:, 1:], by[:, :win]) - sx[:, 1:] * sy[:, :1] / win
        )
    with np.errstate(invalid="ignore", divide="ignore"):
        r /= np.sqrt(sxx)[:, xo] * np.sqrt(syy)[:, yo]
    unsure = (~flat_x & ~(qx <= _Q_LIMIT * sxx)).any(axis=-1)
    unsure |= (~flat_y & ~(qy <= _Q_LIMIT * syy)).any(axis=-1)
    if unsure.any():
        r[unsure] = _exact_cells(raw_x[unsure], raw_y[unsure], plan)
    # Flat windows, and variances that underflow (values near the smallest floats).
    flat = flat_x[:, xo] | flat_y[:, yo] | ~np.isfinite(r)
    r[flat] = np.nan
    return r, int(flat.sum())


def _exact_cells(bx: np.ndarray, by: np.ndarray, plan: _Plan) -> np.ndarray:
    """Two-pass correlations (each window centred on its own mean) for complete windows.

    Windows are processed a few at a time so that the centred copies stay in cache.
    """
    win, lag = plan.win, plan.lag
    xo, yo = plan.x_offset, plan.y_offset
    r = np.empty((bx.shape[0], 2 * lag + 1))
    rows = max(1, _CACHE_BYTES // ((lag + 1) * win * 8))
    for s in range(0, bx.shape[0], rows):
        vx = sliding_window_view(bx[s : s + rows], win, axis=-1)
        vy = sliding_window_view(by[s : s + rows], win, axis=-1)
        cx = vx - vx.mean(axis=-1, keepdims=True)
        cy = vy - vy.mean(axis=-1, keepdims=True)
        sxx = np.einsum("rkt,rkt->rk", cx, cx)
        syy = np.einsum("rkt,rkt->rk", cy, cy)
        sxy = r[s : s + rows]
        sxy[:, lag:] = np.einsum("rt,rkt->rk", cx[:, 0], cy)
        if lag:
            sxy[:, lag - 1 :: -1] = np.einsum("rkt,rt->rk", cx[:, 1:], cy[:, 0])
        with np.errstate(invalid="ignore", divide="ignore"):
            sxy /= np.sqrt(sxx)[:, xo] * np.sqrt(syy)[:, yo]
    return r


class _BatchKernel:
    """Correlations of one therapist series with many client series of the same length.

    The therapist's centred windows are laid out once as a (n_windows, span, n_lags) matrix,
    so the cross-products for a stack of client series are one batched matrix product. Each
    client block is centred on its own mean and its window sums come from a second matrix
    product; windows where that could lose precision, or that hold missing samples, are
    recomputed by the single-pair kernels.
    """

    def __init__(self, x: np.ndarray, plan: _Plan) -> None:
        self.plan = plan
        win, lag, span = plan.win, plan.lag, plan.span
        bx = x[plan.block_index]
        self.bx = bx
        nx = np.isnan(bx).sum(axis=-1)
        self.x_missing = nx > span / 2
        self.x_nan = nx > 0
        filled = np.where(np.isnan(bx), 0.0, bx)
        vx = sliding_window_view(filled, win, axis=-1)
        cx = vx - vx.mean(axis=-1, keepdims=True)  # (W, lag + 1, win)
        # Second pass (as R's mean does): the client blocks are centred on the block, not the
        # window, so the therapist's windows must sum to zero to the last bit.
        cx -= cx.mean(axis=-1, keepdims=True)
        n_lags = 2 * lag + 1
        A = np.zeros((plan.n_windows, span, n_lags))
        for k in range(lag + 1):
            A[:, k : k + win, lag + k] = cx[:, 0]
        for k in range(1, lag + 1):
            A[:, :win, lag - k] = cx[:, k]
        self.A = A
        xo = plan.x_offset
        with np.errstate(divide="ignore"):  # flat windows: flat_x marks them
            self.inv_sx = (1.0 / np.sqrt(np.einsum("wkt,wkt->wk", cx, cx)))[:, xo]
        self.flat_x = _flat_after(_change_counts(bx), np.arange(lag + 1), win)[:, xo]
        # Window sums over a block (and counts of value changes within a window).
        self.ones = np.zeros((span, lag + 1))
        self.change_ones = np.zeros((span - 1, lag + 1))
        for k in range(lag + 1):
            self.ones[k : k + win, k] = 1.0
            self.change_ones[k : k + win - 1, k] = 1.0
        self.y_offsets = plan.starts[:, None] + np.arange(lag + 1)
        #: Client series per call that keep the working arrays near ``_BATCH_BYTES``.
        self.chunk_rows = max(1, _BATCH_BYTES // (plan.n_windows * span * 8))

    def __call__(self, Y: np.ndarray) -> np.ndarray:
        """Raw correlations (n_series, n_windows, n_lags) for client series ``Y`` (n_series, n)."""
        plan = self.plan
        blocks = sliding_window_view(Y, plan.span, axis=-1)[:, :: plan.inc][:, : plan.n_windows]
        flat_y = _flat_after(_change_counts(Y), self.y_offsets, plan.win)
        return self.blocks(blocks, flat_y=flat_y, has_nan=bool(np.isnan(Y).any()))

    def flat_windows(self, B: np.ndarray) -> np.ndarray:
        """Whether each window of client blocks ``B`` (..., span) is constant: (..., lag + 1)."""
        span = self.plan.span
        changes = (B[..., 1:] != B[..., :-1]).reshape(-1, span - 1).astype(float)
        return (changes @ self.change_ones).reshape((*B.shape[:-1], self.plan.lag + 1)) == 0

    def blocks(
        self, B: np.ndarray, *, flat_y: np.ndarray | None = None, has_nan: bool | None = None
    ) -> np.ndarray:
        """Raw correlations (n_series, n_windows, n_lags) for client blocks ``B``.

        ``B[s, w]`` holds the ``span`` client samples paired with the therapist's window ``w``
        (for a plain series, the samples of window ``w`` itself).
        """
        plan = self.plan
        win, lag, span, n_windows = plan.win, plan.lag, plan.span, plan.n_windows
        n_series = B.shape[0]
        if has_nan is None:
            has_nan = bool(np.isnan(B).any())
        if flat_y is None:
            flat_y = self.flat_windows(B)
        filled = np.where(np.isnan(B), 0.0, B) if has_nan else B
        D = filled - filled.mean(axis=-1, keepdims=True)  # each block centred on its mean
        # (W, S, span) @ (W, span, n_lags) -> (W, S, n_lags)
        sxy = np.matmul(D.transpose(1, 0, 2), self.A).transpose(1, 0, 2)
        flat2d = D.reshape(-1, span)
        s1 = (flat2d @ self.ones).reshape(n_series, n_windows, lag + 1)
        np.multiply(D, D, out=D)
        q = (flat2d @ self.ones).reshape(n_series, n_windows, lag + 1)
        syy = q - s1 * s1 / win
        yo = plan.y_offset
        with np.errstate(invalid="ignore", divide="ignore"):
            r = sxy * self.inv_sx
            r *= (1.0 / np.sqrt(syy))[..., yo]
        r[~np.isfinite(r)] = np.nan
        np.clip(r, -1.0, 1.0, out=r)
        r[self.flat_x | flat_y[..., yo]] = np.nan
        # Windows to redo with the single-pair kernels: precision or missing samples.
        redo = (~flat_y & ~(q <= _Q_LIMIT * syy)).any(axis=-1)
        if has_nan or self.x_nan.any():
            ny = np.isnan(B).sum(axis=-1) if has_nan else np.zeros((n_series, n_windows), int)
            missing = self.x_missing | (ny > span / 2)
            dirty = (self.x_nan | (ny > 0)) & ~missing
            r[missing] = np.nan
            redo &= ~(missing | dirty)
            s_idx, w_idx = np.nonzero(dirty)
            if s_idx.size:
                r[s_idx, w_idx], _ = _masked_cells(self.bx[w_idx], B[s_idx, w_idx], plan)
        s_idx, w_idx = np.nonzero(redo)
        if s_idx.size:
            r[s_idx, w_idx], _ = _clean_cells(self.bx[w_idx], B[s_idx, w_idx], plan)
        return r


@contextlib.contextmanager
def _one_blas_thread() -> Iterator[None]:
    """Run the batched kernel's matrix products on one BLAS thread.

    Its products are many small ones, for which BLAS threads cost more than they give (several
    times more on a machine whose cores are busy).
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover - threadpoolctl comes with scikit-learn
        yield
        return
    with threadpool_limits(limits=1, user_api="blas"):
        yield


def _transform(r: np.ndarray, *, fisher_z: bool, absolute: bool) -> np.ndarray:
    """rMEA's r2Z (atanh clipped to +-10) then ABS."""
    out = np.clip(r, -1.0, 1.0)
    if fisher_z:
        with np.errstate(divide="ignore"):
            out = np.clip(np.arctanh(out), -Z_BOUND, Z_BOUND)
    if absolute:
        out = np.abs(out)
    return out


# -- summaries ---------------------------------------------------------------------------------


def _finite_mean(a: np.ndarray, axis: int | tuple[int, ...] | None = None) -> np.ndarray:
    """Mean of the finite values along ``axis``; NaN where there are none (no warning)."""
    ok = np.isfinite(a)
    n = ok.sum(axis=axis)
    s = np.where(ok, a, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return s / n


def _row_max(a: np.ndarray) -> np.ndarray:
    """Maximum along the last axis ignoring NaN; NaN where all are NaN (no warning)."""
    return np.fmax.reduce(a, axis=-1)


def _undefined_message(u: _Undefined, n_cells: int) -> str:
    reasons = []
    if u.missing:
        reasons.append(f"{u.missing} in windows where more than half of a series is missing")
    if u.flat:
        reasons.append(f"{u.flat} where a series is flat (zero variance) within the window")
    if u.sparse:
        reasons.append(f"{u.sparse} with fewer than {MIN_PAIRS} complete pairs")
    return (
        f"{u.total} of {n_cells} windowed cross-lagged correlations are undefined (NaN): "
        + "; ".join(reasons)
        + "; they are left out of the averages"
    )
