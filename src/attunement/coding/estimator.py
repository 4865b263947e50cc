"""``TextCoder``: TF-IDF n-grams of an utterance and its context, then logistic regression.

A scikit-learn-style estimator: ``__init__`` only stores parameters, learned attributes end in
``_``, ``fit`` returns self; text in, arrays out. Its learned state converts to plain arrays
(:meth:`TextCoder.to_arrays`) and back (:meth:`TextCoder.from_arrays`), so a trained coder is
stored without pickling and loads in any scikit-learn version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from attunement.errors import InputError

__all__ = ["TextCoder"]

#: The three feature blocks: name -> (source, analyzer); source 'text' or 'context'.
BLOCKS: dict[str, tuple[str, str]] = {
    "word": ("text", "word"),
    "char": ("text", "char_wb"),
    "context": ("context", "word"),
}


def _texts(values: Sequence[str] | None, n: int | None, name: str) -> list[str]:
    if values is None:
        if n is None:
            raise InputError("got None; expected a sequence of texts", field=name)
        return [""] * n
    if isinstance(values, str):
        raise InputError("got one text; expected a sequence of texts", field=name)
    out = ["" if v is None or (isinstance(v, float) and v != v) else str(v) for v in values]
    if n is not None and len(out) != n:
        raise InputError(f"has {len(out)} items; expected {n}, one per utterance", field=name)
    return out


def _float32(values: np.ndarray) -> np.ndarray:
    return np.asarray(values, dtype=np.float32).astype(np.float64)


class TextCoder(ClassifierMixin, BaseEstimator):
    """Classify utterances from word and character n-grams of the text and word n-grams of the
    context (what the other person said just before).

    Parameters
    ----------
    C : float
        Inverse regularisation strength of the logistic regression.
    word_ngrams, char_ngrams, context_ngrams : tuple of int
        n-gram ranges of the utterance's words, its characters (within word boundaries) and the
        context's words.
    max_word_features, max_char_features, max_context_features : int
        Vocabulary caps (the most frequent terms are kept); 0 leaves a block out.
    class_weight : 'balanced' or None
        Weight classes inversely to their frequency.

    Attributes
    ----------
    classes_ : numpy.ndarray
        The labels, in the order of :meth:`predict_proba`'s columns.
    vectorizers_ : dict
        Block name -> fitted ``TfidfVectorizer``.
    classifier_ : sklearn.linear_model.LogisticRegression

    Examples
    --------
    >>> coder = TextCoder(max_char_features=0).fit(
    ...     ["What is it?", "What happened?", "You feel sad.", "You feel worried."] * 2,
    ...     ["question", "question", "reflection", "reflection"] * 2)
    >>> coder.predict(["What do you want?", "You feel tired."]).tolist()
    ['question', 'reflection']
    """

    def __init__(
        self,
        C: float = 1.0,
        *,
        word_ngrams: tuple[int, int] = (1, 2),
        char_ngrams: tuple[int, int] = (2, 5),
        context_ngrams: tuple[int, int] = (1, 2),
        max_word_features: int = 20000,
        max_char_features: int = 30000,
        max_context_features: int = 10000,
        class_weight: str | None = "balanced",
    ) -> None:
        self.C = C
        self.word_ngrams = word_ngrams
        self.char_ngrams = char_ngrams
        self.context_ngrams = context_ngrams
        self.max_word_features = max_word_features
        self.max_char_features = max_char_features
        self.max_context_features = max_context_features
        self.class_weight = class_weight

    def _vectorizer(self, block: str) -> TfidfVectorizer:
        analyzer = BLOCKS[block][1]
        ngrams = {"word": self.word_ngrams, "char": self.char_ngrams}.get(
            block, self.context_ngrams
        )
        return TfidfVectorizer(
            analyzer=analyzer,
            ngram_range=tuple(ngrams),
            lowercase=True,
            sublinear_tf=True,
            min_df=2,
            max_features=getattr(self, f"max_{block}_features"),
            dtype=np.float32,
        )

    def _blocks(self) -> list[str]:
        return [b for b in BLOCKS if getattr(self, f"max_{b}_features") > 0]

    def fit(
        self, texts: Sequence[str], y: Sequence[str], contexts: Sequence[str] | None = None
    ) -> TextCoder:
        """Learn the vocabularies and the classifier.

        Parameters
        ----------
        texts : sequence of str
            The utterances.
        y : sequence of str
            One label per utterance (at least two distinct labels).
        contexts : sequence of str, optional
            What the other person said before each utterance ('' where nothing).

        Returns
        -------
        TextCoder
            self.

        Raises
        ------
        InputError
            When the lengths differ or fewer than two labels are present.
        """
        texts = _texts(texts, None, "texts")
        contexts = _texts(contexts, len(texts), "contexts")
        labels = np.asarray(list(y), dtype=object)
        if labels.shape != (len(texts),):
            raise InputError(
                f"has {labels.size} labels; expected {len(texts)}, one per text", field="y"
            )
        if len(set(labels.tolist())) < 2:
            raise InputError("has fewer than two distinct labels; expected at least two", field="y")
        blocks = self._blocks()
        if not blocks:
            raise InputError("every feature block is switched off; expected at least one")
        source = {"text": texts, "context": contexts}
        self.vectorizers_ = {}
        parts = []
        for block in blocks:
            vec = self._vectorizer(block)
            try:
                parts.append(vec.fit_transform(source[BLOCKS[block][0]]))
            except ValueError:  # empty vocabulary (e.g. no context anywhere): an empty block
                vec = self._vectorizer(block).set_params(min_df=1)
                vec.fit(["empty"])
                parts.append(vec.transform(source[BLOCKS[block][0]]))
            vec.idf_ = _float32(vec.idf_)  # what the artifact stores, so a round trip is exact
            self.vectorizers_[block] = vec
        return self._fit_classifier(sp.hstack(parts, format="csr"), labels.astype(str))

    def _fit_classifier(self, features: sp.csr_matrix, labels: np.ndarray) -> TextCoder:
        """Fit the classifier on features of fitted vectorizers (also used to try several C)."""
        clf = LogisticRegression(C=self.C, class_weight=self.class_weight, max_iter=2000)
        clf.fit(features, labels)
        clf.coef_, clf.intercept_ = _float32(clf.coef_), _float32(clf.intercept_)
        self.classifier_ = clf
        self.classes_ = clf.classes_
        return self

    def _check_fitted(self) -> None:
        if not hasattr(self, "classifier_"):
            raise NotFittedError(
                "This TextCoder is not fitted yet; call fit(texts, y) or load a trained coder "
                "with attunement.coding.resolve_coder() first."
            )

    def _features(self, texts: Sequence[str], contexts: Sequence[str] | None) -> sp.csr_matrix:
        texts = _texts(texts, None, "texts")
        source = {"text": texts, "context": _texts(contexts, len(texts), "contexts")}
        parts = [vec.transform(source[BLOCKS[b][0]]) for b, vec in self.vectorizers_.items()]
        return sp.hstack(parts, format="csr")

    def predict_proba(
        self, texts: Sequence[str], contexts: Sequence[str] | None = None
    ) -> np.ndarray:
        """Probability of each label.

        Returns
        -------
        numpy.ndarray
            Shape (n_texts, n_classes), columns in the order of ``classes_``; rows sum to 1.

        Raises
        ------
        sklearn.exceptions.NotFittedError
            Before :meth:`fit`.
        """
        self._check_fitted()
        if len(texts) == 0:
            return np.empty((0, len(self.classes_)))
        return self.classifier_.predict_proba(self._features(texts, contexts))

    def predict(self, texts: Sequence[str], contexts: Sequence[str] | None = None) -> np.ndarray:
        """The most probable label of each text (an array of str)."""
        proba = self.predict_proba(texts, contexts)
        return self.classes_[proba.argmax(axis=1)] if len(proba) else np.empty(0, dtype=object)

    # --- storage without pickle ------------------------------------------------------------

    def to_arrays(self) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
        """The learned state as JSON-safe parameters and plain numeric arrays.

        Returns
        -------
        meta : dict
            ``params`` (this coder's parameters), ``blocks`` and ``classes``.
        arrays : dict of numpy.ndarray
            ``{block}_terms`` (UTF-8 bytes of the vocabulary, one term a line, in column
            order), ``{block}_idf``, ``coef`` and ``intercept``.
        """
        self._check_fitted()
        arrays: dict[str, np.ndarray] = {}
        for block, vec in self.vectorizers_.items():
            terms = sorted(vec.vocabulary_, key=vec.vocabulary_.__getitem__)
            arrays[f"{block}_terms"] = np.frombuffer("\n".join(terms).encode(), dtype=np.uint8)
            arrays[f"{block}_idf"] = vec.idf_.astype(np.float32)
        arrays["coef"] = self.classifier_.coef_.astype(np.float32)
        arrays["intercept"] = self.classifier_.intercept_.astype(np.float32)
        params = {k: list(v) if isinstance(v, tuple) else v for k, v in self.get_params().items()}
        meta = {"params": params, "blocks": list(self.vectorizers_), "classes": list(self.classes_)}
        return meta, arrays

    @classmethod
    def from_arrays(cls, meta: Mapping[str, Any], arrays: Mapping[str, np.ndarray]) -> TextCoder:
        """Rebuild a fitted coder from :meth:`to_arrays`' output.

        Raises
        ------
        InputError
            When an array is missing or the shapes disagree.
        """
        try:
            params = {k: tuple(v) if isinstance(v, list) else v for k, v in meta["params"].items()}
            coder = cls(**params)
            coder.vectorizers_ = {}
            for block in meta["blocks"]:
                text = bytes(np.asarray(arrays[f"{block}_terms"], dtype=np.uint8)).decode()
                terms = text.split("\n") if text else []
                idf = np.asarray(arrays[f"{block}_idf"], dtype=np.float64)
                if len(terms) != idf.size:
                    raise InputError(
                        f"{block}: {len(terms)} terms but {idf.size} idf weights; expected equal"
                    )
                vec = coder._vectorizer(block).set_params(
                    vocabulary={t: i for i, t in enumerate(terms)}, max_features=None, min_df=1
                )
                vec.idf_ = idf
                coder.vectorizers_[block] = vec
            classes = np.asarray(meta["classes"], dtype=str)
            coef = np.asarray(arrays["coef"], dtype=np.float64)
            intercept = np.asarray(arrays["intercept"], dtype=np.float64)
        except (KeyError, TypeError, ValueError, UnicodeDecodeError) as exc:
            if isinstance(exc, InputError):
                raise
            raise InputError(
                f"is not a valid coder artifact ({exc!r}); expected to_arrays()"
            ) from None
        n_features = sum(len(v.vocabulary) for v in coder.vectorizers_.values())
        n_rows = 1 if len(classes) == 2 else len(classes)
        if coef.shape != (n_rows, n_features) or intercept.shape != (n_rows,):
            raise InputError(
                f"coefficients have shape {coef.shape}; expected ({n_rows}, {n_features})"
            )
        clf = LogisticRegression(C=coder.C, class_weight=coder.class_weight)
        clf.coef_, clf.intercept_, clf.classes_ = coef, intercept, classes
        clf.n_features_in_ = n_features
        coder.classifier_ = clf
        coder.classes_ = classes
        return coder
