"""Vocal synchrony: whether each person's pitch or loudness follows the other's, turn by turn.

Turn-level synchrony in the sense of Levitan & Hirschberg (2011): the Pearson correlation, over
adjacent therapist/client turn pairs, between a prosodic feature of one turn and the same feature
of the other person's next turn. Imel et al. (2014) linked such synchrony of vocally encoded
arousal (mean F0) to therapist empathy.

Each feature is z-scored within each speaker before pairing: voices differ in their usual pitch
and loudness (F0 of adult men is about half that of adult women, and microphones differ), so a
raw correlation pooled over both directions would mostly measure who spoke first. After the
z-score, ``r`` asks whether a turn that is high *for that speaker* is answered by a turn that is
high *for the other speaker*. The chance level comes from rotations of the client's turns along
the session (circular shifts of at least two turns; the therapist's stay in place) and ``r``
recomputed: a rotation keeps each voice's drift over the session, which a shuffle destroyed
(shuffles gave p <= 0.05 for 12-25% of independent autocorrelated pairs).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from attunement.errors import InputError
from attunement.language._pairs import (
    MIN_ROTATION_TURNS,
    TurnAlignment,
    align_turn_values,
    require_columns,
    rotation_text,
)

__all__ = ["FEATURES", "vocal_synchrony", "vocal_synchrony_method"]

#: Features of :func:`attunement.prosody.features.turn_prosody` that synchrony can be computed on.
FEATURES: tuple[str, ...] = ("f0_mean_hz", "f0_median_hz", "intensity_mean_db")


def vocal_synchrony(
    turn_features: pd.DataFrame,
    *,
    feature: str = "f0_mean_hz",
    n_surrogates: int = 1000,
    seed: int | None = 0,
    min_pairs: int = 5,
    max_lag_turns: int = 0,
) -> TurnAlignment:
    """Correlation of a prosodic feature across adjacent therapist/client turns.

    Parameters
    ----------
    turn_features : pandas.DataFrame
        :func:`attunement.prosody.features.turn_prosody`'s table (columns ``role``, the
        feature, and ``speaker`` if z-scores should be per speaker rather than per role).
    feature : {'f0_mean_hz', 'f0_median_hz', 'intensity_mean_db'}
    n_surrogates : int
        Rotations for the chance level (0 for none: the comparison columns are then NaN).
    seed : int or None
        Seed of the rotations; the same seed gives the same result.
    min_pairs : int
        Fewest pairs with values for which ``r`` is computed; below, ``r`` is NaN (warned).
    max_lag_turns : int
        Also correlate each turn with the other person's turn up to this many exchanges later.

    Returns
    -------
    TurnAlignment
        ``.r`` and ``.summary`` (both directions, adjacent turns), ``.table`` (every direction
        and lag: ``direction``, ``lag_turns``, ``n_pairs``, ``r``, ``surrogate_mean``,
        ``surrogate_sd``, ``effect_size``, ``p_value``, ``n_surrogates``) and ``.pairs``.

    Raises
    ------
    InputError
        For a table without ``role`` or the feature, an unknown ``feature`` or bad options.

    References
    ----------
    Levitan & Hirschberg (2011); Imel et al. (2014) (see :func:`vocal_synchrony_method`).

    Examples
    --------
    The client's pitch rises and falls with the therapist's:

    >>> therapist = [100, 120, 140, 120, 100, 90, 110, 130, 120, 100]
    >>> client = [205, 245, 285, 245, 205, 185, 225, 265, 245, 205]
    >>> f0 = [v for pair in zip(therapist, client) for v in pair]
    >>> table = pd.DataFrame({"role": ["therapist", "client"] * 10, "f0_mean_hz": f0})
    >>> result = vocal_synchrony(table, n_surrogates=200)
    >>> round(result.r, 2), result.summary.n_surrogates, result.summary.p_value
    (0.65, 7, 0.125)

    Ten client turns allow only 7 rotations (by 2 to 8 turns), so no p-value below 1/8 exists:
    a short exchange cannot show synchrony above chance, however close the match.
    """
    if feature not in FEATURES:
        raise InputError(f"is {feature!r}; expected one of {', '.join(FEATURES)}", field="feature")
    table = require_columns(turn_features, ("role", feature), "the turn feature table")
    values = pd.to_numeric(table[feature], errors="coerce").to_numpy(dtype=float)
    return align_turn_values(
        values,
        table,
        max_lag_turns=max_lag_turns,
        n_surrogates=n_surrogates,
        seed=seed,
        min_pairs=min_pairs,
        what=f"vocal synchrony of {feature}",
        parameters={
            "feature": feature,
            "n_surrogates": n_surrogates,
            "seed": seed,
            "min_pairs": min_pairs,
            "max_lag_turns": max_lag_turns,
        },
        stacklevel=3,
    )


#: How a methods paragraph names each feature.
_FEATURE_TEXT: dict[str, str] = {
    "f0_mean_hz": "mean F0",
    "f0_median_hz": "median F0",
    "intensity_mean_db": "mean intensity",
}


def _exchanges(max_lag_turns: int) -> str:
    k = int(max_lag_turns)
    if k <= 0:
        return ""
    return f", and with the other person's turns up to {k} exchange{'' if k == 1 else 's'} later"


def vocal_synchrony_method(
    *,
    features: str | Sequence[str] = "f0_mean_hz",
    n_surrogates: int = 1000,
    seed: int | None = 0,
    min_pairs: int = 5,
    max_lag_turns: int = 0,
) -> dict[str, Any]:
    """The methods-paragraph entry of :func:`vocal_synchrony` run with these parameters.

    Parameters
    ----------
    features : str or sequence of str
        The ``feature`` (or several, each run with the same options) given to
        :func:`vocal_synchrony`.
    n_surrogates, seed, min_pairs, max_lag_turns
        As given to :func:`vocal_synchrony`.

    Returns
    -------
    dict
        ``name`` ('vocal_synchrony'), ``description`` (written from the parameters),
        ``parameters`` (``features``, ``n_surrogates``, ``seed``, ``min_pairs``,
        ``max_lag_turns``) and ``citation``.

    Raises
    ------
    InputError
        For an unknown feature (the message lists the choices).

    Examples
    --------
    >>> m = vocal_synchrony_method(features=["f0_mean_hz", "intensity_mean_db"], n_surrogates=50)
    >>> "mean F0 and mean intensity" in m["description"], "50 rotations" in m["description"]
    (True, True)
    """
    chosen = [features] if isinstance(features, str) else list(features)
    unknown = [f for f in chosen if f not in FEATURES]
    if unknown or not chosen:
        raise InputError(
            f"is {features!r}; expected one or more of {', '.join(FEATURES)}", field="features"
        )
    names = [_FEATURE_TEXT[f] for f in chosen]
    named = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    n_sur = int(n_surrogates)
    chance = (
        "; chance was estimated from " + rotation_text(n_sur, seed, min_shift=MIN_ROTATION_TURNS)
        if n_sur > 0
        else "; no chance level was estimated"
    )
    return {
        "name": "vocal_synchrony",
        "description": (
            "Vocal synchrony was the Pearson correlation, over adjacent therapist-client turn "
            f"pairs{_exchanges(max_lag_turns)}, between a turn's {named} (each feature on its "
            "own) and that of the other person's next turn, each z-scored within speaker "
            f"(Levitan & Hirschberg, 2011; Imel et al., 2014){chance}; it was left undefined "
            f"with fewer than {int(min_pairs)} pairs."
        ),
        "parameters": {
            "features": chosen,
            "n_surrogates": n_sur,
            "seed": seed,
            "min_pairs": int(min_pairs),
            "max_lag_turns": int(max_lag_turns),
        },
        "citation": (
            "Levitan, R., & Hirschberg, J. (2011). Measuring acoustic-prosodic entrainment with "
            "respect to multiple levels and dimensions. Proceedings of Interspeech 2011, "
            "3081-3084. Imel, Z. E., Barco, J. S., Brown, H. J., Baucom, B. R., Baer, J. S., "
            "Kircher, J. C., & Atkins, D. C. (2014). The association of therapist empathy and "
            "synchrony in vocally encoded arousal. Journal of Counseling Psychology, 61(1), "
            "146-153."
        ),
    }
