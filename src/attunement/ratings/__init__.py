"""End-of-session feedback questionnaires: definitions, validation of answers, scoring.

- :func:`builtin_questionnaires` gives the questionnaires shipped with attunement (PHQ-9,
  GAD-7, the client's session rating and the therapist's reflection);
  :func:`load_questionnaire` / :func:`load_questionnaires` read a user's own TOML definitions
  (e.g. a licensed instrument); :func:`available_questionnaires` gives both;
- :func:`score_responses` validates one person's answers and returns a :class:`ScoredResponse`
  (typed answers, total, severity band, raised flags).

Nothing here writes files or touches a database; the format is described in
``docs/questionnaires.md``.
"""

from attunement.ratings.questionnaire import (
    DEFAULT_MAX_LENGTH,
    ITEM_KINDS,
    RESPONDENTS,
    Band,
    Condition,
    Flag,
    Item,
    Option,
    Questionnaire,
    Scoring,
    available_questionnaires,
    builtin_questionnaires,
    load_questionnaire,
    load_questionnaires,
    parse_questionnaire,
)
from attunement.ratings.scoring import RaisedFlag, ScoredResponse, clean_text, score_responses

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "ITEM_KINDS",
    "RESPONDENTS",
    "Band",
    "Condition",
    "Flag",
    "Item",
    "Option",
    "Questionnaire",
    "RaisedFlag",
    "ScoredResponse",
    "Scoring",
    "available_questionnaires",
    "builtin_questionnaires",
    "clean_text",
    "load_questionnaire",
    "load_questionnaires",
    "parse_questionnaire",
    "score_responses",
]
