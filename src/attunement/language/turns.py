"""Turn-taking: turns, talk shares and response latencies.

A *turn* is a maximal run of consecutive utterances by the same speaker: caption exports split
one person's speech into many short cues, so measures per turn do not depend on how the source
was cut. All functions take the table of :meth:`attunement.model.Session.utterances_frame`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from attunement.language._pairs import as_text

__all__ = ["METHOD", "response_latencies", "talk_metrics", "turns"]

METHOD = {
    "name": "turn_taking",
    "description": (
        "Turns were formed by joining consecutive utterances of the same speaker. Talk share is "
        "the therapist's share of the words spoken by therapist and client (and, where the "
        "transcript is timed, of their speaking time). Response latency is the time from the end "
        "of one person's turn to the start of the other person's next turn (negative when they "
        "overlap); its median is reported for each role."
    ),
    "parameters": {},
    "citation": None,
}


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


def _share(a: float, b: float) -> float | None:
    return None if a + b <= 0 else a / (a + b)


def _mean(x: pd.Series) -> float | None:
    return None if x.empty else float(x.mean())


def _median(x: pd.Series) -> float | None:
    x = x.dropna()
    return None if x.empty else float(x.median())


def talk_metrics(utterances: pd.DataFrame) -> dict[str, float | int | None]:
    """Session-level turn-taking metrics.

    Returns
    -------
    dict
        ``therapist_talk_share`` (share of therapist + client words spoken by the therapist),
        ``therapist_talk_time_share`` (the same for speaking time; None without timing),
        ``n_therapist_utterances``, ``n_client_utterances``, ``n_turns``,
        ``mean_therapist_words_per_turn``, ``mean_client_words_per_turn``,
        ``median_therapist_response_latency_s`` and ``median_client_response_latency_s``
        (None where timings are missing). None marks what is undefined.

    Examples
    --------
    >>> df = pd.DataFrame({"speaker": ["T", "C"], "role": ["therapist", "client"],
    ...                    "start_s": [0.0, 3.5], "end_s": [3.0, 5.0],
    ...                    "text": ["What brings you here?", "My sleep."]})
    >>> m = talk_metrics(df)
    >>> m["therapist_talk_share"], m["median_client_response_latency_s"]
    (0.6666666666666666, 0.5)
    """
    t = turns(utterances)
    words = {r: float(t.loc[t["role"] == r, "n_words"].sum()) for r in ("therapist", "client")}
    dur = (t["end_s"] - t["start_s"]).clip(lower=0)
    secs = {r: dur[t["role"] == r] for r in ("therapist", "client")}
    timed = not (secs["therapist"].isna().any() or secs["client"].isna().any())
    lat = response_latencies(t)
    roles = utterances["role"]
    return {
        "therapist_talk_share": _share(words["therapist"], words["client"]),
        "therapist_talk_time_share": (
            _share(float(secs["therapist"].sum()), float(secs["client"].sum())) if timed else None
        ),
        "n_therapist_utterances": int((roles == "therapist").sum()),
        "n_client_utterances": int((roles == "client").sum()),
        "n_turns": len(t),
        "mean_therapist_words_per_turn": _mean(t.loc[t["role"] == "therapist", "n_words"]),
        "mean_client_words_per_turn": _mean(t.loc[t["role"] == "client", "n_words"]),
        "median_therapist_response_latency_s": _median(
            lat.loc[lat["role"] == "therapist", "latency_s"]
        ),
        "median_client_response_latency_s": _median(lat.loc[lat["role"] == "client", "latency_s"]),
    }
