"""A session's MI-quality estimate at run time, and the stored model it comes from.

:func:`session_quality` scores a coded session with the shipped model (a
:class:`~attunement.coding.quality_words.WordQualityModel` on the therapist's words) or any
:class:`~attunement.coding.quality_model.MIQualityModel`, and says what drove the estimate.
The model is stored as JSON without pickle (:func:`save_quality_model`,
:func:`read_quality_model`); :func:`load_quality_model` caches a read per path for the
process, as every ``load_*`` function of :mod:`attunement.coding` does (see
:mod:`attunement.coding.loader`). Training lives in :mod:`attunement.training.quality`.

References
----------
Wu, Z., Balloccu, S., Kumar, V., Helaoui, R., Reforgiato Recupero, D., & Riboni, D. (2023).
Creation, analysis and evaluation of AnnoMI, a dataset of expert-annotated counselling dialogues.
Future Internet, 15(3), 110.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import sklearn

from attunement.coding.apply import check_frame
from attunement.coding.loader import coder_dir, default_model_dir
from attunement.coding.quality_model import (
    DEFAULT_C,
    FEATURE_NAMES,
    FEATURES,
    MIQualityModel,
    explain,
    session_features,
)
from attunement.coding.quality_words import KIND as WORDS_KIND
from attunement.coding.quality_words import WordQualityModel
from attunement.errors import InputError

__all__ = [
    "DEFAULT_C",
    "FEATURES",
    "FEATURE_NAMES",
    "FORMAT_VERSION",
    "QUALITY_ARTIFACT",
    "QUALITY_METHOD",
    "MIQualityModel",
    "QualityArtifact",
    "explain",
    "load_quality_model",
    "quality_method",
    "quality_path",
    "read_quality_model",
    "save_quality_model",
    "session_features",
    "session_quality",
    "therapist_words",
]

QUALITY_ARTIFACT = "mi_quality"
FORMAT_VERSION = 1
_CITATION = (
    "Wu et al., Creation, Analysis and Evaluation of AnnoMI, a Dataset of Expert-Annotated "
    "Counselling Dialogues, Future Internet 15(3):110, 2023"
)


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
    :func:`attunement.coding.resolve_coder`): the coder folder's own ``mi_quality.json`` (trained
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


#: The methods-paragraph entry of the MI-quality model (with its measured cross-validation).
QUALITY_METHOD: dict[str, Any] = quality_method()
