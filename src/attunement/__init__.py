"""attunement: empathy and therapist-client resonance in psychotherapy sessions.

The public API::

    session = attunement.read_session("session.vtt", therapist="Dr Lee")
    results = attunement.analyze_session(session)
    results.to_dict()                      # the results.json document
    for s in attunement.read_sessions("AnnoMI-simple.csv"):
        ...
"""

__version__ = "0.1.0"

from attunement.analysis import AnalysisConfig, SessionResults, analyze_session
from attunement.errors import AttunementError, AttunementWarning, InputError
from attunement.io import read_session, read_sessions
from attunement.model import Session, Signal, Utterance

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
