"""Resonance measures of one session: physiological, vocal and linguistic synchrony.

The orchestration :func:`attunement.analysis.analyze_session` calls; every figure comes with
its chance control. Where the data for a measure are absent its metrics are None; where they
are present but unusable (too short, no overlap) they are None too, with a warning that says
why.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from attunement import metrics as m
from attunement.errors import AttunementWarning, InputError
from attunement.language import affect, function_words, lsm
from attunement.model import Session
from attunement.signals import motion
from attunement.signals._checks import _number
from attunement.signals.align import AlignedPair, prepare_pair
from attunement.synchrony import concordance, headline, leader, surrogates
from attunement.synchrony.wclc import WCLCResult, wclc

__all__ = [
    "PhysiologySynchrony",
    "ResonanceConfig",
    "motion_masked_pair",
    "physiology_synchrony",
    "resonance",
]


@dataclass(frozen=True, slots=True)
class ResonanceConfig:
    """Options of the resonance measures (seconds throughout).

    The windows of the rMEA-style WCLC figures (``eda_wclc_abs_z``, the leader, peak picking)
    follow the psychotherapy literature for wrist EDA and heart rate: 30 s windows stepped by
    10 s with lags up to ±5 s (Ramseyer & Tschacher, 2011; rMEA's defaults). The headline
    figures ``eda_synchrony`` and ``hr_synchrony`` have validated settings of their own
    (:data:`attunement.synchrony.headline.HEADLINES`). 1,000 surrogates.

    Parameters
    ----------
    window_s, lag_s, step_s : float
        Windowed cross-lagged correlation (:func:`attunement.synchrony.wclc.wclc`) of the
        rMEA-style figures.
    n_surrogates : int
        Surrogates of every chance control.
    surrogate_method : str, default "circular_shift"
        The surrogates of the headline EDA and heart-rate tests
        (:func:`attunement.synchrony.headline.headline_test`): circular shifts, the scheme
        found calibrated; ``segment_shuffle`` is liberal for recordings under about 20 minutes
        and is kept for comparison only.
    seed : int
        Seed of the surrogates.
    turn_lags : int
        Largest lag, in turns, of affect alignment.
    motion_threshold_g : float or None, default 0.1
        Motion masking: where a person's accelerometer (signal kind ``acc``) is present, that
        person's skin-conductance and heart-rate samples in windows whose mean ENMO exceeds this
        many g (:func:`attunement.signals.motion.motion_flags`; van Hees et al., 2013) are set
        missing before synchrony and its chance controls are computed. A window of the
        correlation with more than half of a series missing is then undefined; one less affected
        is computed from the samples left. None turns masking off.
    motion_window_s : float, default 1.0
        Length of the movement windows (seconds, a whole number of accelerometer samples).

    Raises
    ------
    InputError
        When ``motion_threshold_g`` is neither None nor a positive number, or
        ``motion_window_s`` is not a positive number (naming the field).
    """

    window_s: float = 30.0
    lag_s: float = 5.0
    step_s: float = 10.0
    n_surrogates: int = 1000
    surrogate_method: str = "circular_shift"
    seed: int = 0
    turn_lags: int = 2
    motion_threshold_g: float | None = 0.1
    motion_window_s: float = 1.0

    def __post_init__(self) -> None:
        if self.motion_threshold_g is not None:
            _number(self.motion_threshold_g, "motion_threshold_g", unit=" of g")
        _number(self.motion_window_s, "motion_window_s", unit=" of seconds")


@dataclass(frozen=True, slots=True, eq=False)
class PhysiologySynchrony:
    """EDA or heart-rate synchrony of one session, kept for the report.

    Attributes
    ----------
    kind : str
        ``eda`` or ``hr``.
    pair : AlignedPair
        Both people's series as measured (movement masked).
    test : attunement.synchrony.surrogates.SurrogateTest
        The headline figure's chance test.
    signed : WCLCResult
        The signed windowed cross-lagged correlation (``config``'s windows), which the leader
        reads.
    leader : attunement.synchrony.leader.LeaderResult
        Who leads (``leader["leader"]``, ``leader["lead_s"]``).
    marci : attunement.synchrony.concordance.MarciResult or None
        Marci et al.'s index (EDA only).
    headline : attunement.synchrony.headline.HeadlineTest or None
        The headline figure and its test.
    classic : WCLCResult or None
        The rMEA-style figure (absolute Fisher z, ``config``'s windows).
    """

    kind: str
    pair: AlignedPair
    test: surrogates.SurrogateTest
    signed: WCLCResult
    leader: leader.LeaderResult
    marci: concordance.MarciResult | None = None
    headline: headline.HeadlineTest | None = None
    classic: WCLCResult | None = None

    @property
    def notes(self) -> tuple[str, ...]:
        """What the chance test noted of the data (undefined windows, few surrogates)."""
        return self.test.notes


def _quiet(func, *args, **kwargs):
    """Run a measure whose own warnings are summarised by the caller."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)
        return func(*args, **kwargs)


def physiology_synchrony(pair: AlignedPair, config: ResonanceConfig) -> PhysiologySynchrony:
    """The headline synchrony with its chance test, the rMEA-style WCLC figure, the signed WCLC,
    leader and (for EDA) SCI.

    The headline (:mod:`attunement.synchrony.headline`) has its own validated windows; the
    WCLC figure, the signed matrix and the leader use ``config``'s windows, lags and steps.

    Raises
    ------
    InputError
        When the aligned recording is too short for one window plus the lag, or for the
        headline test's smallest circular shift.
    """
    opts = dict(
        sampling_rate=pair.sampling_rate,
        window_s=config.window_s,
        lag_s=config.lag_s,
        step_s=config.step_s,
    )
    # What the test would warn of (undefined windows, few surrogates) is kept in its notes,
    # which the report and `attunement sync` show beside the figure.
    found = headline.headline_test(
        pair.therapist,
        pair.client,
        kind=pair.kind,
        sampling_rate=pair.sampling_rate,
        n_surrogates=config.n_surrogates,
        seed=config.seed,
        method=config.surrogate_method,
    )
    classic = _quiet(wclc, pair.therapist, pair.client, **opts, fisher_z=True, absolute=True)
    signed = _quiet(wclc, pair.therapist, pair.client, **opts, fisher_z=True, absolute=False)
    who = _quiet(leader.leader_follower, signed)
    marci = None
    if pair.kind == "eda":
        marci = _quiet(
            concordance.marci_sci, pair.therapist, pair.client, sampling_rate=pair.sampling_rate
        )
    return PhysiologySynchrony(pair.kind, pair, found.test, signed, who, marci, found, classic)


@dataclass(frozen=True, slots=True, eq=False)
class Resonance:
    """Everything :func:`resonance` measured: metrics plus the objects the report draws."""

    metrics: dict[str, Any]
    physiology: dict[str, PhysiologySynchrony] = field(default_factory=dict)
    turn_features: pd.DataFrame | None = None
    methods: list[dict[str, Any]] = field(default_factory=list)


#: The metrics :func:`resonance` gives from the wristbands, in results.json's order: each
#: headline figure with its effect size and p-value, then both chance tests, then the rest.
PHYSIOLOGY_METRICS: tuple[str, ...] = (
    *(
        name
        for figure in (m.EDA_SYNCHRONY, m.HR_SYNCHRONY)
        for name in (figure.name, *(m.companion(figure, p) for p in ("effect_size", "p_value")))
    ),
    m.companion(m.EDA_SYNCHRONY, "chance_test"),
    m.companion(m.HR_SYNCHRONY, "chance_test"),
    *m.names(
        m.EDA_WCLC_ABS_Z,
        m.HR_WCLC_ABS_Z,
        m.MARCI_SCI,
        m.EDA_LEADER,
        m.EDA_LEAD_S,
        m.THERAPIST_MOTION_SHARE,
        m.CLIENT_MOTION_SHARE,
    ),
)
#: The metrics :func:`resonance` gives from turns (audio and transcript), in results.json's order.
TURN_METRICS: tuple[str, ...] = m.names(
    m.VOCAL_F0_SYNCHRONY,
    m.VOCAL_INTENSITY_SYNCHRONY,
    m.LANGUAGE_STYLE_MATCHING,
    m.TURN_LANGUAGE_STYLE_MATCHING,
    m.AFFECT_ALIGNMENT,
)


def _motion_flags(session: Session, config: ResonanceConfig) -> dict[str, pd.DataFrame]:
    """Each person's movement flags, by role, for those with an accelerometer (masking on)."""
    if config.motion_threshold_g is None:
        return {}
    out = {}
    for role in ("therapist", "client"):
        acc = session.signal("acc", role)
        if acc is None:
            continue
        try:
            out[role] = motion.motion_flags(
                acc, threshold_g=config.motion_threshold_g, window_s=config.motion_window_s
            )
        except InputError as exc:
            warnings.warn(
                f"session {session.id}: the {role}'s movement was not masked: {exc}",
                AttunementWarning,
                stacklevel=3,
            )
    return out


def _masked(session: Session, kind: str, flags: dict[str, pd.DataFrame]) -> AlignedPair | None:
    pair = prepare_pair(session, kind)
    if pair is not None and flags:
        pair = motion.mask_motion(pair, **flags)
    return pair


def motion_masked_pair(
    session: Session, kind: str, config: ResonanceConfig
) -> tuple[AlignedPair | None, dict[str, float | None]]:
    """Both people's ``kind`` series on one grid, each person's flagged movement masked, as
    :func:`resonance` prepares them before measuring synchrony.

    Returns
    -------
    (AlignedPair or None, dict)
        The pair (None when either person lacks ``kind``), and role -> the share of that
        person's movement windows flagged and masked, for each person with an accelerometer
        (none with ``config.motion_threshold_g`` None).
    """
    flags = _motion_flags(session, config)
    shares = {role: _finite(motion.motion_share(found)) for role, found in flags.items()}
    return _masked(session, kind, flags), shares


def _physiology_methods(
    config: ResonanceConfig, physiology: dict[str, PhysiologySynchrony], *, masked: bool
) -> list[dict[str, Any]]:
    """The methods-paragraph entries of :func:`physiology_synchrony` run with ``config``, for
    the signal kinds measured, with movement ``masked`` or not; each headline's entry is the
    one its test wrote.

    The measurements' entries are their results' ``.method`` (bound to what ran: the signed
    WCLC, the peak picking and the leader with ``config``'s windows); what
    :func:`~attunement.signals.align.prepare_pair` leaves at its defaults (the alignment's
    gaps) is recorded with those values.
    """
    from attunement.signals import align, eda, heart

    methods = [align.alignment_method()]
    if masked:
        methods.append(
            motion.masking_method(
                threshold_g=config.motion_threshold_g, window_s=config.motion_window_s
            )
        )
    methods += [found.headline.method for found in physiology.values()]
    # The windows, lags and steps are config's for every kind: the first kind's entries say it.
    first = next(iter(physiology.values()))
    methods += [first.signed.method, first.leader.peaks.method, first.leader.method]
    if "eda" in physiology:
        marci = physiology["eda"].marci
        methods += [
            eda.eda_method(component="clean"),
            marci.method if marci is not None else concordance.marci_sci_method(),
        ]
    if "hr" in physiology:
        methods.append(heart.heart_rate_method())
    return methods


def _finite(x: Any) -> float | None:
    if x is None:
        return None
    x = float(x)
    return x if np.isfinite(x) else None


def resonance(
    session: Session,
    turns: pd.DataFrame,
    *,
    config: ResonanceConfig,
    audio: Any | None = None,
) -> Resonance:
    """Measure physiological, vocal and linguistic synchrony.

    Parameters
    ----------
    session : Session
    turns : pandas.DataFrame
        :func:`attunement.language.turns.turns` of the session.
    config : ResonanceConfig
    audio : attunement.io.audio.Audio, optional
        The session's audio, on the session clock, for vocal synchrony.

    Returns
    -------
    Resonance
        ``metrics`` holds every name in ``PHYSIOLOGY_METRICS`` and ``TURN_METRICS``; None where
        undefined. ``therapist_motion_share`` and ``client_motion_share`` are the share of that
        person's movement windows flagged and masked (see ``ResonanceConfig.motion_threshold_g``);
        None without an accelerometer or with masking off.
    """
    from attunement.prosody import features, vocal

    metrics: dict[str, Any] = dict.fromkeys(PHYSIOLOGY_METRICS + TURN_METRICS)
    methods: list[dict[str, Any]] = []
    physiology: dict[str, PhysiologySynchrony] = {}
    flags = _motion_flags(session, config)
    for role, found in flags.items():
        metrics[m.MOTION_SHARE_BY_ROLE[role].name] = _finite(motion.motion_share(found))
    for kind in ("eda", "hr"):
        try:
            pair = _masked(session, kind, flags)
            if pair is None:
                continue
            result = physiology_synchrony(pair, config)
        except InputError as exc:
            warnings.warn(
                f"session {session.id}: {kind.upper()} synchrony not computed: {exc}",
                AttunementWarning,
                stacklevel=2,
            )
            continue
        physiology[kind] = result
        found = result.headline
        figure, classic = m.PHYSIOLOGY_BY_KIND[kind]
        metrics[figure.name] = _finite(found.value)
        metrics[m.companion(figure, "effect_size")] = found.effect_size
        metrics[m.companion(figure, "p_value")] = found.p_value
        metrics[m.companion(figure, "chance_test")] = found.chance_test
        metrics[classic.name] = _finite(result.classic.grand_average)
        if kind == "eda":
            metrics[m.EDA_LEADER.name] = result.leader.leader
            metrics[m.EDA_LEAD_S.name] = _finite(result.leader.lead_s)
            metrics[m.MARCI_SCI.name] = _finite(result.marci.sci) if result.marci else None
    if physiology:
        methods += _physiology_methods(config, physiology, masked=bool(flags))

    turn_features = None
    timed = not turns.empty and turns["start_s"].notna().all() and turns["end_s"].notna().all()
    if audio is not None and not timed:
        warnings.warn(
            f"session {session.id}: vocal synchrony needs utterance start and end times; the "
            "transcript has none",
            AttunementWarning,
            stacklevel=2,
        )
    elif audio is not None:
        turn_features = features.turn_prosody(audio, turns)
        for feature, metric in m.VOCAL_BY_FEATURE.items():
            got = vocal.vocal_synchrony(
                turn_features, feature=feature, n_surrogates=config.n_surrogates, seed=config.seed
            )
            metrics[metric.name] = _finite(got.summary.observed)
            metrics[m.companion(metric, "effect_size")] = _finite(got.summary.effect_size)
            metrics[m.companion(metric, "p_value")] = _finite(got.summary.p_value)
        methods += [
            features.turn_prosody_method(),
            vocal.vocal_synchrony_method(
                features=list(m.VOCAL_BY_FEATURE),
                n_surrogates=config.n_surrogates,
                seed=config.seed,
            ),
        ]

    if (turns["role"] == "therapist").any() and (turns["role"] == "client").any():
        metrics[m.LANGUAGE_STYLE_MATCHING.name] = _finite(lsm.session_lsm(turns).lsm)
        test = lsm.turn_lsm_test(turns, n_surrogates=config.n_surrogates, seed=config.seed)
        turn_lsm = m.TURN_LANGUAGE_STYLE_MATCHING
        metrics[turn_lsm.name] = _finite(test["observed"])
        metrics[m.companion(turn_lsm, "effect_size")] = _finite(test["effect_size"])
        metrics[m.companion(turn_lsm, "p_value")] = _finite(test["p_value"])
        # The lagged and one-directional rows are for the report; only the headline figure
        # (both directions, adjacent turns) earns a warning when it is undefined.
        aligned = _quiet(
            affect.affect_alignment,
            turns,
            max_lag_turns=config.turn_lags,
            n_surrogates=config.n_surrogates,
            seed=config.seed,
        )
        if _finite(aligned.r) is None:
            warnings.warn(
                f"session {session.id}: affect alignment is undefined (adjacent turn pairs with "
                f"a valence: {aligned['n_pairs']}; at least 5 needed, "
                "and each speaker's valence must vary)",
                AttunementWarning,
                stacklevel=2,
            )
        metrics[m.AFFECT_ALIGNMENT.name] = _finite(aligned.r)
        metrics[m.companion(m.AFFECT_ALIGNMENT, "effect_size")] = _finite(aligned["effect_size"])
        metrics[m.companion(m.AFFECT_ALIGNMENT, "p_value")] = _finite(aligned["p_value"])
        methods += [function_words.METHOD, test.method, aligned.method]
    return Resonance(metrics, physiology, turn_features, methods)
