"""How likely a session is high-quality motivational interviewing, and which behaviours say so.

AnnoMI labels each of its 133 transcripts as high- or low-quality MI (110 / 23; demonstration
videos made to show good and poor practice). :class:`MIQualityModel` is a standardised,
L2-regularised logistic regression on a few interpretable session features of the coded
utterances (:func:`attunement.coding.code_utterances`);
:func:`attunement.coding.quality.session_quality` gives a session's estimated probability of
high-quality MI and each feature's contribution to it.

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
transcripts (:func:`attunement.training.quality.cross_fitted_codes`). The session model is
evaluated by cross-validation on the same folds
(:func:`attunement.training.quality.cross_validate_quality`), with a fixed ``C`` (never chosen
on test folds), beside the majority-class baseline, and stored as JSON
(:func:`attunement.coding.quality.save_quality_model`).

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

import logging
import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression

from attunement.coding.apply import check_frame, one_row_per_unit
from attunement.errors import InputError

__all__ = [
    "DEFAULT_C",
    "FEATURES",
    "FEATURE_NAMES",
    "MIQualityModel",
    "explain",
    "session_features",
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
