"""How the coders and the MI-quality estimate hold on counselling that is not AnnoMI.

Two kinds of external data, read in the AutoMISC CSV format
(:func:`attunement.io.corpora.misc_units`, :func:`attunement.io.corpora.hlqc_sessions`):

- *MISC-coded units* (e.g. MIV6.3A: chatbot sessions with real clients, coded by experts):
  every unit is coded as one utterance, in spoken order (each unit its own row:
  ``merge_turns=False``, since the experts code units, not turns), and each coder is scored
  per task beside the majority-class baseline (AnnoMI's most frequent code, its class shares
  as probabilities): macro-F1, Cohen's kappa, recall of every class, the top-label expected
  calibration error (10 equal-width bins) and the multi-class Brier score. Session metrics
  (change-talk share, reflections per question, share of complex reflections) are compared
  with the experts' per session (medians, Spearman's rho). Affirmations, support and
  emphasising control (MISC ``AF``, ``SU``, ``EC``) coded as reflections are counted.
- *Sessions labelled high or low quality* (e.g. HLQC): the MI-quality estimate of each coder
  is scored by ROC AUC, Brier score, accuracy at 0.5 and calibration error, beside two
  baselines fitted in the same run on AnnoMI's own high/low labels: a plain TF-IDF logistic
  regression on each transcript's words (scikit-learn's defaults) and the majority class
  (AnnoMI's share of high quality for every session).

Nothing here is fitted on the external data; they only measure.

References
----------
Pérez-Rosas, V., Wu, X., Resnicow, K., & Mihalcea, R. (2019). What makes a good counselor?
Learning to distinguish between high-quality and low-quality counseling conversations. ACL.

AutoMISC (NLP-AI4Health 2025): the public repository cimhasgithub/AutoMISC (data/HLQC.csv,
data/manual/MIV6.3A_manual.csv).
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import cohen_kappa_score, f1_score, recall_score, roc_auc_score

from attunement.coding.apply import code_utterances, session_codes
from attunement.coding.loader import resolve_coder
from attunement.coding.quality import load_quality_model, quality_path, session_quality
from attunement.errors import AttunementWarning, InputError
from attunement.io.corpora import (
    annomi_transcripts,
    hlqc_sessions,
    misc_units,
)
from attunement.training.corpus import annomi_tasks

__all__ = [
    "calibration_error",
    "multiclass_brier",
    "run_external",
    "score_codes",
    "score_quality",
]

#: Task -> (the unit table's gold column, the coded table's label column, its probabilities).
_TASKS: dict[str, tuple[str, str, dict[str, str]]] = {
    "therapist_behaviour": (
        "gold_therapist_behaviour",
        "mi_behaviour",
        {
            "reflection": "p_reflection",
            "question": "p_question",
            "therapist_input": "p_therapist_input",
            "other": "p_other",
        },
    ),
    "therapist_behaviour_misc_t1": (
        "gold_therapist_behaviour_t1",
        "mi_behaviour",
        {
            "reflection": "p_reflection",
            "question": "p_question",
            "therapist_input": "p_therapist_input",
            "other": "p_other",
        },
    ),
    "reflection_type": (
        "gold_reflection_type",
        "reflection_type",
        {"simple": "", "complex": "p_complex"},
    ),
    "question_type": ("gold_question_type", "question_type", {"closed": "", "open": "p_open"}),
    "client_talk": (
        "gold_client_talk",
        "client_talk",
        {"change": "p_change", "neutral": "p_neutral", "sustain": "p_sustain"},
    ),
}
#: MISC fine codes that are not reflections but are often coded as such.
NOT_REFLECTIONS = ("AF", "SU", "EC")


def calibration_error(proba: np.ndarray, correct: np.ndarray, *, bins: int = 10) -> float:
    """Top-label expected calibration error: the mean over equal-width confidence bins of
    |accuracy - mean confidence|, weighted by the bin's share of cases.

    Examples
    --------
    >>> calibration_error(np.array([0.9, 0.9, 0.6, 0.6]), np.array([1, 1, 1, 0]))
    0.1
    """
    proba = np.asarray(proba, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if not proba.size:
        return math.nan
    which = np.minimum((proba * bins).astype(int), bins - 1)
    total = 0.0
    for b in np.unique(which):
        sel = which == b
        total += sel.mean() * abs(correct[sel].mean() - proba[sel].mean())
    return round(float(total), 4)


def multiclass_brier(proba: np.ndarray, gold: Sequence[str], classes: Sequence[str]) -> float:
    """Mean over cases of the summed squared difference between the probabilities and the
    one-hot truth (0 is perfect, 2 the worst).

    Examples
    --------
    >>> multiclass_brier(np.array([[1.0, 0.0], [0.5, 0.5]]), ["a", "b"], ["a", "b"])
    0.25
    """
    onehot = (np.asarray(gold, dtype=object)[:, None] == np.asarray(classes, dtype=object)).astype(
        float
    )
    return round(float(((np.asarray(proba, dtype=float) - onehot) ** 2).sum(axis=1).mean()), 4)


def _probabilities(coded: pd.DataFrame, columns: dict[str, str]) -> np.ndarray:
    """Cases x classes, in the order of ``columns``; a binary task's first class is 1 - p."""
    names = list(columns.values())
    if names[0] == "":
        p = coded[names[1]].to_numpy(dtype=float)
        return np.column_stack([1 - p, p])
    return coded[names].to_numpy(dtype=float)


def score_codes(
    gold: Sequence[str], predicted: Sequence[str], proba: np.ndarray, classes: Sequence[str]
) -> dict[str, Any]:
    """Macro-F1, Cohen's kappa, recall of each class, calibration error and Brier score.

    Parameters
    ----------
    gold, predicted : sequence of str
    proba : array of shape (cases, classes)
        The coder's probabilities, columns in the order of ``classes`` (NaN rows, e.g. for a
        baseline without probabilities, leave calibration and Brier NaN).
    classes : sequence of str

    Returns
    -------
    dict
        ``n``, ``macro_f1``, ``kappa``, ``ece``, ``brier`` and ``recall_<class>``.

    Examples
    --------
    >>> found = score_codes(["a", "b", "b"], ["a", "b", "a"],
    ...                     np.array([[.9, .1], [.2, .8], [.6, .4]]), ["a", "b"])
    >>> found["n"], found["recall_a"], found["recall_b"]
    (3, 1.0, 0.5)
    """
    gold = np.asarray(gold, dtype=object)
    predicted = np.asarray(predicted, dtype=object)
    proba = np.asarray(proba, dtype=float)
    classes = list(classes)
    recalls = recall_score(gold, predicted, labels=classes, average=None, zero_division=0)
    defined = not np.isnan(proba).any()
    out = {
        "n": len(gold),
        "macro_f1": round(
            float(f1_score(gold, predicted, labels=classes, average="macro", zero_division=0)), 4
        ),
        "kappa": round(float(cohen_kappa_score(gold, predicted)), 4),
        "ece": calibration_error(proba.max(axis=1), predicted == gold) if defined else math.nan,
        "brier": multiclass_brier(proba, gold, classes) if defined else math.nan,
    }
    out.update({f"recall_{c}": round(float(r), 4) for c, r in zip(classes, recalls, strict=True)})
    return out


def _code_units(units: pd.DataFrame, coder: Any) -> pd.DataFrame:
    """Every unit coded as one utterance, each conversation in spoken order."""
    coded = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", AttunementWarning)  # long units are cut, and said so
        for _, rows in units.groupby("conv_id", sort=False):
            frame = rows.reset_index(drop=True)
            found = code_utterances(
                frame[["role", "text"]].assign(speaker=frame["role"]),
                coder=coder,
                merge_turns=False,
            )
            coded.append(found.drop(columns=["role", "text", "speaker"]).set_index(rows.index))
    return pd.concat([units, pd.concat(coded)], axis=1)


def _majority(annomi: Path) -> dict[str, tuple[str, dict[str, float]]]:
    """Task -> (AnnoMI's most frequent label, each label's share)."""
    out = {}
    for task, table in annomi_tasks(annomi).items():
        shares = table["label"].value_counts(normalize=True)
        out[task] = (str(shares.index[0]), {str(k): float(v) for k, v in shares.items()})
    return out


def _session_metrics(frame: pd.DataFrame, behaviour: str, talk: str, rtype: str) -> dict:
    """One conversation's session metrics, by :func:`attunement.coding.session_codes`, from the
    columns of its codes (the experts' or a coder's)."""
    found = session_codes(
        pd.DataFrame(
            {
                "mi_behaviour": frame[behaviour],
                "reflection_type": frame[rtype],
                "question_type": None,
                "client_talk": frame[talk],
            }
        )
    )
    complex_share = found["percent_complex_reflections"]
    return {
        "change_talk_share": found["change_talk_share"],
        "reflections_per_question": found["reflection_to_question_ratio"],
        "complex_reflection_share": None if complex_share is None else complex_share / 100,
    }


def _compare_sessions(coded: pd.DataFrame, name: str) -> list[dict[str, Any]]:
    expert, found = {}, {}
    for conv, rows in coded.groupby("conv_id", sort=True):
        expert[conv] = _session_metrics(
            rows, "gold_therapist_behaviour", "gold_client_talk", "gold_reflection_type"
        )
        found[conv] = _session_metrics(rows, "mi_behaviour", "client_talk", "reflection_type")
    expert_t, found_t = pd.DataFrame(expert).T, pd.DataFrame(found).T
    out = []
    for metric in expert_t.columns:
        e, f = expert_t[metric].astype(float), found_t[metric].astype(float)
        both = e.notna() & f.notna()
        rho = spearmanr(e[both], f[both]).statistic if both.sum() >= 3 else math.nan
        out.append(
            {
                "coder": name,
                "metric": metric,
                "sessions": int(both.sum()),
                "expert_median": round(float(e.median()), 4),
                "coder_median": round(float(f.median()), 4),
                "mean_abs_difference": round(float((f[both] - e[both]).abs().mean()), 4),
                "spearman_rho": round(float(rho), 4) if not math.isnan(rho) else math.nan,
            }
        )
    return out


def _external_codes(
    units: pd.DataFrame, coders: Sequence[str], annomi: Path
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    majority = _majority(annomi)
    gold = ("therapist_behaviour", "therapist_behaviour_t1", "reflection_type", "question_type",
            "client_talk")  # fmt: skip
    units = units.rename(columns={c: f"gold_{c}" for c in gold})
    rows, sessions, extra = [], [], []
    for name in [*coders, "majority"]:
        start = time.perf_counter()
        coded = units.copy() if name == "majority" else _code_units(units, resolve_coder(name))
        seconds = time.perf_counter() - start
        for task, (gold_col, label_col, probs) in _TASKS.items():
            annomi_task = "therapist_behaviour" if task.startswith("therapist") else task
            applies = coded[gold_col].notna()
            if task in ("reflection_type", "question_type"):
                # a subtype is scored where both the experts and the coder saw the behaviour
                behaviour = "reflection" if task == "reflection_type" else "question"
                if name != "majority":
                    applies &= coded["mi_behaviour"] == behaviour
            part = coded[applies]
            classes = list(probs)
            if name == "majority":
                label, shares = majority[annomi_task]
                predicted = np.full(len(part), label, dtype=object)
                proba = np.tile([shares.get(c, 0.0) for c in classes], (len(part), 1))
            else:
                predicted = part[label_col].astype(object).to_numpy()
                proba = _probabilities(part, probs)
            found = score_codes(part[gold_col].to_numpy(dtype=object), predicted, proba, classes)
            rows.append({"coder": name, "task": task, **found, "seconds": round(seconds, 2)})
        if name != "majority":
            sessions.extend(_compare_sessions(coded, name))
            therapist = coded["role"] == "therapist"
            for code in NOT_REFLECTIONS:
                sel = therapist & (coded["t2"] == code)
                extra.append(
                    {
                        "coder": name,
                        "expert_code": code,
                        "units": int(sel.sum()),
                        "coded_reflection": int(
                            (coded.loc[sel, "mi_behaviour"] == "reflection").sum()
                        ),
                    }
                )
    return pd.DataFrame(rows), pd.DataFrame(sessions), pd.DataFrame(extra)


def _documents(frame: pd.DataFrame, key: str) -> pd.Series:
    return frame.groupby(key, sort=True)["text"].apply(lambda s: " ".join(str(t) for t in s))


def score_quality(high: Sequence[int], score: Sequence[float]) -> dict[str, float]:
    """ROC AUC, Brier score, accuracy at 0.5, calibration error and the median score of the
    high- and the low-quality sessions.

    Examples
    --------
    >>> score_quality([1, 1, 0, 0], [0.9, 0.7, 0.6, 0.2])["auc"]
    1.0
    """
    y = np.asarray(high, dtype=int)
    p = np.asarray(score, dtype=float)
    auc = float(roc_auc_score(y, p)) if np.ptp(p) > 0 else 0.5
    pred = (p >= 0.5).astype(int)
    return {
        "auc": round(auc, 4),
        "brier": round(float(((p - y) ** 2).mean()), 4),
        "accuracy": round(float((pred == y).mean()), 4),
        "ece": calibration_error(np.where(pred == 1, p, 1 - p), pred == y),
        "median_high": round(float(np.median(p[y == 1])), 4),
        "median_low": round(float(np.median(p[y == 0])), 4),
    }


def _external_quality(sessions: pd.DataFrame, coders: Sequence[str], annomi: Path) -> pd.DataFrame:
    y = sessions.groupby("conv_id", sort=True)["high"].first()
    rows = []
    for name in coders:
        start = time.perf_counter()
        coder = resolve_coder(name)
        model = load_quality_model(quality_path(name)).model
        scores = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", AttunementWarning)
            for conv in y.index:
                part = sessions[sessions["conv_id"] == conv].reset_index(drop=True)
                coded = code_utterances(part[["role", "text"]], coder=coder)
                scores.append(session_quality(coded, model=model)["score"])
        rows.append(
            {
                "model": f"mi_quality_score ({name} coder)",
                **score_quality(y, np.asarray(scores, dtype=float)),
                "seconds": round(time.perf_counter() - start, 2),
            }
        )
    transcripts = annomi_transcripts(annomi)
    train_docs = _documents(transcripts, "transcript_id")
    train_y = transcripts.groupby("transcript_id", sort=True)["mi_quality"].first().eq("high")
    start = time.perf_counter()
    vectorizer = TfidfVectorizer()
    fitted = LogisticRegression().fit(vectorizer.fit_transform(train_docs), train_y.astype(int))
    p = fitted.predict_proba(vectorizer.transform(_documents(sessions, "conv_id")))[:, 1]
    rows.append(
        {
            "model": "baseline: TF-IDF logistic regression (AnnoMI high/low)",
            **score_quality(y, p),
            "seconds": round(time.perf_counter() - start, 2),
        }
    )
    share = float(train_y.mean())
    rows.append(
        {
            "model": "baseline: majority class (AnnoMI's share of high)",
            **score_quality(y, np.full(len(y), share)),
            "seconds": 0.0,
        }
    )
    return pd.DataFrame(rows)


def run_external(
    *,
    misc: str | Path | None = None,
    hlqc: str | Path | None = None,
    annomi: str | Path | None = None,
    coders: Sequence[str] = ("transformer", "ngram"),
) -> dict[str, pd.DataFrame]:
    """Score the coders and the MI-quality estimate on external data, beside baselines.

    Parameters
    ----------
    misc : str or path-like, optional
        An AutoMISC-format CSV of expert-coded units (e.g. ``MIV6.3A_manual.csv``).
    hlqc : str or path-like, optional
        An AutoMISC-format CSV of high/low-quality sessions (e.g. ``HLQC-dev.csv``).
    annomi : str or path-like, optional
        AnnoMI (for the baselines; default: the vendored ``data/annomi``).
    coders : sequence of str, default ('transformer', 'ngram')
        Coders to score (names or folders, as :func:`attunement.coding.resolve_coder` takes).

    Returns
    -------
    dict of pandas.DataFrame
        With ``misc``: ``codes`` (one row per coder and task: ``coder``, ``task``, ``n``,
        ``macro_f1``, ``kappa``, ``ece``, ``brier``, ``recall_<class>`` and ``seconds``, the
        time to code every unit), ``sessions`` (``coder``, ``metric``, ``sessions``,
        ``expert_median``, ``coder_median``, ``mean_abs_difference``, ``spearman_rho``) and
        ``not_reflections`` (``coder``, ``expert_code``, ``units``, ``coded_reflection``).
        With ``hlqc``: ``quality`` (``model``, ``auc``, ``brier``, ``accuracy``, ``ece``,
        ``median_high``, ``median_low``, ``seconds``).

    Raises
    ------
    InputError
        When neither file is given, or one cannot be read.
    """
    from attunement.io.corpora import default_annomi_dir

    if misc is None and hlqc is None:
        raise InputError(
            "got no external data; expected an AutoMISC-format CSV of MISC-coded units "
            "(--misc) and/or of high/low-quality sessions (--hlqc)",
            field="data",
        )
    annomi = Path(annomi) if annomi is not None else default_annomi_dir()
    out: dict[str, pd.DataFrame] = {}
    if misc is not None:
        out["codes"], out["sessions"], out["not_reflections"] = _external_codes(
            misc_units(misc), coders, annomi
        )
    if hlqc is not None:
        out["quality"] = _external_quality(hlqc_sessions(hlqc), coders, annomi)
    return out
