"""Utterance coding: motivational-interviewing behaviours of the therapist, talk type of the client.

- :func:`code_utterances` adds the codes to a session's utterance table;
- :func:`session_codes` summarises them (reflection-to-question ratio, percent complex
  reflections, percent open questions, change-talk share);
- :func:`load_coder` loads the coders shipped with attunement (trained on AnnoMI) or a folder
  written by ``attunement train``; :class:`TextCoder` is the estimator itself.
"""

from attunement.coding.apply import CODE_COLUMNS, METHOD, code_utterances, session_codes
from attunement.coding.artifact import Coders, load_coder, save_coders
from attunement.coding.estimator import TextCoder

__all__ = [
    "CODE_COLUMNS",
    "METHOD",
    "Coders",
    "TextCoder",
    "code_utterances",
    "load_coder",
    "save_coders",
    "session_codes",
]
