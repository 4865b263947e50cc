"""One session's physiological synchrony as a table of figures, each beside its chance test.

:func:`session_table` measures the synchrony of the therapist's and the client's EDA or heart
rate in a :class:`~attunement.model.Session` that has already been read, exactly as
:func:`attunement.resonance.resonance` does inside an analysis (movement masked first, the
headline figure against surrogates, the rMEA-style WCLC figure, the leader and, for EDA,
Marci et al.'s concordance index), and lays the figures out as rows of text, one per figure,
for a terminal or a page. It reads no file: the readers of :mod:`attunement.io` do.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from attunement.errors import InputError
from attunement.model import Session
from attunement.resonance import (
    PhysiologySynchrony,
    ResonanceConfig,
    motion_masked_pair,
    physiology_synchrony,
)
from attunement.signals.align import AlignedPair

__all__ = ["TABLE_COLUMNS", "SessionTable", "session_table"]

#: The columns of :attr:`SessionTable.table`.
TABLE_COLUMNS = ("name", "value")

#: The signal kinds whose synchrony :func:`session_table` measures.
KINDS = ("eda", "hr")


@dataclass(frozen=True, slots=True, eq=False)
class SessionTable:
    """Result of :func:`session_table`.

    Attributes
    ----------
    kind : str
        The signal kind measured (``'eda'`` or ``'hr'``).
    table : pandas.DataFrame
        One row per figure, in the order shown: ``name`` (what the row shows, e.g.
        ``synchrony (headline)``, ``p-value``, ``leader``; a name may repeat, as ``note``
        does) and ``value`` (the figure written out with its unit or its context).
    band : pandas.DataFrame
        The headline figure per window with its chance band, on the session clock:
        ``start_s``, ``end_s`` (session seconds), ``observed``, ``surrogate_low``,
        ``surrogate_median``, ``surrogate_high``.
    synchrony : attunement.resonance.PhysiologySynchrony
        Everything measured, as numbers.
    pair : attunement.signals.align.AlignedPair
        Both people's series on one grid, movement masked, as measured.
    motion : dict
        Role -> the share of that person's movement windows flagged and masked, for each person
        with an accelerometer (None when none of their windows could be judged); empty when
        masking is off.
    config : attunement.resonance.ResonanceConfig
        The options that ran.
    """

    kind: str
    table: pd.DataFrame
    band: pd.DataFrame
    synchrony: PhysiologySynchrony
    pair: AlignedPair
    motion: dict[str, float | None]
    config: ResonanceConfig


def _movement(motion: dict[str, float | None], config: ResonanceConfig) -> str:
    """The row that says whose movement was masked, and how much of it."""
    if config.motion_threshold_g is None:
        return "no (masking turned off)"
    said = []
    for role in ("therapist", "client"):
        if role not in motion:
            said.append(f"{role} (no accelerometer)")
        elif motion[role] is None:
            said.append(f"{role} (no movement windows)")
        else:
            said.append(f"{role} {100 * motion[role]:.1f}% of {config.motion_window_s:g}-s windows")
    return ", ".join(said)


def _rows(
    found: PhysiologySynchrony, pair: AlignedPair, motion: dict[str, Any], config: ResonanceConfig
) -> list[tuple[str, str]]:
    head = found.headline
    rows = [
        ("aligned", f"{pair.duration:.0f} s at {pair.sampling_rate:g} Hz"),
        ("synchrony (headline)", f"{head.value:.3f}: {head.spec.label}"),
        ("chance test", head.chance_test),
    ]
    if head.reason is None:
        rows += [
            (
                "chance (surrogates)",
                f"{head.test['surrogate_mean']:.3f} ± {head.test['surrogate_sd']:.3f}",
            ),
            ("effect size (z)", f"{head.effect_size:.2f}"),
            ("p-value", f"{head.p_value:.4f}"),
        ]
    leader = found.leader["leader"]
    rows += [
        (
            "rMEA WCLC (mean |z|)",
            f"{found.classic.grand_average:.3f} ({found.classic['n_windows']} windows of "
            f"{config.window_s:g} s, step {config.step_s:g} s, lags ±{config.lag_s:g} s; "
            "not tested)",
        ),
        (
            "leader",
            str(leader) + ("" if leader == "none" else f" by {found.leader['lead_s']:.2f} s"),
        ),
    ]
    if found.marci is not None:
        rows.append(("SCI (Marci et al. 2007)", f"{found.marci.sci:.3f}"))
    rows.append(("movement masked", _movement(motion, config)))
    rows += [("note", note) for note in found.notes]
    return rows


def session_table(
    session: Session, *, kind: str = "eda", config: ResonanceConfig | None = None
) -> SessionTable:
    """The synchrony of the therapist's and the client's ``kind`` in ``session``, as a table.

    Each person's samples in their own windows of strong movement are masked first (where they
    wear an accelerometer, ``config.motion_threshold_g``), both series are placed on one grid
    by their start times (:func:`attunement.resonance.motion_masked_pair`), and then
    :func:`attunement.resonance.physiology_synchrony` measures: the headline figure (validated
    settings of its own) against surrogates (``config.n_surrogates`` of
    ``config.surrogate_method``, ``config.seed``); the rMEA-style windowed cross-lagged
    correlation with ``config``'s windows, lags and steps (shown, not tested); who leads; and
    for EDA the skin-conductance concordance index.

    Parameters
    ----------
    session : Session
        Holds both people's ``kind`` signals (and, for masking, their ``acc``), already read;
        its utterances are not used.
    kind : {'eda', 'hr'}, default 'eda'
    config : ResonanceConfig, optional
        Windows, surrogates, seed and motion masking (default: ``ResonanceConfig()``, as in an
        analysis).

    Returns
    -------
    SessionTable
        ``table`` (columns ``name``, ``value``), ``band`` (per window on the session clock:
        ``start_s``, ``end_s``, ``observed``, ``surrogate_low``, ``surrogate_median``,
        ``surrogate_high``) and the measured objects. The rows of ``table``, in order:
        ``aligned`` (seconds and rate of the common grid), ``synchrony (headline)``,
        ``chance test`` (which test, or why it is not testable), then only when testable
        ``chance (surrogates)`` (mean ± SD), ``effect size (z)`` and ``p-value``; then
        ``rMEA WCLC (mean |z|)``, ``leader``, ``SCI (Marci et al. 2007)`` (EDA only),
        ``movement masked`` and one ``note`` per remark of the chance test.

    Raises
    ------
    InputError
        When ``kind`` is not one of ``eda``, ``hr``; when the therapist or the client has no
        ``kind`` signal (field ``kind``); and as :func:`attunement.resonance.physiology_synchrony`
        (a recording too short for one window plus the lag, or for the headline test).

    See Also
    --------
    attunement.resonance.resonance : the same figures inside a whole analysis.

    References
    ----------
    Kleinbub, J. R., & Ramseyer, F. T. (2021). rMEA: An R package to assess nonverbal
    synchronization in motion energy analysis time-series. Psychotherapy Research, 31(6),
    817-830.

    Marci, C. D., Ham, J., Moran, E., & Orr, S. P. (2007). Physiologic correlates of perceived
    therapist empathy and social-emotional process during psychotherapy. Journal of Nervous and
    Mental Disease, 195(2), 103-111.

    Examples
    --------
    >>> import numpy as np
    >>> from attunement.model import Signal
    >>> rng = np.random.default_rng(0)
    >>> drive = np.convolve(rng.standard_normal(2500), np.ones(12) / 12, mode="same")
    >>> eda = [
    ...     Signal("eda", "therapist", 4.0, 2 + drive[8:2408], start=0.0),
    ...     Signal("eda", "client", 4.0, 3 + drive[:2400], start=0.0),
    ... ]
    >>> found = session_table(
    ...     Session("s", signals=tuple(eda)), kind="eda", config=ResonanceConfig(n_surrogates=99)
    ... )
    >>> found.table["name"].tolist()[:6]
    ['aligned', 'synchrony (headline)', 'chance test', 'chance (surrogates)', \
'effect size (z)', 'p-value']
    >>> found.table.set_index("name").loc["p-value", "value"]
    '0.0100'
    >>> found.table.set_index("name").loc["leader", "value"]
    'therapist by 2.00 s'
    >>> found.band.columns.tolist()
    ['start_s', 'end_s', 'observed', 'surrogate_low', 'surrogate_median', 'surrogate_high']
    """
    if kind not in KINDS:
        raise InputError(f"is {kind!r}; expected one of {', '.join(KINDS)}", field="kind")
    config = config if config is not None else ResonanceConfig()
    pair, motion = motion_masked_pair(session, kind, config)
    if pair is None:
        raise InputError(
            f"found no {kind.upper()} for both people; expected the therapist's and the "
            f"client's {kind.upper()}",
            field="kind",
        )
    found = physiology_synchrony(pair, config)
    band = found.test.band
    band = band.assign(start_s=band["start_s"] + pair.start, end_s=band["end_s"] + pair.start)
    table = pd.DataFrame(_rows(found, pair, motion, config), columns=list(TABLE_COLUMNS))
    return SessionTable(kind, table, band, found, pair, motion, config)
