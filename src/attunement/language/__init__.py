"""What was said and how it was exchanged: turn-taking, language style matching, affect alignment.

- :func:`~attunement.language.turns.turns` joins a session's utterances into turns;
  :func:`talk_metrics` measures talk shares, turn lengths and response latencies;
- :func:`~attunement.language.lsm.lsm` and :func:`session_lsm` (Ireland & Pennebaker's
  language style matching of two texts, or of the whole session), :func:`turn_lsm` and
  :func:`turn_lsm_test` (turn by turn, against rotations of the client's turns), over the
  project's own open function-word lists (:mod:`attunement.language.function_words`);
- :func:`affect_alignment`: whether the emotional tone (VADER valence, :func:`valence`) of one
  person's turn is echoed in the other's, against rotations of the client's turns.

The measurements return a :class:`~attunement.synchrony.result.MeasurementResult`: a long
``.table``, a one-row ``.summary`` and the ``.method`` that ran.

:func:`attunement.language.lsm.lsm` and :func:`attunement.language.turns.turns` share their
modules' names, so they are imported from those modules; the package exports the rest.
"""

from typing import TYPE_CHECKING

from attunement._lazy import lazy_exports

if TYPE_CHECKING:
    from attunement.language.affect import affect_alignment, turn_valence, valence
    from attunement.language.function_words import CATEGORIES, FUNCTION_WORDS, tokenize
    from attunement.language.lsm import (
        LSMResult,
        TurnLSMResult,
        session_lsm,
        turn_lsm,
        turn_lsm_test,
    )
    from attunement.language.turns import TalkMetrics, response_latencies, talk_metrics

# Imported on first use: the coders read the function-word lists without the measurements.
_LAZY = {
    "affect_alignment": "attunement.language.affect",
    "turn_valence": "attunement.language.affect",
    "valence": "attunement.language.affect",
    "CATEGORIES": "attunement.language.function_words",
    "FUNCTION_WORDS": "attunement.language.function_words",
    "tokenize": "attunement.language.function_words",
    "LSMResult": "attunement.language.lsm",
    "TurnLSMResult": "attunement.language.lsm",
    "session_lsm": "attunement.language.lsm",
    "turn_lsm": "attunement.language.lsm",
    "turn_lsm_test": "attunement.language.lsm",
    "TalkMetrics": "attunement.language.turns",
    "response_latencies": "attunement.language.turns",
    "talk_metrics": "attunement.language.turns",
}


__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "CATEGORIES",
    "FUNCTION_WORDS",
    "LSMResult",
    "TalkMetrics",
    "TurnLSMResult",
    "affect_alignment",
    "response_latencies",
    "session_lsm",
    "talk_metrics",
    "tokenize",
    "turn_lsm",
    "turn_lsm_test",
    "turn_valence",
    "valence",
]
