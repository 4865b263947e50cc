"""How likely a session is high-quality motivational interviewing, and which behaviours say so.

AnnoMI labels each of its 133 transcripts as high- or low-quality MI (110 / 23; demonstration
videos made to show good and poor practice). :class:`MIQualityModel` is a standardised,
L2-regularised logistic regression on a few interpretable session features of the coded
utterances (:func:`attunement.coding.code_utterances`); :func:`session_quality` gives a session's
estimated probability of high-quality MI and each feature's contribution to it.

Session features (:data:`FEATURES`; from the most probable code of each utterance; "therapist
utterances" are those with a behaviour code):

- ``reflection_question_log_ratio``: ln((reflections + 1) / (questions + 1)), clipped to +-3
  (the MITI reflection-to-question ratio, defined even without questions);
- ``reflection_share``: reflections / therapist utterances;
- ``therapist_input_share``: therapist input (information, advice, options, negotiation) /
  therapist utterances;
- ``complex_reflection_share``: complex / all reflections (missing without reflections);
- ``open_question_share``: open / all questions (missing without questions);
- ``change_talk_share``: change / (change + sustain) client utterances (missing without either);
- ``therapist_words_per_utterance_log``: ln(mean words per therapist utterance).

A missing feature is replaced by the training sessions' mean of that feature, so it adds nothing
to the log-odds (its standardised value is 0); the explanation marks it as not measured.

The training features come from *predicted* codes, as at run time: the transcripts are split into
grouped folds (by video, stratified by quality), the four utterance coders are trained on the
other folds' videos, with the regularisation of the shipped coders, and code the held-out
transcripts (:func:`cross_fitted_codes`). The session model is evaluated by cross-validation on
the same folds (:func:`cross_validate_quality`), with a fixed ``C`` (never chosen on test folds),
beside the majority-class baseline, and stored as JSON (:func:`save_quality_model`).

References
----------
Wu, Z., Balloccu, S., Kumar, V., Helaoui, R., Reforgiato Recupero, D., & Riboni, D. (2023).
Creation, analysis and evaluation of AnnoMI, a dataset of expert-annotated counselling dialogues.
Future Internet, 15(3), 110.

Moyers, T. B., Rowell, L. N., Manuel, J. K., Ernst, D., & Houck, J. M. (2016). The Motivational
Interviewing Treatment Integrity Code (MITI 4): rationale, preliminary reliability and validity.
Journal of Substance Abuse Treatment, 65, 36-42.
"""

from __future__ import annotations

import functools
import json
import logging
import math
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import StratifiedGroupKFold

from attunement.coding.apply import check_frame, code_utterances, one_row_per_unit
from attunement.coding.artifact import ARTIFACT_NAME, Coders, coder_dir, default_model_dir
from attunement.coding.corpus import annomi_tasks, annomi_transcripts
from attunement.coding.estimator import TextCoder
from attunement.coding.quality_words import KIND as WORDS_KIND
from attunement.coding.quality_words import WordQualityModel
from attunement.errors import AttunementWarning, InputError

__all__ = [
    "FEATURES",
    "FEATURE_NAMES",
    "QUALITY_ARTIFACT",
    "QUALITY_METHOD",
    "MIQualityModel",
    "QualityArtifact",
    "cross_fitted_codes",
    "cross_validate_quality",
    "cross_validate_words",
    "explain",
    "load_quality_model",
    "quality_from_codes",
    "quality_method",
    "quality_path",
    "read_quality_model",
    "save_quality_model",
    "session_features",
    "session_quality",
    "session_table",
    "train_quality",
    "train_word_quality",
]

logger = logging.getLogger(__name__)

QUALITY_ARTIFACT = "mi_quality"
FORMAT_VERSION = 1
#: The session model's regularisation, fixed in advance (not chosen on any data).
DEFAULT_C = 1.0
_CLIP = 3.0

#: Feature name -> (plain-language label, what it is).
FEATURES: dict[str, tuple[str, str]] = {
    "reflection_question_log_ratio": (
        "Reflections per question",
        "ln((reflections + 1) / (questions + 1)), clipped to +-3",
    ),
    "reflection_share": ("Reflections", "share of therapist utterances that are reflections"),
    "therapist_input_share": (
        "Information and advice",
        "share of therapist utterances that give information, advice or options",
    ),
    "complex_reflection_share": (
        "Complex reflections",
        "share of reflections that are complex; missing without reflections",
    ),
    "open_question_share": (
        "Open questions",
        "share of questions that are open; missing without questions",
    ),
    "change_talk_share": (
        "Client change talk",
        "change / (change + sustain) client utterances; missing without either",
    ),
    "therapist_words_per_utterance_log": (
        "Therapist words per utterance",
        "ln(mean words per therapist utterance)",
    ),
}
FEATURE_NAMES: tuple[str, ...] = tuple(FEATURES)
_CITATION = (
    "Wu et al., Creation, Analysis and Evaluation of AnnoMI, a Dataset of Expert-Annotated "
    "Counselling Dialogues, Future Internet 15(3):110, 2023"
)


# --- session features ---------------------------------------------------------------------


def session_features(coded: pd.DataFrame) -> dict[str, float]:
    """The session features of :data:`FEATURES` from a coded utterance table.

    Parameters
    ----------
    coded : pandas.DataFrame
        :func:`attunement.coding.code_utterances`' table (at least ``text``, ``mi_behaviour``,
        ``reflection_type``, ``question_type`` and ``client_talk``); where it has a ``unit``
        column, each unit counts once, with all its rows' words.

    Returns
    -------
    dict
        Feature name -> float; NaN where a feature is undefined (every therapist feature when
        no therapist utterance was coded).

    Raises
    ------
    InputError
        When a column is missing.

    Examples
    --------
    >>> coded = pd.DataFrame({"text": ["You feel stuck.", "What now?", "Yes I will."],
    ...                       "mi_behaviour": ["reflection", "question", None],
    ...                       "reflection_type": ["complex", None, None],
    ...                       "question_type": [None, "open", None],
    ...                       "client_talk": [None, None, "change"]})
    >>> f = session_features(coded)
    >>> f["reflection_question_log_ratio"], f["reflection_share"], f["change_talk_share"]
    (0.0, 0.5, 1.0)

    Caption cues of one turn (one ``unit``) are one utterance of all their words:

    >>> cues = coded.assign(unit=[0, 1, 2])
    >>> cues = pd.concat([cues.iloc[:1].assign(text="You feel"), cues], ignore_index=True)
    >>> cues.loc[1, "text"] = "stuck."
    >>> round(math.exp(session_features(cues)["therapist_words_per_utterance_log"]), 1)
    2.5
    """
    needed = ("text", "mi_behaviour", "reflection_type", "question_type", "client_talk")
    check_frame(coded, needed, "coded")

    coded = one_row_per_unit(coded, join_text=True)

    def count(column: str, value: str) -> int:
        return int((coded[column] == value).fillna(False).sum())

    def share(num: int, den: int) -> float:
        return num / den if den else math.nan

    therapist = coded["mi_behaviour"].notna().to_numpy()
    n = int(therapist.sum())
    reflections, questions = count("mi_behaviour", "reflection"), count("mi_behaviour", "question")
    change, sustain = count("client_talk", "change"), count("client_talk", "sustain")
    words = coded.loc[therapist, "text"].fillna("").astype(str).str.split().str.len()
    ratio = math.log((reflections + 1) / (questions + 1))
    return {
        "reflection_question_log_ratio": min(_CLIP, max(-_CLIP, ratio)) if n else math.nan,
        "reflection_share": share(reflections, n),
        "therapist_input_share": share(count("mi_behaviour", "therapist_input"), n),
        "complex_reflection_share": share(count("reflection_type", "complex"), reflections),
        "open_question_share": share(count("question_type", "open"), questions),
        "change_talk_share": share(change, change + sustain),
        "therapist_words_per_utterance_log": (
            math.log(max(1.0, float(words.mean()))) if n else math.nan
        ),
    }


# --- the estimator ------------------------------------------------------------------------


def _matrix(x: Any, names: Sequence[str] | None, field_name: str = "X") -> tuple[np.ndarray, list]:
    """A float matrix (non-finite values as NaN) and its column names."""
    if isinstance(x, Mapping):
        x = pd.DataFrame([x])
    if isinstance(x, pd.DataFrame):
        if names is None:
            names = [str(c) for c in x.columns]
        missing = [n for n in names if n not in x.columns]
        if missing:
            raise InputError(
                f"has no column {', '.join(missing)}; expected {', '.join(names)}",
                field=field_name,
            )
        x = x[list(names)]
    try:
        values = np.asarray(x, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InputError(f"is not numeric ({exc}); expected numbers", field=field_name) from None
    if values.ndim != 2:
        raise InputError(
            f"has {values.ndim} dimension(s); expected a 2-D table, one row per session",
            field=field_name,
        )
    if names is None:
        names = [f"x{i}" for i in range(values.shape[1])]
    if values.shape[1] != len(names):
        raise InputError(
            f"has {values.shape[1]} columns; expected {len(names)} ({', '.join(names)})",
            field=field_name,
        )
    values = np.where(np.isfinite(values), values, np.nan)
    return values, list(names)


def _binary(y: Any, n: int) -> np.ndarray:
    values = np.asarray(list(y), dtype=object)
    if values.shape != (n,):
        raise InputError(f"has {values.size} labels; expected {n}, one per session", field="y")
    words = {"high": 1, "low": 0, 1: 1, 0: 0}  # True == 1 and False == 0 as keys
    try:
        out = np.array([words[v.strip().lower() if isinstance(v, str) else v] for v in values])
    except (KeyError, TypeError):
        raise InputError(
            "has a label other than high/low or 1/0; expected 1 (high-quality MI) or 0",
            field="y",
        ) from None
    if len(set(out.tolist())) < 2:
        raise InputError(
            "has only one class; expected both high- (1) and low-quality (0) sessions", field="y"
        )
    return out.astype(int)


class MIQualityModel(ClassifierMixin, BaseEstimator):
    """Standardised, L2-regularised logistic regression from session features to the
    probability of high-quality MI, with per-feature contributions to the log-odds.

    Missing values (NaN, or non-finite) are replaced by the training mean of their feature
    (``means_``), so they contribute nothing; a feature that is constant or entirely missing in
    training gets a scale of 1 (and so a zero coefficient).

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the logistic regression.
    max_iter : int
        Iterations of the solver.

    Attributes
    ----------
    feature_names_in_ : numpy.ndarray
        The feature names (the columns of the training table).
    n_features_in_ : int
    means_, scales_ : numpy.ndarray
        Training means (NaN ignored) and standard deviations; a feature is standardised as
        ``(value - mean) / scale``.
    coef_ : numpy.ndarray
        One coefficient per standardised feature (log-odds per standard deviation).
    intercept_ : float
    classes_ : numpy.ndarray
        ``[0, 1]``: 1 is high-quality MI, the second column of :meth:`predict_proba`.

    Examples
    --------
    >>> x = pd.DataFrame({"reflection_share": [0.1, 0.2, 0.4, 0.5, 0.15, 0.45]})
    >>> model = MIQualityModel().fit(x, ["low", "low", "high", "high", "low", "high"])
    >>> model.predict_proba(pd.DataFrame({"reflection_share": [0.1, 0.5]}))[:, 1].round(2)
    array([0.16, 0.84])
    """

    def __init__(self, C: float = DEFAULT_C, *, max_iter: int = 1000) -> None:
        self.C = C
        self.max_iter = max_iter

    def fit(self, X: Any, y: Sequence[Any]) -> MIQualityModel:
        """Learn means, scales and coefficients.

        Parameters
        ----------
        X : pandas.DataFrame or array-like
            One row per session, one column per feature (NaN where missing).
        y : sequence
            1 / True / 'high' for high-quality MI, 0 / False / 'low' otherwise; both present.

        Returns
        -------
        MIQualityModel
            self.

        Raises
        ------
        InputError
            When X is not a numeric table, the lengths differ, or y has one class or a label
            other than high/low.
        """
        values, names = _matrix(X, None)
        labels = _binary(y, values.shape[0])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN columns
            means = np.nanmean(values, axis=0)
        means = np.where(np.isfinite(means), means, 0.0)
        filled = np.where(np.isnan(values), means, values)
        scales = filled.std(axis=0)
        scales = np.where(np.isfinite(scales) & (scales > 1e-12), scales, 1.0)
        clf = LogisticRegression(C=self.C, max_iter=self.max_iter)
        clf.fit((filled - means) / scales, labels)
        self.feature_names_in_ = np.asarray(names, dtype=object)
        self.n_features_in_ = len(names)
        self.means_, self.scales_ = means, scales
        self.coef_ = clf.coef_[0].astype(float)
        self.intercept_ = float(clf.intercept_[0])
        self.classes_ = np.array([0, 1])
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(
                "This MIQualityModel is not fitted yet; call fit(X, y) or load the shipped "
                "model with attunement.coding.quality.load_quality_model() first."
            )

    def standardize(self, X: Any) -> np.ndarray:
        """Standardised features, missing values at 0 (the training mean).

        Returns
        -------
        numpy.ndarray
            Shape (n_sessions, n_features).
        """
        self._check_fitted()
        values, _ = _matrix(X, list(self.feature_names_in_))
        return np.where(np.isnan(values), 0.0, (values - self.means_) / self.scales_)

    def contributions(self, X: Any) -> np.ndarray:
        """Each feature's contribution to the log-odds: coefficient x standardised value.

        A row sums to :meth:`decision_function` minus ``intercept_``.

        Returns
        -------
        numpy.ndarray
            Shape (n_sessions, n_features), columns in the order of ``feature_names_in_``.
        """
        return self.standardize(X) * self.coef_

    def decision_function(self, X: Any) -> np.ndarray:
        """The log-odds of high-quality MI, one per session."""
        return self.contributions(X).sum(axis=1) + self.intercept_

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probabilities of low (column 0) and high (column 1) quality MI.

        Returns
        -------
        numpy.ndarray
            Shape (n_sessions, 2); rows sum to 1.
        """
        high = 1.0 / (1.0 + np.exp(-self.decision_function(X)))
        return np.column_stack([1.0 - high, high])

    def predict(self, X: Any) -> np.ndarray:
        """1 where the probability of high-quality MI is at least 0.5, else 0."""
        return (self.predict_proba(X)[:, 1] >= 0.5).astype(int)

    # --- storage without pickle ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The fitted model as JSON-safe values: ``params``, ``features``, ``means``,
        ``scales``, ``coef`` and ``intercept``."""
        self._check_fitted()
        return {
            "params": self.get_params(),
            "features": [str(n) for n in self.feature_names_in_],
            "means": [float(v) for v in self.means_],
            "scales": [float(v) for v in self.scales_],
            "coef": [float(v) for v in self.coef_],
            "intercept": float(self.intercept_),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MIQualityModel:
        """Rebuild a fitted model from :meth:`to_dict`'s output.

        Raises
        ------
        InputError
            When a value is missing, not numeric, or the lengths disagree.
        """
        try:
            model = cls(**dict(data.get("params", {})))
            names = [str(n) for n in data["features"]]
            arrays = [np.asarray(data[k], dtype=float) for k in ("means", "scales", "coef")]
            intercept = float(data["intercept"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                f"is not a valid MI-quality model ({exc!r}); expected MIQualityModel.to_dict()"
            ) from None
        if any(a.shape != (len(names),) for a in arrays):
            raise InputError(
                f"has {[a.size for a in arrays]} means, scales and coefficients; expected "
                f"{len(names)} of each, one per feature"
            )
        if not all(np.isfinite(a).all() for a in arrays) or not math.isfinite(intercept):
            raise InputError("has a non-finite number; expected finite means and coefficients")
        model.feature_names_in_ = np.asarray(names, dtype=object)
        model.n_features_in_ = len(names)
        model.means_, model.scales_, model.coef_ = arrays
        model.intercept_ = intercept
        model.classes_ = np.array([0, 1])
        return model


# --- explanation and the session score ----------------------------------------------------


def _shown(name: str, value: float) -> str:
    if math.isnan(value):
        return "not measured"
    if name == "reflection_question_log_ratio":
        return f"{math.exp(value):.2f} : 1 (smoothed)"
    if name == "therapist_words_per_utterance_log":
        return f"{math.exp(value):.1f} words"
    return f"{100 * value:.0f}%"


def explain(model: MIQualityModel, features: Mapping[str, float]) -> list[dict[str, Any]]:
    """Each feature's contribution to one session's log-odds of high-quality MI.

    Parameters
    ----------
    model : MIQualityModel
        Fitted.
    features : mapping
        Feature name -> value (NaN or None where missing), e.g. :func:`session_features`.

    Returns
    -------
    list of dict
        One per feature, largest absolute contribution first, each with ``feature``,
        ``label`` (plain language), ``value`` (None where missing), ``shown`` (the value in
        words), ``standardized`` (0 where missing), ``contribution`` (coefficient x
        standardised value, in log-odds; they sum to the log-odds minus the intercept) and
        ``direction``: 'raised' or 'lowered' (the estimate), or 'none' (zero contribution,
        e.g. a missing feature).

    Examples
    --------
    >>> x = pd.DataFrame({"reflection_share": [0.1, 0.2, 0.4, 0.5]})
    >>> model = MIQualityModel().fit(x, [0, 0, 1, 1])
    >>> [(d["label"], d["direction"]) for d in explain(model, {"reflection_share": 0.45})]
    [('Reflections', 'raised')]
    """
    names = [str(n) for n in model.feature_names_in_]
    row = {n: _float(features.get(n)) for n in names}
    z = model.standardize(pd.DataFrame([row], columns=names))[0]
    contributions = z * model.coef_
    out = []
    for name, value, zi, ci in zip(names, row.values(), z, contributions, strict=True):
        out.append(
            {
                "feature": name,
                "label": FEATURES.get(name, (name.replace("_", " "), ""))[0],
                "value": None if math.isnan(value) else value,
                "shown": _shown(name, value),
                "standardized": float(zi),
                "contribution": float(ci),
                "direction": "raised" if ci > 0 else "lowered" if ci < 0 else "none",
            }
        )
    return sorted(out, key=lambda d: (-abs(d["contribution"]), d["feature"]))


def _float(value: Any) -> float:
    try:
        v = float(value)
    except (TypeError, ValueError):
        return math.nan
    return v if math.isfinite(v) else math.nan


def therapist_words(coded: pd.DataFrame) -> str:
    """The words of a coded session's therapist utterances (rows with a behaviour code)."""
    check_frame(coded, ("mi_behaviour", "text"), "coded")
    rows = coded["mi_behaviour"].notna()
    return " ".join(str(t) for t in coded.loc[rows, "text"] if not pd.isna(t))


def _words_quality(coded: pd.DataFrame, model: WordQualityModel) -> dict[str, Any]:
    text = therapist_words(coded)
    n = int(coded["mi_behaviour"].notna().sum())
    if not n or not text.strip():
        return {
            "score": None,
            "log_odds": None,
            "intercept": float(model.intercept_),
            "drivers": [],
            "n_therapist_utterances": n,
        }
    log_odds = float(model.decision_function([text])[0])
    return {
        "score": float(1.0 / (1.0 + math.exp(-log_odds))),
        "log_odds": log_odds,
        "intercept": float(model.intercept_),
        "drivers": model.explain(text),
        "n_therapist_utterances": n,
    }


def session_quality(
    coded: pd.DataFrame, *, model: MIQualityModel | WordQualityModel | None = None
) -> dict[str, Any]:
    """A session's estimated probability of high-quality MI, and what drove it.

    Parameters
    ----------
    coded : pandas.DataFrame
        :func:`attunement.coding.code_utterances`' table.
    model : MIQualityModel or WordQualityModel, optional
        Default: the shipped model (:func:`load_quality_model`), trained on AnnoMI: a
        :class:`~attunement.coding.quality_words.WordQualityModel`, which reads the words of
        the therapist's coded utterances (``text`` where ``mi_behaviour`` is set).

    Returns
    -------
    dict
        ``score`` (0 to 1, the probability of high-quality MI), ``log_odds``, ``intercept``,
        ``drivers`` (:func:`explain`, or for a word model
        :meth:`~attunement.coding.quality_words.WordQualityModel.explain`: the phrases) and
        ``n_therapist_utterances`` (coded ones, what the estimate rests on); ``score`` and
        ``log_odds`` are None and ``drivers`` empty when no therapist utterance was coded.

    Raises
    ------
    InputError
        When a column of ``coded`` is missing.

    Examples
    --------
    >>> coded = pd.DataFrame({"text": ["You feel stuck.", "So it matters.", "Yes I will."],
    ...                       "mi_behaviour": ["reflection", "reflection", None],
    ...                       "reflection_type": ["complex", "complex", None],
    ...                       "question_type": [None, None, None],
    ...                       "client_talk": [None, None, "change"]})
    >>> found = session_quality(coded)
    >>> 0 <= found["score"] <= 1, found["drivers"][0]["direction"] in ("raised", "lowered")
    (True, True)
    """
    model = model if model is not None else load_quality_model().model
    if isinstance(model, WordQualityModel):
        return _words_quality(coded, model)
    features = session_features(coded)
    n = int(coded["mi_behaviour"].notna().sum())
    if not n:
        return {
            "score": None,
            "log_odds": None,
            "intercept": float(model.intercept_),
            "drivers": [],
            "n_therapist_utterances": 0,
        }
    drivers = explain(model, features)
    log_odds = model.intercept_ + sum(d["contribution"] for d in drivers)
    return {
        "score": float(1.0 / (1.0 + math.exp(-log_odds))),
        "log_odds": float(log_odds),
        "intercept": float(model.intercept_),
        "drivers": drivers,
        "n_therapist_utterances": n,
    }


# --- storage ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, eq=False)
class QualityArtifact:
    """A stored MI-quality model with its metadata.

    Attributes
    ----------
    model : MIQualityModel or WordQualityModel
    meta : dict
        ``format_version``, ``trained_with``, ``data``, ``citation``, ``features`` (name ->
        definition), ``training`` and ``cv`` (the grouped cross-validation, see
        :func:`cross_validate_quality`).
    """

    model: MIQualityModel | WordQualityModel
    meta: Mapping[str, Any] = field(default_factory=dict)


def save_quality_model(
    model: MIQualityModel | WordQualityModel, directory: str | Path, *, info: Mapping[str, Any] = ()
) -> Path:
    """Write ``mi_quality.json`` into ``directory`` (created if needed).

    Parameters
    ----------
    model : MIQualityModel or WordQualityModel
        Fitted.
    directory : str or path-like
    info : mapping, optional
        Stored beside the model (e.g. ``training`` and ``cv``).

    Returns
    -------
    pathlib.Path
        The file written.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    document = {
        "format_version": FORMAT_VERSION,
        "model": model.to_dict(),
        "features": (
            {"therapist_words": "TF-IDF word 1-2-grams of the therapist's coded utterances"}
            if isinstance(model, WordQualityModel)
            else {n: FEATURES.get(n, ("", ""))[1] for n in model.feature_names_in_}
        ),
        "trained_with": {"scikit-learn": sklearn.__version__},
        "data": "AnnoMI (public domain): mi_quality of each transcript",
        "citation": _CITATION,
        **dict(info),
    }
    target = directory / f"{QUALITY_ARTIFACT}.json"
    tmp = target.with_name(target.name + ".tmp")
    tmp.write_text(json.dumps(document, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    tmp.replace(target)
    return target


def read_quality_model(path: str | Path) -> QualityArtifact:
    """Read ``mi_quality.json`` (a folder holding it, or the file) every time it is called.

    Raises
    ------
    InputError
        When the file is missing or not a valid model.
    """
    path = Path(path)
    if path.is_dir():
        path = path / f"{QUALITY_ARTIFACT}.json"
    if not path.is_file():
        raise InputError(
            "was not found; expected an MI-quality model (written by `attunement train`)",
            path=str(path),
        )
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"is not valid JSON ({exc}); expected an MI-quality model") from None
    if not isinstance(meta, dict) or meta.get("format_version") != FORMAT_VERSION:
        found = meta.get("format_version") if isinstance(meta, dict) else None
        raise InputError(f"has format_version {found}; expected {FORMAT_VERSION}", path=str(path))
    try:
        found = meta.get("model")
        kind = found.get("kind") if isinstance(found, dict) else None
        model = (
            WordQualityModel.from_dict(found)
            if kind == WORDS_KIND
            else MIQualityModel.from_dict(found)
        )
    except InputError as exc:
        raise InputError(exc.args[0], path=str(path)) from None
    return QualityArtifact(model, meta)


@functools.cache
def _load(path: str) -> QualityArtifact:
    return read_quality_model(path)


def load_quality_model(path: str | Path | None = None) -> QualityArtifact:
    """The MI-quality model, loaded once per process for each path.

    Parameters
    ----------
    path : str or path-like, optional
        ``mi_quality.json`` or a folder holding it (default: the model that goes with the
        default coder, :func:`quality_path`).

    Returns
    -------
    QualityArtifact

    Raises
    ------
    InputError
        When the file is missing or not a valid model.

    Examples
    --------
    >>> type(load_quality_model().model).__name__
    'WordQualityModel'
    """
    target = quality_path() if path is None else Path(path)
    return _load(str(target.resolve()))


def quality_path(coder: str | Path | None = None) -> Path:
    """The MI-quality model that goes with a coder (see
    :func:`attunement.coding.load_coder`): the coder folder's own ``mi_quality.json`` (trained
    on that coder's cross-fitted codes), else the one shipped beside the n-gram coders."""
    own = coder_dir(coder) / f"{QUALITY_ARTIFACT}.json"
    return own if own.is_file() else default_model_dir() / f"{QUALITY_ARTIFACT}.json"


def quality_method(coder: str | Path | None = None) -> dict[str, Any]:
    """The methods-paragraph entry of the MI-quality model that goes with a coder."""
    return _method(str(quality_path(coder)))


@functools.cache
def _method(path: str | None = None) -> dict[str, Any]:
    cv = ""
    words = False
    try:
        artifact = read_quality_model(path or default_model_dir())
        words = isinstance(artifact.model, WordQualityModel)
        found = artifact.meta["cv"]
        source = "" if words else ", with features from cross-fitted predicted codes"
        cv = (
            f" Under {found['n_splits']}-fold cross-validation grouped by video{source}, its "
            f"AUC was {found['auc']:.2f}, accuracy {found['accuracy']:.2f} and Brier score "
            f"{found['brier']:.3f} (always predicting high quality: accuracy "
            f"{found['baseline']['accuracy']:.2f}, Brier {found['baseline']['brier']:.3f})."
        )
        external = artifact.meta.get("external")
        if external:
            cv += (
                f" On {external['n']} high/low-quality counselling sessions that are not "
                f"AnnoMI ({external['data']}) its AUC was {external['auc']:.2f} and Brier "
                f"score {external['brier']:.3f}."
            )
    except (InputError, KeyError, TypeError, ValueError):
        pass
    if words:
        description = (
            "The MI quality estimate is the probability of high-quality motivational "
            "interviewing given by a class-balanced, L2-regularised logistic regression on "
            "TF-IDF word 1- and 2-grams of the therapist's coded utterances (sublinear term "
            "frequencies), Platt-scaled on out-of-fold scores grouped by video, trained on the "
            "133 AnnoMI demonstration transcripts labelled high- or low-quality MI; the "
            "phrases that moved the estimate most are listed as its drivers." + cv
        )
        parameters: dict[str, Any] = {"features": ["therapist_words"], "ngram_range": [1, 2]}
    else:
        description = (
            "The MI quality estimate is the probability of high-quality motivational "
            "interviewing given by a logistic regression (standardised, L2-regularised) on "
            "seven features of the coded session (reflections per question, the shares of "
            "reflections and of information/advice among the therapist's utterances, the "
            "shares of complex reflections and open questions, the client's change-talk share "
            "and the therapist's words per utterance), trained on the 133 AnnoMI demonstration "
            "transcripts labelled high- or low-quality MI, with features computed from codes "
            "predicted by coders that had not seen the transcript's video." + cv
        )
        parameters = {"features": list(FEATURE_NAMES)}
    return {
        "name": "mi_quality",
        "description": description,
        "parameters": parameters,
        "citation": _CITATION,
    }


#: The methods-paragraph entry of the MI-quality model (with its measured cross-validation).
QUALITY_METHOD: dict[str, Any] = quality_method()


# --- training on AnnoMI -------------------------------------------------------------------


def _coder_params(coders_dir: str | Path | None) -> dict[str, dict[str, Any]]:
    """Task -> TextCoder parameters, as stored with the trained coders."""
    path = (default_model_dir() if coders_dir is None else Path(coders_dir)) / (
        f"{ARTIFACT_NAME}.json"
    )
    try:
        tasks = json.loads(path.read_text(encoding="utf-8"))["tasks"]
        return {
            task: {k: tuple(v) if isinstance(v, list) else v for k, v in t["params"].items()}
            for task, t in tasks.items()
        }
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(
            f"could not be read ({exc!r}); expected the coders' metadata, written by "
            "`attunement train`",
            path=str(path),
        ) from None


def cross_fitted_codes(
    annomi: str | Path,
    *,
    n_splits: int = 5,
    seed: int = 0,
    coders_dir: str | Path | None = None,
) -> pd.DataFrame:
    """Every AnnoMI transcript coded by utterance coders that never saw its video.

    The transcripts are split into ``n_splits`` folds grouped by video and stratified by
    ``mi_quality``; for each fold, the four coders are trained (with the parameters stored in
    ``coders_dir``) on the other folds' utterances and code the fold's transcripts.

    Parameters
    ----------
    annomi : str or path-like
        Folder holding AnnoMI-simple.csv and AnnoMI-full.csv.
    n_splits : int, default 5
    seed : int, default 0
    coders_dir : str or path-like, optional
        Whose ``annomi_coders.json`` gives each coder's parameters (its chosen ``C``);
        default: the shipped coders.

    Returns
    -------
    pandas.DataFrame
        :func:`attunement.coding.corpus.annomi_transcripts`' columns, then ``fold`` (0 to
        ``n_splits`` - 1) and the code columns of :func:`attunement.coding.code_utterances`.

    Raises
    ------
    InputError
        When the data are missing, have one quality class, or too few videos.
    """
    transcripts = annomi_transcripts(annomi)
    per = transcripts.groupby("transcript_id", sort=True)[["group", "mi_quality"]].first()
    folds = _folds(per, n_splits, seed)
    params = _coder_params(coders_dir)
    tables = annomi_tasks(annomi)
    coded = []
    for k in range(n_splits):
        start = time.perf_counter()
        held_out = set(per.loc[folds == k, "group"])
        coders = {}
        for task, table in tables.items():
            part = table[~table["group"].isin(held_out)]
            if part["label"].nunique() < 2:
                continue
            coders[task] = TextCoder(**params.get(task, {})).fit(
                part["text"], part["label"], part["context"]
            )
        bundle = Coders(coders)
        for tid in per.index[folds == k]:
            rows = transcripts[transcripts["transcript_id"] == tid].reset_index(drop=True)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", AttunementWarning)  # long utterances are cut
                coded.append(code_utterances(rows.assign(fold=k), coder=bundle))
        logger.info("fold %d: coders trained and applied in %.0f s", k, time.perf_counter() - start)
    return pd.concat(coded, ignore_index=True)


def _folds(per: pd.DataFrame, n_splits: int, seed: int) -> np.ndarray:
    """Fold of each transcript (rows of ``per``: ``group`` and ``mi_quality``)."""
    if per["mi_quality"].nunique() < 2:
        raise InputError(
            f"has only {'/'.join(per['mi_quality'].unique())}-quality transcripts; expected "
            "both high and low",
            field="mi_quality",
        )
    n_groups = per["group"].nunique()
    if n_groups < n_splits:
        raise InputError(
            f"has {n_groups} videos; expected at least {n_splits} for {n_splits}-fold "
            "cross-validation grouped by video",
            field="annomi",
        )
    cv = StratifiedGroupKFold(n_splits=n_splits, shuffle=True, random_state=seed)
    folds = np.full(len(per), -1)
    for k, (_, test) in enumerate(cv.split(per, per["mi_quality"], per["group"])):
        folds[test] = k
    return folds


def session_table(coded: pd.DataFrame) -> pd.DataFrame:
    """One row per transcript: its features and label, from :func:`cross_fitted_codes`.

    Returns
    -------
    pandas.DataFrame
        Index ``transcript_id``; columns :data:`FEATURE_NAMES`, then ``high`` (1 for
        high-quality MI), ``group`` and ``fold``.
    """
    rows = {}
    for tid, part in coded.groupby("transcript_id", sort=True):
        rows[tid] = {
            **session_features(part),
            "high": int(part["mi_quality"].iloc[0] == "high"),
            "group": part["group"].iloc[0],
            "fold": int(part["fold"].iloc[0]),
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "transcript_id"
    return table


def _scores(y: np.ndarray, p: np.ndarray, auc: float | None = None) -> dict[str, float]:
    """AUC (or the one given, for a constant), accuracy at 0.5 and Brier score."""
    return {
        "auc": round(float(roc_auc_score(y, p)) if auc is None else auc, 4),
        "accuracy": round(float(((p >= 0.5).astype(int) == y).mean()), 4),
        "brier": round(float(((p - y) ** 2).mean()), 4),
    }


def cross_validate_quality(table: pd.DataFrame, *, C: float = DEFAULT_C) -> dict[str, Any]:
    """Cross-validation of the session model on the folds of ``table`` (grouped by video).

    For each fold, the model is fitted on the other folds and predicts the fold; the
    out-of-fold probabilities are pooled and scored once. The baseline predicts, for every
    session of a fold, the share of high-quality sessions among the other folds (so it always
    says "high"); a constant ranks no session above another, so its AUC is 0.5.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`session_table`'s output (features, ``high``, ``fold``).
    C : float
        Fixed in advance; nothing is chosen on the test folds.

    Returns
    -------
    dict
        ``auc``, ``accuracy`` (threshold 0.5), ``brier`` (mean squared error of the
        probability), ``n``, ``n_high``, ``n_low``, ``n_splits``, ``C``, ``baseline`` (``auc``,
        ``accuracy``, ``brier``) and ``predicted`` (numpy array, the pooled out-of-fold
        probabilities of high quality, in the order of ``table``).

    Examples
    --------
    >>> t = pd.DataFrame({"reflection_share": [0.1, 0.5, 0.12, 0.6, 0.15, 0.55, 0.45, 0.5],
    ...                   "high": [0, 1, 0, 1, 0, 1, 1, 1], "fold": [0, 0, 1, 1] * 2})
    >>> found = cross_validate_quality(t)
    >>> found["auc"], found["accuracy"], found["baseline"]["accuracy"]
    (1.0, 1.0, 0.625)
    """
    names = [c for c in table.columns if c not in ("high", "group", "fold")]
    y = table["high"].to_numpy().astype(int)
    folds = table["fold"].to_numpy()
    predicted = np.full(len(table), np.nan)
    baseline = np.full(len(table), np.nan)
    for k in np.unique(folds):
        test = folds == k
        model = MIQualityModel(C=C).fit(table.loc[~test, names], y[~test])
        predicted[test] = model.predict_proba(table.loc[test, names])[:, 1]
        baseline[test] = y[~test].mean()

    return {
        **_scores(y, predicted),
        "n": len(table),
        "n_high": int(y.sum()),
        "n_low": int((1 - y).sum()),
        "n_splits": len(np.unique(folds)),
        "C": C,
        "baseline": _scores(y, baseline, auc=0.5),
        "predicted": predicted,
    }


def train_quality(
    annomi: str | Path,
    out_dir: str | Path,
    *,
    coders_dir: str | Path | None = None,
    n_splits: int = 5,
    seed: int = 0,
    C: float = DEFAULT_C,
) -> Path:
    """Train the MI-quality model on AnnoMI, evaluate it, and write ``mi_quality.json``.

    Parameters
    ----------
    annomi : str or path-like
        Folder holding AnnoMI-simple.csv and AnnoMI-full.csv.
    out_dir : str or path-like
        Where ``mi_quality.json`` is written.
    coders_dir : str or path-like, optional
        Whose coder parameters the cross-fitting uses (default: the shipped coders).
    n_splits : int, default 5
        Folds (grouped by video) of the cross-fitting and of the evaluation.
    seed : int, default 0
    C : float
        The session model's regularisation (fixed).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        When the data are missing or malformed, or have one quality class.
    """
    start = time.perf_counter()
    coded = cross_fitted_codes(annomi, n_splits=n_splits, seed=seed, coders_dir=coders_dir)
    target = quality_from_codes(
        coded,
        out_dir,
        features_from=(
            f"codes predicted by coders trained on the other {n_splits - 1} of {n_splits} "
            "folds (grouped by video_url), with the shipped coders' parameters"
        ),
        seed=seed,
        C=C,
    )
    logger.info("MI-quality model trained in %.0f s", time.perf_counter() - start)
    return target


def quality_from_codes(
    coded: pd.DataFrame,
    out_dir: str | Path,
    *,
    features_from: str,
    seed: int = 0,
    C: float = DEFAULT_C,
) -> Path:
    """Evaluate and fit the MI-quality model on cross-fitted codes; write ``mi_quality.json``.

    Parameters
    ----------
    coded : pandas.DataFrame
        Every AnnoMI utterance with its codes and ``fold`` (as :func:`cross_fitted_codes`
        gives), coded by coders that never saw its video.
    out_dir : str or path-like
    features_from : str
        How the codes were made, stored with the model.
    seed : int
        Stored with the model (the folds' seed).
    C : float
        The session model's regularisation (fixed).
    """
    table = session_table(coded)
    found = cross_validate_quality(table, C=C)
    found.pop("predicted")
    n_splits = found["n_splits"]
    names = list(FEATURE_NAMES)
    model = MIQualityModel(C=C).fit(table[names], table["high"])
    info = {
        "training": {
            "n_transcripts": len(table),
            "n_videos": int(table["group"].nunique()),
            "n_high": int(table["high"].sum()),
            "n_low": int((1 - table["high"]).sum()),
            "features_from": features_from,
            "missing": "replaced by the training mean of the feature (contributes 0)",
            "seed": seed,
        },
        "cv": {
            **found,
            "description": (
                f"{n_splits}-fold cross-validation grouped by video_url and stratified by "
                "mi_quality (the cross-fitting folds), pooled out-of-fold probabilities; C "
                "fixed; baseline: the training folds' share of high quality"
            ),
        },
    }
    return save_quality_model(model, out_dir, info=info)


# --- the word model -----------------------------------------------------------------------


def _transcript_words(annomi: str | Path) -> tuple[pd.DataFrame, list[str]]:
    """Per transcript (sorted): ``group``, ``high``, and the therapist's words."""
    transcripts = annomi_transcripts(annomi)
    per = transcripts.groupby("transcript_id", sort=True)[["group", "mi_quality"]].first()
    therapist = transcripts[transcripts["role"] == "therapist"]
    words = therapist.groupby("transcript_id", sort=True)["text"].apply(
        lambda s: " ".join(str(t) for t in s if not pd.isna(t))
    )
    per = per.assign(high=(per["mi_quality"] == "high").astype(int))
    return per, [str(w) for w in words.reindex(per.index).fillna("")]


def cross_validate_words(
    annomi: str | Path, *, n_splits: int = 5, seed: int = 0, C: float = 1.0
) -> dict[str, Any]:
    """Grouped cross-validation of :class:`WordQualityModel` on AnnoMI.

    The folds are those of the code model's cross-fitting (by video, stratified by quality);
    each fold's model, its calibration included, is fitted on the other folds alone.

    Returns
    -------
    dict
        As :func:`cross_validate_quality`: ``auc``, ``accuracy``, ``brier``, ``n``,
        ``n_high``, ``n_low``, ``n_splits``, ``C``, ``baseline`` and ``predicted``.

    Raises
    ------
    InputError
        When the data are missing, have one quality class, or too few videos.
    """
    per, words = _transcript_words(annomi)
    folds = _folds(per, n_splits, seed)
    y = per["high"].to_numpy()
    groups = per["group"].to_numpy()
    predicted = np.full(len(y), np.nan)
    baseline = np.full(len(y), np.nan)
    for k in range(n_splits):
        test = folds == k
        model = WordQualityModel(C=C, n_splits=max(2, n_splits - 1), seed=seed).fit(
            [w for w, t in zip(words, test, strict=True) if not t], y[~test], groups[~test]
        )
        predicted[test] = model.predict_proba([w for w, t in zip(words, test, strict=True) if t])[
            :, 1
        ]
        baseline[test] = y[~test].mean()

    return {
        **_scores(y, predicted),
        "n": len(y),
        "n_high": int(y.sum()),
        "n_low": int((1 - y).sum()),
        "n_splits": n_splits,
        "C": C,
        "baseline": _scores(y, baseline, auc=0.5),
        "predicted": predicted,
    }


def train_word_quality(
    annomi: str | Path,
    out_dir: str | Path,
    *,
    n_splits: int = 5,
    seed: int = 0,
    C: float = 1.0,
    external: Mapping[str, Any] | None = None,
) -> Path:
    """Train the word MI-quality model on AnnoMI, cross-validate it, write ``mi_quality.json``.

    Parameters
    ----------
    annomi : str or path-like
        Folder holding AnnoMI-simple.csv.
    out_dir : str or path-like
    n_splits : int, default 5
        Folds (grouped by video) of the evaluation and of the calibration.
    seed : int, default 0
    C : float, default 1.0
        Fixed in advance.
    external : mapping, optional
        A check on other data, stored as the model's ``external`` block (``data``, ``n``,
        ``auc``, ``brier``), e.g. from ``attunement benchmark external --hlqc``.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    InputError
        When the data are missing or malformed, or have one quality class.
    """
    start = time.perf_counter()
    found = cross_validate_words(annomi, n_splits=n_splits, seed=seed, C=C)
    found.pop("predicted")
    per, words = _transcript_words(annomi)
    model = WordQualityModel(C=C, n_splits=n_splits, seed=seed).fit(
        words, per["high"].to_numpy(), per["group"].to_numpy()
    )
    info: dict[str, Any] = {
        "training": {
            "n_transcripts": len(per),
            "n_videos": int(per["group"].nunique()),
            "n_high": int(per["high"].sum()),
            "n_low": int((1 - per["high"]).sum()),
            "features_from": "the words of the therapist's utterances (AnnoMI's own text)",
            "n_ngrams": len(model.vocabulary_),
            "calibration": "Platt scaling on out-of-fold log-odds, folds grouped by video_url",
            "seed": seed,
        },
        "cv": {
            **found,
            "description": (
                f"{n_splits}-fold cross-validation grouped by video_url and stratified by "
                "mi_quality, pooled out-of-fold probabilities (each fold's calibration fitted "
                "on its training folds); C fixed; baseline: the training folds' share of high "
                "quality"
            ),
        },
    }
    if external:
        info["external"] = dict(external)
    target = save_quality_model(model, out_dir, info=info)
    logger.info("word MI-quality model trained in %.0f s", time.perf_counter() - start)
    return target
