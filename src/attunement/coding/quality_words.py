"""The MI-quality estimate from the therapist's own words, and the phrases that drove it.

:class:`WordQualityModel` reads the therapist's words of a session as TF-IDF word 1- and
2-grams (sublinear term frequencies; n-grams found in at least two training transcripts) and
gives the probability of high-quality MI by a class-balanced, L2-regularised logistic
regression (C = 1, fixed in advance), then Platt-scaled: the logistic regression's log-odds
``d`` become ``a * d + b``, with ``a`` and ``b`` fitted on out-of-fold log-odds (folds grouped
by video), so that the probabilities are those the model earns on transcripts it has not seen,
at AnnoMI's share of high quality.

Why words and not the behaviour codes: on 102 high/low-quality sessions that are not AnnoMI
(HLQC-dev, ``attunement benchmark external --hlqc``), a model on the seven code features
reached AUC 0.78 and this one 0.89, while in AnnoMI's grouped cross-validation the words
(0.96) also beat the codes (0.93): the codes carry the coders' errors on unfamiliar sessions,
and a session's wording ("it sounds like", "what would", against "you need to", "you should")
says much of what the codes say. Its limits: it learns AnnoMI's 133 demonstration transcripts,
so topic words of the low-quality demonstrations (e.g. "smoking", "teeth") also lower the
estimate; every driver is shown, so such a phrase can be seen and discounted.

The explanation (:meth:`WordQualityModel.explain`) lists the phrases with the largest
contributions to the session's log-odds (TF-IDF weight x coefficient x ``a``), then the sum
of all other phrases, so that the contributions and the intercept add up to the log-odds.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold

from attunement.errors import AttunementWarning, InputError

__all__ = ["KIND", "WordQualityModel"]

#: ``model.kind`` of a word model in ``mi_quality.json``.
KIND = "words"
#: Phrases listed by :meth:`WordQualityModel.explain` before the rest is summed up.
SHOWN_PHRASES = 10


def _texts(values: Sequence[Any], name: str = "texts") -> list[str]:
    if isinstance(values, str):
        raise InputError("is one string; expected one text per session", field=name)
    return ["" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v) for v in values]


class WordQualityModel(ClassifierMixin, BaseEstimator):
    """TF-IDF of the therapist's words -> calibrated probability of high-quality MI.

    Parameters
    ----------
    C : float, default 1.0
        Inverse regularisation strength of the logistic regression.
    min_df : int, default 2
        An n-gram is kept when it occurs in at least this many training sessions.
    n_splits : int, default 5
        Folds of the out-of-fold log-odds the Platt scaling is fitted on (grouped when
        ``fit`` is given groups).
    seed : int, default 0
    max_iter : int, default 3000

    Attributes
    ----------
    vocabulary_ : numpy.ndarray
        The n-grams, in column order.
    idf_ : numpy.ndarray
    coef_ : numpy.ndarray
        One log-odds coefficient per n-gram (before the Platt scaling).
    intercept_ : float
        The calibrated intercept: ``a * lr_intercept + b``.
    calibration_ : tuple of float
        ``(a, b)`` of the Platt scaling.
    classes_ : numpy.ndarray
        ``[0, 1]``: 1 is high-quality MI.

    Examples
    --------
    >>> texts = ["it sounds like you feel stuck", "you need to stop", "so you feel torn",
    ...          "you should quit now", "it sounds like it matters", "you need to quit"] * 2
    >>> model = WordQualityModel(min_df=1, n_splits=2).fit(texts, [1, 0, 1, 0, 1, 0] * 2)
    >>> bool(model.predict_proba(["it sounds like you feel"])[0, 1] > 0.5)
    True
    """

    def __init__(
        self,
        C: float = 1.0,
        *,
        min_df: int = 2,
        n_splits: int = 5,
        seed: int = 0,
        max_iter: int = 3000,
    ) -> None:
        self.C = C
        self.min_df = min_df
        self.n_splits = n_splits
        self.seed = seed
        self.max_iter = max_iter

    def _new(self) -> tuple[TfidfVectorizer, LogisticRegression]:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=self.min_df)
        clf = LogisticRegression(C=self.C, max_iter=self.max_iter, class_weight="balanced")
        return vectorizer, clf

    def fit(
        self, texts: Sequence[str], y: Sequence[Any], groups: Sequence[Any] | None = None
    ) -> WordQualityModel:
        """Learn the n-grams, their weights and the calibration.

        Parameters
        ----------
        texts : sequence of str
            One per session: the therapist's words.
        y : sequence
            1 / True for high-quality MI, 0 / False otherwise; both present.
        groups : sequence, optional
            A group per session (e.g. the video); the calibration's folds keep groups apart.

        Returns
        -------
        WordQualityModel
            self.

        Raises
        ------
        InputError
            When the lengths differ, y has one class, or no n-gram is frequent enough.

        Warns
        -----
        AttunementWarning
            When a class has a single session: then the probabilities are not calibrated.
        """
        texts = _texts(texts)
        labels = np.asarray([int(bool(v)) for v in y])
        if len(labels) != len(texts):
            raise InputError(f"has {len(labels)} labels for {len(texts)} texts", field="y")
        if len(set(labels.tolist())) < 2:
            raise InputError("has one class; expected high- and low-quality sessions", field="y")
        vectorizer, clf = self._new()
        try:
            x = vectorizer.fit_transform(texts)
        except ValueError as exc:
            raise InputError(f"gave no n-grams ({exc}); expected words", field="texts") from None
        clf.fit(x, labels)
        if np.bincount(labels).min() < 2:
            warnings.warn(
                "fewer than two sessions of a class: the probabilities are not calibrated "
                "(the logistic regression's own)",
                AttunementWarning,
                stacklevel=2,
            )
            a, b = 1.0, 0.0
        else:
            oof = self._out_of_fold(texts, labels, groups)
            platt = LogisticRegression(C=1e6, max_iter=1000).fit(oof[:, None], labels)
            a, b = float(platt.coef_[0, 0]), float(platt.intercept_[0])
        self.vocabulary_ = vectorizer.get_feature_names_out().astype(object)
        self.idf_ = vectorizer.idf_.astype(float)
        self.coef_ = clf.coef_[0].astype(float)
        self.calibration_ = (a, b)
        self.intercept_ = a * float(clf.intercept_[0]) + b
        self.classes_ = np.array([0, 1])
        self._vectorizer = None
        return self

    def _out_of_fold(
        self, texts: list[str], labels: np.ndarray, groups: Sequence[Any] | None
    ) -> np.ndarray:
        n_splits = max(2, int(min(self.n_splits, np.bincount(labels).min())))
        if groups is None:
            cv = StratifiedKFold(n_splits, shuffle=True, random_state=self.seed)
            splits = cv.split(texts, labels)
        else:
            cv = StratifiedGroupKFold(n_splits, shuffle=True, random_state=self.seed)
            splits = cv.split(texts, labels, np.asarray(groups))
        oof = np.zeros(len(texts))
        for train, test in splits:
            vectorizer, clf = self._new()
            vectorizer.set_params(min_df=1 if len(train) < 2 * self.min_df else self.min_df)
            clf.fit(vectorizer.fit_transform([texts[i] for i in train]), labels[train])
            oof[test] = clf.decision_function(vectorizer.transform([texts[i] for i in test]))
        return oof

    def _check_fitted(self) -> None:
        if not hasattr(self, "coef_"):
            raise NotFittedError(
                "This WordQualityModel is not fitted yet; call fit(texts, y) or load the "
                "shipped model with attunement.coding.quality.load_quality_model() first."
            )

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        """The TF-IDF weights of each text's n-grams (sessions x n-grams)."""
        self._check_fitted()
        if getattr(self, "_vectorizer", None) is None:
            vectorizer = TfidfVectorizer(
                ngram_range=(1, 2),
                sublinear_tf=True,
                vocabulary={str(t): i for i, t in enumerate(self.vocabulary_)},
            )
            vectorizer.fit([""])  # the vocabulary is fixed; the weights are set next
            vectorizer.idf_ = self.idf_
            self._vectorizer = vectorizer
        return self._vectorizer.transform(_texts(texts))

    def contributions(self, texts: Sequence[str]) -> sp.csr_matrix:
        """Each n-gram's contribution to each text's calibrated log-odds (sessions x
        n-grams); a row sums to :meth:`decision_function` minus ``intercept_``."""
        self._check_fitted()
        a = self.calibration_[0]
        return sp.csr_matrix(self.transform(texts).multiply(a * self.coef_[None, :]))

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        """The calibrated log-odds of high-quality MI, one per text."""
        return np.asarray(self.contributions(texts).sum(axis=1)).ravel() + self.intercept_

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        """Probabilities of low (column 0) and high (column 1) quality MI."""
        high = 1.0 / (1.0 + np.exp(-self.decision_function(texts)))
        return np.column_stack([1.0 - high, high])

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        """1 where the probability of high-quality MI is at least 0.5, else 0."""
        return (self.predict_proba(texts)[:, 1] >= 0.5).astype(int)

    def explain(self, text: str, *, shown: int = SHOWN_PHRASES) -> list[dict[str, Any]]:
        """The phrases that moved one session's estimate most, then all the others together.

        Returns
        -------
        list of dict
            Largest absolute contribution first, each with ``feature`` (``words:<n-gram>``,
            or ``words:other`` for the rest), ``label`` (the phrase in quotes), ``value``
            (how often it occurs), ``shown`` (in words), ``standardized`` (its TF-IDF
            weight), ``contribution`` (in log-odds; they sum to the log-odds minus the
            intercept) and ``direction`` ('raised', 'lowered' or 'none').

        Examples
        --------
        >>> texts = ["it sounds like you feel stuck", "you need to stop"] * 4
        >>> model = WordQualityModel(min_df=1, n_splits=2).fit(texts, [1, 0] * 4)
        >>> found = model.explain("you need to stop, you need to")
        >>> found[0]["label"], found[0]["value"], found[0]["direction"]
        ('"need"', 2, 'lowered')
        """
        row = self.contributions([text]).tocoo()
        order = np.argsort(-np.abs(row.data), kind="stable")
        weights = self.transform([text]).tocsr()
        analyzer = self._vectorizer.build_analyzer()
        counts: dict[str, int] = {}
        for gram in analyzer(str(text)):
            counts[gram] = counts.get(gram, 0) + 1
        out = []
        for k in order[:shown]:
            gram = str(self.vocabulary_[row.col[k]])
            c = float(row.data[k])
            out.append(
                {
                    "feature": f"words:{gram}",
                    "label": f'"{gram}"',
                    "value": counts.get(gram, 0),
                    "shown": f"{counts.get(gram, 0)}x",
                    "standardized": float(weights[0, row.col[k]]),
                    "contribution": c,
                    "direction": "raised" if c > 0 else "lowered" if c < 0 else "none",
                }
            )
        rest = float(row.data[order[shown:]].sum()) if order.size > shown else 0.0
        n_rest = max(0, order.size - shown)
        out.append(
            {
                "feature": "words:other",
                "label": "all other words and phrases",
                "value": n_rest,
                "shown": f"{n_rest} more",
                "standardized": 0.0,
                "contribution": rest,
                "direction": "raised" if rest > 0 else "lowered" if rest < 0 else "none",
            }
        )
        return out

    # --- storage without pickle ------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The fitted model as JSON-safe values."""
        self._check_fitted()
        return {
            "kind": KIND,
            "params": self.get_params(),
            "vocabulary": [str(t) for t in self.vocabulary_],
            "idf": [round(float(v), 6) for v in self.idf_],
            "coef": [round(float(v), 6) for v in self.coef_],
            "intercept": float(self.intercept_),
            "calibration": [float(v) for v in self.calibration_],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> WordQualityModel:
        """Rebuild a fitted model from :meth:`to_dict`'s output.

        Raises
        ------
        InputError
            When a value is missing, not numeric, or the lengths disagree.
        """
        try:
            model = cls(**dict(data.get("params", {})))
            vocabulary = [str(t) for t in data["vocabulary"]]
            idf = np.asarray(data["idf"], dtype=float)
            coef = np.asarray(data["coef"], dtype=float)
            intercept = float(data["intercept"])
            a, b = (float(v) for v in data["calibration"])
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(
                f"is not a valid word MI-quality model ({exc!r}); expected "
                "WordQualityModel.to_dict()"
            ) from None
        if idf.shape != (len(vocabulary),) or coef.shape != (len(vocabulary),):
            raise InputError(
                f"has {idf.size} weights and {coef.size} coefficients for {len(vocabulary)} "
                "n-grams; expected one of each per n-gram"
            )
        if len(set(vocabulary)) != len(vocabulary):
            raise InputError("repeats an n-gram; expected each once")
        values = (idf, coef, np.array([intercept, a, b]))
        if not all(np.isfinite(v).all() for v in values):
            raise InputError("has a non-finite number; expected finite weights")
        model.vocabulary_ = np.asarray(vocabulary, dtype=object)
        model.idf_, model.coef_ = idf, coef
        model.intercept_ = intercept
        model.calibration_ = (a, b)
        model.classes_ = np.array([0, 1])
        model._vectorizer = None
        return model
