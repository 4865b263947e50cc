"""Coding a session's utterances, and the session metrics the codes give.

Therapist utterances get a motivational-interviewing behaviour (with reflection and question
types) and a level of each of EPITOME's three empathy mechanisms; client utterances get a talk
type. Consecutive rows of one speaker (caption cues cutting one turn into pieces) are coded
as one turn (:func:`attunement.coding.units.coding_units`), and the session metrics count each
turn once. Each turn is read with what the other person said just before it
(:func:`attunement.io.corpora.contexts`).

The empathy levels come from the EPITOME model (``resolve_coder('epitome')``),
which is distributed under EPITOME's non-commercial academic research license, not attunement's
MIT license (Sharma, Miner, Atkins & Althoff, EMNLP 2020).
"""

from __future__ import annotations

import contextlib
import functools
import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from attunement import metrics
from attunement.coding.artifact import (
    ARTIFACT_NAME,
    EPITOME_LICENSE_NOTE,
    EPITOME_NAME,
    Coders,
    epitome_model_dir,
)
from attunement.coding.context import contexts
from attunement.coding.loader import coder_dir, resolve_coder
from attunement.coding.units import coding_units, unit_members
from attunement.errors import AttunementWarning, InputError
from attunement.language.function_words import FUNCTION_WORDS, tokenize

__all__ = [
    "CODE_COLUMNS",
    "EMPATHY_METRICS",
    "MAX_CHARS",
    "METHOD",
    "code_utterances",
    "coding_method",
    "session_codes",
]

#: The columns :func:`code_utterances` adds, in order.
CODE_COLUMNS: tuple[str, ...] = (
    "mi_behaviour",
    "p_reflection",
    "p_question",
    "p_therapist_input",
    "p_other",
    "reflection_type",
    "p_complex",
    "question_type",
    "p_open",
    "client_talk",
    "p_change",
    "p_neutral",
    "p_sustain",
    "er_level",
    "ip_level",
    "ex_level",
    "er_score",
    "ip_score",
    "ex_score",
    "unit",
)
#: EPITOME mechanism -> the session metric of its mean score.
EMPATHY_METRICS: dict[str, str] = {
    "er": metrics.EMPATHY_EMOTIONAL_REACTIONS.name,
    "ip": metrics.EMPATHY_INTERPRETATIONS.name,
    "ex": metrics.EMPATHY_EXPLORATIONS.name,
}
#: Utterances longer than this many characters are cut (with a warning) before coding.
MAX_CHARS = 2000

#: Task -> (role coded, label column, probability columns by label).
_OUTPUTS: dict[str, tuple[str, str, dict[str, str]]] = {
    "therapist_behaviour": (
        "therapist",
        "mi_behaviour",
        {
            "reflection": "p_reflection",
            "question": "p_question",
            "therapist_input": "p_therapist_input",
            "other": "p_other",
        },
    ),
    "reflection_type": ("therapist", "reflection_type", {"complex": "p_complex"}),
    "question_type": ("therapist", "question_type", {"open": "p_open"}),
    "client_talk": (
        "client",
        "client_talk",
        {"change": "p_change", "neutral": "p_neutral", "sustain": "p_sustain"},
    ),
}
#: Subtype task -> the behaviour it applies to.
_APPLIES = {"reflection_type": "reflection", "question_type": "question"}


_NGRAM_TEXT = (
    "a TF-IDF and logistic-regression coder (word and character n-grams of the utterance plus "
    "word n-grams of the other person's preceding turn)"
)
_TRANSFORMER_TEXT = (
    "a fine-tuned transformer ({base}, with one classification head per code; the utterance "
    "read after the other person's preceding turn, {max_len} tokens at most; run as an int8 "
    "ONNX model)"
)


_CODE_NAMES = {
    "therapist_behaviour": "therapist behaviour",
    "client_talk": "client talk type",
    "reflection_type": "simple/complex reflections",
    "question_type": "open/closed questions",
}


def _coder_facts(coder: str | Path | None) -> tuple[str, str, dict[str, float], str]:
    """(kind, description, task -> CV macro-F1, protocol) of a coder, from its JSON alone."""
    directory = coder_dir(coder)
    try:
        if (directory / "model.json").is_file():
            meta = json.loads((directory / "model.json").read_text(encoding="utf-8"))
            found = dict(meta.get("evaluation", {}).get("macro_f1", {}))
            text = _TRANSFORMER_TEXT.format(
                base=meta.get("base_name", "a BERT-style encoder"),
                max_len=meta["config"]["max_len"],
            )
            if meta["config"].get("context"):
                heads = meta["config"].get("context_heads")
                which = (
                    " and ".join(_CODE_NAMES.get(h, h) for h in heads) + " codes" if heads else ""
                )
                text = text[:-1] + (
                    f"; {which or 'all codes'} also read the "
                    f"{meta['config']['context']} utterances before and after it in the session)"
                )
            return "transformer", text, found, "5-fold cross-validation grouped by video"
        meta = json.loads((directory / f"{ARTIFACT_NAME}.json").read_text(encoding="utf-8"))
        found = {t: v["cv_macro_f1"] for t, v in meta["tasks"].items() if "cv_macro_f1" in v}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        found = {}
    return "ngram", _NGRAM_TEXT, found, "nested 5-fold cross-validation grouped by video"


@functools.cache
def _method(coder: str | None = None) -> dict[str, Any]:
    scores = ""
    kind, coder_text, found, protocol = _coder_facts(coder)
    if found:
        scores = (
            f" Macro-F1 under {protocol}: "
            + ", ".join(f"{_CODE_NAMES.get(t, t)} {v:.2f}" for t, v in found.items())
            + "."
        )
    empathy = ""
    try:
        meta = json.loads((epitome_model_dir() / f"{EPITOME_NAME}.json").read_text())
        measured = {t: v["eval"] for t, v in meta["tasks"].items() if "eval" in v}
        empathy = (
            " Therapist utterances were also rated for the three empathy communication "
            "mechanisms of EPITOME -- emotional reactions, interpretations and explorations, "
            "each at level 0 (none), 1 (weak) or 2 (strong) -- by TF-IDF and logistic-regression "
            "coders of the utterance's word and character n-grams trained on EPITOME's Reddit "
            "data (word n-grams of the seeker's post, here the client's preceding turn, lowered "
            "macro-F1 during development and are not used); an "
            "utterance's score is its expected level (0 to 2) and a session's the mean over "
            "therapist utterances."
        )
        if measured:
            empathy += (
                " Test macro-F1 over repeated stratified 75/5/20 splits (mean ± sd): "
                + ", ".join(
                    f"{k.upper()} {measured[k]['macro_f1_mean']:.2f} ± "
                    f"{measured[k]['macro_f1_sd']:.2f}"
                    for k in EMPATHY_METRICS
                    if k in measured
                )
                + "."
            )
        empathy += " " + EPITOME_LICENSE_NOTE
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        empathy = ""
    citation = (
        "Wu et al., Creation, Analysis and Evaluation of AnnoMI, a Dataset of "
        "Expert-Annotated Counselling Dialogues, Future Internet 15(3):110, 2023"
    )
    if empathy:
        citation += (
            "; Sharma, Miner, Atkins & Althoff, A Computational Approach to Understanding "
            "Empathy Expressed in Text-Based Mental Health Support, EMNLP 2020"
        )
    return {
        "name": "utterance_coding",
        "description": (
            "Therapist utterances were coded as motivational-interviewing behaviours "
            "(reflection, question, therapist input, other; reflections as simple or complex, "
            "questions as open or closed) and client utterances as change, neutral or sustain "
            f"talk by {coder_text} trained on the expert-annotated AnnoMI corpus."
            + scores
            + " Consecutive utterances of one speaker (such as caption cues) were coded "
            "as one turn, and session metrics count the most probable code of each turn once."
            + empathy
        ),
        "parameters": {"max_chars": MAX_CHARS, "coder": kind},
        "citation": citation,
        "licenses": {
            "annomi_coders": "MIT (with attunement); AnnoMI is public domain"
            + (
                "; the transformer's base model: see NOTICE beside it"
                if kind == "transformer"
                else ""
            ),
            **({"epitome_coders": EPITOME_LICENSE_NOTE} if empathy else {}),
        },
    }


def coding_method(coder: str | Path | None = None) -> dict[str, Any]:
    """The methods-paragraph entry of a coder (see :func:`attunement.coding.resolve_coder` for
    ``coder``), with its measured macro-F1 and the license of the EPITOME empathy model where
    it is installed."""
    return _method(str(coder_dir(coder)))


#: The methods-paragraph entry of the default coder.
METHOD: dict[str, Any] = coding_method()


def check_frame(frame: Any, needed: Sequence[str], name: str) -> None:
    """Refuse anything but a DataFrame with the ``needed`` columns (InputError naming
    ``name``, the missing columns and all those needed)."""
    if not isinstance(frame, pd.DataFrame):
        raise InputError(f"got {type(frame).__name__}; expected a DataFrame", field=name)
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise InputError(
            f"has no column {', '.join(missing)}; expected {', '.join(needed)}", field=name
        )


def code_utterances(
    utterances: pd.DataFrame,
    *,
    coder: Coders | None = None,
    empathy: Coders | None = None,
    merge_turns: bool = True,
) -> pd.DataFrame:
    """Code each turn: MI behaviour and empathy of the therapist, talk type of the client.

    Consecutive rows of one speaker (the same ``speaker``, where the table has that column,
    and the same ``role``) are one turn, coded once: their texts joined with a space, read
    after the other person's preceding turn (:func:`attunement.io.corpora.contexts`), and
    the transformer session coder reads the session as a sequence of turns. Captions (Zoom,
    Teams, WebVTT, SRT) cut one turn into many cues of a few words; coded cue by cue, each
    piece would be read without the rest of its sentence (``attunement benchmark
    fragments``). Every row keeps its own timing and text and gets its turn's codes; the
    ``unit`` column says which rows were coded together (see
    :func:`attunement.coding.units.coding_units`: a blank row of the same speaker does not
    end a turn, a row of anyone else -- another speaker, or role ``other`` -- does).

    Parameters
    ----------
    utterances : pandas.DataFrame
        The table of :meth:`attunement.model.Session.utterances_frame` (at least ``role`` and
        ``text``; ``speaker`` where there is one), in spoken order.
    coder : Coders, optional
        Trained coders (default: :func:`attunement.coding.resolve_coder`, trained on AnnoMI).
    empathy : Coders, optional
        EPITOME empathy coders with tasks ``er``, ``ip``, ``ex`` (default:
        ``resolve_coder('epitome')``, the shipped model, which is under
        EPITOME's non-commercial academic license; where that folder has been removed, the
        empathy columns stay empty, with a warning).
    merge_turns : bool, default True
        Code consecutive rows of one speaker as one turn. False codes every row on its own
        (each row its own unit), as attunement did before: right where each row is already a
        whole utterance and consecutive rows of one speaker were meant as separate ones (as
        AnnoMI's annotators coded them).

    Returns
    -------
    pandas.DataFrame
        A copy of ``utterances`` with these columns added (labels as pandas ``string``,
        probabilities as float; missing -- ``<NA>`` or NaN -- where a code does not apply, and
        on rows not coded: blank text or a role other than therapist or client):

        - ``mi_behaviour``: therapist rows; reflection | question | therapist_input | other;
        - ``p_reflection``, ``p_question``, ``p_therapist_input``, ``p_other``: therapist rows;
          each behaviour's probability (they sum to 1);
        - ``reflection_type`` (simple | complex) and ``p_complex``: where ``mi_behaviour`` is
          reflection;
        - ``question_type`` (open | closed) and ``p_open``: where ``mi_behaviour`` is question;
        - ``client_talk``: client rows; change | neutral | sustain;
        - ``p_change``, ``p_neutral``, ``p_sustain``: client rows; each type's probability;
        - ``er_level``, ``ip_level``, ``ex_level``: therapist rows; the most probable EPITOME
          level (0 none, 1 weak, 2 strong; pandas ``Int64``) of emotional reactions,
          interpretations and explorations, the client's preceding turn read as the seeker's
          post;
        - ``er_score``, ``ip_score``, ``ex_score``: therapist rows; the expected level,
          sum of level x probability (0 to 2). The shipped coders are trained with balanced
          class weights, so their probabilities weigh the three levels equally a priori and
          are not calibrated to how often each level occurs in EPITOME;
        - ``unit`` (last): the 0-based index of the coded unit (the turn) the row belongs to,
          in spoken order (pandas ``Int64``; ``<NA>`` on rows not coded); the rows of one unit
          have the same codes, and :func:`session_codes` counts each unit once.

    Raises
    ------
    InputError
        When ``utterances`` is not a DataFrame with ``role`` and ``text`` columns.

    Warns
    -----
    AttunementWarning
        When turns longer than :data:`MAX_CHARS` characters were cut before coding, or
        the EPITOME model is not installed (empathy columns empty).

    Examples
    --------
    >>> frame = pd.DataFrame({"role": ["therapist", "client"],
    ...                       "text": ["What brings you here today?", "I want to stop drinking."]})
    >>> coded = code_utterances(frame)
    >>> coded[["mi_behaviour", "question_type", "client_talk"]].fillna("").values.tolist()
    [['question', 'open', ''], ['', '', 'change']]
    >>> coded[["er_level", "ip_level", "ex_level"]].isna().values.tolist()
    [[False, False, False], [True, True, True]]
    >>> bool(0 <= coded.loc[0, "ex_score"] <= 2)
    True

    Three caption cues of one question are coded as one question:

    >>> cues = pd.DataFrame({"speaker": ["Therapist"] * 3 + ["Client"],
    ...                      "role": ["therapist"] * 3 + ["client"],
    ...                      "text": ["What would", "you like to", "change?", "My drinking."]})
    >>> coded = code_utterances(cues)
    >>> coded["unit"].tolist(), coded["mi_behaviour"].fillna("").tolist()
    ([0, 0, 0, 1], ['question', 'question', 'question', ''])
    """
    check_frame(utterances, ("role", "text"), "utterances")
    coder = coder or resolve_coder()
    roles = utterances["role"].astype(str).tolist()
    texts = ["" if pd.isna(t) else str(t) for t in utterances["text"].tolist()]
    speakers = utterances["speaker"].tolist() if "speaker" in utterances.columns else None
    units = coding_units(roles, texts, speakers, merge=merge_turns)
    members = unit_members(units)
    unit_roles = [roles[rows[0]] for rows in members]
    unit_texts = [" ".join(texts[i] for i in rows) for rows in members]
    long = sum(len(t) > MAX_CHARS for t in unit_texts)
    if long:
        warnings.warn(
            f"{long} {'turn' if merge_turns else 'utterance'}(s) longer than {MAX_CHARS} "
            f"characters were cut to their first {MAX_CHARS} characters before coding",
            AttunementWarning,
            stacklevel=2,
        )
        unit_texts = [t[:MAX_CHARS] for t in unit_texts]
    cut = [t[:MAX_CHARS] for t in texts]
    _warn_if_not_english(cut)
    if merge_turns:
        context = contexts(unit_roles, unit_texts)
    else:  # every row as it was read before turns were merged, blank rows included
        every = contexts(roles, cut)
        context = [every[rows[0]] for rows in members]
    with _remembering(coder):
        found = _code(coder, unit_roles, unit_texts, context)
    found = found.join(_empathy(unit_roles, unit_texts, context, empathy))
    out = utterances.copy()
    out["unit"] = pd.array([u if u >= 0 else pd.NA for u in units.tolist()], dtype="Int64")
    rows = found.reindex(units).set_axis(out.index)  # units -1 (not coded): all missing
    for column in CODE_COLUMNS[:-1]:
        out[column] = rows[column]
    return out[[*utterances.columns, *[c for c in CODE_COLUMNS if c not in utterances.columns]]]


def _remembering(coder: Coders) -> contextlib.AbstractContextManager:
    """A transformer coder's :meth:`~attunement.coding.neural.TransformerCoder.remembering`
    (one forward pass per utterance for all its codes); nothing for other coders."""
    for head in coder.coders.values():
        model = getattr(head, "model", None)
        if hasattr(model, "remembering"):
            return model.remembering()
    return contextlib.nullcontext()


def _code(coder: Coders, roles: list[str], texts: list[str], context: list[str]) -> pd.DataFrame:
    """The MI behaviour and talk-type columns of each unit (one row per unit)."""
    n = len(texts)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    labels: dict[str, np.ndarray] = {}
    # A session coder codes every unit at once, each beside its neighbours.
    session = next(
        (
            model
            for head in coder.coders.values()
            if getattr(model := getattr(head, "model", None), "reads_sessions", False)
        ),
        None,
    )
    found = session.predict_session(roles, texts, context) if session is not None else None
    for task, (role, column, probs) in _OUTPUTS.items():
        labels[column] = np.full(n, None, dtype=object)
        for p in probs.values():
            out[p] = np.nan
        mask = np.array(
            [r == role and bool(t.strip()) for r, t in zip(roles, texts, strict=True)], dtype=bool
        )
        if task in _APPLIES:
            mask &= labels["mi_behaviour"] == _APPLIES[task]
        rows = np.flatnonzero(mask)
        if rows.size and task in coder.coders:
            model = coder.coders[task]
            if found is not None:
                proba = found[task][rows]
            else:
                proba = model.predict_proba([texts[i] for i in rows], [context[i] for i in rows])
            labels[column][rows] = model.classes_[proba.argmax(axis=1)].astype(object)
            for j, label in enumerate(model.classes_):
                if label in probs:
                    out.loc[rows, probs[label]] = proba[:, j]
        out[column] = pd.array(labels[column], dtype="string")  # a typed column even if empty
    return out


#: Below this share of English function words (in a session of at least
#: :data:`ENGLISH_MIN_WORDS` words) the text is taken not to be English. English conversation
#: runs at about 50%; other languages reach English function words only by chance.
ENGLISH_MIN_SHARE = 0.2
ENGLISH_MIN_WORDS = 30
#: The words whose share says whether a text is English (every function-word category).
ENGLISH_WORDS = frozenset().union(*FUNCTION_WORDS.values())


def _warn_if_not_english(texts: list[str]) -> None:
    words = [w for t in texts for w in tokenize(t)]
    if len(words) < ENGLISH_MIN_WORDS:
        return
    share = sum(w in ENGLISH_WORDS for w in words) / len(words)
    if share < ENGLISH_MIN_SHARE:
        warnings.warn(
            f"only {share:.0%} of the words are common English function words (English "
            "conversation: about 50%); the coders were trained on English only, so their codes "
            "for a transcript in another language are not meaningful",
            AttunementWarning,
            stacklevel=3,
        )


def _empathy(
    roles: list[str], texts: list[str], context: list[str], empathy: Coders | None
) -> pd.DataFrame:
    """The EPITOME level and score columns of each unit (one row per unit)."""
    n = len(texts)
    out = pd.DataFrame(index=pd.RangeIndex(n))
    for mechanism in EMPATHY_METRICS:
        out[f"{mechanism}_level"] = pd.array([pd.NA] * n, dtype="Int64")
        out[f"{mechanism}_score"] = np.nan
    rows = np.flatnonzero(
        [r == "therapist" and bool(t.strip()) for r, t in zip(roles, texts, strict=True)]
    )
    if not rows.size:
        return out
    if empathy is None:
        if not (epitome_model_dir() / f"{EPITOME_NAME}.json").is_file():
            warnings.warn(
                f"the EPITOME empathy model is not installed ({epitome_model_dir()}); the "
                "empathy columns are left empty",
                AttunementWarning,
                stacklevel=3,
            )
            return out
        empathy = resolve_coder("epitome")
    for mechanism in EMPATHY_METRICS:
        model = empathy.coders.get(mechanism)
        if model is None:
            continue
        proba = model.predict_proba([texts[i] for i in rows], [context[i] for i in rows])
        levels = model.classes_.astype(int)
        out.loc[rows, f"{mechanism}_level"] = levels[proba.argmax(axis=1)]
        out.loc[rows, f"{mechanism}_score"] = proba @ levels.astype(float)
    return out


def _ratio(num: int, den: int, scale: float = 1.0) -> float | None:
    return None if den == 0 else scale * num / den


def session_codes(coded: pd.DataFrame) -> dict[str, float | None]:
    """Session summaries of the codes (MITI-style), from :func:`code_utterances`' table.

    Each coded unit counts once: where the table has a ``unit`` column, the first row of each
    unit stands for it (three caption cues of one reflection are one reflection), and rows
    without a unit each count on their own; without the column, each row is a unit (tables
    written before units existed).

    Parameters
    ----------
    coded : pandas.DataFrame
        One session's table, with ``mi_behaviour``, ``reflection_type``, ``question_type`` and
        ``client_talk`` (and ``unit``, where there is one).

    Returns
    -------
    dict
        - ``reflection_to_question_ratio``: reflections / questions (MITI 4.2.1: fair 1,
          good 2);
        - ``percent_complex_reflections``: 100 x complex / reflections (fair 40, good 50);
        - ``percent_open_questions``: 100 x open / questions;
        - ``change_talk_share``: change / (change + sustain), 0 to 1;
        - ``empathy_emotional_reactions``, ``empathy_interpretations``,
          ``empathy_explorations``: the mean EPITOME score (``er_score``, ``ip_score``,
          ``ex_score``: expected level, 0 to 2) over the therapist units that have one.

        Each is None where its denominator is 0 (the empathy metrics also where their score
        column is absent).

    Raises
    ------
    InputError
        When a column is missing.

    Examples
    --------
    >>> coded = pd.DataFrame({"mi_behaviour": ["reflection", "question", None],
    ...                       "reflection_type": ["complex", None, None],
    ...                       "question_type": [None, "open", None],
    ...                       "client_talk": [None, None, "change"]})
    >>> session_codes(coded)
    {'reflection_to_question_ratio': 1.0, 'percent_complex_reflections': 100.0, \
'percent_open_questions': 100.0, 'change_talk_share': 1.0, \
'empathy_emotional_reactions': None, 'empathy_interpretations': None, \
'empathy_explorations': None}

    A simple reflection cut into three caption cues (unit 0) counts once beside one question:

    >>> cues = pd.DataFrame({"unit": [0, 0, 0, 1],
    ...                      "mi_behaviour": ["reflection"] * 3 + ["question"],
    ...                      "reflection_type": ["simple"] * 3 + [None],
    ...                      "question_type": [None] * 3 + ["open"],
    ...                      "client_talk": [None] * 4})
    >>> session_codes(cues)["reflection_to_question_ratio"]
    1.0
    """
    check_frame(coded, ("mi_behaviour", "reflection_type", "question_type", "client_talk"), "coded")
    coded = one_row_per_unit(coded)

    def count(column: str, value: str) -> int:
        return int((coded[column] == value).sum())

    reflections, questions = count("mi_behaviour", "reflection"), count("mi_behaviour", "question")
    change, sustain = count("client_talk", "change"), count("client_talk", "sustain")
    return {
        metrics.REFLECTION_TO_QUESTION_RATIO.name: _ratio(reflections, questions),
        metrics.PERCENT_COMPLEX_REFLECTIONS.name: _ratio(
            count("reflection_type", "complex"), reflections, 100.0
        ),
        metrics.PERCENT_OPEN_QUESTIONS.name: _ratio(
            count("question_type", "open"), questions, 100.0
        ),
        metrics.CHANGE_TALK_SHARE.name: _ratio(change, change + sustain),
        **{
            metric: _mean_score(coded, f"{mechanism}_score")
            for mechanism, metric in EMPATHY_METRICS.items()
        },
    }


def one_row_per_unit(coded: pd.DataFrame, *, join_text: bool = False) -> pd.DataFrame:
    """The first row of each coded unit, and every row without one (the table itself when it
    has no ``unit`` column); with ``join_text``, each unit's row holds the words of all its rows
    (caption cues of one turn are one utterance).

    >>> cues = pd.DataFrame({"unit": [0, 0, 1], "text": ["You feel", "stuck.", "Yes."]})
    >>> one_row_per_unit(cues, join_text=True)["text"].tolist()
    ['You feel stuck.', 'Yes.']
    """
    if "unit" not in coded.columns:
        return coded
    unit = coded["unit"]
    has = unit.notna().to_numpy(dtype=bool)
    first = coded[~has | ~unit.duplicated().to_numpy(dtype=bool)]
    if not join_text or not has.any():
        return first
    first = first.copy()
    joined = (
        coded.loc[has, "text"]
        .groupby(unit[has].to_numpy())
        .apply(lambda s: " ".join(str(t) for t in s if not pd.isna(t)))
    )
    own = first["unit"].notna().to_numpy(dtype=bool)
    first.loc[own, "text"] = joined.reindex(first.loc[own, "unit"].to_numpy()).to_numpy()
    return first


def _mean_score(coded: pd.DataFrame, column: str) -> float | None:
    if column not in coded.columns:
        return None
    scores = pd.to_numeric(coded[column], errors="coerce").dropna()
    return None if scores.empty else float(scores.mean())
