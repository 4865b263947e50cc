"""Utterance coding: motivational-interviewing behaviours of the therapist, talk type of the client.

- :func:`code_utterances` adds the codes to a session's utterance table;
- :func:`session_codes` summarises them (reflection-to-question ratio, percent complex
  reflections, percent open questions, change-talk share);
- :func:`session_quality` estimates the probability that the session is high-quality MI
  (a session model trained on AnnoMI's high/low labels) and which behaviours drove it;
- :func:`resolve_coder` loads the coders shipped with attunement (trained on AnnoMI): the fine-tuned
  transformer (:mod:`attunement.coding.neural`, the default) or the TF-IDF n-gram coders
  (:class:`TextCoder`), or a folder written by ``attunement train``.
"""

from attunement.coding.apply import (
    CODE_COLUMNS,
    METHOD,
    code_utterances,
    coding_method,
    session_codes,
)
from attunement.coding.artifact import Coders, save_coders
from attunement.coding.estimator import TextCoder
from attunement.coding.loader import resolve_coder
from attunement.coding.quality import QUALITY_METHOD, MIQualityModel, session_quality

__all__ = [
    "CODE_COLUMNS",
    "METHOD",
    "QUALITY_METHOD",
    "Coders",
    "MIQualityModel",
    "TextCoder",
    "code_utterances",
    "coding_method",
    "resolve_coder",
    "save_coders",
    "session_codes",
    "session_quality",
]
