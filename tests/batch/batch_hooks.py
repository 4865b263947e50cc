"""Worker set-up functions for the batch tests (workers import them by name).

``inject_faults`` wraps the analysis in the worker: a session whose text holds ``DIE-NOW`` kills
its worker process, ``INTERRUPT-NOW`` raises KeyboardInterrupt, ``BUG-NOW`` raises an unexpected
exception. ``count_setup`` counts set-up calls in the worker and reports them, with the worker's
process id, as a warning of every session it analyses.
"""

from __future__ import annotations

import os
import warnings

import attunement.batch.engine as engine

SETUP_CALLS = 0


def _wrap(original):
    def analyze(session, config=None):
        text = " ".join(u.text for u in session.utterances)
        if "DIE-NOW" in text:
            os._exit(13)
        if "INTERRUPT-NOW" in text:
            raise KeyboardInterrupt
        if "BUG-NOW" in text:
            raise ZeroDivisionError("boom")
        if SETUP_CALLS:
            warnings.warn(f"setup pid={os.getpid()} calls={SETUP_CALLS}", stacklevel=1)
        return original(session, config)

    analyze.wrapped = True
    return analyze


def inject_faults() -> None:
    if not getattr(engine.analyze_session, "wrapped", False):
        engine.analyze_session = _wrap(engine.analyze_session)


def count_setup() -> None:
    global SETUP_CALLS
    SETUP_CALLS += 1
    inject_faults()


def failing_setup() -> None:
    raise OSError("model file missing")
