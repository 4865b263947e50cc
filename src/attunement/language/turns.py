"""Turn-taking: turns, talk shares and response latencies.

A *turn* is a maximal run of consecutive utterances by the same speaker: caption exports split
one person's speech into many short cues, so measures per turn do not depend on how the source
was cut. All functions take the table of :meth:`attunement.model.Session.utterances_frame`.

:func:`turns` and :func:`response_latencies` build tables; :func:`talk_metrics` is the
measurement, a :class:`~attunement.synchrony.result.MeasurementResult`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from attunement.language._pairs import as_text
from attunement.synchrony.result import MeasurementResult, Method, one_row

__all__ = ["METHOD", "TalkMetrics", "response_latencies", "talk_metrics", "turns"]

#: The methods-paragraph entry of :func:`talk_metrics` (it has no parameters).
METHOD = Method(
    name="turn_taking",
    description=(
        "Turns were formed by joining consecutive utterances of the same speaker. Talk share is "
        "the therapist's share of the words spoken by therapist and client (and, where the "
        "transcript is timed, of their speaking time). Response latency is the time from the end "
        "of one person's turn to the start of the other person's next turn (negative when they "
        "overlap); its median is reported for each role."
    ),
    parameters={},
    citation=None,
)

_ROLES = ("therapist", "client")


@dataclass(frozen=True, slots=True, eq=False)
class TalkMetrics(MeasurementResult):
    """Result of :func:`talk_metrics`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per role (``therapist``, ``client``): ``role``, ``n_utterances``,
        ``n_turns``, ``n_words``, ``speaking_time_s`` (NaN without timing),
        ``mean_words_per_turn`` and ``median_response_latency_s`` (NaN where undefined).
    summary : pandas.DataFrame
        One row: ``therapist_talk_share``, ``therapist_talk_time_share``,
        ``n_therapist_utterances``, ``n_client_utterances``, ``n_turns``,
        ``mean_therapist_words_per_turn``, ``mean_client_words_per_turn``,
        ``median_therapist_response_latency_s`` and ``median_client_response_latency_s``; NaN
        where undefined.
    method : Method
        :data:`METHOD`.
    """

    def metrics(self) -> dict[str, float | int | None]:
        """The summary as results.json's metrics hold it: a dict, None where undefined.

        Examples
        --------
        >>> df = pd.DataFrame({"speaker": ["T"], "role": ["therapist"], "start_s": [None],
        ...                    "end_s": [None], "text": ["Hello."]})
        >>> talk_metrics(df).metrics()["therapist_talk_time_share"] is None
        True
        """
        return {k: None if v != v else v for k, v in self.as_dict().items()}


def _words(text: pd.Series) -> np.ndarray:
    return np.array([len(as_text(t).split()) for t in text.tolist()], dtype=float)


def turns(utterances: pd.DataFrame) -> pd.DataFrame:
    """Join consecutive utterances of the same speaker into turns.

    Parameters
    ----------
    utterances : pandas.DataFrame
        Columns ``speaker``, ``role``, ``start_s``, ``end_s``, ``text``.

    Returns
    -------
    pandas.DataFrame
        One row per turn: ``turn`` (0-based), ``speaker``, ``role``, ``first_index`` and
        ``last_index`` (utterance indices), ``start_s`` (first start), ``end_s`` (last end;
        NaN if any is missing), ``n_words`` and ``text`` (utterance texts joined by a space).

    Examples
    --------
    >>> df = pd.DataFrame({"speaker": ["T", "T", "C"], "role": ["therapist"] * 2 + ["client"],
    ...                    "start_s": [0.0, 2.0, 5.0], "end_s": [2.0, 4.0, 6.0],
    ...                    "text": ["So you", "feel stuck.", "Yes."]})
    >>> turns(df)[["speaker", "start_s", "end_s", "n_words"]].values.tolist()
    [['T', 0.0, 4.0, 4], ['C', 5.0, 6.0, 1]]
    """
    if utterances.empty:
        return pd.DataFrame(
            columns=[
                "turn",
                "speaker",
                "role",
                "first_index",
                "last_index",
                "start_s",
                "end_s",
                "n_words",
                "text",
            ]
        )
    speaker = utterances["speaker"].to_numpy()
    new_turn = np.r_[True, speaker[1:] != speaker[:-1]]
    turn_id = np.cumsum(new_turn) - 1
    df = utterances.assign(
        _turn=turn_id, _words=_words(utterances["text"]), _pos=np.arange(len(utterances))
    )
    g = df.groupby("_turn", sort=True)
    end_missing = g["end_s"].apply(lambda s: s.isna().any())
    out = pd.DataFrame(
        {
            "turn": g.size().index.to_numpy(),
            "speaker": g["speaker"].first().to_numpy(),
            "role": g["role"].first().to_numpy(),
            "first_index": g["_pos"].min().to_numpy(),
            "last_index": g["_pos"].max().to_numpy(),
            "start_s": g["start_s"].first().to_numpy(dtype=float),
            "end_s": np.where(end_missing.to_numpy(), np.nan, g["end_s"].last().to_numpy(float)),
            "n_words": g["_words"].sum().to_numpy(dtype=int),
            "text": g["text"].agg(lambda t: " ".join(map(as_text, t))).to_numpy(),
        }
    )
    return out


def response_latencies(turn_table: pd.DataFrame) -> pd.DataFrame:
    """Latency of every therapist<->client hand-over.

    Returns
    -------
    pandas.DataFrame
        One row per turn that answers the other role: ``turn``, ``role`` (who responds),
        ``latency_s`` (start of this turn minus end of the previous turn; NaN without timing).
    """
    t = turn_table
    prev_role = t["role"].shift(1)
    handover = t["role"].isin(["therapist", "client"]) & prev_role.isin(["therapist", "client"])
    handover &= t["role"] != prev_role
    latency = t["start_s"] - t["end_s"].shift(1)
    return pd.DataFrame(
        {"turn": t["turn"][handover], "role": t["role"][handover], "latency_s": latency[handover]}
    ).reset_index(drop=True)


def _share(a: float, b: float) -> float:
    return float("nan") if a + b <= 0 else a / (a + b)


def _mean(x: pd.Series) -> float:
    return float("nan") if x.empty else float(x.mean())


def _median(x: pd.Series) -> float:
    x = x.dropna()
    return float("nan") if x.empty else float(x.median())


def talk_metrics(utterances: pd.DataFrame) -> TalkMetrics:
    """Session-level turn-taking metrics.

    Parameters
    ----------
    utterances : pandas.DataFrame
        Columns ``speaker``, ``role``, ``start_s``, ``end_s``, ``text``.

    Returns
    -------
    TalkMetrics
        ``.summary`` (one row): ``therapist_talk_share`` (share of therapist + client words
        spoken by the therapist), ``therapist_talk_time_share`` (the same for speaking time;
        NaN without timing), ``n_therapist_utterances``, ``n_client_utterances``,
        ``n_turns``, ``mean_therapist_words_per_turn``, ``mean_client_words_per_turn``,
        ``median_therapist_response_latency_s`` and ``median_client_response_latency_s``
        (NaN where timings are missing). ``.table`` (one row per role): ``role``,
        ``n_utterances``, ``n_turns``, ``n_words``, ``speaking_time_s``,
        ``mean_words_per_turn``, ``median_response_latency_s``. ``.method``: :data:`METHOD`.
        ``.metrics()`` gives the summary with None for what is undefined.

    Examples
    --------
    >>> df = pd.DataFrame({"speaker": ["T", "C"], "role": ["therapist", "client"],
    ...                    "start_s": [0.0, 3.5], "end_s": [3.0, 5.0],
    ...                    "text": ["What brings you here?", "My sleep."]})
    >>> m = talk_metrics(df)
    >>> m["therapist_talk_share"], m["median_client_response_latency_s"]
    (0.6666666666666666, 0.5)
    >>> m.table[["role", "n_words", "speaking_time_s"]].values.tolist()
    [['therapist', 4, 3.0], ['client', 2, 1.5]]
    """
    t = turns(utterances)
    own = {r: t["role"] == r for r in _ROLES}
    words = {r: float(t.loc[own[r], "n_words"].sum()) for r in _ROLES}
    dur = (t["end_s"] - t["start_s"]).clip(lower=0)
    secs = {r: dur[own[r]] for r in _ROLES}
    timed = not (secs["therapist"].isna().any() or secs["client"].isna().any())
    lat = response_latencies(t)
    latency = {r: _median(lat.loc[lat["role"] == r, "latency_s"]) for r in _ROLES}
    per_turn = {r: _mean(t.loc[own[r], "n_words"]) for r in _ROLES}
    roles = utterances["role"]
    n_utterances = {r: int((roles == r).sum()) for r in _ROLES}
    nan = float("nan")
    table = pd.DataFrame(
        {
            "role": list(_ROLES),
            "n_utterances": [n_utterances[r] for r in _ROLES],
            "n_turns": [int(own[r].sum()) for r in _ROLES],
            "n_words": [int(words[r]) for r in _ROLES],
            "speaking_time_s": [float(secs[r].sum()) if timed else nan for r in _ROLES],
            "mean_words_per_turn": [per_turn[r] for r in _ROLES],
            "median_response_latency_s": [latency[r] for r in _ROLES],
        }
    )
    summary = one_row(
        therapist_talk_share=_share(words["therapist"], words["client"]),
        therapist_talk_time_share=(
            _share(float(secs["therapist"].sum()), float(secs["client"].sum())) if timed else nan
        ),
        n_therapist_utterances=n_utterances["therapist"],
        n_client_utterances=n_utterances["client"],
        n_turns=len(t),
        mean_therapist_words_per_turn=per_turn["therapist"],
        mean_client_words_per_turn=per_turn["client"],
        median_therapist_response_latency_s=latency["therapist"],
        median_client_response_latency_s=latency["client"],
    )
    return TalkMetrics(table=table, summary=summary, method=METHOD)
