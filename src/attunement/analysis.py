"""``analyze_session``: the one orchestrator from a Session to its results."""

from __future__ import annotations

import datetime as dt
import math
import warnings
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from attunement import __version__, coding
from attunement import metrics as m
from attunement.coding.domain import (
    domain_block,
    domain_check,
    domain_method,
    load_domain_reference,
)
from attunement.coding.quality import load_quality_model, quality_method, quality_path
from attunement.coding.uncertainty import QUALITY_METRIC, code_intervals, code_intervals_method
from attunement.errors import AttunementWarning, InputError
from attunement.language import mentalizing as mental_states
from attunement.language import turns as turn_taking
from attunement.model import Session
from attunement.moments import session as moment_measures
from attunement.resonance import Resonance, ResonanceConfig, motion_masked_pair, resonance

__all__ = ["AnalysisConfig", "SessionResults", "analyze_session"]


@dataclass(frozen=True, slots=True)
class AnalysisConfig:
    """Options of :func:`analyze_session` (later measurements add theirs here).

    Parameters
    ----------
    created : datetime, optional
        Time stamp written to the provenance (default: now, UTC); fix it for reproducible output.
    resonance : ResonanceConfig
        Windows, lags, surrogates and seed of the synchrony measures.
    coder : str, optional
        The utterance coder: 'transformer' (the default; the command line and the web app
        take ``ATTUNEMENT_CODER``), 'ngram' (about 7 times faster, less accurate) or
        a folder written by ``attunement train`` (see :func:`attunement.coding.resolve_coder`).
    interval_resamples : int, default 1000
        Bootstrap resamples of the code-derived metrics' 95% intervals (see
        :func:`attunement.coding.uncertainty.code_intervals`).
    interval_seed : int, default 0
        Seed of those resamples.
    moment_permutations : int, default 1000
        Most circular shifts of the moment labels per comparison of the client's responses
        after empathic moments (:func:`attunement.moments.session.being_seen`); an hour's
        session has fewer therapist turns than this, so every shift is used.
    moment_seed : int, default 0
        Seed of the shifts drawn when there are more.
    """

    created: dt.datetime | None = None
    resonance: ResonanceConfig = field(default_factory=ResonanceConfig)
    coder: str | None = None
    interval_resamples: int = 1000
    interval_seed: int = 0
    moment_permutations: int = 1000
    moment_seed: int = 0


@dataclass(frozen=True, slots=True, eq=False)
class SessionResults:
    """Everything measured on one session.

    Attributes
    ----------
    session : Session
        The analysed session (not modified).
    metrics : dict
        snake_case name -> number or None (undefined); ``eda_leader`` is 'therapist', 'client'
        or 'none'.
    utterances : pandas.DataFrame
        ``index``, ``speaker``, ``role``, ``start_s``, ``end_s``, ``text``, then the utterance
        codes (see :func:`attunement.coding.code_utterances`).
    turns : pandas.DataFrame
        See :func:`attunement.language.turns.turns`.
    resonance : Resonance
        The synchrony measures' objects (aligned signals, windowed correlations, surrogate
        bands), for reports.
    provenance : dict
        ``attunement_version``, ``created`` (ISO 8601 UTC), ``inputs`` and ``methods``.
    mi_quality : dict, optional
        The MI quality estimate and what drove it (see
        :func:`attunement.coding.quality.session_quality`): ``score`` (also the metric
        ``mi_quality_score``), ``log_odds``, ``intercept`` and ``drivers``.
    intervals : pandas.DataFrame, optional
        The 95% bootstrap intervals of the code-derived metrics
        (:func:`attunement.coding.uncertainty.code_intervals`: ``metric``, ``value``,
        ``ci95_low``, ``ci95_high``, ``n_units``, ...).
    domain : dict, optional
        Whether the session lies within the coders' training range
        (:func:`attunement.coding.domain.domain_block`).
    moments : attunement.moments.session.BeingSeen, optional
        The empathic moments, the client's responses and their tests, for the report.
    mentalizing : attunement.language.mentalizing.MentalizingResult, optional
        The client's mental-state language turn by turn, for the report.
    """

    session: Session
    metrics: Mapping[str, float | int | None]
    utterances: pd.DataFrame
    turns: pd.DataFrame
    resonance: Resonance | None = None
    provenance: Mapping[str, Any] = field(default_factory=dict)
    mi_quality: Mapping[str, Any] | None = None
    intervals: pd.DataFrame | None = None
    domain: Mapping[str, Any] | None = None
    moments: moment_measures.BeingSeen | None = None
    mentalizing: mental_states.MentalizingResult | None = None

    def session_summary(self) -> dict[str, Any]:
        """The ``session`` block of results.json."""
        s = self.session
        duration = _duration(s)
        counts = self.utterances.groupby("speaker", sort=False).size()
        words = (
            self.utterances.assign(n=self.utterances["text"].str.split().str.len())
            .groupby("speaker", sort=False)["n"]
            .sum()
        )
        speakers = {
            label: {
                "role": role,
                "n_utterances": int(counts.get(label, 0)),
                "n_words": int(words.get(label, 0)),
            }
            for label, role in s.speakers.items()
        }
        return {
            "id": s.id,
            "duration_s": duration,
            "n_utterances": len(s.utterances),
            "speakers": speakers,
            "signals": [
                {
                    "kind": sig.kind,
                    "role": sig.role,
                    "sampling_rate": sig.sampling_rate,
                    "start_s": sig.start,
                    "end_s": sig.end,
                    "n_samples": len(sig),
                    "simulated": bool(sig.meta.get("simulated", False)),
                }
                for sig in s.signals
            ],
            "simulated_signals": bool(s.meta.get("simulated_signals", False)),
            "transcription": _transcription_summary(s.meta.get("transcription")),
            "roles_guessed": s.meta.get("roles_guessed"),
        }

    def interval_summary(self) -> dict[str, dict[str, Any]]:
        """The ``intervals`` block of results.json: metric -> ``ci95_low``, ``ci95_high``
        (None where undefined) and ``n_units``."""
        if self.intervals is None:
            return {}
        return {
            row["metric"]: {
                "ci95_low": row["ci95_low"],
                "ci95_high": row["ci95_high"],
                "n_units": int(row["n_units"]),
            }
            for row in self.intervals.to_dict("records")
        }

    def to_dict(self) -> dict[str, Any]:
        """The results.json document: ``session``, ``metrics``, ``intervals`` (the 95%
        bootstrap interval of each code-derived metric, see :meth:`interval_summary`),
        ``mi_quality`` (the MI quality estimate's ``score`` and ``drivers``; None when not
        measured), ``domain`` (whether the session lies within the coders' training range;
        None when not checked) and ``provenance`` (JSON-safe)."""
        return _json_safe(
            {
                "session": self.session_summary(),
                "metrics": dict(self.metrics),
                "intervals": self.interval_summary(),
                "mi_quality": None if self.mi_quality is None else dict(self.mi_quality),
                "domain": None if self.domain is None else dict(self.domain),
                "provenance": dict(self.provenance),
            }
        )


def _transcription_summary(found: dict | None) -> dict | None:
    """How a transcribed recording's transcript was made (None for a transcript read)."""
    if not found:
        return None
    keys = ("engine", "model", "language")
    return {
        **{k: found.get("asr", {}).get(k) for k in keys},
        "speaker_source": found.get("speaker_source"),
        "n_speakers": found.get("n_speakers"),
        "speakers_estimated": found.get("speakers_estimated"),
        "n_words": found.get("n_words"),
        "duration_s": found.get("duration_s"),
        "mean_word_probability": found.get("mean_word_probability"),
    }


def _duration(session: Session) -> float | None:
    """Seconds from session second 0 (or an earlier first utterance) to the last utterance time;
    for an untimed transcript, the span during which both people's signals were recorded."""
    times = [t for u in session.utterances for t in (u.start, u.end) if t is not None]
    if times:
        return max(times) - min(0.0, min(times))
    ends = {}
    for sig in session.signals:
        if len(sig):
            lo, hi = ends.get(sig.role, (sig.start, sig.end))
            ends[sig.role] = (min(lo, sig.start), max(hi, sig.end))
    if not ends:
        return None
    lo = max(v[0] for v in ends.values())
    hi = min(v[1] for v in ends.values())
    return max(0.0, hi - lo)


def _json_safe(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    if isinstance(value, (np.integer,)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        v = float(value)
        return v if math.isfinite(v) else None
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _physiology_source(session: Session, found: Resonance, kind: str, config: AnalysisConfig):
    """The series the moments read for ``kind``: the movement-masked pair the synchrony
    measures used; that pair prepared anew where synchrony was not computed (too short); or
    the client's own signal where the therapist has none (None without it)."""
    if kind in found.physiology:
        return found.physiology[kind].pair
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AttunementWarning)
            pair, _ = motion_masked_pair(session, kind, config.resonance)
        if pair is not None:
            return pair
        return moment_measures.client_signal(
            session, kind, motion_threshold_g=config.resonance.motion_threshold_g
        )
    except InputError as exc:
        warnings.warn(
            f"session {session.id}: the client's {kind.upper()} after empathic moments was not "
            f"measured: {exc}",
            AttunementWarning,
            stacklevel=3,
        )
        return None


def _voice_contours(session: Session, audio: Any, turn_table: pd.DataFrame):
    """The client's pitch and intensity contours (None without audio or utterance times)."""
    if audio is None or turn_table.empty or turn_table["end_s"].isna().any():
        return None
    from attunement.prosody import features

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AttunementWarning)
            return features.signals_from_audio(audio, role="client", turns=turn_table)
    except InputError as exc:
        warnings.warn(
            f"session {session.id}: the client's voice after empathic moments was not "
            f"measured: {exc}",
            AttunementWarning,
            stacklevel=3,
        )
        return None


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def analyze_session(session: Session, config: AnalysisConfig | None = None) -> SessionResults:
    """Measure a session.

    Parameters
    ----------
    session : Session
    config : AnalysisConfig, optional

    Returns
    -------
    SessionResults
        ``.to_dict()`` is the results.json document.

    Raises
    ------
    InputError
        When the session has no therapist or no client utterance.

    Examples
    --------
    >>> from attunement.model import Utterance
    >>> s = Session("s1", (Utterance(0, "Therapist", "therapist", 0.0, 2.0, "How are you?"),
    ...                    Utterance(1, "Client", "client", 2.5, 3.0, "Tired.")))
    >>> analyze_session(s).metrics["therapist_talk_share"]
    0.75
    """
    if not isinstance(session, Session):
        raise InputError(f"got {type(session).__name__}; expected a Session", field="session")
    config = config or AnalysisConfig()
    roles = {u.role for u in session.utterances}
    for needed in ("therapist", "client"):
        if needed not in roles:
            raise InputError(
                f"session {session.id!r} has no {needed} utterance; expected both a therapist "
                f"and a client (speakers: {session.speakers or 'none'})"
            )
    frame = session.utterances_frame()
    turn_table = turn_taking.turns(frame)
    metrics: dict[str, Any] = turn_taking.talk_metrics(frame).metrics()
    audio = session.meta.get("audio")
    if audio is not None:
        from attunement.io.audio import Audio, read_audio

        # a path or file in memory is read here; a transcribed recording may come decoded
        audio = audio if isinstance(audio, Audio) else read_audio(audio)
    found = resonance(session, turn_table, config=config.resonance, audio=audio)
    metrics.update(found.metrics)
    coder = coding.resolve_coder(config.coder)
    frame = coding.code_utterances(frame, coder=coder)
    metrics.update(coding.session_codes(frame))
    quality_model = load_quality_model(quality_path(config.coder)).model
    quality = coding.session_quality(frame, model=quality_model)
    metrics[QUALITY_METRIC] = quality["score"]
    intervals = code_intervals(
        frame,
        quality_model=quality_model,
        n_resamples=config.interval_resamples,
        seed=config.interval_seed,
    )
    reference = load_domain_reference(config.coder)
    domain = domain_block(domain_check(frame, reference), reference)
    mental = mental_states.turn_mentalizing(turn_table)
    for column, metric in m.MENTALIZING_BY_COLUMN.items():
        metrics[metric.name] = _finite(mental[column])
    seen = moment_measures.being_seen(
        frame,
        eda=_physiology_source(session, found, "eda", config),
        hr=_physiology_source(session, found, "hr", config),
        voice_contours=_voice_contours(session, audio, turn_table),
        n_permutations=config.moment_permutations,
        seed=config.moment_seed,
    )
    metrics.update(seen.metrics())
    quality_row = intervals.loc[intervals["metric"] == QUALITY_METRIC]
    created = config.created or dt.datetime.now(dt.UTC)
    provenance = {
        "attunement_version": __version__,
        "created": created.isoformat(timespec="seconds"),
        "inputs": list(session.meta.get("inputs", [])),
        "clock_origin": session.meta.get("clock_origin"),
        "names_kept": bool(session.meta.get("names_kept", False)),
        "parameters": {
            "resonance": asdict(config.resonance),
            "coder": coder.meta.get("kind"),
            "intervals": {
                "n_resamples": config.interval_resamples,
                "seed": config.interval_seed,
            },
            "moments": {
                "n_permutations": config.moment_permutations,
                "seed": config.moment_seed,
            },
        },
        "methods": [
            dict(m)
            for m in [
                turn_taking.METHOD,
                *found.methods,
                coding.coding_method(config.coder),
                quality_method(config.coder),
                code_intervals_method(
                    n_resamples=config.interval_resamples,
                    seed=config.interval_seed,
                    quality_resamples=(
                        int(quality_row["n_resamples"].iloc[0]) if len(quality_row) else None
                    ),
                    quality_from=(
                        str(quality_row["recomputed_from"].iloc[0]) if len(quality_row) else None
                    ),
                    quality_centred=bool(
                        len(quality_row) and quality_row["median_centred"].iloc[0]
                    ),
                ),
                domain_method(reference),
                mental.method,
                *seen.methods,
            ]
        ],
    }
    return SessionResults(
        session,
        metrics,
        frame,
        turn_table,
        found,
        provenance,
        quality,
        intervals,
        domain,
        seen,
        mental,
    )
