"""Short recordings for the transcription tests, spoken by espeak-ng and encoded by PyAV.

Two voices (a low male and a female one) take four turns in about 14 s, so that every test
that runs the real speech model stays within a couple of seconds on two cores.
"""

import shutil

import pytest
from recording_fixtures import LINES, write_wav

from attunement.benchmarks.transcribe import Dialogue, synthesise


@pytest.fixture(scope="session")
def dialogue():
    """(samples, turns): the four-turn dialogue, mono float64 at 16 kHz, and its script."""
    if shutil.which("espeak-ng") is None:
        pytest.fail("espeak-ng is needed for the transcription tests (apt-get install espeak-ng)")
    d = Dialogue("test", "male/female", ("en-us+m3", "en-us+f3"), LINES, seed=0, overlap_share=0)
    return synthesise(d)


@pytest.fixture(scope="session")
def dialogue_wav(dialogue, tmp_path_factory):
    samples, _ = dialogue
    return write_wav(tmp_path_factory.mktemp("audio") / "session.wav", samples)


@pytest.fixture(scope="session")
def voices(dialogue):
    """Each person's own track of the dialogue (for one-file-per-person and stereo tests)."""
    _, turns = dialogue
    own = turns.attrs["own"]
    return own[0], own[1]
