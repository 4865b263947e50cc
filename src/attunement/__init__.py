"""attunement: empathy and therapist-client resonance in psychotherapy sessions.

The public API::

    session = attunement.read_session("session.vtt", therapist="Dr Lee")
    results = attunement.analyze_session(session)
    results.to_dict()                      # the results.json document
    for s in attunement.read_sessions("AnnoMI-simple.csv"):
        ...
"""

__version__ = "0.1.0"

from typing import TYPE_CHECKING

from attunement._lazy import lazy_exports
from attunement.errors import AttunementError, AttunementWarning, InputError

if TYPE_CHECKING:
    from attunement.analysis import AnalysisConfig, SessionResults, analyze_session
    from attunement.io import read_session, read_sessions
    from attunement.model import Session, Signal, Utterance

# Imported on first use, so that ``import attunement.training.finetune`` on a training machine
# does not pull in the readers and measurements (and their dependencies).
_LAZY = {
    "AnalysisConfig": "attunement.analysis",
    "SessionResults": "attunement.analysis",
    "analyze_session": "attunement.analysis",
    "read_session": "attunement.io",
    "read_sessions": "attunement.io",
    "Session": "attunement.model",
    "Signal": "attunement.model",
    "Utterance": "attunement.model",
}


__getattr__ = lazy_exports(__name__, _LAZY)


__all__ = [
    "AnalysisConfig",
    "AttunementError",
    "AttunementWarning",
    "InputError",
    "Session",
    "SessionResults",
    "Signal",
    "Utterance",
    "__version__",
    "analyze_session",
    "read_session",
    "read_sessions",
]
